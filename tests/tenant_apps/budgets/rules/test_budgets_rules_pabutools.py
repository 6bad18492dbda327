"""Our rules give exactly pabutools' outcomes (same projects, same order) on real files."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from pabutools.election import (
    Additive_Cardinal_Sat,
    AdditiveSatisfaction,
    Cardinality_Sat,
    Cost_Sat,
    parse_pabulib,
)
from pabutools.rules import (
    completion_by_rule_combination,
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule, lexico_tie_breaking

from tenant_apps.budgets.pabulib import read_pabulib
from tenant_apps.budgets.rules import compute, mes
from tenant_apps.budgets.rules.model import Instance
from tenant_apps.budgets.rules.tiebreak import natural_id_key

from .paths import DATA_DIR

APPROVAL_FILES = [
    "Synthetic_equalshares_net_example1",
    "Netherlands_Assen_2024",
    "Switzerland_Zurich_S5",
    "Hungary_Budapest_2022_VIII_Jozsefvaros",
    "Poland_Swiecie_2023",
    "Netherlands_Amsterdam_166",
    "Poland_Wieliczka_2023_Green_Budget",
]
# pabutools' greedy builds a satisfaction object per ballot: slow on the largest file.
GREEDY_FILES = [name for name in APPROVAL_FILES if name != "Poland_Wieliczka_2023_Green_Budget"]
# pabutools needs seconds per file for the iterated (add1) variants: small files only.
ADD1_FILES = ["Synthetic_equalshares_net_example1", "Netherlands_Assen_2024", "Switzerland_Zurich_S5"]


@cache
def pabutools_election(name: str) -> tuple[Any, Any]:
    return parse_pabulib(str(DATA_DIR / f"{name}.pb"))


@cache
def our_instance(name: str) -> Instance:
    return read_pabulib(DATA_DIR / f"{name}.pb")


def names(allocation: Any) -> list[str]:
    return [project.name for project in allocation]


class PointsTimesCostSat(AdditiveSatisfaction):
    """Our ``cost`` utility on cumulative ballots: points x cost."""

    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(
            instance, profile, ballot, lambda inst, prof, b, project, pre: b.get(project, 0) * project.cost
        )


def _borda(ballot: Any, project: Any) -> int:
    return len(ballot) - ballot.position(project) if project in ballot else 0


class BordaSat(AdditiveSatisfaction):
    """Our ``cardinality`` utility on ordinal ballots: len(ballot) - position."""

    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(instance, profile, ballot, lambda inst, prof, b, project, pre: _borda(b, project))


class BordaCostSat(AdditiveSatisfaction):
    """Our ``cost`` utility on ordinal ballots: Borda points x cost."""

    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(
            instance, profile, ballot, lambda inst, prof, b, project, pre: _borda(b, project) * project.cost
        )


SATISFACTIONS: dict[tuple[str, str], type] = {
    ("approval", "cost"): Cost_Sat,
    ("approval", "cardinality"): Cardinality_Sat,
    ("cumulative", "cost"): PointsTimesCostSat,
    ("cumulative", "cardinality"): Additive_Cardinal_Sat,
    ("ordinal", "cost"): BordaCostSat,
    ("ordinal", "cardinality"): BordaSat,
}


def cost_votes_id_tie_breaking(name: str) -> TieBreakingRule:
    """pabutools rendering of our default tie-breaking order."""
    instance = our_instance(name)
    votes = {project.id: 0 for project in instance.projects}
    for ballot in instance.ballots:
        for project_id in set(ballot):
            votes[project_id] += 1
    return TieBreakingRule(
        lambda inst, prof, project: (project.cost, -votes[project.name], natural_id_key(project.name))
    )


def tie_breaking(name: str, ours: str) -> TieBreakingRule:
    return lexico_tie_breaking if ours == "lexicographic" else cost_votes_id_tie_breaking(name)


def check(name: str, reference: Callable[[Any, Any, type, TieBreakingRule], Any], **options: Any) -> None:
    instance, profile = pabutools_election(name)
    ours = our_instance(name)
    sat = SATISFACTIONS[("approval" if ours.vote_type == "choose-1" else ours.vote_type, options["utility"])]
    expected = names(reference(instance, profile, sat, tie_breaking(name, options["tie_break"])))
    outcome = compute(ours, **options)
    assert list(outcome.selected) == expected


@pytest.mark.parametrize("name", GREEDY_FILES)
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
@pytest.mark.parametrize("tie_break", ["lexicographic", "cost-votes-id"])
def test_greedy_matches_pabutools(name: str, utility: str, tie_break: str) -> None:
    check(
        name,
        lambda inst, prof, sat, tie: greedy_utilitarian_welfare(inst, prof, sat_class=sat, tie_breaking=tie),
        rule="greedy",
        utility=utility,
        tie_break=tie_break,
    )


@pytest.mark.parametrize("name", APPROVAL_FILES)
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_equal_shares_matches_pabutools(name: str, utility: str) -> None:
    check(
        name,
        lambda inst, prof, sat, tie: method_of_equal_shares(inst, prof, sat_class=sat, tie_breaking=tie),
        rule="equal-shares",
        utility=utility,
        tie_break="lexicographic",
    )


@pytest.mark.parametrize("name", ["Netherlands_Assen_2024", "Switzerland_Zurich_S5", "Poland_Swiecie_2023"])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_equal_shares_default_tie_break_matches_pabutools(name: str, utility: str) -> None:
    check(
        name,
        lambda inst, prof, sat, tie: method_of_equal_shares(inst, prof, sat_class=sat, tie_breaking=tie),
        rule="equal-shares",
        utility=utility,
        tie_break="cost-votes-id",
    )


@pytest.mark.parametrize("name", ADD1_FILES)
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_add1_matches_pabutools_voter_budget_increment(name: str, utility: str) -> None:
    check(
        name,
        lambda inst, prof, sat, tie: method_of_equal_shares(
            inst, prof, sat_class=sat, tie_breaking=tie, voter_budget_increment=1
        ),
        rule="equal-shares",
        utility=utility,
        completion="add1",
        tie_break="lexicographic",
    )


def test_add1_with_larger_increment_matches_pabutools() -> None:
    check(
        "Hungary_Budapest_2022_VIII_Jozsefvaros",
        lambda inst, prof, sat, tie: method_of_equal_shares(
            inst, prof, sat_class=sat, tie_breaking=tie, voter_budget_increment=20000
        ),
        rule="equal-shares",
        utility="cost",
        completion="add1",
        increment=20000,
        tie_break="lexicographic",
    )


@pytest.mark.parametrize("name", ["Netherlands_Assen_2024", "Switzerland_Zurich_S5"])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_add1_then_greedy_matches_pabutools_rule_combination(name: str, utility: str) -> None:
    def reference(inst: Any, prof: Any, sat: type, tie: TieBreakingRule) -> Any:
        return completion_by_rule_combination(
            inst,
            prof,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [
                {"sat_class": sat, "tie_breaking": tie, "voter_budget_increment": 1},
                {"sat_class": sat, "tie_breaking": tie},
            ],
        )

    check(
        name,
        reference,
        rule="equal-shares",
        utility=utility,
        completion="add1",
        then_greedy=True,
        tie_break="lexicographic",
    )


@pytest.mark.parametrize("name", ["Synthetic_equalshares_net_example1", "Switzerland_Zurich_S5"])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_add1_nostop_matches_pabutools_exhaustion_without_stop(name: str, utility: str) -> None:
    voters = len(our_instance(name).ballots)

    def reference(inst: Any, prof: Any, sat: type, tie: TieBreakingRule) -> Any:
        # pabutools raises the total budget: n voters x 1 unit = +1 per voter.
        return exhaustion_by_budget_increase(
            inst,
            prof,
            method_of_equal_shares,
            {"sat_class": sat, "tie_breaking": tie},
            exhaustive_stop=False,
            budget_step=voters,
        )

    check(name, reference, rule="equal-shares", utility=utility, completion="add1-nostop", tie_break="lexicographic")


@pytest.mark.parametrize("name", ["Switzerland_Zurich_D10", "Switzerland_Zurich_S5R"])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
@pytest.mark.parametrize("completion", ["none", "add1"])
def test_points_and_rankings_match_pabutools_additive_satisfactions(name: str, utility: str, completion: str) -> None:
    increment = 1 if completion == "add1" else None
    check(
        name,
        lambda inst, prof, sat, tie: method_of_equal_shares(
            inst, prof, sat_class=sat, tie_breaking=tie, voter_budget_increment=increment
        ),
        rule="equal-shares",
        utility=utility,
        completion=completion,
        tie_break="lexicographic",
    )


@pytest.mark.parametrize("name", ["Switzerland_Zurich_D10", "Switzerland_Zurich_S5R"])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_greedy_on_points_and_rankings_matches_pabutools(name: str, utility: str) -> None:
    check(
        name,
        lambda inst, prof, sat, tie: greedy_utilitarian_welfare(
            inst, prof, sat_class=sat, tie_breaking=tie, is_sat_additive=True
        ),
        rule="greedy",
        utility=utility,
        tie_break="lexicographic",
    )


def test_wieliczka_add1_without_stop_gives_the_official_result() -> None:
    instance = our_instance("Poland_Wieliczka_2023_Green_Budget")
    outcome = compute(instance, rule="equal-shares", utility="cost", completion="add1-nostop")
    official = {project.id for project in instance.projects if project.extra_value("selected") == "1"}
    assert len(outcome.selected) == 30
    assert outcome.cost_used == 995_079
    assert set(outcome.selected) == official


@pytest.mark.parametrize("name", ["Netherlands_Assen_2024", "Switzerland_Zurich_S5", "Switzerland_Zurich_D10"])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_slow_exact_price_path_gives_the_same_outcomes(
    name: str, utility: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no float-guided attempt, every price is computed by comparing all supporters exactly.
    monkeypatch.setattr(mes, "_ESTIMATE_ATTEMPTS", 0)
    check(
        name,
        lambda inst, prof, sat, tie: method_of_equal_shares(inst, prof, sat_class=sat, tie_breaking=tie),
        rule="equal-shares",
        utility=utility,
        tie_break="lexicographic",
    )
