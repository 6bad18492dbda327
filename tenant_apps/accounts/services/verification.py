"""Verification: settings, census import, letter batches, and the four ways a resident verifies."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import User
from shared_apps.billing import interface as billing
from tenant_apps.accounts.models import (
    AccountsSettings,
    Action,
    CensusEntry,
    CensusImport,
    LetterBatch,
    LetterCode,
    Method,
    Profile,
    SmsChallenge,
    Verification,
)
from tenant_apps.accounts.selectors import accounts_settings, profile_for
from tenant_apps.accounts.verification import letters, sms
from tenant_apps.accounts.verification.census import parse_birth_date, parse_census_csv
from tenant_apps.accounts.verification.hashing import (
    city_salt,
    digest,
    normalise_document,
    normalise_phone,
    normalise_postal_code,
)
from tenants.context import current_city

# Our method -> the name billing's plan catalogue uses for it (the same names since billing 0004; the
# setting lets an operator map them to a catalogue of their own).
DEFAULT_PLAN_METHOD_NAMES = {"census": "census", "letter": "letter", "email_domain": "email_domain", "sms": "sms"}
IMPORT_CHUNK = 5000


def plan_check(method: str) -> None:
    """Refuse (403) a method the city's plan does not include."""
    names = getattr(settings, "ACCOUNTS_PLAN_METHOD_NAMES", DEFAULT_PLAN_METHOD_NAMES)
    billing.check_verification_method(city_id=current_city().id, method=names.get(method, method))


@transaction.atomic
def settings_update(
    *,
    enabled_methods: list[str],
    requirements: dict[str, list[str]],
    email_domains: list[str] | None = None,
    census_second_factor: str | None = None,
    passwordless_login: bool | None = None,
) -> AccountsSettings:
    unknown = [m for m in enabled_methods if m not in Method.values]
    if unknown:
        raise ApplicationError(_("Unknown method(s)."), fields={"enabled_methods": unknown})
    for method in enabled_methods:
        plan_check(method)
    for action, methods in requirements.items():
        if action not in Action.values:
            raise ApplicationError(_("Unknown action."), fields={"requirements": [action]})
        missing = [m for m in methods if m not in enabled_methods]
        if missing:
            raise ApplicationError(
                _("An action can only require enabled methods."), fields={f"requirements.{action}": missing}
            )
    config = AccountsSettings.objects.select_for_update().get(pk=accounts_settings().pk)
    config.enabled_methods = list(dict.fromkeys(enabled_methods))
    config.requirements = {a: list(dict.fromkeys(m)) for a, m in requirements.items() if m}
    if email_domains is not None:
        config.email_domains = sorted({d.strip().lower().lstrip("@") for d in email_domains if d.strip()})
    if census_second_factor is not None:
        if census_second_factor not in ("birth_date", "postal_code"):
            raise ApplicationError(_("Unknown check."), fields={"census_second_factor": [census_second_factor]})
        config.census_second_factor = census_second_factor
    if passwordless_login is not None:
        config.passwordless_login = passwordless_login
    config.save()
    return config


def _method_available(method: str) -> None:
    if method not in accounts_settings().enabled_methods:
        raise ApplicationError(
            _("This verification method is not offered here."), code="method_disabled", status_code=403
        )
    plan_check(method)


def _attempt(*, user: User, method: str) -> None:
    """Guessing census data or codes is slow: a few attempts per account and hour."""
    limit = int(getattr(settings, "ACCOUNTS_VERIFY_ATTEMPTS_PER_HOUR", 10))
    key = f"accounts:verify:{method}:{user.pk}"
    if cache.add(key, 1, timeout=3600):
        return
    try:
        count = cache.incr(key)
    except ValueError:
        return
    if count > limit:
        raise ApplicationError(_("Too many attempts. Try again in an hour."), code="throttled", status_code=429)


def _is_tombstone(user: User) -> bool:
    profile = Profile.objects.filter(user_id=user.pk).first()
    return not user.is_active and profile is not None and profile.deleted_at is not None


