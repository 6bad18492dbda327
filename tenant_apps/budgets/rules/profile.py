"""Index an :class:`~.model.Instance` for the rules: integer project indices and
identical ballots merged into weighted groups.

Merging is exact for every rule here: voters with the same ballot are treated
identically by greedy and by MES (they always hold the same budget), so a group of
``k`` identical ballots behaves like one voter of weight ``k``.

Utilities (the "satisfaction" a voter gets from a funded project) are additive:

* ``score`` of a ballot for a project: 1 for approval / choose-1, the points for
  cumulative / scoring ballots, and Borda-like points ``len(ballot) - position``
  for ordinal ballots (first choice of a 3-project ranking gets 3, last gets 1).
  Pabulib's ``score`` column for ordinal files (e.g. Kraków) uses the same points.
  pabutools' ``Additive_Borda_Sat`` instead gives ``len - position - 1``, i.e. 0 to
  the last-ranked project, which would make a one-project ranking count as no
  support at all; we do not follow it on purpose.
* ``cardinality`` utility = score (pabutools ``Cardinality_Sat`` for approval,
  ``Additive_Cardinal_Sat`` for cumulative / scoring);
* ``cost`` utility = score x project cost (pabutools ``Cost_Sat`` for approval).

A project with score 0 on a ballot is not supported by that ballot.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from tenant_apps.budgets.rules.model import Instance, Number, normalise_number

Utility: TypeAlias = Literal["cost", "cardinality"]
UTILITIES: tuple[Utility, ...] = ("cost", "cardinality")


@dataclass(frozen=True, slots=True)
class Profile:
    """Integer-indexed view of an instance with identical ballots grouped.

    Projects are indexed in increasing id order. Groups come in first-seen order:
    no rule result depends on it (decisions are exact) and the digest sorts its lines.
    ``groups[g]`` lists the project indices of ballot group ``g`` (sorted, except for
    ordinal ballots where the ranking order is kept) and ``scores[g]`` their scores;
    ``scores`` is ``None`` when every score is 1 (approval, choose-1). The ``flat_*``
    arrays list the same (group, project) pairs in one go, for vectorised code.
    """

    project_ids: tuple[str, ...]
    costs: tuple[Number, ...]
    budget: Number
    vote_type: str
    n_voters: int
    groups: tuple[tuple[int, ...], ...]
    scores: tuple[tuple[Number, ...], ...] | None
    weights: tuple[int, ...]
    votes: tuple[int, ...]
    """Number of voters whose ballot supports each project (score > 0)."""
    flat_groups: npt.NDArray[np.intp]
    flat_projects: npt.NDArray[np.intp]

    def group_scores(self, group: int) -> tuple[Number, ...]:
        """Scores of the projects listed in ``groups[group]``."""
        return (1,) * len(self.groups[group]) if self.scores is None else self.scores[group]


def _scored_ballot(
    ballot: tuple[str, ...], points: tuple[Number, ...] | None, index: dict[str, int], ordinal: bool
) -> tuple[tuple[int, ...], tuple[Number, ...]]:
    if ordinal:
        seen: dict[int, Number] = {}
        for position, project_id in enumerate(ballot):
            seen.setdefault(index[project_id], len(ballot) - position)
        return tuple(seen), tuple(seen.values())
    merged: dict[int, Number] = {}
    for project_id, score in zip(ballot, points or (), strict=False):
        position = index[project_id]
        merged[position] = normalise_number(merged.get(position, 0) + score)
    ordered = sorted(merged.items())
    return tuple(position for position, _ in ordered), tuple(score for _, score in ordered)


def build_profile(instance: Instance) -> Profile:
    """Index and group the ballots of ``instance``.

    Raises ``ValueError`` for ballots naming unknown projects or negative numbers.
    """
    # Projects are indexed in id order, not file order, so that grouped ballots (and
    # the digest built from them) do not depend on how the projects were listed.
    projects = sorted(instance.projects, key=lambda project: project.id)
    project_ids = tuple(project.id for project in projects)
    index = {project_id: position for position, project_id in enumerate(project_ids)}
    if len(index) != len(project_ids):
        raise ValueError("duplicate project ids")
    if instance.budget < 0 or any(project.cost < 0 for project in projects):
        raise ValueError("budget and costs must be non-negative")
    try:
        if instance.points is None and instance.vote_type != "ordinal":
            counter: Counter[tuple[int, ...]] = Counter()
            # Big approval profiles: group raw ballots first, then index each distinct one once.
            for ballot, count in Counter(instance.ballots).items():
                counter[tuple(sorted(set(map(index.__getitem__, ballot))))] += count
            groups = tuple(counter)
            weights = tuple(counter.values())
            scores = None
        else:
            ordinal = instance.vote_type == "ordinal"
            points = instance.points or (None,) * len(instance.ballots)
            scored = Counter(
                _scored_ballot(ballot, ballot_points, index, ordinal)
                for ballot, ballot_points in zip(instance.ballots, points, strict=False)
            )
            keys = list(scored)
            groups = tuple(projects for projects, _ in keys)
            scores = tuple(values for _, values in keys)
            weights = tuple(scored[key] for key in keys)
    except KeyError as error:
        raise ValueError(f"ballot names unknown project {error.args[0]!r}") from None
    lengths = [len(group) for group in groups]
    flat_groups = np.repeat(np.arange(len(groups), dtype=np.intp), lengths)
    flat_projects = np.fromiter(chain.from_iterable(groups), dtype=np.intp, count=sum(lengths))
    group_weights = np.asarray(weights, dtype=np.int64)
    supported = np.ones(len(flat_projects), dtype=np.bool_)
    if scores is not None:
        flat_scores = list(chain.from_iterable(scores))
        if any(score < 0 for score in flat_scores):
            raise ValueError("negative points are not supported")
        supported = np.asarray([score > 0 for score in flat_scores], dtype=np.bool_)
    votes = np.bincount(
        flat_projects[supported], weights=group_weights[flat_groups[supported]], minlength=len(project_ids)
    )
    return Profile(
        project_ids=project_ids,
        costs=tuple(normalise_number(project.cost) for project in projects),
        budget=normalise_number(instance.budget),
        vote_type=instance.vote_type,
        n_voters=len(instance.ballots),
        groups=groups,
        scores=scores,
        weights=weights,
        votes=tuple(int(count) for count in votes.tolist()),
        flat_groups=flat_groups,
        flat_projects=flat_projects,
    )


def utility_value(score: Number, cost: Number, utility: Utility) -> Number:
    """Utility of a project of cost ``cost`` for a ballot giving it ``score``."""
    return normalise_number(score * cost) if utility == "cost" else score


def total_utilities(profile: Profile, utility: Utility) -> list[Number]:
    """Total (weighted) utility of each project over all voters."""
    if profile.scores is None:
        return [utility_value(votes, cost, utility) for votes, cost in zip(profile.votes, profile.costs, strict=False)]
    totals: list[Number] = [0] * len(profile.project_ids)
    for group, scores, weight in zip(profile.groups, profile.scores, profile.weights, strict=False):
        for position, score in zip(group, scores, strict=False):
            totals[position] += weight * utility_value(score, profile.costs[position], utility)
    return [normalise_number(Fraction(total)) for total in totals]
