"""Location of the small real Pabulib files used by the rules tests."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "pabulib"
