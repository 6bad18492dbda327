"""Small instances checked by hand: greedy variants, tie-breaking, exactness, reproducibility."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from tenant_apps.budgets.rules import compute
from tenant_apps.budgets.rules.model import Instance, Project


def approval(budget: int, costs: dict[str, int], ballots: list[str]) -> Instance:
    """Instance from ``{"id": cost}`` and ballots written as ``"a,b"``."""
    return Instance(
        budget=budget,
        projects=tuple(
            Project(id=project_id, cost=cost, name=project_id.upper()) for project_id, cost in costs.items()
        ),
        ballots=tuple(tuple(ballot.split(",")) if ballot else () for ballot in ballots),
    )


def test_greedy_skips_what_does_not_fit_but_no_skip_stops() -> None:
    # Votes: a=3, b=2, c=1. a (6) fits, b (5) no longer fits in the 4 left, c (4) does.
    instance = approval(10, {"a": 6, "b": 5, "c": 4}, ["a,b,c", "a,b", "a"])
    assert compute(instance, rule="greedy").selected == ("a", "c")
    stopped = compute(instance, rule="greedy-no-skip")
    assert stopped.selected == ("a",)
    assert [step["action"] for step in stopped.steps] == ["selected", "stopped"]


def test_greedy_cardinality_ranks_by_votes_per_cost() -> None:
    # a: 3 votes / 6 = 0.5, c: 1 vote / 1 = 1 -> c first.
    instance = approval(10, {"a": 6, "c": 1}, ["a,c", "a", "a"])
    assert compute(instance, rule="greedy", utility="cardinality").selected == ("c", "a")


def test_equal_shares_example_from_equalshares_net() -> None:
    ballots = ["bike,gym"] * 3 + ["bike,gym,park"] * 3 + ["park,playground,library"] * 2
    ballots += ["playground", "playground,library", "bike"]
    instance = approval(1100, {"bike": 700, "gym": 400, "park": 250, "playground": 200, "library": 100}, ballots)
    outcome = compute(instance, rule="equal-shares")
    assert outcome.selected == ("bike", "playground", "library")
    assert outcome.cost_used == 1000
    first = outcome.steps[0]
    assert first["project"] == "bike" and first["round"] == 1
    assert first["max_payment_per_voter"] == pytest.approx(100.0)  # 7 supporters share 700
    assert first["voters_with_money"] == 10  # the bike-only voter spent its whole 100


@pytest.mark.parametrize(("tie_break", "expected"), [("cost-votes-id", ("b",)), ("lexicographic", ("a",))])
def test_equal_shares_tie_is_broken_by_the_chosen_order(tie_break: str, expected: tuple[str, ...]) -> None:
    # Two voters with 1 each. Cost utility: b (cost 1) costs 0.5 per voter for utility 1 -> rho 1/2;
    # a (cost 2) costs 1 per voter for utility 2 -> rho 1/2. Whichever goes first exhausts the money.
    instance = approval(2, {"a": 2, "b": 1}, ["a,b", "a,b"])
    assert compute(instance, rule="equal-shares", tie_break=tie_break).selected == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("tie_break", "expected"), [("cost-votes-id", ("9",)), ("lexicographic", ("10",))])
def test_ids_compare_numerically_by_default_and_as_text_lexicographically(
    tie_break: str, expected: tuple[str, ...]
) -> None:
    instance = approval(2, {"9": 2, "10": 2}, ["9,10", "9,10"])
    assert compute(instance, rule="equal-shares", tie_break=tie_break).selected == expected  # type: ignore[arg-type]


def test_more_votes_win_ties_on_cost_by_default() -> None:
    # Greedy by cost utility ranks by votes; cardinality ties "x" (1 vote / 1) and "y" (2 votes / 2).
    instance = approval(2, {"x": 1, "y": 2}, ["x,y", "y"])
    assert compute(instance, rule="greedy", utility="cardinality").selected == ("x",)
    instance = approval(2, {"x": 2, "y": 2}, ["x,y", "y"])
    assert compute(instance, rule="greedy").selected == ("y",)


def test_exact_arithmetic_where_floats_would_drop_an_affordable_project() -> None:
    # Ten voters hold 1/10 each; in floats 0.1 added ten times is 0.9999999999999999 < 1.
    assert sum([0.1] * 10) < 1
    instance = approval(1, {"all": 1}, ["all"] * 10)
    assert compute(instance, rule="equal-shares").selected == ("all",)


def test_exact_arithmetic_where_floats_would_see_a_tie() -> None:
    # 2**53 + 1 and 2**53 are the same float: floats would tie and pick "a" lexicographically,
    # but "b" is strictly cheaper, hence a strictly lower rho.
    big = 2**53
    assert float(big + 1) == float(big)
    instance = approval(big + 1, {"a": big + 1, "b": big}, ["a,b"])
    outcome = compute(instance, rule="equal-shares", utility="cardinality", tie_break="lexicographic")
    assert outcome.selected == ("b",)


def test_then_greedy_spends_what_equal_shares_left() -> None:
    ballots = ["bike,gym"] * 3 + ["bike,gym,park"] * 3 + ["park,playground,library"] * 2
    ballots += ["playground", "playground,library", "bike"]
    instance = approval(1100, {"bike": 700, "gym": 400, "park": 250, "playground": 200, "library": 100}, ballots)
    outcome = compute(instance, rule="equal-shares", completion="add1", then_greedy=True)
    assert outcome.cost_used <= 1100
    assert outcome.selected[:3] == ("bike", "playground", "library")
    stages = {step["stage"] for step in outcome.steps}
    assert {"mes", "add1"} <= stages


def test_add1_logs_the_increment_level_reached() -> None:
    instance = approval(100, {"a": 60, "b": 40, "c": 30}, ["a"] * 3 + ["b,c"] * 2)
    outcome = compute(instance, rule="equal-shares", completion="add1", increment=Fraction(1, 2))
    completion = outcome.steps[-1]
    assert completion["stage"] == "add1"
    assert completion["increment"] == 0.5
    assert isinstance(completion["level_reached"], int)
    assert outcome.params["increment"] == "1/2"


def test_same_ballots_in_another_order_give_the_same_digest_and_outcome() -> None:
    rng = random.Random(7)
    ids = [f"p{k}" for k in range(8)]
    ballots = [",".join(rng.sample(ids, rng.randint(1, 4))) for _ in range(200)]
    costs = {project_id: 100 * (k + 1) for k, project_id in enumerate(ids)}
    first = approval(1500, costs, ballots)
    shuffled_ballots = [",".join(rng.sample(ballot.split(","), len(ballot.split(",")))) for ballot in ballots]
    rng.shuffle(shuffled_ballots)
    second = Instance(
        budget=1500,
        projects=tuple(reversed(first.projects)),
        ballots=tuple(tuple(ballot.split(",")) for ballot in shuffled_ballots),
    )
    for rule in ("greedy", "equal-shares"):
        one, two = compute(first, rule=rule), compute(second, rule=rule)  # type: ignore[arg-type]
        assert one.ballots_digest == two.ballots_digest
        assert one.selected == two.selected
        assert one.steps == two.steps
    changed = approval(1500, costs, ["p0", *ballots[1:]])
    assert compute(changed).ballots_digest != compute(first).ballots_digest


def test_outcome_records_rule_version_and_parameters() -> None:
    outcome = compute(approval(10, {"a": 5}, ["a"]), rule="greedy", utility="cardinality", tie_break="lexicographic")
    assert outcome.rule == "greedy"
    assert outcome.rule_version
    assert outcome.params == {
        "utility": "cardinality",
        "completion": "none",
        "increment": "1",
        "then_greedy": False,
        "tie_break": "lexicographic",
    }
    assert outcome.ballots_digest.startswith("sha256:")


@pytest.mark.parametrize(
    "options",
    [
        {"rule": "borda"},
        {"utility": "happiness"},
        {"completion": "add2"},
        {"tie_break": "random"},
        {"rule": "greedy", "completion": "add1"},
        {"rule": "greedy", "then_greedy": True},
        {"completion": "add1", "increment": 0},
    ],
)
def test_bad_options_are_rejected(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        compute(approval(10, {"a": 5}, ["a"]), **options)  # type: ignore[arg-type]


def test_ballot_for_unknown_project_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown project"):
        compute(approval(10, {"a": 5}, ["b"]))


def test_no_ballots_fund_nothing_with_equal_shares() -> None:
    assert compute(approval(10, {"a": 5}, [])).selected == ()


def test_cumulative_points_are_utilities() -> None:
    # Cardinality utility = points: voter 1 puts 3 points on "a", voter 2 one point on "a" and 2 on "b".
    instance = Instance(
        budget=4,
        projects=(Project(id="a", cost=2), Project(id="b", cost=2)),
        ballots=(("a",), ("a", "b")),
        points=((3,), (1, 2)),
        vote_type="cumulative",
    )
    outcome = compute(instance, rule="greedy", utility="cardinality")
    assert outcome.selected == ("a", "b")
