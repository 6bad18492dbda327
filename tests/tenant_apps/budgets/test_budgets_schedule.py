"""Phases changed on their planned dates (city calendar days) by the beat task, through the staff service."""

from __future__ import annotations

import copy
import datetime
import logging
from typing import Any

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from tenant_apps.budgets import services, tasks
from tenant_apps.budgets.models import BudgetProcess, ProcessEvent, Project, ProjectStatus
from tenant_apps.budgets.phases import Phase, city_zone
from tenant_apps.budgets.services import processes_schedule_apply
from tenant_apps.budgets.services.processes import SCHEDULE_REFUSED
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user

UTC = datetime.UTC
PROPOSALS_DAY = datetime.date(2026, 2, 1)
REVIEW_DAY = datetime.date(2026, 3, 1)
VOTING_DAY = datetime.date(2026, 3, 10)
RESULTS_DAY = datetime.date(2026, 4, 1)
# 10 March starts at 11:00 UTC on 9 March in Auckland (NZDT, UTC+13) and at 23:00 UTC in Paris (CET, UTC+1).
AUCKLAND_MIDNIGHT = datetime.datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
PARIS_MIDNIGHT = datetime.datetime(2026, 3, 9, 23, 0, tzinfo=UTC)
ONE_MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def in_zone(alpha: City) -> Any:
    """Enter alpha as if it were in the given time zone (the city row itself is left alone)."""

    def enter(zone: str) -> Any:
        city = copy.copy(alpha)
        city.time_zone = zone
        return in_city(city_id=alpha.id, city=city)

    return enter


def planned_process(*, phase: str = Phase.REVIEW, on_ballot: bool = True, **dates: Any) -> BudgetProcess:
    """A process with the standard plan (override any date), in ``phase`` (proposals or review)."""
    plan = {
        "proposals_start": PROPOSALS_DAY,
        "review_start": REVIEW_DAY,
        "voting_start": VOTING_DAY,
        "results_start": RESULTS_DAY,
        **dates,
    }
    process = services.process_create(title="Planned", total_budget=100)
    BudgetProcess.objects.filter(pk=process.pk).update(**plan)
    if on_ballot:
        Project.objects.create(
            process=process, title="Park", estimated_cost=10, status=ProjectStatus.SELECTED_FOR_BALLOT
        )
    if phase == Phase.REVIEW:
        services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW)
    process.refresh_from_db()
    return process


@pytest.mark.parametrize(
    ("zone", "now", "opens"),
    [
        ("Pacific/Auckland", AUCKLAND_MIDNIGHT - ONE_MINUTE, False),
        ("Pacific/Auckland", AUCKLAND_MIDNIGHT, True),
        ("Europe/Paris", AUCKLAND_MIDNIGHT, False),  # same instant: still 9 March in Paris
        ("Europe/Paris", PARIS_MIDNIGHT - ONE_MINUTE, False),
        ("Europe/Paris", PARIS_MIDNIGHT, True),
    ],
)
def test_voting_opens_on_its_day_in_the_city_time_zone(
    in_zone: Any, zone: str, now: datetime.datetime, opens: bool
) -> None:
    with in_zone(zone):
        process = planned_process()
        assert processes_schedule_apply(now=now) == (1 if opens else 0)
        process.refresh_from_db()
        assert process.phase == (Phase.VOTING if opens else Phase.REVIEW)
        assert (process.rules_frozen_at is not None) is opens


def test_scheduled_voting_freezes_the_rules_like_staff_do(in_zone: Any) -> None:
    with in_zone("Pacific/Auckland"):
        process = planned_process()
        processes_schedule_apply(now=AUCKLAND_MIDNIGHT)
        with pytest.raises(ApplicationError) as error:
            services.process_set_rules(process_id=process.pk, ballot_kind="knapsack")
        assert error.value.code == "rules_frozen"
        change = ProcessEvent.objects.filter(process=process, kind="phase_changed").latest("pk")
        assert change.payload == {"from": "review", "to": "voting", "scheduled": True} and change.actor is None


def test_a_late_process_takes_every_step_and_a_second_run_changes_nothing(in_zone: Any) -> None:
    with in_zone("Europe/Paris"):
        process = planned_process(phase=Phase.PROPOSALS)
        now = datetime.datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # the plan says results
        assert processes_schedule_apply(now=now) == 3
        process.refresh_from_db()
        assert process.phase == Phase.RESULTS
        steps = [(e.payload["from"], e.payload["to"]) for e in process.events.filter(kind="phase_changed")]
        assert steps == [("proposals", "review"), ("review", "voting"), ("voting", "results")]
        frozen_at, events = process.rules_frozen_at, process.events.count()
        assert processes_schedule_apply(now=now) == 0
        process.refresh_from_db()
        assert (process.phase, process.rules_frozen_at, process.events.count()) == (Phase.RESULTS, frozen_at, events)


