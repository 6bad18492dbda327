"""Tie-breaking orders between projects that a rule cannot otherwise separate.

* ``cost-votes-id`` (default): lower cost first, then more votes (number of voters
  supporting the project), then lower project id, comparing ids numerically when
  both are integers ("9" before "10") and as text otherwise (numbers before text).
* ``lexicographic``: by project id as a plain string, exactly like pabutools'
  ``lexico_tie_breaking`` (which sorts on ``Project.name``, and pabutools' Pabulib
  reader stores the ``project_id`` column in ``name``); so "10" comes before "9".

Both are total orders on distinct ids, so outcomes never depend on input order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias

from tenant_apps.budgets.rules.profile import Profile

TieBreak: TypeAlias = Literal["cost-votes-id", "lexicographic"]
TIE_BREAKS: tuple[TieBreak, ...] = ("cost-votes-id", "lexicographic")


def natural_id_key(project_id: str) -> tuple[int, int, str]:
    """Sort key putting integer ids first, in numeric order, then other ids as text."""
    if project_id.isdigit():
        return (0, int(project_id), project_id)
    return (1, 0, project_id)


def tie_break_ranks(profile: Profile, tie_break: TieBreak) -> list[int]:
    """Rank of each project index in the tie-breaking order (0 = preferred)."""
    key: Callable[[int], object]
    if tie_break == "cost-votes-id":

        def key(position: int) -> object:
            return (profile.costs[position], -profile.votes[position], natural_id_key(profile.project_ids[position]))
    elif tie_break == "lexicographic":

        def key(position: int) -> object:
            return profile.project_ids[position]
    else:
        raise ValueError(f"unknown tie-break {tie_break!r}; expected one of {', '.join(TIE_BREAKS)}")
    ordered = sorted(range(len(profile.project_ids)), key=key)  # type: ignore[arg-type]
    ranks = [0] * len(ordered)
    for rank, position in enumerate(ordered):
        ranks[position] = rank
    return ranks
