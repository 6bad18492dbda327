"""Plain, immutable data handled by the participatory-budgeting rules engine.

Nothing here knows about Django: a process is turned into an :class:`Instance`
(by the Pabulib reader or by the app's own export code) and every rule returns an
:class:`Outcome`.

Money (costs, budget) is kept exact: ``int`` when integral, ``Fraction`` otherwise,
because rules compare ratios of money and floats would change the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, TypeAlias

Number: TypeAlias = int | Fraction
"""Exact number: money amounts, points, ratios."""

VoteType: TypeAlias = Literal["approval", "choose-1", "cumulative", "scoring", "ordinal"]
VOTE_TYPES: tuple[VoteType, ...] = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
# Ballots of these types carry one number per chosen project.
POINTS_VOTE_TYPES: frozenset[str] = frozenset({"cumulative", "scoring"})

StepLog: TypeAlias = Mapping[str, object]


def exact_number(text: str) -> Number:
    """Parse a decimal string (``"12"``, ``"2828094.61"``, ``"1,5"``) without rounding."""
    cleaned = text.strip().replace(",", ".")
    value = Fraction(cleaned)
    return value.numerator if value.denominator == 1 else value


def normalise_number(value: Number) -> Number:
    """Return an ``int`` for integral values so equal numbers serialise identically."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def number_to_text(value: Number) -> str:
    """Render an exact number as a short decimal string when possible, else ``"n/d"``."""
    value = normalise_number(value)
    if isinstance(value, int):
        return str(value)
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(twos, fives)
    scaled = value * 10**digits
    sign = "-" if scaled < 0 else ""
    magnitude = str(abs(scaled.numerator))
    whole, decimals = magnitude[:-digits] or "0", magnitude[-digits:].rjust(digits, "0")
    return f"{sign}{whole}.{decimals}"


@dataclass(frozen=True, slots=True)
class Project:
    """A project that can be funded.

    ``extra`` keeps the other columns of the Pabulib PROJECTS section (category,
    ``selected``, coordinates...) as ordered ``(column, text)`` pairs.
    """

    id: str
    cost: Number
    name: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    def extra_value(self, key: str) -> str | None:
        """Value of an extra column, or ``None`` when absent."""
        for column, text in self.extra:
            if column == key:
                return text
        return None


@dataclass(frozen=True, slots=True)
class Instance:
    """One election: a budget, the projects and the (anonymous) ballots.

    ``ballots[i]`` lists the project ids chosen by voter ``i`` (in rank order for
    ``ordinal`` ballots). For ``cumulative`` and ``scoring`` ballots, ``points[i][k]``
    is the number of points voter ``i`` gave to ``ballots[i][k]``; ``points`` is
    ``None`` for the other vote types.
    """

    budget: Number
    projects: tuple[Project, ...]
    ballots: tuple[tuple[str, ...], ...]
    vote_type: VoteType = "approval"
    points: tuple[tuple[Number, ...], ...] | None = None
    meta: tuple[tuple[str, str], ...] = ()
    voter_ids: tuple[str, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.vote_type not in VOTE_TYPES:
            raise ValueError(f"unknown vote type {self.vote_type!r}")
        if (self.vote_type in POINTS_VOTE_TYPES) != (self.points is not None):
            raise ValueError(f"points are required exactly for {sorted(POINTS_VOTE_TYPES)} ballots")
        if self.points is not None and len(self.points) != len(self.ballots):
            raise ValueError("points and ballots must have the same length")
        if self.voter_ids is not None and len(self.voter_ids) != len(self.ballots):
            raise ValueError("voter_ids and ballots must have the same length")

    def meta_value(self, key: str) -> str | None:
        """Value of a META entry, or ``None`` when absent."""
        for meta_key, text in self.meta:
            if meta_key == key:
                return text
        return None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Result of a rule.

    ``selected`` lists project ids in the order the rule funded them. ``steps`` is a
    human-auditable log (one dict per round or completion stage). ``ballots_digest``
    identifies the exact ballots counted (see :mod:`.digest`), so that a published
    result can be reproduced.
    """

    selected: tuple[str, ...]
    cost_used: Number
    steps: tuple[StepLog, ...]
    rule: str
    rule_version: str
    params: Mapping[str, object]
    ballots_digest: str