def test_nothing_moves_backwards(in_zone: Any) -> None:
    with in_zone("Europe/Paris"):
        ahead = planned_process()
        services.process_advance_phase(process_id=ahead.pk, to=Phase.VOTING)
        services.process_advance_phase(process_id=ahead.pk, to=Phase.RESULTS)
        # Moved to review by hand before its date: the plan says proposals.
        early = planned_process(review_start=datetime.date(2026, 3, 20), voting_start=datetime.date(2026, 3, 25))
        undated = planned_process(
            proposals_start=None, review_start=None, voting_start=None, results_start=None
        )  # no plan at all
        now = datetime.datetime(2026, 3, 12, 12, 0, tzinfo=UTC)  # the plan says voting for ahead
        assert processes_schedule_apply(now=now) == 0
        phases = dict(BudgetProcess.objects.filter(pk__in=[ahead.pk, early.pk, undated.pk]).values_list("pk", "phase"))
        assert phases == {ahead.pk: Phase.RESULTS, early.pk: Phase.REVIEW, undated.pk: Phase.REVIEW}


def test_a_second_call_for_ideas_is_not_overridden(in_zone: Any) -> None:
    with in_zone("Europe/Paris"):
        staff = make_user(role="city_admin")
        process = planned_process(voting_start=None, results_start=None)
        services.process_advance_phase(process_id=process.pk, to=Phase.PROPOSALS, actor=staff)
        now = datetime.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)  # the plan still says review
        assert processes_schedule_apply(now=now) == 0
        process.refresh_from_db()
        assert process.phase == Phase.PROPOSALS
        services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW, actor=staff)
        BudgetProcess.objects.filter(pk=process.pk).update(voting_start=VOTING_DAY)
        # Back in the plan's hands once staff moved it forward again.
        assert processes_schedule_apply(now=datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)) == 1


def test_a_refused_step_is_logged_once_and_the_others_still_move(
    in_zone: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with in_zone("Europe/Paris"):
        empty = planned_process(on_ballot=False)  # nothing on the ballot: voting cannot open
        ready = planned_process()
        now = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
        with caplog.at_level(logging.WARNING, logger="tenant_apps.budgets.services.processes"):
            assert processes_schedule_apply(now=now) == 1
        assert f"process {empty.pk} not moved to voting" in caplog.text and "empty_ballot" in caplog.text
        phases = dict(BudgetProcess.objects.filter(pk__in=[empty.pk, ready.pk]).values_list("pk", "phase"))
        assert phases == {empty.pk: Phase.REVIEW, ready.pk: Phase.VOTING}
        refusal = ProcessEvent.objects.get(process=empty, kind=SCHEDULE_REFUSED)
        assert refusal.payload["to"] == "voting" and refusal.payload["code"] == "empty_ballot"
        assert processes_schedule_apply(now=now + ONE_MINUTE) == 0
        assert ProcessEvent.objects.filter(process=empty, kind=SCHEDULE_REFUSED).count() == 1  # not once per run


def test_an_unexpected_failure_does_not_stop_the_other_processes(
    in_zone: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tenant_apps.budgets.services import processes

    with in_zone("Europe/Paris"):
        broken, ready = planned_process(), planned_process()
        original = processes.process_advance_phase

        def advance(*, process_id: int, **kwargs: Any) -> BudgetProcess:
            if process_id == broken.pk:
                raise RuntimeError("corrupted row")
            return original(process_id=process_id, **kwargs)

        monkeypatch.setattr(processes, "process_advance_phase", advance)
        with caplog.at_level(logging.ERROR, logger="tenant_apps.budgets.services.processes"):
            assert processes_schedule_apply(now=datetime.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)) == 1
        assert f"scheduling process {broken.pk} failed" in caplog.text
        phases = dict(BudgetProcess.objects.filter(pk__in=[broken.pk, ready.pk]).values_list("pk", "phase"))
        assert phases == {broken.pk: Phase.REVIEW, ready.pk: Phase.VOTING}


def test_staff_page_says_why_the_planned_phase_did_not_start(in_zone: Any, alpha_client: Any) -> None:
    with in_zone("Europe/Paris"):
        empty = planned_process(on_ballot=False)
        processes_schedule_apply(now=datetime.datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
        alpha_client.force_login(make_user(role="city_admin"))
        body = alpha_client.get(f"/manage/budgets/{empty.pk}/").content.decode()
    assert "The planned move to the phase “Voting” was refused" in body
    assert "Put at least one project on the ballot" in body


def test_beat_task_applies_todays_plan_in_the_city(alpha: City) -> None:
    assert tasks.schedule_apply_task.name == "budgets.schedule_apply_task"  # the name the beat entry calls
    with in_city(city_id=alpha.id, city=alpha):
        today = timezone.localtime(timezone.now(), city_zone()).date()
        process = planned_process(
            review_start=today - datetime.timedelta(days=3),
            voting_start=today,
            results_start=today + datetime.timedelta(days=10),
            proposals_start=today - datetime.timedelta(days=30),
        )
        assert tasks.schedule_apply_task.run() == 1
        assert tasks.schedule_apply_task.run() == 0
        process.refresh_from_db()
        assert process.phase == Phase.VOTING and process.rules_frozen_at is not None
