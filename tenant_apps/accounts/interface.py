"""What other tenant apps may call (ids in, frozen dataclasses out), plus the hooks the platform calls.

    from tenant_apps.accounts import interface as accounts   # NOT allowed from another tenant app:
                                                              # they reach it through importlib, see below

Tenant apps are independent of each other (import-linter), so consultations and budgets reach these
functions with ``importlib.import_module("tenant_apps.accounts.interface")``.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.accounts import permissions, selectors
from tenant_apps.accounts.contracts import AccountRef, Decision, ParticipationRef
from tenant_apps.accounts.models import Action, Participation

__all__ = [
    "AccountRef",
    "Action",
    "Decision",
    "ParticipationRef",
    "account_get",
    "can",
    "has_participated",
    "participation_record",
    "prepare_schema",
    "reply_emails_off",
    "role_of",
    "verified_district",
]


def can(user: Any, action: str) -> Decision:
    """May ``user`` (a request's user, possibly anonymous) do ``action`` (an ``Action`` value) here?

    Refusals carry a code (``login_required``, ``inactive``, ``email_unverified``,
    ``verification_required``), a sentence to show, and the methods that would unlock the action.
    """
    return permissions.can(user, action)


def can_user_id(*, user_id: int, action: str) -> Decision:
    """``can`` for code that holds an id (tasks, services)."""
    return permissions.can(User.objects.filter(pk=user_id).first(), action)


def account_get(*, user_id: int) -> AccountRef | None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    profile = selectors.profile_for(user)
    return AccountRef(
        id=user.pk,
        display_name=user.get_short_name() if profile.deleted_at is None else _("Former participant"),
        role=profile.role,
        is_verified=selectors.identity_of(user_id=user.pk) is not None,
        verified_district=selectors.verified_district(user_id=user.pk),
        is_deleted=profile.deleted_at is not None,
    )


def role_of(*, user_id: int) -> str | None:
    """The person's role (resident, moderator, city_admin) in one query; None for an unknown, inactive or
    deleted account. For permission checks that need nothing else (``account_get`` reads much more)."""
    row = (
        User.objects.filter(pk=user_id, is_active=True)
        .values_list("is_staff", "profile__role", "profile__deleted_at")
        .first()
    )
    if row is None or row[2] is not None:
        return None
    is_staff, role, _deleted = row
    if role is None:  # no profile yet: the city's first admin is created without one
        return "city_admin" if is_staff else "resident"
    return str(role)


def reply_emails_off(*, user_ids: list[int]) -> set[int]:
    """Of ``user_ids``, those who turned off "email me when someone replies to me" (one query)."""
    from tenant_apps.accounts.models import Profile

    return set(Profile.objects.filter(user_id__in=user_ids, notify_replies=False).values_list("user_id", flat=True))


def verified_district(*, user_id: int) -> str | None:
    """The district a census or letter verification established (None when not verified that way)."""
    return selectors.verified_district(user_id=user_id)


def participation_record(*, user_id: int, process_key: str) -> ParticipationRef:
    """Record that the person took part in ``process_key`` (e.g. ``"budgets.process:12"``).

    One per account and one per verified identity: raises ``ApplicationError(code="already_participated")``
    when the person (this account, or an earlier deleted account of the same verified person) already did.
    Call it in the same transaction as the ballot, so both commit or neither does.
    """
    identity = selectors.identity_of(user_id=user_id)
    try:
        with transaction.atomic():
            marker = Participation.objects.create(
                process_key=process_key, user_id=user_id, identity_hash=identity.identity_hash if identity else ""
            )
    except IntegrityError as exc:
        raise ApplicationError(_("You already took part."), code="already_participated", status_code=409) from exc
    return ParticipationRef(id=marker.pk, process_key=marker.process_key, user_id=user_id, created_at=marker.created_at)


def has_participated(*, user_id: int, process_key: str) -> bool:
    identity = selectors.identity_of(user_id=user_id)
    markers = Participation.objects.filter(process_key=process_key)
    if identity is not None:
        return markers.filter(identity_hash=identity.identity_hash).exists() or markers.filter(user_id=user_id).exists()
    return markers.filter(user_id=user_id).exists()


def participant_count(*, process_key: str) -> int:
    return Participation.objects.filter(process_key=process_key).count()


def prepare_schema() -> None:
    """Pool hook, run when a spare schema is built (before it belongs to any city): the schema's random
    salt and its settings row (idempotent; both are also created on first use if missing)."""
    from tenant_apps.accounts.verification.hashing import city_salt

    city_salt()
    selectors.accounts_settings()


def gdpr_export(*, user_id: int) -> dict[str, list[dict[str, Any]]]:
    from tenant_apps.accounts.gdpr import accounts_export

    return accounts_export(user_id=user_id)
