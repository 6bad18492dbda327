"""Utilitarian greedy rules ("greedy by votes").

Projects are ranked by total utility per unit of cost (for cost utilities this is
simply the number of votes, or of points), ties broken by the tie-breaking order,
and funded in that order:

* ``greedy`` skips a project that does not fit in the remaining budget and goes on
  with cheaper ones (pabutools ``greedy_utilitarian_welfare``, including its habit
  of also funding unsupported projects when money is left: they rank last);
* ``greedy-no-skip`` stops at the first project that does not fit (the rule used by
  e.g. Gdynia and Wrocław).

Comparisons are exact (``Fraction``).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from tenant_apps.budgets.rules.model import StepLog
from tenant_apps.budgets.rules.profile import Profile, Utility, total_utilities


def greedy_order(profile: Profile, utility: Utility, ranks: Sequence[int]) -> list[int]:
    """Project indices by decreasing utility per cost, ties by ``ranks`` (lower first).

    Free supported projects come first (infinite ratio), unsupported ones last.
    """
    totals = total_utilities(profile, utility)

    def key(position: int) -> tuple[int, Fraction, int]:
        total, cost = totals[position], profile.costs[position]
        if total > 0 and cost == 0:
            return (0, Fraction(0), ranks[position])
        density = Fraction(total) / cost if total > 0 else Fraction(0)
        return (1, -density, ranks[position])

    return sorted(range(len(profile.project_ids)), key=key)


def greedy(
    profile: Profile,
    *,
    utility: Utility,
    ranks: Sequence[int],
    skip: bool,
    already_selected: Sequence[int] = (),
) -> tuple[list[int], list[StepLog]]:
    """Run the greedy rule; returns (selected project indices in order, step log).

    ``already_selected`` projects (e.g. chosen by MES before a greedy completion) are
    kept, their cost counted, and they are not considered again.
    """
    remaining = profile.budget - sum(profile.costs[position] for position in already_selected)
    chosen = set(already_selected)
    totals = total_utilities(profile, utility)
    selected: list[int] = []
    steps: list[StepLog] = []
    for position in greedy_order(profile, utility, ranks):
        if position in chosen:
            continue
        cost = profile.costs[position]
        fits = cost <= remaining
        steps.append(
            {
                "stage": "greedy",
                "project": profile.project_ids[position],
                "votes": profile.votes[position],
                "utility": float(totals[position]),
                "cost": float(cost),
                "action": "selected" if fits else ("skipped" if skip else "stopped"),
                "remaining_budget": float(remaining - cost if fits else remaining),
            }
        )
        if fits:
            selected.append(position)
            remaining -= cost
        elif not skip:
            break
    return selected, steps
