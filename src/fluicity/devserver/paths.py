"""Locating the repository root and the ``var/`` directory used by the dev runtime."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["RepositoryNotFound", "find_repo_root", "var_dir"]


class RepositoryNotFound(RuntimeError):
    """Raised when no Fluicity checkout can be located."""


def _is_repo_root(path: Path) -> bool:
    """A directory is the checkout root if it holds manage.py or Fluicity's pyproject.toml."""
    if (path / "manage.py").is_file():
        return True
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return False
    # A cheap textual check is enough: we only need to tell our checkout from an unrelated project.
    return 'name = "fluicity"' in text


def find_repo_root(start: Path | None = None) -> Path:
    """Return the root of the Fluicity checkout.

    Order: ``FLUICITY_ROOT`` (explicit override), then the current directory and its parents
    (a developer working in another checkout or worktree means *that* one), then the location
    of this package (editable install: ``<root>/src/fluicity/devserver``).
    """
    override = os.environ.get("FLUICITY_ROOT")
    if override:
        root = Path(override).expanduser().resolve()
        if not root.is_dir():
            raise RepositoryNotFound(f"FLUICITY_ROOT={override!r} is not a directory")
        return root

    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if _is_repo_root(candidate):
            return candidate

    package_guess = Path(__file__).resolve().parents[3]
    if _is_repo_root(package_guess):
        return package_guess

    raise RepositoryNotFound(
        "cannot find the Fluicity checkout (no manage.py or pyproject.toml above "
        f"{here}); run from the repository or set FLUICITY_ROOT"
    )


def var_dir(root: Path) -> Path:
    """Directory for local runtime data (databases, schedules, state); created on demand."""
    path = root / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path
