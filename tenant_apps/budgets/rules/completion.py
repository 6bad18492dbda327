"""Completions of MES, which alone usually leaves part of the budget unspent.

``add1`` (exhaustive stop; pabutools ``voter_budget_increment`` of
``method_of_equal_shares``, equalshares.net): rerun MES with the initial budget per
voter raised by ``increment``, then ``2 * increment``, ... and stop at the first run
whose outcome is exhaustive (no further MES-eligible project fits in the real
budget) or would cost more than the real budget; in the latter case the previous
(feasible) outcome is kept.

``add1-nostop`` (Pabulib checker, the official Wieliczka 2023 result; pabutools
``exhaustion_by_budget_increase(..., exhaustive_stop=False)``): same, but only stop
when an outcome exceeds the budget (keeping the previous one), or when MES funds
every eligible project, after which more money cannot change anything.

The increment is per voter, in currency units; the default of 1 suits PLN/EUR but
currencies with small units (HUF) need e.g. 100 to keep the number of reruns low.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, TypeAlias

from tenant_apps.budgets.rules.mes import MesRun, Supporters, run_mes
from tenant_apps.budgets.rules.model import Number, StepLog, normalise_number
from tenant_apps.budgets.rules.profile import Profile

Completion: TypeAlias = Literal["none", "add1", "add1-nostop"]
COMPLETIONS: tuple[Completion, ...] = ("none", "add1", "add1-nostop")


@dataclass(frozen=True, slots=True)
class CompletedRun:
    """The MES run finally kept, and the log line of the completion."""

    run: MesRun
    step: StepLog | None


def is_exhaustive(profile: Profile, chosen: Sequence[int], available: Sequence[int]) -> bool:
    """True when no project of ``available`` outside ``chosen`` still fits in the budget."""
    spent = sum(profile.costs[position] for position in chosen)
    taken = set(chosen)
    return all(spent + profile.costs[position] > profile.budget for position in available if position not in taken)


def mes_with_completion(
    profile: Profile,
    supporters: Supporters,
    *,
    free: Sequence[int],
    candidates: Sequence[int],
    ranks: Sequence[int],
    completion: Completion,
    increment: Number,
) -> CompletedRun:
    """Run MES, iterated over increasing voter budgets as ``completion`` says."""
    start = Fraction(profile.budget) / profile.n_voters
    if completion == "none":
        return CompletedRun(
            run_mes(profile, supporters, candidates=candidates, budget_per_voter=start, ranks=ranks), None
        )
    if increment <= 0:
        raise ValueError("the increment must be positive")
    level = 0
    previous: MesRun | None = None
    while True:
        per_voter = start + level * Fraction(increment)
        run = run_mes(profile, supporters, candidates=candidates, budget_per_voter=per_voter, ranks=ranks)
        chosen = [*free, *run.selected]
        if sum(profile.costs[position] for position in chosen) > profile.budget and previous is not None:
            return CompletedRun(previous, _step(completion, increment, level - 1, start, "over budget", level + 1))
        if completion == "add1" and is_exhaustive(profile, chosen, candidates):
            return CompletedRun(run, _step(completion, increment, level, start, "exhaustive", level + 1))
        if len(run.selected) == len(candidates):
            return CompletedRun(
                run, _step(completion, increment, level, start, "all eligible projects funded", level + 1)
            )
        previous = run
        level += 1


def _step(completion: Completion, increment: Number, level: int, start: Fraction, reason: str, runs: int) -> StepLog:
    return {
        "stage": completion,
        "increment": float(increment),
        "level_reached": level,
        "budget_per_voter": float(start + level * Fraction(increment)),
        "initial_budget_per_voter": float(start),
        "mes_runs": runs,
        "stopped_because": reason,
        "kept_increment_total": float(normalise_number(level * Fraction(increment))),
    }