def _claim(*, user: User, method: str, identity_hash: str, district: str = "") -> Verification:
    """Attach ``identity_hash`` to ``user``: refused when another live account holds it; taken over from
    a deleted account's tombstone (whose participations stay tied to the same identity)."""
    if Verification.objects.filter(user=user, method=method).exists():
        raise ApplicationError(_("Your account is already verified this way."), code="already_verified")
    existing = Verification.objects.select_for_update().filter(identity_hash=identity_hash).first()
    if existing is not None:
        if existing.user_id == user.pk:
            return existing
        if not _is_tombstone(existing.user):
            raise ApplicationError(
                _("These details already verified another account. Contact the city if this is a mistake."),
                code="identity_taken",
                status_code=409,
            )
        existing.user = user
        existing.district = district
        existing.verified_at = timezone.now()
        existing.save(update_fields=["user", "district", "verified_at"])
        return existing
    try:
        with transaction.atomic():
            return Verification.objects.create(user=user, method=method, identity_hash=identity_hash, district=district)
    except IntegrityError as exc:  # a concurrent claim of the same identity won
        raise ApplicationError(
            _("These details already verified another account. Contact the city if this is a mistake."),
            code="identity_taken",
            status_code=409,
        ) from exc


@transaction.atomic
def census_import(*, actor: User | None, content: bytes, filename: str = "") -> CensusImport:
    """Import a census CSV: every row or none. Errors come back per line in ``ApplicationError.fields``.

    A document number already in the register is updated (district, dates), so a yearly re-upload works.
    """
    rows, errors = parse_census_csv(content)
    if errors:
        count = sum(1 for key in errors if key.startswith("line "))
        message = (
            _("Nothing was imported: %(count)s line(s) have errors.") % {"count": count}
            if count
            else _("Nothing was imported: the file cannot be read.")
        )
        raise ApplicationError(message, code="census_invalid", fields=errors)
    salt = city_salt()
    batch = CensusImport.objects.create(created_by=actor, filename=filename[:255], row_count=len(rows))
    entries = [
        CensusEntry(
            census_import=batch,
            identity_hash=digest("census", row.document, salt=salt),
            birth_date_hash=digest("census-birth", row.document, row.birth_date.isoformat(), salt=salt),
            postal_code_hash=digest("census-postal", row.document, row.postal_code, salt=salt)
            if row.postal_code
            else "",
            district=row.district,
            birth_year=row.birth_date.year,
        )
        for row in rows
    ]
    for start in range(0, len(entries), IMPORT_CHUNK):
        CensusEntry.objects.bulk_create(
            entries[start : start + IMPORT_CHUNK],
            update_conflicts=True,
            unique_fields=["identity_hash"],
            update_fields=["census_import", "birth_date_hash", "postal_code_hash", "district", "birth_year"],
        )
    return batch


@transaction.atomic
def verify_with_census(
    *, user: User, document_number: str, birth_date: str = "", postal_code: str = ""
) -> Verification:
    _method_available(Method.CENSUS)
    _attempt(user=user, method=Method.CENSUS)
    document = normalise_document(document_number)
    config = accounts_settings()
    refused = ApplicationError(
        _("These details do not match the population register. Check them, or contact the city."),
        code="census_no_match",
    )
    entry = CensusEntry.objects.filter(identity_hash=digest("census", document)).first()
    if entry is None:
        raise refused
    if config.census_second_factor == "postal_code":
        code = normalise_postal_code(postal_code)
        if not code or not entry.postal_code_hash or digest("census-postal", document, code) != entry.postal_code_hash:
            raise refused
    else:
        date = parse_birth_date(birth_date)
        if date is None or digest("census-birth", document, date.isoformat()) != entry.birth_date_hash:
            raise refused
    verification = _claim(user=user, method=Method.CENSUS, identity_hash=entry.identity_hash, district=entry.district)
    profile = profile_for(user)
    if profile.birth_year is None and entry.birth_year:
        profile.birth_year = entry.birth_year
        profile.save(update_fields=["birth_year"])
    return verification


