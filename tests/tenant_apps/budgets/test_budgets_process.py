"""Phases, rule freezing, proposals and review."""

from __future__ import annotations

from typing import Any

import pytest

from core.exceptions import ApplicationError
from tenant_apps.budgets import services
from tenant_apps.budgets.models import ProcessEvent, ProjectStatus
from tenant_apps.budgets.phases import Phase, can_transition, local_midnight
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import make_process


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("proposals", "review", True),
        ("proposals", "voting", False),
        ("review", "proposals", True),
        ("review", "voting", True),
        ("voting", "review", False),
        ("voting", "results", True),
        ("results", "follow_up", True),
        ("follow_up", "proposals", False),
    ],
)
def test_phase_transitions(current: str, target: str, allowed: bool) -> None:
    assert can_transition(current, target) is allowed


def test_phase_dates_are_in_the_city_time_zone(in_alpha: City) -> None:
    import datetime

    start = local_midnight(datetime.date(2026, 7, 1))
    assert start.utcoffset() == datetime.timedelta(hours=2)  # Paris, summer time


def test_refuses_skipping_a_phase(in_alpha: City) -> None:
    process = services.process_create(title="PB", total_budget=100)
    with pytest.raises(ApplicationError) as error:
        services.process_advance_phase(process_id=process.pk, to=Phase.VOTING)
    assert error.value.code == "invalid_transition"


def test_rules_freeze_when_voting_opens_and_refusal_is_logged(in_alpha: City) -> None:
    process = make_process(costs={"A": 10})
    assert process.rules_frozen_at is not None
    with pytest.raises(ApplicationError) as error:
        services.process_set_rules(process_id=process.pk, ballot_kind="knapsack")
    assert error.value.code == "rules_frozen"
    process.refresh_from_db()
    assert process.ballot_kind == "approval"
    refused = ProcessEvent.objects.get(process=process, kind="rules_change_refused")
    assert refused.payload == {"attempted": {"ballot_kind": "knapsack"}}


def test_rules_change_before_voting_is_recorded(in_alpha: City) -> None:
    process = services.process_create(title="PB", total_budget=100)
    services.process_set_rules(process_id=process.pk, ballot_kind="ranked", ranks=3)
    process.refresh_from_db()
    assert (process.ballot_kind, process.ranks) == ("ranked", 3)
    assert ProcessEvent.objects.filter(process=process, kind="rules_changed").count() == 1


def test_inconsistent_rules_name_every_field(in_alpha: City) -> None:
    with pytest.raises(ApplicationError) as error:
        services.process_create(title="PB", total_budget=1, ballot_kind="cumulative", min_projects=3, max_projects=1)
    assert set(error.value.fields) == {"points_total", "max_projects"}


def test_project_submit_only_in_proposals_then_review(in_alpha: City, resident: Any) -> None:
    process = services.process_create(title="PB", total_budget=100)
    project = services.project_submit(process_id=process.pk, author=resident, title="Trees", estimated_cost=30)
    with pytest.raises(ApplicationError) as error:
        services.project_review(project_id=project.pk, reviewer=resident, decision="feasible")
    assert error.value.code == "forbidden"
    staff = make_user(role="city_admin")
    with pytest.raises(ApplicationError) as error:
        services.project_review(project_id=project.pk, reviewer=staff, decision="not_feasible")
    assert "public_reason" in error.value.fields
    reviewed = services.project_review(
        project_id=project.pk, reviewer=staff, decision="selected_for_ballot", official_cost=35
    )
    assert (reviewed.status, reviewed.cost) == (ProjectStatus.SELECTED_FOR_BALLOT, 35)
    services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW)
    with pytest.raises(ApplicationError) as error:
        services.project_submit(process_id=process.pk, author=resident, title="Late", estimated_cost=5)
    assert error.value.code == "proposals_closed"


def test_unverified_email_cannot_propose(in_alpha: City) -> None:
    process = services.process_create(title="PB", total_budget=100)
    with pytest.raises(ApplicationError) as error:
        services.project_submit(process_id=process.pk, author=make_user(verified=False), title="X", estimated_cost=5)
    assert error.value.code == "email_unverified"
