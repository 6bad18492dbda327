"""Ballot validation per kind, revision, districts, paper ballots, results, Pabulib, GDPR."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from tenant_apps.budgets import interface, services
from tenant_apps.budgets.models import Ballot, BallotChoice, PaperEntryStatus, Result
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.services import Choice
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process


def cast(process: Any, voter: Any, *picks: Any) -> Ballot:
    return services.ballot_cast(process_id=process.pk, voter=voter, choices=list(picks))


def violations(process: Any, voter: Any, *picks: Choice) -> dict[str, list[str]]:
    with pytest.raises(ApplicationError) as error:
        cast(process, voter, *picks)
    assert error.value.code == "ballot_invalid"
    return error.value.fields


def test_approval_names_every_violation(in_alpha: City, resident: Any) -> None:
    process = make_process(costs={"A": 10, "B": 10, "C": 10}, max_projects=1)
    p = ids(process)
    fields = violations(process, resident, Choice(p["A"]), Choice(p["B"]), Choice(999_999), Choice(p["C"], points=2))
    assert set(fields) == {"projects", "count", "points"}


def test_knapsack_over_budget_and_under_min_share(in_alpha: City, resident: Any) -> None:
    process = make_process(costs={"A": 70, "B": 50, "C": 10}, ballot_kind="knapsack", min_share_spent="0.5")
    p = ids(process)
    assert "over the budget" in violations(process, resident, Choice(p["A"]), Choice(p["B"]))["cost"][0]
    assert "at least 50%" in violations(process, resident, Choice(p["C"]))["cost"][0]
    assert cast(process, resident, Choice(p["A"]), Choice(p["C"])).receipt


def test_cumulative_points_rules(in_alpha: City, resident: Any) -> None:
    process = make_process(costs={"A": 10, "B": 10}, ballot_kind="cumulative", points_total=5, max_points_per_project=3)
    p = ids(process)
    messages = violations(process, resident, Choice(p["A"], points=4), Choice(p["B"], points=2))["points"]
    assert len(messages) == 2  # over the total and over the per-project cap
    cast(process, resident, Choice(p["A"], points=3), Choice(p["B"], points=2))


def test_ranked_needs_distinct_ranks_within_k(in_alpha: City, resident: Any) -> None:
    process = make_process(costs={"A": 10, "B": 10, "C": 10}, ballot_kind="ranked", ranks=2)
    p = ids(process)
    messages = violations(process, resident, Choice(p["A"], rank=1), Choice(p["B"], rank=1), Choice(p["C"], rank=3))
    assert len(messages["ranks"]) == 2
    ballot = cast(process, resident, Choice(p["B"], rank=1), Choice(p["A"], rank=2))
    assert list(ballot.choices.order_by("rank").values_list("project_id", flat=True)) == [p["B"], p["A"]]


def test_revision_keeps_one_ballot_and_the_last_counts(in_alpha: City, resident: Any) -> None:
    process = make_process(costs={"A": 10, "B": 10})
    p = ids(process)
    first = cast(process, resident, Choice(p["A"]))
    second = cast(process, resident, Choice(p["B"]))
    assert Ballot.objects.filter(process=process).count() == 1
    assert first.pk == second.pk and first.receipt != second.receipt
    assert list(BallotChoice.objects.filter(ballot=second).values_list("project_id", flat=True)) == [p["B"]]
    assert not any(f.name in ("user", "voter", "author") for f in Ballot._meta.get_fields())


def test_voting_closed_outside_voting_phase(in_alpha: City, resident: Any) -> None:
    process = make_process(costs={"A": 10})
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    with pytest.raises(ApplicationError) as error:
        cast(process, resident, Choice(ids(process)["A"]))
    assert error.value.code == "voting_closed"


def test_district_eligibility(in_alpha: City, district_of: dict[int, str]) -> None:
    process = services.process_create(
        title="PB", total_budget=300, citywide_budget=100, districts=[("north", "North", 100), ("south", "South", 100)]
    )
    north, south = process.districts.order_by("code")
    from tenant_apps.budgets.models import Project

    a = Project.objects.create(
        process=process, title="A", estimated_cost=10, district=north, status="selected_for_ballot"
    )
    b = Project.objects.create(
        process=process, title="B", estimated_cost=10, district=south, status="selected_for_ballot"
    )
    c = Project.objects.create(process=process, title="C", estimated_cost=10, status="selected_for_ballot")
    services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW)
    services.process_advance_phase(process_id=process.pk, to=Phase.VOTING)
    outsider, northerner = make_user(), make_user()
    district_of[northerner.pk] = "north"
    with pytest.raises(ApplicationError) as error:
        cast(process, outsider, Choice(c.pk))
    assert error.value.code == "not_eligible"
    assert "another district" in violations(process, northerner, Choice(b.pk))["projects"][0]
    ballot = cast(process, northerner, Choice(a.pk), Choice(c.pk))
    assert ballot.district == north


def test_paper_double_entry(in_alpha: City, staff_pair: tuple[Any, Any], resident: Any) -> None:
    first, second = staff_pair
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True)
    p = ids(process)
    with pytest.raises(ApplicationError):
        services.paper_ballot_enter(process_id=process.pk, staff=resident, paper_ref="S1", choices=[Choice(p["A"])])
    with pytest.raises(ApplicationError) as error:
        services.paper_ballot_enter(
            process_id=process.pk, staff=first, paper_ref="S1", choices=[Choice(p["A"], rank=1)]
        )
    assert error.value.code == "ballot_invalid"
    entry = services.paper_ballot_enter(process_id=process.pk, staff=first, paper_ref="S1", choices=[Choice(p["A"])])
    assert entry.ballot is None and not Ballot.objects.filter(process=process).exists()
    with pytest.raises(ApplicationError) as error:
        services.paper_ballot_enter(process_id=process.pk, staff=first, paper_ref="S1", choices=[Choice(p["A"])])
    assert error.value.code == "same_operator"
    entry = services.paper_ballot_enter(process_id=process.pk, staff=second, paper_ref="S1", choices=[Choice(p["A"])])
    assert entry.ballot is not None and entry.ballot.channel == "paper"
    with pytest.raises(ApplicationError) as error:
        services.paper_ballot_enter(process_id=process.pk, staff=second, paper_ref="S1", choices=[Choice(p["A"])])
    assert error.value.code == "already_counted"
    services.paper_ballot_enter(process_id=process.pk, staff=first, paper_ref="S2", choices=[Choice(p["A"])])
    conflict = services.paper_ballot_enter(
        process_id=process.pk, staff=second, paper_ref="S2", choices=[Choice(p["B"])]
    )
    assert conflict.status == PaperEntryStatus.CONFLICT
    assert Ballot.objects.filter(process=process).count() == 1


def _hand_case(in_city: City, **rules: Any) -> Any:
    rules = rules or {"results_rule": "greedy", "utility": "cardinality"}
    process = make_process(costs={"A": 60, "B": 50, "C": 40}, **rules)
    p = ids(process)
    for picks in (["A"], ["A", "B"], ["A", "C"], ["C"]):
        cast(process, make_user(), *(Choice(p[name]) for name in picks))
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    return process


def test_results_hand_checked_and_reproducible(in_alpha: City) -> None:
    process = _hand_case(in_alpha)
    p = ids(process)
    from tenant_apps.budgets.tasks import results_compute_task

    digests = results_compute_task.run(process_id=process.pk)
    result = Result.objects.get(process=process)
    # Votes: A 3, C 2, B 1 (3/60 = 2/40 per cent). Greedy funds A and C (100); B (50) no longer fits.
    assert sorted(result.selected) == sorted([str(p["A"]), str(p["C"])]) and result.money_used == 100
    assert result.ballot_count == 4 and result.step_log and result.status == "done"
    again = services.results_compute(process_id=process.pk)
    assert [r.ballots_digest for r in again] == digests and Result.objects.filter(process=process).count() == 1
    assert again[0].selected == result.selected


ROUND_TRIPS = [
    ({"results_rule": "greedy", "utility": "cost"}, "greedy"),
    ({"results_rule": "greedy", "utility": "cardinality"}, "greedy"),
    ({"results_rule": "greedy", "tie_break": "lexicographic"}, "greedy"),
    ({"results_rule": "greedy-no-skip", "utility": "cost"}, "unknown"),
    ({"results_rule": "greedy-no-skip", "utility": "cardinality"}, "unknown"),
    ({"results_rule": "equal-shares", "utility": "cost", "completion": "none"}, "equalshares"),
    ({"results_rule": "equal-shares", "utility": "cardinality", "completion": "none"}, "equalshares"),
    ({"results_rule": "equal-shares", "utility": "cost", "completion": "add1"}, "equalshares/add1"),
    ({"results_rule": "equal-shares", "utility": "cardinality", "completion": "add1"}, "equalshares/add1"),
    ({"results_rule": "equal-shares", "utility": "cost", "completion": "add1-nostop"}, "equalshares/add1"),
    ({"results_rule": "equal-shares", "utility": "cardinality", "completion": "add1-nostop"}, "equalshares/add1"),
    (
        {"results_rule": "equal-shares", "completion": "add1", "increment": "1/2", "then_greedy": True},
        "equalshares/add1",
    ),
    ({"results_rule": "equal-shares", "then_greedy": True, "tie_break": "lexicographic"}, "equalshares"),
]


@pytest.mark.parametrize(("rules", "pabulib_rule"), ROUND_TRIPS, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_pabulib_export_import_round_trip(in_alpha: City, rules: dict[str, Any], pabulib_rule: str) -> None:
    process = _hand_case(in_alpha, **rules)
    text = services.process_export_pabulib(process_id=process.pk)
    assert "voter_id;vote" in text and "budget;1" in text  # 100 cents = 1 EUR
    meta = dict(line.split(";", 1) for line in text.split("PROJECTS")[0].splitlines()[2:])
    assert meta["rule"] == pabulib_rule  # Pabulib's vocabulary...
    settings = ("results_rule", "utility", "completion", "increment", "then_greedy", "tie_break")
    assert meta["fluicity_rule"] == process.results_rule  # ...and our exact settings beside it
    assert meta["fluicity_utility"] == process.utility and meta["fluicity_tie_break"] == process.tie_break
    assert meta["fluicity_completion"] == process.completion and meta["fluicity_increment"] == process.increment
    imported = services.process_import_pabulib(text=text)
    assert imported.projects.count() == 3 and imported.ballots.count() == 4
    assert [getattr(imported, name) for name in settings] == [getattr(process, name) for name in settings]
    assert services.process_export_pabulib(process_id=imported.pk) == text
    original = services.results_compute(process_id=process.pk)[0]
    copy = services.results_compute(process_id=imported.pk)[0]
    assert copy.ballots_digest == original.ballots_digest and copy.selected == original.selected
    assert (copy.rule, copy.params, copy.money_used) == (original.rule, original.params, original.money_used)


def test_gdpr_and_usage(in_alpha: City, resident: Any) -> None:
    process = services.process_create(title="PB", total_budget=100)
    services.project_submit(process_id=process.pk, author=resident, title="Bench", estimated_cost=5)
    assert [p["title"] for p in interface.gdpr_export(user_id=resident.pk)["budget_projects"]] == ["Bench"]
    assert interface.gdpr_erase(user_id=resident.pk, keep_contributions=True)["projects_anonymised"] == 1
    assert interface.gdpr_export(user_id=resident.pk)["budget_projects"] == []
    voting = make_process(costs={"A": 1})
    cast(voting, make_user(), Choice(ids(voting)["A"]))
    now = timezone.now()
    assert interface.usage(
        period_start=now - datetime.timedelta(hours=1), period_end=now + datetime.timedelta(hours=1)
    ) == {"ballots": 1}