@transaction.atomic
def letter_batch_create(*, actor: User | None, size: int, label: str = "", district: str = "") -> LetterBatch:
    if not 1 <= size <= int(getattr(settings, "ACCOUNTS_LETTER_BATCH_MAX", 100_000)):
        raise ApplicationError(_("Choose between 1 and 100,000 codes."), fields={"size": [_("Out of range.")]})
    batch = LetterBatch.objects.create(created_by=actor, label=label.strip(), district=district.strip(), size=size)
    codes: set[str] = set()
    while len(codes) < size:
        codes.add(letters.new_code())
    LetterCode.objects.bulk_create([LetterCode(batch=batch, code=c) for c in codes], batch_size=IMPORT_CHUNK)
    return batch


@transaction.atomic
def verify_with_letter_code(*, user: User, code: str) -> Verification:
    """Redeem a letter code. Single use under concurrency: one conditional UPDATE wins (rowcount 1),
    every other concurrent attempt sees rowcount 0 once the winner commits."""
    _method_available(Method.LETTER)
    _attempt(user=user, method=Method.LETTER)
    normalised = letters.normalise_code(code)
    if Verification.objects.filter(user=user, method=Method.LETTER).exists():
        raise ApplicationError(_("Your account is already verified this way."), code="already_verified")
    won = LetterCode.objects.filter(code=normalised, redeemed_at__isnull=True).update(
        redeemed_at=timezone.now(), redeemed_by=user
    )
    if won != 1:
        raise ApplicationError(_("This code is not valid or was already used."), code="code_invalid")
    batch_district = LetterCode.objects.select_related("batch").get(code=normalised).batch.district
    return _claim(user=user, method=Method.LETTER, identity_hash=digest("letter", normalised), district=batch_district)


@transaction.atomic
def verify_with_email_domain(*, user: User) -> Verification:
    _method_available(Method.EMAIL_DOMAIN)
    if profile_for(user).email_verified_at is None:
        raise ApplicationError(_("Confirm your email address first."), code="email_unverified")
    domain = user.email.rsplit("@", 1)[-1].lower()
    if domain not in accounts_settings().email_domains:
        raise ApplicationError(_("Your email address is not from an allowed organisation."), code="domain_not_allowed")
    return _claim(user=user, method=Method.EMAIL_DOMAIN, identity_hash=digest("email", user.email.lower()))


@transaction.atomic
def sms_challenge_start(*, user: User, phone: str) -> SmsChallenge:
    _method_available(Method.SMS)
    _attempt(user=user, method="sms-send")
    number = normalise_phone(phone)
    if len(number.lstrip("+")) < 8:
        raise ApplicationError(_("Enter a mobile phone number."), fields={"phone": [_("Not a phone number.")]})
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = SmsChallenge.objects.create(
        user=user,
        phone_hash=digest("phone", number),
        code_hash=digest("sms-code", str(user.pk), code),
        expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    body = _("Your verification code for %(city)s: %(code)s") % {"city": current_city().name, "code": code}
    transaction.on_commit(lambda: sms.get_backend().send(to=number, body=body))
    return challenge


def sms_challenge_confirm(*, user: User, code: str) -> Verification:
    """Check the code of the latest live challenge. A wrong code counts (committed, outside the
    transaction that would roll it back); five wrong codes kill the challenge."""
    _method_available(Method.SMS)
    refused = ApplicationError(_("This code is not valid. Ask for a new one."), code="code_invalid")
    live = SmsChallenge.objects.filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now(), attempts__lt=5)
    challenge = live.order_by("-created_at").first()
    if challenge is None:
        raise refused
    if digest("sms-code", str(user.pk), code.strip()) != challenge.code_hash:
        SmsChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
        raise refused
    with transaction.atomic():
        if SmsChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(used_at=timezone.now()) != 1:
            raise refused
        return _claim(user=user, method=Method.SMS, identity_hash=challenge.phone_hash)


def verification_status(*, user: User) -> dict[str, Any]:
    held = {v.method: v for v in Verification.objects.filter(user=user)}
    return {
        "email_verified": profile_for(user).email_verified_at is not None,
        "methods": {m: m in held for m in accounts_settings().enabled_methods},
        "verified_at": {m: v.verified_at for m, v in held.items()},
    }
