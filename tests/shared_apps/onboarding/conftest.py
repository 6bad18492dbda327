"""Sign-up test helpers: fresh addresses per test (the cache is shared by a run), mail sent in-process."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import pytest
from django.core import mail as django_mail
from django.test import Client

from core import mail

_addresses = itertools.count(1)


@pytest.fixture
def ip() -> str:
    """An address no other test of this run used (rate-limit counters live in the shared cache)."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@pytest.fixture
def email() -> str:
    return f"clerk-{uuid.uuid4().hex[:10]}@town.example"


def signup_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "city_name": "Namur",
        "slug": f"namur-{uuid.uuid4().hex[:6]}",
        "contact_email": f"clerk-{uuid.uuid4().hex[:10]}@namur.example",
        "country": "BE",
        "population": "112000",
        "language": "fr",
        "plan": "",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def eager_mail(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """send_mail_task runs in-process (``.apply``) instead of going to the broker; returns the outbox."""

    def apply_async(*args: Any, kwargs: dict[str, Any] | None = None, **options: Any) -> Any:
        return mail.send_mail_task.apply(kwargs=kwargs)

    monkeypatch.setattr(mail.send_mail_task, "apply_async", apply_async)
    return django_mail.outbox


def link_in(body: str, pattern: str) -> str:
    found = re.search(pattern, body)
    assert found, f"no link matching {pattern!r} in:\n{body}"
    return found.group(0)


def post_signup(client: Client, ip: str, **overrides: Any) -> Any:
    return client.post("/signup/", signup_data(**overrides), REMOTE_ADDR=ip)
