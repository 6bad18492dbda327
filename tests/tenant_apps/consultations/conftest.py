"""Consultations test helpers: an open consultation with themes in alpha, residents, staff."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tenant_apps.consultations.models import Consultation, Theme
from tenant_apps.consultations.phases import Phase
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user

__all__ = ["make_consultation", "make_user"]


@pytest.fixture
def in_alpha(alpha: City) -> Iterator[City]:
    with in_city(city_id=alpha.id, city=alpha):
        yield alpha


def make_consultation(
    *, themes: tuple[str, ...] = ("Mobility", "Environment", "Housing"), phase: str = Phase.OPEN, **fields: Any
) -> Consultation:
    """A consultation (open by default) with ``themes`` in order, written straight to the database."""
    fields.setdefault("title", "Our city in 2030")
    fields.setdefault("slug", f"c-{uuid.uuid4().hex[:8]}")
    fields.setdefault("language", "en")
    fields.setdefault("search_config", "english")
    consultation = Consultation.objects.create(phase=phase, **fields)
    for position, name in enumerate(themes):
        Theme.objects.create(consultation=consultation, name=name, position=position, colour="#2255aa")
    return consultation


@pytest.fixture
def consultation(in_alpha: City) -> Consultation:
    return make_consultation()


@pytest.fixture
def resident(in_alpha: City) -> Any:
    return make_user()


@pytest.fixture
def staff(in_alpha: City) -> Any:
    return make_user(role="city_admin")


@pytest.fixture
def moderator(in_alpha: City) -> Any:
    return make_user(role="moderator")
