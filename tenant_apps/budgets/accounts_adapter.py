"""The one door from budgets into accounts.

Tenant apps are independent of each other (import-linter), so accounts' interface is loaded at run
time; nothing else in budgets may reach accounts.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

STAFF_ROLES = frozenset({"moderator", "city_admin"})


def _accounts() -> ModuleType:
    return importlib.import_module("tenant_apps.accounts.interface")


def can(user: Any, action: str) -> Any:
    """accounts' ``Decision`` (truthy when allowed; ``code`` and ``reason`` otherwise)."""
    return _accounts().can(user, action)


def verified_district(*, user_id: int) -> str | None:
    result: str | None = _accounts().verified_district(user_id=user_id)
    return result


def participation_record(*, user_id: int, process_key: str) -> None:
    """Raises ApplicationError(code="already_participated") when the person already took part."""
    _accounts().participation_record(user_id=user_id, process_key=process_key)


def has_participated(*, user_id: int, process_key: str) -> bool:
    return bool(_accounts().has_participated(user_id=user_id, process_key=process_key))


def is_staff(*, user_id: int) -> bool:
    """Moderator or city admin, with an active account (one query)."""
    return _accounts().role_of(user_id=user_id) in STAFF_ROLES


def role_of(*, user_id: int) -> str | None:
    """The person's role (resident, moderator, city_admin); None for an unknown or deleted account."""
    role: str | None = _accounts().role_of(user_id=user_id)
    return role
