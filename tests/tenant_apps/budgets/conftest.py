"""Budgets test helpers: a process on the ballot in alpha, residents, staff."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenant_apps.budgets import accounts_adapter, services
from tenant_apps.budgets.models import BudgetProcess, Project, ProjectStatus
from tenant_apps.budgets.phases import Phase
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user


@pytest.fixture
def in_alpha(alpha: City) -> Iterator[City]:
    with in_city(city_id=alpha.id, city=alpha):
        yield alpha


def make_process(*, costs: dict[str, int], budget: int = 100, districts: Any = None, **rules: Any) -> BudgetProcess:
    """A process in voting with one project per ``costs`` entry (title -> cost), all on the ballot."""
    process = services.process_create(title="PB", total_budget=budget, districts=districts, **rules)
    for title, cost in costs.items():
        Project.objects.create(
            process=process, title=title, estimated_cost=cost, status=ProjectStatus.SELECTED_FOR_BALLOT
        )
    return services.process_advance_phase(
        process_id=services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW).pk, to=Phase.VOTING
    )


def ids(process: BudgetProcess) -> dict[str, int]:
    return {p.title: p.pk for p in process.projects.all()}


@pytest.fixture
def resident(in_alpha: City) -> Any:
    return make_user()


@pytest.fixture
def staff_pair(in_alpha: City) -> tuple[Any, Any]:
    return make_user(role="city_admin"), make_user(role="moderator")


@pytest.fixture
def district_of(monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    """Residents' verified districts (accounts' census verification is tested in accounts)."""
    table: dict[int, str] = {}
    monkeypatch.setattr(accounts_adapter, "verified_district", lambda *, user_id: table.get(user_id))
    return table
