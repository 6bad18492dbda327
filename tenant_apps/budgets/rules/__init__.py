"""Vote-aggregation rules for participatory budgeting (pure Python, no Django).

Single entry point: :func:`compute`. Rules:

* ``greedy`` / ``greedy-no-skip``: utilitarian greedy, see :mod:`.greedy`;
* ``equal-shares``: Method of Equal Shares, see :mod:`.mes`, optionally completed
  by increasing voter budgets (:mod:`.completion`) and then by greedy.

Results are exact and identical to pabutools for the corresponding settings; every
:class:`Outcome` carries its parameters, a step log and a digest of the ballots.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, TypeAlias

from tenant_apps.budgets.rules.completion import COMPLETIONS, Completion, mes_with_completion
from tenant_apps.budgets.rules.digest import ballots_digest
from tenant_apps.budgets.rules.greedy import greedy
from tenant_apps.budgets.rules.mes import build_supporters, mes_candidates
from tenant_apps.budgets.rules.model import Instance, Number, Outcome, Project, StepLog, normalise_number
from tenant_apps.budgets.rules.profile import UTILITIES, Profile, Utility, build_profile
from tenant_apps.budgets.rules.tiebreak import TIE_BREAKS, TieBreak, tie_break_ranks

__all__ = [
    "COMPLETIONS",
    "RULES",
    "RULE_VERSION",
    "TIE_BREAKS",
    "UTILITIES",
    "Instance",
    "Outcome",
    "Project",
    "compute",
]

Rule: TypeAlias = Literal["greedy", "greedy-no-skip", "equal-shares"]
RULES: tuple[Rule, ...] = ("greedy", "greedy-no-skip", "equal-shares")
RULE_VERSION = "fluicity-budgets-rules/1"
"""Bumped whenever a change could alter an outcome, so stored results stay explainable."""


def compute(
    instance: Instance,
    *,
    rule: Rule = "equal-shares",
    utility: Utility = "cost",
    completion: Completion = "none",
    increment: Number | str = 1,
    then_greedy: bool = False,
    tie_break: TieBreak = "cost-votes-id",
) -> Outcome:
    """Compute the projects funded by ``rule`` on ``instance``.

    ``utility`` is ``cost`` (a voter's satisfaction is the cost of the funded projects
    they support: greedy then ranks by votes) or ``cardinality`` (their number);
    points and rankings are handled as in :mod:`.profile`. ``completion`` and
    ``increment`` (per-voter budget step, currency units) only apply to
    ``equal-shares``, as does ``then_greedy`` (finish with greedy over the money
    left, same utility). Ties are broken by ``tie_break`` (see :mod:`.tiebreak`).

    Raises ``ValueError`` for unknown options or inconsistent data.
    """
    _check_choice("rule", rule, RULES)
    _check_choice("utility", utility, UTILITIES)
    _check_choice("completion", completion, COMPLETIONS)
    _check_choice("tie_break", tie_break, TIE_BREAKS)
    step = normalise_number(Fraction(increment))
    if rule != "equal-shares" and (completion != "none" or then_greedy):
        raise ValueError("completion and then_greedy only apply to the equal-shares rule")
    profile = build_profile(instance)
    ranks = tie_break_ranks(profile, tie_break)
    steps: list[StepLog] = []
    if rule == "equal-shares":
        selected = _equal_shares(profile, utility, completion, step, ranks, steps)
        if then_greedy:
            extra, greedy_steps = greedy(profile, utility=utility, ranks=ranks, skip=True, already_selected=selected)
            selected += extra
            steps += greedy_steps
    else:
        selected, steps = greedy(profile, utility=utility, ranks=ranks, skip=rule == "greedy")
    return Outcome(
        selected=tuple(profile.project_ids[position] for position in selected),
        cost_used=normalise_number(Fraction(sum(profile.costs[position] for position in selected))),
        steps=tuple(steps),
        rule=rule,
        rule_version=RULE_VERSION,
        params={
            "utility": utility,
            "completion": completion,
            "increment": str(step),
            "then_greedy": then_greedy,
            "tie_break": tie_break,
        },
        ballots_digest=ballots_digest(profile),
    )


def _equal_shares(
    profile: Profile,
    utility: Utility,
    completion: Completion,
    increment: Number,
    ranks: list[int],
    steps: list[StepLog],
) -> list[int]:
    if profile.n_voters == 0:
        return []
    supporters = build_supporters(profile, utility)
    free, candidates = mes_candidates(profile, supporters)
    free.sort(key=ranks.__getitem__)
    completed = mes_with_completion(
        profile, supporters, free=free, candidates=candidates, ranks=ranks, completion=completion, increment=increment
    )
    steps.extend(completed.run.steps)
    if completed.step is not None:
        steps.append(completed.step)
    return [*free, *completed.run.selected]


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")
