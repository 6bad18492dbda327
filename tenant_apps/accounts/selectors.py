"""Reads: settings, profiles, roles, verification state, demographic figures."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from core.models import User
from tenant_apps.accounts.models import (
    STAFF_ROLES,
    AccountsSettings,
    DataExport,
    Method,
    Profile,
    Role,
    Verification,
)

# Residency methods, strongest first: the identity of a person for "one person, one vote".
IDENTITY_PRIORITY = (Method.CENSUS, Method.LETTER, Method.SMS, Method.EMAIL_DOMAIN)
AGE_BANDS = (
    (0, 17, "0-17"),
    (18, 29, "18-29"),
    (30, 44, "30-44"),
    (45, 59, "45-59"),
    (60, 74, "60-74"),
    (75, 200, "75+"),
)


def accounts_settings() -> AccountsSettings:
    found = AccountsSettings.objects.filter(pk=1).first()
    if found is None:
        found, _created = AccountsSettings.objects.get_or_create(pk=1)
    return found


def profile_for(user: User) -> Profile:
    """The user's profile, created on first use (the city's first admin is created without one)."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        role = Role.CITY_ADMIN if user.is_staff else Role.RESIDENT
        # The first admin gets an address that was verified by the operator or the sign-up flow.
        verified = timezone.now() if user.is_staff else None
        profile, _created = Profile.objects.get_or_create(
            user=user, defaults={"role": role, "email_verified_at": verified}
        )
        return profile


def role_of(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return profile_for(user).role


def is_staff_member(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and role_of(user) in STAFF_ROLES)


def is_city_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and role_of(user) == Role.CITY_ADMIN)


def staff_list() -> QuerySet[Profile]:
    return (
        Profile.objects.filter(role__in=STAFF_ROLES, deleted_at__isnull=True)
        .select_related("user")
        .order_by("user__email")
    )


def verifications_of(*, user_id: int) -> list[Verification]:
    return list(Verification.objects.filter(user_id=user_id).order_by("verified_at"))


def identity_of(*, user_id: int) -> Verification | None:
    """The verification that stands for this person, strongest method first."""
    found = {v.method: v for v in verifications_of(user_id=user_id)}
    for method in IDENTITY_PRIORITY:
        if method in found:
            return found[method]
    return None


def verified_district(*, user_id: int) -> str | None:
    for verification in verifications_of(user_id=user_id):
        if verification.method in (Method.CENSUS, Method.LETTER) and verification.district:
            return verification.district
    return None


def exports_of(*, user_id: int) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user_id=user_id).order_by("-created_at")


def age_band(birth_year: int | None, *, today: datetime.date | None = None) -> str:
    if birth_year is None:
        return "unknown"
    age = (today or timezone.localdate()).year - birth_year
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "unknown"


def k_anonymity_threshold() -> int:
    return max(2, int(getattr(settings, "ACCOUNTS_K_ANONYMITY", 10)))


def demographics(*, k: int | None = None) -> list[dict[str, Any]]:
    """Verified residents by (district, age band), only the groups of at least ``k`` people.

    No totals or "other" row: with marginals, a suppressed cell could be computed by subtraction.
    """
    threshold = k if k is not None else k_anonymity_threshold()
    profiles = Profile.objects.filter(
        deleted_at__isnull=True, user__is_active=True, user__verifications__isnull=False
    ).distinct()
    district_of = dict(
        Verification.objects.filter(method__in=[Method.CENSUS, Method.LETTER])
        .exclude(district="")
        .values_list("user_id", "district")
    )
    counts: Counter[tuple[str, str]] = Counter()
    for user_id, birth_year, own_district in profiles.values_list("user_id", "birth_year", "district"):
        counts[(district_of.get(user_id) or own_district or "unknown", age_band(birth_year))] += 1
    return [
        {"district": district, "age_band": band, "count": count}
        for (district, band), count in sorted(counts.items())
        if count >= threshold
    ]
