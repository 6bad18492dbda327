"""Accounts test helpers: residents made in a city, mail sent in-process, plans allowing every method."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from core import mail
from core.models import User
from tenant_apps.accounts.models import Profile, Role
from tenant_apps.accounts.services import verification as verification_services
from tenants.context import in_city
from tenants.models import City

_addresses = itertools.count(1)


@pytest.fixture
def ip() -> str:
    n = next(_addresses)
    return f"10.77.{(n >> 8) & 255}.{n & 255}"


@pytest.fixture
def eager_mail(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    def apply_async(*args: Any, kwargs: dict[str, Any] | None = None, **options: Any) -> Any:
        return mail.send_mail_task.apply(kwargs=kwargs)

    monkeypatch.setattr(mail.send_mail_task, "apply_async", apply_async)
    return django_mail.outbox


@pytest.fixture
def any_plan(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every verification method allowed by the plan (plans are billing's; one test checks a refusal)."""
    checked: list[str] = []
    monkeypatch.setattr(verification_services, "plan_check", checked.append)
    return checked


@pytest.fixture
def in_alpha(alpha: City) -> Iterator[City]:
    with in_city(city_id=alpha.id, city=alpha):
        yield alpha


def make_user(
    *,
    email: str | None = None,
    password: str = "correct horse battery staple",  # noqa: S107
    verified: bool = True,
    role: str = Role.RESIDENT,
    **profile: Any,
) -> User:
    user = User.objects.create_user(
        email=email or f"r-{uuid.uuid4().hex[:10]}@people.example", password=password, is_staff=role != Role.RESIDENT
    )
    Profile.objects.create(user=user, role=role, email_verified_at=timezone.now() if verified else None, **profile)
    return user


def link_in(body: str, pattern: str) -> str:
    found = re.search(pattern, body)
    assert found, f"no link matching {pattern!r} in:\n{body}"
    return found.group(0)


def enable(*, methods: list[str], requirements: dict[str, list[str]] | None = None, **extra: Any) -> None:
    verification_services.settings_update(enabled_methods=methods, requirements=requirements or {}, **extra)
