"""Who may take part in a consultation now: the phase first, then the person's rights.

The phase decides what is allowed at all (adhocracy4's "phases decide"); accounts decides what this
person may do in this city (signed in, confirmed email, the city's own verification requirements per
action); the consultation may ask for more (verified residents only). Pages show ``Decision.reason``;
services call ``participation_require`` which turns a refusal into an ``ApplicationError``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.decisions import Decision
from core.exceptions import ApplicationError
from tenant_apps.consultations import accounts_adapter
from tenant_apps.consultations.models import Consultation, Participation
from tenant_apps.consultations.phases import PARTICIPATION

ACTIONS = frozenset({"contribute", "comment", "react", "answer_survey"})

# A refusal because of the phase is a conflict with the consultation's state (409); the others are about
# the person (403). Pages and the API use the same codes.
NOT_OPEN_STATUS = 409
REFUSED_STATUS = 403


def _signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def participation_decision(user: Any, consultation: Consultation, action: str) -> Decision:
    """May ``user`` (possibly anonymous) do ``action`` in ``consultation`` now?"""
    if action not in ACTIONS:
        raise ValueError(f"Unknown participation action {action!r}.")
    if consultation.phase not in PARTICIPATION:
        return Decision(False, "not_open", _("This consultation is not open for participation."))
    if not _signed_in(user):
        return Decision(False, "login_required", _("Sign in or create an account first."))
    # accounts checks the account (active, email confirmed) and the city's requirements for this action.
    allowed = accounts_adapter.can(user, action)
    if not allowed:
        return Decision(False, allowed.code, allowed.reason, tuple(getattr(allowed, "methods", ()) or ()))
    if consultation.participation == Participation.VERIFIED and not accounts_adapter.is_verified(user_id=user.pk):
        return Decision(
            False,
            "verification_required",
            _("Only verified residents may take part in this consultation: verify that you live here first."),
        )
    return Decision(True)


def participation_require(user: Any, consultation: Consultation, action: str) -> None:
    """Raise ``ApplicationError`` (409 ``not_open``, else 403 with accounts' code) unless allowed."""
    decision = participation_decision(user, consultation, action)
    if not decision:
        status = NOT_OPEN_STATUS if decision.code == "not_open" else REFUSED_STATUS
        raise ApplicationError(decision.reason, code=decision.code, status_code=status)


def is_staff(user: Any) -> bool:
    """Moderators and city admins of this city (accounts' roles), active and not deleted."""
    return _signed_in(user) and bool(user.is_active) and accounts_adapter.is_staff(user_id=user.pk)


def staff_require(user_id: int | None) -> None:
    """Raise 403 ``forbidden`` unless ``user_id`` is staff of this city."""
    if user_id is None or not accounts_adapter.is_staff(user_id=user_id):
        raise ApplicationError(_("Only the city's staff can do this."), code="forbidden", status_code=403)
