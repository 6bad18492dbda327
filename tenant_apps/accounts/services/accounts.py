"""Registration, email confirmation, sign-in links, profile, roles and staff invitations."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.mail import send_mail_on_commit
from core.models import User
from shared_apps.billing import interface as billing
from tenant_apps.accounts.models import STAFF_ROLES, Profile, Role, StaffInvitation
from tenant_apps.accounts.selectors import profile_for, role_of
from tenant_apps.accounts.services.links import city_url, signing_salt
from tenant_apps.accounts.verification.hashing import code_digest
from tenants.context import current_city


def _max_age(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _send(*, user_email: str, language: str, subject: str, template: str, context: dict[str, Any]) -> None:
    with translation.override(language or current_city().default_language):
        context = {**context, "city_name": current_city().name}
        send_mail_on_commit(to=[user_email], subject=str(subject), body=render_to_string(template, context))


def email_verification_link(*, user: User) -> str:
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=signing_salt("verify-email"))
    return city_url(reverse("accounts:verify_email", kwargs={"token": token}))


@transaction.atomic
def account_register(
    *,
    email: str,
    password: str,
    display_name: str = "",
    preferred_language: str = "",
    postal_code: str = "",
    district: str = "",
    birth_year: int | None = None,
) -> User | None:
    """Create a resident account and email a confirmation link.

    An address already in use gets a "you already have an account" message instead, and the caller
    shows the same page either way: registration never tells who has an account. Returns the new user,
    or None when the address was taken.
    """
    email = email.strip().lower()
    language = preferred_language or translation.get_language() or ""
    try:
        password_validation.validate_password(password, User(email=email, display_name=display_name))
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code="invalid", fields={"password": exc.messages}) from exc
    if birth_year is not None and not (1900 <= birth_year <= timezone.localdate().year):
        raise ApplicationError(_("Enter a plausible year of birth."), fields={"birth_year": [_("Not plausible.")]})
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        _send(
            user_email=existing.email,
            language=existing.preferred_language or language,
            subject=_("You already have an account"),
            template="accounts/email/already_registered.txt",
            context={
                "login_url": city_url(reverse("account:login")),
                "reset_url": city_url(reverse("account:password_reset")),
            },
        )
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, display_name=display_name.strip(), preferred_language=language
            )
    except IntegrityError:  # the same address registered concurrently
        return None
    Profile.objects.create(
        user=user, role=Role.RESIDENT, postal_code=postal_code.strip(), district=district.strip(), birth_year=birth_year
    )
    _send(
        user_email=user.email,
        language=language,
        subject=_("Confirm your email address"),
        template="accounts/email/verify_email.txt",
        context={"link": email_verification_link(user=user), "user": user},
    )
    return user


def email_verify(*, token: str) -> User:
    """Confirm an address from the emailed link (idempotent: a second click changes nothing)."""
    try:
        data = signing.loads(
            token, salt=signing_salt("verify-email"), max_age=_max_age("ACCOUNTS_EMAIL_VERIFY_MAX_AGE", 3 * 86400)
        )
    except signing.BadSignature as exc:
        raise ApplicationError(_("This link does not work any more. Ask for a new one."), code="bad_link") from exc
    user = User.objects.filter(pk=data.get("u"), email=data.get("e"), is_active=True).first()
    if user is None:
        raise ApplicationError(_("This link does not work any more. Ask for a new one."), code="bad_link")
    profile = profile_for(user)
    if profile.email_verified_at is None:
        Profile.objects.filter(pk=profile.pk, email_verified_at__isnull=True).update(email_verified_at=timezone.now())
        profile.refresh_from_db(fields=["email_verified_at"])
    return user


def login_link_request(*, email: str) -> None:
    """Email a one-time sign-in link if the address has an account; silent otherwise (no enumeration)."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    stamp = user.last_login.isoformat() if user.last_login else ""
    token = signing.dumps({"u": user.pk, "l": stamp}, salt=signing_salt("login-link"))
    link = city_url(reverse("accounts:login_link_use", kwargs={"token": token}))
    _send(
        user_email=user.email,
        language=user.preferred_language,
        subject=_("Your sign-in link"),
        template="accounts/email/login_link.txt",
        context={"link": link, "minutes": _max_age("ACCOUNTS_LOGIN_LINK_MAX_AGE", 900) // 60},
    )


def login_link_check(*, token: str) -> User:
    """The user a sign-in link is for. Single use: the link carries the last sign-in time, which the
    sign-in changes. Opening the link also confirms the address (the mail reached its owner)."""
    error = ApplicationError(_("This sign-in link does not work any more: ask for a new one."), code="bad_link")
    try:
        data = signing.loads(
            token, salt=signing_salt("login-link"), max_age=_max_age("ACCOUNTS_LOGIN_LINK_MAX_AGE", 900)
        )
    except signing.BadSignature as exc:
        raise error from exc
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or (user.last_login.isoformat() if user.last_login else "") != data.get("l"):
        raise error
    profile = profile_for(user)
    if profile.deleted_at is not None:
        raise error
    if profile.email_verified_at is None:
        Profile.objects.filter(pk=profile.pk).update(email_verified_at=timezone.now())
    return user


@transaction.atomic
def profile_update(*, user: User, **fields: Any) -> Profile:
    """Update display name, language, postal code, district, year of birth, notification choices."""
    profile = profile_for(user)
    user_fields = {k: fields.pop(k) for k in ("display_name", "preferred_language") if k in fields}
    allowed = {"postal_code", "district", "birth_year", "notify_replies", "notify_news"}
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(_("Unknown field(s)."), fields={k: [_("Unknown field.")] for k in unknown})
    birth_year = fields.get("birth_year")
    if birth_year is not None and not (1900 <= int(birth_year) <= timezone.localdate().year):
        raise ApplicationError(_("Enter a plausible year of birth."), fields={"birth_year": [_("Not plausible.")]})
    if "preferred_language" in user_fields and user_fields["preferred_language"] not in ("", *dict(settings.LANGUAGES)):
        raise ApplicationError(_("Unknown language."), fields={"preferred_language": [_("Unknown language.")]})
    for key, value in user_fields.items():
        setattr(user, key, value)
    if user_fields:
        user.save(update_fields=list(user_fields))
    for key, value in fields.items():
        setattr(profile, key, value)
    if fields:
        profile.save(update_fields=list(fields))
    return profile


def _staff_count() -> int:
    return Profile.objects.filter(role__in=STAFF_ROLES, deleted_at__isnull=True).count()


@transaction.atomic
def role_set(*, actor: User, user: User, role: str) -> Profile:
    if role_of(actor) != Role.CITY_ADMIN:
        raise ApplicationError(_("Only a city administrator can change roles."), code="forbidden", status_code=403)
    if role not in Role.values:
        raise ApplicationError(_("Unknown role."), fields={"role": [_("Unknown role.")]})
    profile = profile_for(user)
    if profile.role == Role.CITY_ADMIN and role != Role.CITY_ADMIN:
        admins = Profile.objects.select_for_update().filter(role=Role.CITY_ADMIN, deleted_at__isnull=True)
        if admins.count() <= 1:
            raise ApplicationError(_("The city needs at least one administrator."), code="last_admin")
    if role in STAFF_ROLES and profile.role not in STAFF_ROLES:
        billing.check_entitlement(city_id=current_city().id, feature="staff_seats", current_count=_staff_count())
    profile.role = role
    profile.save(update_fields=["role"])
    user.is_staff = role in STAFF_ROLES
    user.save(update_fields=["is_staff"])
    return profile


@transaction.atomic
def staff_invite(*, actor: User, email: str, role: str) -> tuple[StaffInvitation, str]:
    """Invite a moderator or a city admin by email; returns the invitation and its (secret) token."""
    if role_of(actor) != Role.CITY_ADMIN:
        raise ApplicationError(_("Only a city administrator can invite staff."), code="forbidden", status_code=403)
    if role not in STAFF_ROLES:
        raise ApplicationError(_("Choose moderator or city administrator."), fields={"role": [_("Unknown role.")]})
    billing.check_entitlement(city_id=current_city().id, feature="staff_seats", current_count=_staff_count())
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        email=email.strip().lower(),
        role=role,
        token_hash=code_digest(token),
        invited_by=actor,
        expires_at=timezone.now() + datetime.timedelta(seconds=_max_age("ACCOUNTS_INVITATION_MAX_AGE", 7 * 86400)),
    )
    _send(
        user_email=invitation.email,
        language="",
        subject=_("You are invited to run the participation platform"),
        template="accounts/email/invitation.txt",
        context={
            "link": city_url(reverse("accounts:invitation_accept", kwargs={"token": token})),
            "role": Role(role).label,
            "inviter": actor.get_full_name(),
        },
    )
    return invitation, token


def invitation_get(*, token: str) -> StaffInvitation:
    invitation = StaffInvitation.objects.filter(token_hash=code_digest(token)).first()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < timezone.now():
        raise ApplicationError(_("This invitation does not work any more: ask for a new one."), code="bad_link")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str = "", display_name: str = "") -> User:
    """Accept an invitation (single use, row-locked): create the account if needed and give it the role."""
    found = invitation_get(token=token)
    invitation = StaffInvitation.objects.select_for_update().get(pk=found.pk)
    if invitation.accepted_at is not None:
        raise ApplicationError(_("This invitation does not work any more: ask for a new one."), code="bad_link")
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        try:
            password_validation.validate_password(password, User(email=invitation.email))
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), fields={"password": exc.messages}) from exc
        user = User.objects.create_user(email=invitation.email, password=password, display_name=display_name.strip())
    profile = profile_for(user)
    if profile.deleted_at is not None or not user.is_active:
        raise ApplicationError(_("This account is closed."), code="inactive")
    profile.role = invitation.role
    profile.email_verified_at = profile.email_verified_at or timezone.now()
    profile.save(update_fields=["role", "email_verified_at"])
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user
