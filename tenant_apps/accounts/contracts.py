"""What accounts hands to other tenant apps: frozen dataclasses of plain values."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from core.decisions import Decision

__all__ = ["AccountRef", "Decision", "ParticipationRef"]


@dataclass(frozen=True)
class AccountRef:
    id: int
    display_name: str
    role: str
    is_verified: bool
    verified_district: str | None
    is_deleted: bool


@dataclass(frozen=True)
class ParticipationRef:
    id: int
    process_key: str
    user_id: int
    created_at: datetime.datetime
