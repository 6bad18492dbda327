"""Reads for sign-up: is a subdomain free, what to suggest instead, what the progress page shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.onboarding.models import SignupRequest, SignupStatus
from tenants.models import City, JobStatus
from tenants.validators import SLUG_MAX_LENGTH, validate_city_slug

DEFAULT_VERIFY_MAX_AGE = 48 * 3600


def verify_max_age() -> int:
    """Seconds a verification link stays valid (and an unverified sign-up holds its subdomain)."""
    return int(getattr(settings, "SIGNUP_VERIFY_MAX_AGE", DEFAULT_VERIFY_MAX_AGE))


def stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=verify_max_age())


def slug_holders(*, exclude_email: str = "", exclude_id: int | None = None) -> QuerySet[SignupRequest]:
    """Sign-ups that keep their subdomain from others: verified ones, and unverified ones whose link is
    still valid. ``exclude_email``: a person asking again for their own subdomain is not blocked by
    their earlier request."""
    holders = SignupRequest.objects.filter(
        Q(status=SignupStatus.PROVISIONING)
        | Q(status=SignupStatus.AWAITING_VERIFICATION, verification_sent_at__gte=stale_before())
    )
    if exclude_email:
        holders = holders.exclude(status=SignupStatus.AWAITING_VERIFICATION, contact_email__iexact=exclude_email)
    if exclude_id is not None:
        holders = holders.exclude(pk=exclude_id)
    return holders


def taken_slugs(candidates: list[str], *, exclude_email: str = "", exclude_id: int | None = None) -> set[str]:
    """Which of ``candidates`` a city or a sign-up already holds (two queries, whatever the count)."""
    taken = set(City.objects.filter(slug__in=candidates).values_list("slug", flat=True))
    taken |= set(
        slug_holders(exclude_email=exclude_email, exclude_id=exclude_id)
        .filter(slug__in=candidates)
        .values_list("slug", flat=True)
    )
    return taken


def _with_suffix(base: str, suffix: str, *, prefix: bool = False) -> str:
    room = SLUG_MAX_LENGTH - len(suffix)
    trimmed = base[:room].strip("-")
    return f"{suffix}{trimmed}" if prefix else f"{trimmed}{suffix}"


# "City of" as a subdomain prefix in the visitor's language: ville-de-namur, stad-gent, stadt-aachen.
CITY_PREFIXES = {"fr": "ville-de-", "en": "city-of-", "nl": "stad-", "de": "stadt-"}


def slug_candidates(slug: str, *, country: str = "", language: str = "") -> list[str]:
    """Alternatives to a taken subdomain, best first, each a valid subdomain."""
    raw: list[str] = []
    if country:
        raw.append(_with_suffix(slug, f"-{country.lower()}"))
    raw.append(_with_suffix(slug, CITY_PREFIXES.get(language, "ville-de-"), prefix=True))
    raw.extend(_with_suffix(slug, f"-{n}") for n in range(2, 10))
    candidates: list[str] = []
    for candidate in raw:
        try:
            validate_city_slug(candidate)
        except ValidationError:
            continue
        if candidate != slug and candidate not in candidates:
            candidates.append(candidate)
    return candidates


def slug_suggestion(slug: str, *, country: str = "", language: str = "", exclude_email: str = "") -> str | None:
    """A free subdomain close to ``slug`` (checked free right now), or None."""
    candidates = slug_candidates(slug, country=country, language=language)
    taken = taken_slugs(candidates, exclude_email=exclude_email)
    return next((candidate for candidate in candidates if candidate not in taken), None)


@dataclass(frozen=True)
class SlugAvailability:
    slug: str
    available: bool
    suggestion: str | None


def slug_availability(*, slug: str, country: str = "", language: str = "", exclude_email: str = "") -> SlugAvailability:
    """Whether a *valid* subdomain is free, with a free suggestion when it is not. Validate it first."""
    if slug not in taken_slugs([slug], exclude_email=exclude_email):
        return SlugAvailability(slug=slug, available=True, suggestion=None)
    suggestion = slug_suggestion(slug, country=country, language=language, exclude_email=exclude_email)
    return SlugAvailability(slug=slug, available=False, suggestion=suggestion)


def signup_for_progress(*, public_id: uuid.UUID) -> SignupRequest | None:
    """The sign-up behind a progress page: by its own public id or by its provisioning job's."""
    return (
        SignupRequest.objects.select_related("provisioning_job", "provisioning_job__city")
        .filter(Q(public_id=public_id) | Q(provisioning_job__public_id=public_id))
        .first()
    )


# What the visitor sees: the sign-up's state, with "provisioning" split by how far the job got.
PHASE_AWAITING = "awaiting_verification"
PHASE_RUNNING = "running"
PHASE_READY = "ready"
PHASE_FAILED = "failed"
PHASE_EXPIRED = "expired"


def _step_label(name: str, fallback: str) -> str:
    labels = {
        "claim": _("Reserve a ready database schema"),
        "create": _("Create the city, its address, first admin and defaults"),
        "build": _("No schema ready: prepare one now (slower)"),
    }
    return labels.get(name, fallback)


def _step_status_label(status: str) -> str:
    return {"running": _("Running"), "done": _("Done"), "failed": _("Failed")}.get(status, status)


def signup_progress(*, signup: SignupRequest) -> dict[str, Any]:
    """Plain data for the progress page and its JSON twin (labels in the active language)."""
    job = signup.provisioning_job
    if signup.status == SignupStatus.READY:
        phase = PHASE_READY
    elif signup.status == SignupStatus.FAILED:
        phase = PHASE_FAILED
    elif signup.status == SignupStatus.EXPIRED or (
        signup.status == SignupStatus.AWAITING_VERIFICATION
        and (signup.verification_sent_at is None or signup.verification_sent_at < stale_before())
    ):
        phase = PHASE_EXPIRED
    elif signup.status == SignupStatus.AWAITING_VERIFICATION:
        phase = PHASE_AWAITING
    elif job is not None and job.status == JobStatus.FAILED:
        phase = PHASE_FAILED
    else:
        phase = PHASE_RUNNING
    steps = [
        {
            "name": str(step.get("name", "")),
            "label": _step_label(str(step.get("name", "")), str(step.get("label", ""))),
            "status": str(step.get("status", "")),
            "status_label": _step_status_label(str(step.get("status", ""))),
            "duration_ms": step.get("ms"),
        }
        for step in (job.steps if job is not None else [])
    ]
    city = job.city if job is not None and phase == PHASE_READY else None
    return {
        "id": str(signup.public_id),
        "job_id": str(job.public_id) if job is not None else None,
        "status": phase,
        "done": phase in (PHASE_READY, PHASE_FAILED, PHASE_EXPIRED),
        "city_name": signup.city_name,
        "slug": signup.slug,
        "city_url": city.absolute_url("/") if city is not None else None,
        "steps": steps,
        "ready_email_sent": signup.ready_email_sent_at is not None,
        "contact_email": settings.PLATFORM_CONTACT_EMAIL if phase == PHASE_FAILED else None,
    }
