"""The lifecycle of a consultation: what is allowed now is decided by the phase.

draft -> open -> closed -> results published. A closed consultation may be reopened (a deadline
extension); nothing goes back to draft once residents could see it, and published results stay.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Phase(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", pgettext_lazy("consultation phase", "Open")
    CLOSED = "closed", _("Closed")
    RESULTS = "results", _("Results published")


TRANSITIONS: dict[str, frozenset[str]] = {
    Phase.DRAFT: frozenset({Phase.OPEN}),
    Phase.OPEN: frozenset({Phase.CLOSED}),
    Phase.CLOSED: frozenset({Phase.OPEN, Phase.RESULTS}),
    Phase.RESULTS: frozenset(),
}

# Phases in which residents see the consultation (draft is staff only).
VISIBLE = frozenset({Phase.OPEN, Phase.CLOSED, Phase.RESULTS})
# Phases in which people may contribute, comment, react and answer surveys.
PARTICIPATION = frozenset({Phase.OPEN})


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
