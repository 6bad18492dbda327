"""The lifecycle of a participatory budget: what is allowed now is decided by the phase."""

from __future__ import annotations

import datetime
import zoneinfo

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.context import current_city


class Phase(models.TextChoices):
    PROPOSALS = "proposals", _("Proposals")
    REVIEW = "review", _("Review")
    VOTING = "voting", _("Voting")
    RESULTS = "results", _("Results")
    FOLLOW_UP = "follow_up", _("Follow-up")


# Forward one step at a time; review may send the process back to proposals (a second call for ideas).
# Nothing goes back once voting opened: the ballots were cast under frozen rules.
TRANSITIONS: dict[str, frozenset[str]] = {
    Phase.PROPOSALS: frozenset({Phase.REVIEW}),
    Phase.REVIEW: frozenset({Phase.PROPOSALS, Phase.VOTING}),
    Phase.VOTING: frozenset({Phase.RESULTS}),
    Phase.RESULTS: frozenset({Phase.FOLLOW_UP}),
    Phase.FOLLOW_UP: frozenset(),
}

# The date field of BudgetProcess on which each phase is planned to start (a calendar date in the city).
START_FIELDS: dict[str, str] = {
    Phase.PROPOSALS: "proposals_start",
    Phase.REVIEW: "review_start",
    Phase.VOTING: "voting_start",
    Phase.RESULTS: "results_start",
    Phase.FOLLOW_UP: "follow_up_start",
}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def city_zone() -> zoneinfo.ZoneInfo:
    """The active city's time zone (phase dates are the city's calendar days, not UTC days)."""
    return zoneinfo.ZoneInfo(current_city().time_zone)


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The aware instant at which ``day`` starts in the city's time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=city_zone())


def planned_phase(dates: dict[str, datetime.date | None], *, now: datetime.datetime) -> str | None:
    """The phase the plan says should be running at ``now`` (None before the first planned date)."""
    current: str | None = None
    for phase in Phase.values:
        day = dates.get(phase)
        if day is not None and local_midnight(day) <= now:
            current = phase
    return current
