"""Reactions (support, or agree / disagree / pass): one per person per contribution, exact counters.

The unique constraint (contribution, user) is the arbiter of a race between two clicks: the insert runs
in a savepoint; if it loses, the existing row is locked (``FOR UPDATE``) and its kind changed. Counters
move with ``F()`` in the same transaction as the row they count, so they stay exact under concurrency.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import Contribution, ContributionStatus, Reaction, ReactionKind
from tenant_apps.consultations.permissions import participation_require
from tenant_apps.consultations.services.consultations import lock_for_participation

COUNTER_FIELDS: dict[str, str] = {
    ReactionKind.SUPPORT: "support_count",
    ReactionKind.AGREE: "agree_count",
    ReactionKind.DISAGREE: "disagree_count",
    ReactionKind.PASS: "pass_count",
}
_UNIQUE = "consultations_reaction_one_per_person"
_ATTEMPTS = 5


def _is_duplicate(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return _UNIQUE in str(getattr(diag, "constraint_name", "") or exc)


def _check(contribution: Contribution, user: Any) -> Any:
    consultation = lock_for_participation(contribution.consultation_id)
    participation_require(user, consultation, "react")
    return consultation


@transaction.atomic
def reaction_set(*, contribution: Contribution, user: Any, kind: str) -> Reaction:
    """Set the person's reaction to ``kind`` (a second click with another kind changes it)."""
    consultation = _check(contribution, user)
    if kind not in consultation.reaction_kinds:
        message = _("This consultation takes these reactions: %(kinds)s.") % {
            "kinds": ", ".join(str(ReactionKind(k).label) for k in consultation.reaction_kinds)
        }
        raise ApplicationError(message, code="invalid_reaction", fields={"kind": [message]})
    if not Contribution.objects.filter(pk=contribution.pk, status=ContributionStatus.PUBLISHED).exists():
        raise ApplicationError(_("Only published contributions take reactions."), code="not_published", status_code=409)
    for _attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                reaction = Reaction.objects.create(contribution_id=contribution.pk, user=user, kind=kind)
        except IntegrityError as exc:
            if not _is_duplicate(exc):
                raise
        else:
            field = COUNTER_FIELDS[kind]
            Contribution.objects.filter(pk=contribution.pk).update(**{field: F(field) + 1})
            return reaction
        # Another transaction holds this person's reaction: wait for it and change its kind.
        existing = Reaction.objects.select_for_update().filter(contribution_id=contribution.pk, user=user).first()
        if existing is None:
            continue  # removed meanwhile: insert again
        if existing.kind != kind:
            old = COUNTER_FIELDS[existing.kind]
            new = COUNTER_FIELDS[kind]
            existing.kind = kind
            existing.save(update_fields=["kind", "updated_at"])
            Contribution.objects.filter(pk=contribution.pk).update(**{old: F(old) - 1, new: F(new) + 1})
        return existing
    raise ApplicationError(_("Please try again."), code="conflict", status_code=409)


@transaction.atomic
def reaction_remove(*, contribution: Contribution, user: Any) -> None:
    """Remove the person's reaction, if any (idempotent)."""
    _check(contribution, user)
    existing = Reaction.objects.select_for_update().filter(contribution_id=contribution.pk, user=user).first()
    if existing is None:
        return
    field = COUNTER_FIELDS[existing.kind]
    existing.delete()
    Contribution.objects.filter(pk=contribution.pk).update(**{field: F(field) - 1})
