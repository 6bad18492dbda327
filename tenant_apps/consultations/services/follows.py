"""Following a consultation: told when it opens, closes or publishes results (at once or in a digest)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import Consultation, DigestFrequency, Follow
from tenant_apps.consultations.phases import VISIBLE


@transaction.atomic
def follow_set(*, consultation: Consultation, user: Any, frequency: str = DigestFrequency.IMMEDIATE) -> Follow:
    """Follow ``consultation`` (or change how often to hear about it). Idempotent, race-free: one
    ``INSERT ... ON CONFLICT DO UPDATE``."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise ApplicationError(_("Sign in or create an account first."), code="login_required", status_code=403)
    if frequency not in DigestFrequency.values:
        message = _("“%(value)s” is not a valid choice.") % {"value": frequency}
        raise ApplicationError(message, code="invalid", fields={"frequency": [message]})
    if not Consultation.objects.filter(pk=consultation.pk, phase__in=VISIBLE).exists():
        raise ApplicationError(_("This consultation does not exist."), code="not_found", status_code=404)
    Follow.objects.bulk_create(
        [Follow(consultation_id=consultation.pk, user_id=user.pk, frequency=frequency)],
        update_conflicts=True,
        unique_fields=["consultation", "user"],
        update_fields=["frequency"],
    )
    return Follow.objects.get(consultation_id=consultation.pk, user_id=user.pk)


@transaction.atomic
def follow_remove(*, consultation: Consultation, user: Any) -> None:
    """Stop following (idempotent)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    Follow.objects.filter(consultation_id=consultation.pk, user_id=user.pk).delete()
