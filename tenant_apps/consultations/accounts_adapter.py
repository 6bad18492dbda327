"""The one door from consultations into accounts.

Tenant apps are independent of each other (import-linter), so accounts' interface is loaded at run
time; nothing else in consultations may reach accounts.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

STAFF_ROLES = frozenset({"moderator", "city_admin"})


def _accounts() -> ModuleType:
    return importlib.import_module("tenant_apps.accounts.interface")


def can(user: Any, action: str) -> Any:
    """accounts' ``Decision`` (truthy when allowed; ``code`` and ``reason`` otherwise).

    ``action`` is one of accounts' ``Action`` values: "contribute", "comment", "react", "answer_survey".
    """
    return _accounts().can(user, action)


def account(*, user_id: int) -> Any:
    """accounts' ``AccountRef`` (display_name, role, is_verified, verified_district, is_deleted) or None."""
    return _accounts().account_get(user_id=user_id)


def is_verified(*, user_id: int) -> bool:
    ref = account(user_id=user_id)
    return ref is not None and not ref.is_deleted and bool(ref.is_verified)


def verified_district(*, user_id: int) -> str | None:
    result: str | None = _accounts().verified_district(user_id=user_id)
    return result


def is_staff(*, user_id: int) -> bool:
    """Moderator or city admin, with an active account (one query)."""
    return _accounts().role_of(user_id=user_id) in STAFF_ROLES


def participation_record(*, user_id: int, process_key: str) -> None:
    """Raises ApplicationError(code="already_participated") when the person already took part."""
    _accounts().participation_record(user_id=user_id, process_key=process_key)


def reply_emails_off(*, user_ids: list[int]) -> set[int]:
    """Those of ``user_ids`` who turned off emails about replies to them (accounts' profile setting)."""
    result: set[int] = _accounts().reply_emails_off(user_ids=user_ids)
    return result
