"""Method of Equal Shares (MES), https://equalshares.net.

Every voter gets an equal share of the budget. In each round, for every project
still affordable by its supporters, MES finds the smallest ``rho`` such that
charging each supporter ``min(budget_i, rho * utility_i)`` pays the cost; it funds
the project with the smallest ``rho`` (ties: tie-breaking order), charges its
supporters, and repeats until no project is affordable. Supported free projects are
funded first; unsupported projects are never funded by MES.

Exactness. Outcomes must be identical to the reference implementation (pabutools,
exact rationals), yet exact arithmetic on every voter is slow. So the exact state is
kept implicitly: the exact ``rho`` of every funded project plus which voters have
run out of money. A voter with money left has paid ``rho_k * utility`` for each
funded project it supports, so its exact budget (and any sum of budgets) follows
from integers and the few ``rho_k``. Voter budgets are mirrored in floats (numpy)
to find the candidates quickly; whenever floats could decide wrongly (two ``rho``
within their error bounds, a budget close to a price, supporters' money close to a
cost), the decision is re-taken with exact values. The winner's ``rho`` is always
computed exactly.

Speed. Identical ballots are merged (see :mod:`.profile`). A project's ``rho`` only
grows from one round to the next (budgets only decrease), so candidates are
evaluated in increasing order of their previous ``rho`` and the scan stops once
that lower bound exceeds the best ``rho`` found in the round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain

import numpy as np
import numpy.typing as npt

from tenant_apps.budgets.rules.model import Number, StepLog
from tenant_apps.budgets.rules.profile import Profile, Utility, utility_value

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

# Relative error tolerated on float prices and sums before re-checking exactly. Float
# errors are around 1e-13 relative; the margin is 10,000 times larger.
_TOLERANCE = 1e-9
# Absolute error bound on one float voter budget, as a fraction of the initial budget.
_BUDGET_ERROR = 1e-10
# Poor/rich refinement steps before switching to the sort-based rho computation.
_MAX_REFINEMENTS = 12
# Above this total utility, exact integer sums switch from int64 to Python ints.
_INT64_SAFE = 2**62
# Attempts at classifying supporters around a float estimate before comparing all exactly.
_ESTIMATE_ATTEMPTS = 3
# Below this many groups, exact budgets are read from the ballots directly.
_FEW_GROUPS = 32


@dataclass(frozen=True, slots=True)
class Supporters:
    """For each project: the voter groups supporting it, their utility and weight.

    Utilities are integers: the real utilities times ``scale`` (a common multiple of
    their denominators). Scaling all utilities divides every ``rho`` by the same
    factor, so comparisons and payments are unchanged.
    """

    index_arrays: tuple[IndexArray, ...]
    utility_ints: tuple[npt.NDArray[np.int64] | npt.NDArray[np.object_], ...]
    weighted_utility: tuple[npt.NDArray[np.int64] | npt.NDArray[np.object_], ...]
    utility_floats: tuple[FloatArray, ...]
    weight_floats: tuple[FloatArray, ...]
    total_utility: tuple[int, ...]
    total_weight: tuple[int, ...]
    max_utility: tuple[int, ...]
    scale: int
    unit: tuple[Number, ...]
    """Scaled utility of one point (one approval) for each project."""
    group_weights: npt.NDArray[np.int64]
    """Number of voters in each ballot group."""


@dataclass(frozen=True, slots=True)
class MesRun:
    """Result of one MES run at a given initial budget per voter."""

    selected: tuple[int, ...]
    steps: tuple[StepLog, ...]


def build_supporters(profile: Profile, utility: Utility) -> Supporters:
    """Invert the profile: supporters of each project under ``utility`` (vectorised)."""
    count = len(profile.project_ids)
    units = [utility_value(1, cost, utility) for cost in profile.costs]
    projects = profile.flat_projects
    if profile.scores is None:
        scale = _common_denominator(units)
        unit_ints = [int(unit * scale) for unit in units]
        totals = [votes * unit for votes, unit in zip(profile.votes, unit_ints, strict=False)]
        flat_utilities: list[int] | None = None
        keep = np.ones(len(projects), dtype=np.bool_)
    else:
        values = [
            score * units[position]
            for score, position in zip(chain.from_iterable(profile.scores), projects.tolist(), strict=False)
        ]
        scale = _common_denominator(values)
        flat_utilities = [int(value * scale) for value in values]
        totals = [0] * count
        for value, position, group in zip(
            flat_utilities, projects.tolist(), profile.flat_groups.tolist(), strict=False
        ):
            totals[position] += value * profile.weights[group]
        keep = np.asarray([value > 0 for value in flat_utilities], dtype=np.bool_)
        unit_ints = []
    # Exact sums are done in int64 when they cannot overflow, else with Python ints.
    dtype = np.int64 if max(totals, default=0) < _INT64_SAFE else np.object_
    kept_projects = projects[keep]
    order = np.argsort(kept_projects, kind="stable")
    bounds = np.cumsum(np.bincount(kept_projects, minlength=count))[:-1]
    groups = profile.flat_groups[keep][order]
    if flat_utilities is None:
        utilities = np.asarray(unit_ints, dtype=dtype)[kept_projects][order]
    else:
        utilities = np.asarray(flat_utilities, dtype=dtype)[keep][order]
    weights = np.asarray(profile.weights, dtype=dtype)[groups]
    group_arrays = np.split(groups, bounds)
    utility_arrays = np.split(utilities, bounds)
    weight_arrays = np.split(weights, bounds)
    return Supporters(
        index_arrays=tuple(group_arrays),
        utility_ints=tuple(utility_arrays),
        weighted_utility=tuple(w * u for w, u in zip(weight_arrays, utility_arrays, strict=False)),
        utility_floats=tuple(u.astype(np.float64) for u in utility_arrays),
        weight_floats=tuple(w.astype(np.float64) for w in weight_arrays),
        total_utility=tuple(totals),
        total_weight=tuple(int(w.sum()) for w in weight_arrays),
        max_utility=tuple(int(u.max()) if len(u) else 0 for u in utility_arrays),
        scale=scale,
        unit=tuple(unit * scale for unit in units),
        group_weights=np.asarray(profile.weights, dtype=np.int64),
    )


def _common_denominator(values: Sequence[Number]) -> int:
    scale = 1
    for value in values:
        if isinstance(value, Fraction):
            scale = math.lcm(scale, value.denominator)
    return scale


def mes_candidates(profile: Profile, supporters: Supporters) -> tuple[list[int], list[int]]:
    """Split supported projects into (free ones, ones MES may buy)."""
    free: list[int] = []
    candidates: list[int] = []
    for position, total in enumerate(supporters.total_utility):
        if total > 0:
            (free if profile.costs[position] == 0 else candidates).append(position)
    return free, candidates


def run_mes(
    profile: Profile,
    supporters: Supporters,
    *,
    candidates: Sequence[int],
    budget_per_voter: Number,
    ranks: Sequence[int],
) -> MesRun:
    """One MES run with every voter starting at ``budget_per_voter``.

    ``candidates`` are the projects MES may buy (see :func:`mes_candidates`);
    ``ranks`` the tie-breaking rank of each project (lower wins among exactly equal
    ``rho``).
    """
    return _MesState(profile, supporters, Fraction(budget_per_voter)).run(candidates, ranks)


@dataclass(slots=True)
class _Evaluation:
    position: int
    rho: float
    error: float


class _MesState:
    """Budgets during one run: float mirror plus the implicit exact state."""

    def __init__(self, profile: Profile, supporters: Supporters, start: Fraction) -> None:
        self.profile = profile
        self.supporters = supporters
        self.start = start
        self.start_float = float(start)
        self.budgets = np.full(len(profile.groups), self.start_float, dtype=np.float64)
        self.empty = np.zeros(len(profile.groups), dtype=np.bool_)
        self.group_weights = supporters.group_weights
        self.winners: list[int] = []
        # Prices of the funded projects over a common denominator, so that exact sums
        # of budgets need integer arithmetic only: rho_k = scaled_rhos[k] / denominator.
        self.denominator = 1
        self.scaled_rhos: list[int] = []
        self.round_of: dict[int, int] = {}
        self.voters_with_money = profile.n_voters
        self.spent: Number = 0
        self.costs = [float(cost) for cost in profile.costs]

    # -- exact values -----------------------------------------------------------------

    def exact_money(self, groups: IndexArray) -> Fraction:
        """Exact total budget held by ``groups`` (groups that still have money)."""
        money = self.start * int(self.group_weights[groups].sum())
        if not self.winners:
            return money
        paid = 0
        if len(groups) <= _FEW_GROUPS:
            # Reading the few ballots beats scanning every funded project's supporters.
            for group in groups.tolist():
                weight = self.profile.weights[group]
                for position, score in zip(self.profile.groups[group], self.profile.group_scores(group), strict=False):
                    round_index = self.round_of.get(position)
                    if round_index is not None:
                        utility = int(weight * score * self.supporters.unit[position])
                        paid += self.scaled_rhos[round_index] * utility
        else:
            mask = np.zeros(len(self.budgets), dtype=np.bool_)
            mask[groups] = True
            for winner, scaled_rho in zip(self.winners, self.scaled_rhos, strict=False):
                chosen = mask[self.supporters.index_arrays[winner]]
                if chosen.any():
                    paid += scaled_rho * int(self.supporters.weighted_utility[winner][chosen].sum())
        return money - Fraction(paid, self.denominator)

    def exact_rho(self, position: int, estimate: float) -> tuple[Fraction, BoolArray, BoolArray]:
        """Exact price of ``position``: (rho, poor supporters, supporters left at 0).

        Supporters whose float capacity is clearly below / above ``estimate`` are
        classified from floats and the few borderline ones compared exactly. The
        classification is only trusted if the exact price lands next to the estimate;
        otherwise it is redone around the exact price, and as a last resort every
        supporter is compared exactly.
        """
        for _ in range(_ESTIMATE_ATTEMPTS):
            priced = self._exact_rho_around(position, estimate)
            if priced is not None and abs(float(priced[0]) - estimate) <= _TOLERANCE * estimate / 2:
                return priced
            if priced is None or priced[0] <= 0:
                break
            estimate = float(priced[0])
        return self._exact_rho_by_sorting(position)

    def _exact_rho_around(self, position: int, estimate: float) -> tuple[Fraction, BoolArray, BoolArray] | None:
        supporters = self.supporters
        index = supporters.index_arrays[position]
        utilities = supporters.utility_floats[position]
        exact_utilities = supporters.utility_ints[position]
        weighted = supporters.weighted_utility[position]
        cost = self.profile.costs[position]
        empty = self.empty[index]
        slack = _TOLERANCE * estimate * utilities + _BUDGET_ERROR * self.start_float
        gap = self.budgets[index] - estimate * utilities
        poor = empty | (gap < -slack)
        border = np.nonzero(~poor & (gap <= slack))[0]
        border_money = {int(k): self.exact_money(index[k : k + 1]) for k in border}
        while True:
            with_money = poor & ~empty
            paid = self.exact_money(index[with_money]) if with_money.any() else Fraction(0)
            rich_utility = supporters.total_utility[position] - int(weighted[poor].sum())
            if rich_utility <= 0:
                return None
            rho = (cost - paid) / rich_utility
            newly_poor = [
                k for k, money in border_money.items() if not poor[k] and money < rho * int(exact_utilities[k])
            ]
            if not newly_poor:
                break
            poor[newly_poor] = True
        exhausted = poor.copy()
        for k, money in border_money.items():
            if money == rho * int(exact_utilities[k]):
                exhausted[k] = True
        return rho, poor, exhausted

    def _exact_rho_by_sorting(self, position: int) -> tuple[Fraction, BoolArray, BoolArray]:
        """Exact price comparing every supporter exactly (slow; never needed in practice)."""
        supporters = self.supporters
        index = supporters.index_arrays[position]
        exact_utilities = [int(u) for u in supporters.utility_ints[position]]
        weights = [int(w) for w in supporters.weighted_utility[position]]
        money = [
            Fraction(0) if self.empty[group] else self.exact_money(index[k : k + 1]) / self.profile.weights[group]
            for k, group in enumerate(index.tolist())
        ]
        order = sorted(range(len(money)), key=lambda k: money[k] / exact_utilities[k])
        paid = Fraction(0)
        rich_utility = supporters.total_utility[position]
        poor = np.zeros(len(index), dtype=np.bool_)
        for k in order:
            rho = (self.profile.costs[position] - paid) / rich_utility
            if rho * exact_utilities[k] <= money[k]:
                break
            poor[k] = True
            paid += money[k] * self.profile.weights[int(index[k])]
            rich_utility -= weights[k]
        exhausted = poor | np.asarray([m <= rho * u for m, u in zip(money, exact_utilities, strict=True)])
        return rho, poor, exhausted

    # -- float evaluation -------------------------------------------------------------

    def evaluate(self, position: int) -> _Evaluation | None:
        """Float price of ``position`` with an error bound; ``None`` if unaffordable."""
        supporters = self.supporters
        index = supporters.index_arrays[position]
        budgets = self.budgets[index]
        weights = supporters.weight_floats[position]
        available = float(np.dot(budgets, weights))
        cost = self.costs[position]
        money_error = _BUDGET_ERROR * self.start_float * supporters.total_weight[position]
        if available < cost - money_error - _TOLERANCE * cost:
            return None
        near_cost = available <= cost + money_error + _TOLERANCE * cost
        if near_cost and self.exact_money(index[~self.empty[index]]) < self.profile.costs[position]:
            return None
        utilities = supporters.utility_floats[position]
        rho, rich_utility = _rho_float(budgets, utilities, weights, float(supporters.total_utility[position]), cost)
        error = _TOLERANCE * rho + money_error / max(rich_utility, 1.0)
        return _Evaluation(position, rho, error)

    def buy(self, position: int, rho: Fraction, exhausted: BoolArray) -> None:
        """Charge the supporters of ``position`` at price ``rho``."""
        index = self.supporters.index_arrays[position]
        budgets = self.budgets[index]
        budgets = budgets - np.minimum(budgets, float(rho) * self.supporters.utility_floats[position])
        budgets[exhausted] = 0.0
        self.budgets[index] = budgets
        newly_empty = index[exhausted & ~self.empty[index]]
        self.voters_with_money -= int(self.group_weights[newly_empty].sum())
        self.empty[newly_empty] = True
        denominator = math.lcm(self.denominator, rho.denominator)
        if denominator != self.denominator:
            factor = denominator // self.denominator
            self.scaled_rhos = [scaled * factor for scaled in self.scaled_rhos]
            self.denominator = denominator
        self.round_of[position] = len(self.winners)
        self.winners.append(position)
        self.scaled_rhos.append(rho.numerator * (denominator // rho.denominator))
        self.spent += self.profile.costs[position]

    # -- the rounds ---------------------------------------------------------------------

    def run(self, candidates: Sequence[int], ranks: Sequence[int]) -> MesRun:
        supporters = self.supporters
        lower_bound = {
            position: self.costs[position] / supporters.total_utility[position] * (1 - _TOLERANCE)
            for position in candidates
        }
        active = list(candidates)
        steps: list[StepLog] = []
        while active:
            active.sort(key=lower_bound.__getitem__)
            best: _Evaluation | None = None
            evaluated: list[_Evaluation] = []
            unaffordable: list[int] = []
            for position in active:
                if best is not None and lower_bound[position] > best.rho + best.error:
                    break
                evaluation = self.evaluate(position)
                if evaluation is None:
                    unaffordable.append(position)
                    continue
                lower_bound[position] = evaluation.rho - evaluation.error
                evaluated.append(evaluation)
                if best is None or evaluation.rho < best.rho:
                    best = evaluation
            for position in unaffordable:
                active.remove(position)
            if best is None:
                break
            ceiling = best.rho + best.error
            close = [e for e in evaluated if e.rho - e.error <= ceiling]
            priced = [(self.exact_rho(e.position, e.rho), e.position) for e in close]
            exact_best = min(price[0] for price, _ in priced)
            (rho, _, exhausted), winner = min(
                ((price, position) for price, position in priced if price[0] == exact_best),
                key=lambda item: ranks[item[1]],
            )
            self.buy(winner, rho, exhausted)
            active.remove(winner)
            steps.append(self.step(winner, rho))
        return MesRun(selected=tuple(self.winners), steps=tuple(steps))

    def step(self, position: int, rho: Fraction) -> StepLog:
        """Log line of the round that bought ``position``."""
        scale = self.supporters.scale
        cost = self.costs[position]
        max_payment = float(rho * self.supporters.max_utility[position])
        return {
            "stage": "mes",
            "round": len(self.winners),
            "project": self.profile.project_ids[position],
            "cost": cost,
            "rho": float(rho * scale),
            "effective_votes": cost / max_payment if max_payment > 0 else 0.0,
            "max_payment_per_voter": max_payment,
            "remaining_budget_total": float(self.start * self.profile.n_voters - self.spent),
            "voters_with_money": self.voters_with_money,
        }


def _rho_float(
    budgets: FloatArray, utilities: FloatArray, weights: FloatArray, total_utility: float, cost: float
) -> tuple[float, float]:
    """(rho, utility of rich supporters) with sum(w * min(b, rho * u)) == cost."""
    capacity = budgets / utilities
    rho = cost / total_utility
    poor = capacity < rho
    if not poor.any():
        return rho, total_utility
    paid = 0.0
    rich_utility = total_utility
    newly_poor = poor
    # The poor set only grows: add each iteration's newcomers to the running sums.
    for _ in range(_MAX_REFINEMENTS):
        paid += float(np.dot(budgets[newly_poor], weights[newly_poor]))
        rich_utility -= float(np.dot(utilities[newly_poor], weights[newly_poor]))
        if rich_utility <= 0:
            break  # the supporters hold just the cost: the sort-based scan handles it
        rho = (cost - paid) / rich_utility
        newly_poor = (capacity < rho) & ~poor
        if not newly_poor.any():
            return rho, rich_utility
        poor |= newly_poor
    # Many budget levels below the price: sort once and scan the prefix sums.
    order = np.argsort(capacity, kind="stable")
    paid_prefix = np.concatenate(([0.0], np.cumsum((budgets * weights)[order])))[:-1]
    utility_left = total_utility - np.concatenate(([0.0], np.cumsum((utilities * weights)[order])))[:-1]
    prices = (cost - paid_prefix) / utility_left
    feasible = np.nonzero(prices <= capacity[order])[0]
    if len(feasible) == 0:
        # Rounding made the supporters' money look short of the cost: all pay everything.
        return float(capacity[order[-1]]), float(utilities[order[-1]] * weights[order[-1]])
    first = int(feasible[0])
    return float(prices[first]), float(utility_left[first])
