"""What accounts hands to other tenant apps: frozen dataclasses of plain values."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """The answer of ``interface.can``: allowed, or refused with a code and a sentence for people."""

    allowed: bool
    code: str = "ok"
    reason: str = ""
    # Methods any one of which would make the action allowed (for "verify to vote" prompts).
    methods: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


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
