"""Writes of self-service sign-up: submit, verify the email, provision, tell the contact it is ready.

Flow: ``signup_submit`` records the request and emails a signed link -> ``signup_verify`` records a
provisioning job and enqueues ``signup_provision_task`` after commit -> ``signup_provision`` runs the job
(idempotent) and ``signup_send_ready_email`` emails a link to set the first admin's password, once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.mail import send_mail_on_commit
from shared_apps.onboarding import ratelimit, selectors
from shared_apps.onboarding.countries import COUNTRIES, default_time_zone
from shared_apps.onboarding.models import Plan, SignupRequest, SignupStatus
from tenants.context import in_city
from tenants.models import City, ProvisioningJob
from tenants.provisioning import JobAlreadyRunning, provision, provisioning_request
from tenants.tasks import enqueue_on_commit
from tenants.validators import validate_city_slug

logger = logging.getLogger(__name__)

VERIFY_SALT = "shared_apps.onboarding.verify"
# An expired link may still ask for a new one for this long; older links are simply invalid.
RESEND_MAX_AGE = 30 * 24 * 3600
MAX_POPULATION = 100_000_000
CITY_NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254  # the column's length (RFC 5321 path limit)


# --- Links --------------------------------------------------------------------------------------


def root_url(path: str) -> str:
    """Absolute URL on the root host (emails are built outside any request)."""
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    return f"{settings.PUBLIC_URL_SCHEME}://{settings.BASE_DOMAIN}{port}{path}"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=VERIFY_SALT)


def verification_token(*, signup: SignupRequest) -> str:
    return _signer().sign(str(signup.public_id))


def verification_url(*, signup: SignupRequest) -> str:
    token = verification_token(signup=signup)
    return root_url(reverse("onboarding:verify", kwargs={"token": token}, urlconf=settings.PUBLIC_SCHEMA_URLCONF))


def progress_url(*, signup: SignupRequest) -> str:
    path = reverse(
        "onboarding:progress", kwargs={"public_id": signup.public_id}, urlconf=settings.PUBLIC_SCHEMA_URLCONF
    )
    return root_url(path)


def _signup_from_token(token: str, *, max_age: int) -> SignupRequest:
    """The sign-up a link names. Raises ApplicationError ``link_expired`` (410) or ``link_invalid`` (400)."""
    try:
        value = _signer().unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ApplicationError(
            _("This link has expired. Ask for a new one below."), code="link_expired", status_code=410
        ) from exc
    except signing.BadSignature as exc:
        raise ApplicationError(
            _("This link is not valid. Check that you copied it whole."), code="link_invalid"
        ) from exc
    try:
        public_id = uuid.UUID(value)
        return SignupRequest.objects.select_for_update().get(public_id=public_id)
    except (ValueError, SignupRequest.DoesNotExist) as exc:
        raise ApplicationError(
            _("This link is not valid. Check that you copied it whole."), code="link_invalid"
        ) from exc


# --- Validation and limits ----------------------------------------------------------------------


def slug_taken_message(slug: str, suggestion: str | None) -> str:
    if suggestion:
        return _("The subdomain “%(slug)s” is taken. “%(suggestion)s” is free.") % {
            "slug": slug,
            "suggestion": suggestion,
        }
    return _("The subdomain “%(slug)s” is taken.") % {"slug": slug}


def _taken_error(slug: str, suggestion: str | None) -> ApplicationError:
    message = slug_taken_message(slug, suggestion)
    return ApplicationError(message, code="slug_taken", fields={"slug": [message]})


def signup_validate(
    *, city_name: str, slug: str, contact_email: str, country: str, population: int, language: str, plan: str
) -> None:
    """Raise ApplicationError with a message per field unless a sign-up with these values can be recorded
    (the subdomain's availability included)."""
    errors: dict[str, list[str]] = {}
    if not city_name.strip():
        errors["city_name"] = [_("Enter the name of your city.")]
    elif len(city_name.strip()) > CITY_NAME_MAX_LENGTH:
        errors["city_name"] = [_("Use at most %(max)s characters.") % {"max": CITY_NAME_MAX_LENGTH}]
    try:
        validate_city_slug(slug)
    except ValidationError as exc:
        errors["slug"] = list(exc.messages)
    try:
        if len(contact_email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(contact_email)
    except ValidationError:
        errors["contact_email"] = [_("Enter a valid email address, such as mayor@city.example.")]
    if country not in COUNTRIES:
        errors["country"] = [_("Choose a country from the list.")]
    if not 1 <= population <= MAX_POPULATION:
        errors["population"] = [_("Enter the number of residents, between 1 and 100,000,000.")]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose a language from the list.")]
    if plan not in Plan.values:
        errors["plan"] = [_("Choose a plan from the list.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, code="invalid", fields=errors)
    availability = selectors.slug_availability(
        slug=slug, country=country, language=language, exclude_email=contact_email
    )
    if not availability.available:
        raise _taken_error(slug, availability.suggestion)


def _rate_limit(*, requester_ip: str | None, contact_email: str) -> None:
    """Count one sign-up attempt for the address and the email; raise 429 past either limit."""
    too_many = ApplicationError(
        _("Too many sign-up attempts. Please try again later, or write to %(email)s.")
        % {"email": settings.PLATFORM_CONTACT_EMAIL},
        code="rate_limited",
        status_code=429,
    )
    if requester_ip and not ratelimit.hit(
        scope="signup-ip",
        key=requester_ip,
        limit=int(getattr(settings, "SIGNUP_RATE_LIMIT_PER_IP", 5)),
        window_seconds=int(getattr(settings, "SIGNUP_RATE_LIMIT_IP_WINDOW", 3600)),
    ):
        raise too_many
    if not ratelimit.hit(
        scope="signup-email",
        key=contact_email,
        limit=int(getattr(settings, "SIGNUP_RATE_LIMIT_PER_EMAIL", 3)),
        window_seconds=int(getattr(settings, "SIGNUP_RATE_LIMIT_EMAIL_WINDOW", 86400)),
    ):
        raise too_many


# --- Emails -------------------------------------------------------------------------------------


def _send_templated(*, signup: SignupRequest, template: str, context: dict[str, Any]) -> None:
    """Render ``onboarding/email/<template>`` in the requester's language and send it after commit."""
    context = {
        "signup": signup,
        "platform_name": "Fluicity",
        "platform_contact_email": settings.PLATFORM_CONTACT_EMAIL,
        **context,
    }
    with translation.override(signup.language):
        subject = render_to_string(f"onboarding/email/{template}_subject.txt", context)
        body = render_to_string(f"onboarding/email/{template}.txt", context)
        html_body = render_to_string(f"onboarding/email/{template}.html", context)
    send_mail_on_commit(to=[signup.contact_email], subject=subject, body=body, html_body=html_body)


def _send_verification(signup: SignupRequest) -> None:
    _send_templated(
        signup=signup,
        template="verify",
        context={
            "verify_url": verification_url(signup=signup),
            "max_age_hours": selectors.verify_max_age() // 3600,
            "city_host": f"{signup.slug}.{settings.BASE_DOMAIN}",
        },
    )


# --- Submit, verify, resend ---------------------------------------------------------------------


@transaction.atomic
def signup_submit(
    *,
    city_name: str,
    slug: str,
    contact_email: str,
    country: str,
    population: int,
    language: str,
    plan: str = "",
    requester_ip: str | None = None,
) -> SignupRequest:
    """Record a sign-up and email its verification link (after commit).

    Raises ApplicationError: per-field ``invalid``, ``slug_taken`` (with a free suggestion in the
    message), or ``rate_limited`` (429) past the per-address or per-email limit; nothing is recorded then.
    The same person asking again for the same subdomain gets their request updated and a fresh link.
    """
    slug = slug.strip().lower()
    contact_email = contact_email.strip().lower()
    country = country.strip().upper()
    plan = plan or Plan.suggested_for(population).value
    signup_validate(
        city_name=city_name,
        slug=slug,
        contact_email=contact_email,
        country=country,
        population=population,
        language=language,
        plan=plan,
    )
    _rate_limit(requester_ip=requester_ip, contact_email=contact_email)

    # Unverified requests whose link has expired release their subdomain (the partial unique constraint
    # covers awaiting requests, so they must leave that state before another one is recorded).
    SignupRequest.objects.filter(
        slug=slug, status=SignupStatus.AWAITING_VERIFICATION, verification_sent_at__lt=selectors.stale_before()
    ).update(status=SignupStatus.EXPIRED)
    values = {
        "city_name": city_name.strip(),
        "contact_email": contact_email,
        "country": country,
        "time_zone": default_time_zone(country),
        "population": population,
        "language": language,
        "plan": plan,
        "requester_ip": requester_ip,
        "verification_sent_at": timezone.now(),
    }
    signup = (
        SignupRequest.objects.select_for_update()
        .filter(slug=slug, status=SignupStatus.AWAITING_VERIFICATION, contact_email=contact_email)
        .first()
    )
    if signup is not None:
        for field, value in values.items():
            setattr(signup, field, value)
        signup.save(update_fields=list(values))
    else:
        try:
            with transaction.atomic():
                signup = SignupRequest.objects.create(slug=slug, **values)
        except IntegrityError as exc:  # another request for this subdomain committed in between
            suggestion = selectors.slug_suggestion(slug, country=country, language=language)
            raise _taken_error(slug, suggestion) from exc
    _send_verification(signup)
    return signup


@dataclass(frozen=True)
class VerifyResult:
    signup: SignupRequest
    already_verified: bool


def _fail(signup: SignupRequest, reason: str) -> None:
    signup.status = SignupStatus.FAILED
    signup.failure_reason = reason[:2000]
    signup.save(update_fields=["status", "failure_reason", "verified_at"])


def _start_provisioning(signup: SignupRequest) -> None:
    """Record the provisioning job (validated once more: a city may have taken the subdomain since) and
    enqueue the task after commit. On a validation failure the sign-up is marked failed with the reason."""
    try:
        with transaction.atomic():
            job = provisioning_request(
                slug=signup.slug,
                name=signup.city_name,
                admin_email=signup.contact_email,
                country=signup.country,
                language=signup.language,
                time_zone=signup.time_zone,
                source=ProvisioningJob.Source.SIGNUP,
                requested_by=signup.contact_email,
            )
            signup.status = SignupStatus.PROVISIONING
            signup.provisioning_job = job
            signup.failure_reason = ""
            signup.save(update_fields=["status", "provisioning_job", "failure_reason", "verified_at"])
    except ApplicationError as exc:
        _fail(signup, exc.message)
        return
    except IntegrityError:  # an expired request came back while another one took its subdomain
        _fail(signup, _("The subdomain “%(slug)s” is taken.") % {"slug": signup.slug})
        return
    from shared_apps.onboarding.tasks import signup_provision_task

    enqueue_on_commit(signup_provision_task, kwargs={"signup_id": signup.id})


@transaction.atomic
def signup_verify(*, token: str) -> VerifyResult:
    """Confirm the contact email from a signed link and start provisioning, exactly once.

    A link used again returns the sign-up with ``already_verified`` (never a second job). Raises
    ApplicationError ``link_expired`` (410) or ``link_invalid`` (400).
    """
    signup = _signup_from_token(token, max_age=selectors.verify_max_age())
    if signup.status in (SignupStatus.PROVISIONING, SignupStatus.READY, SignupStatus.FAILED):
        return VerifyResult(signup=signup, already_verified=True)
    signup.verified_at = timezone.now()
    _start_provisioning(signup)
    return VerifyResult(signup=signup, already_verified=False)


@transaction.atomic
def signup_resend_verification(*, token: str, requester_ip: str | None = None) -> SignupRequest:
    """Send a fresh verification link for the sign-up an (expired) link names.

    Counts against the same limits as a sign-up. Raises ``slug_taken`` when the subdomain went to
    someone else meanwhile. A sign-up already verified is returned unchanged.
    """
    signup = _signup_from_token(token, max_age=RESEND_MAX_AGE)
    if signup.status not in (SignupStatus.AWAITING_VERIFICATION, SignupStatus.EXPIRED):
        return signup
    if signup.slug in selectors.taken_slugs([signup.slug], exclude_id=signup.id):
        suggestion = selectors.slug_suggestion(signup.slug, country=signup.country, language=signup.language)
        raise _taken_error(signup.slug, suggestion)
    _rate_limit(requester_ip=requester_ip, contact_email=signup.contact_email)
    signup.status = SignupStatus.AWAITING_VERIFICATION
    signup.verification_sent_at = timezone.now()
    try:
        with transaction.atomic():
            signup.save(update_fields=["status", "verification_sent_at"])
    except IntegrityError as exc:
        raise _taken_error(signup.slug, None) from exc
    _send_verification(signup)
    return signup


def signup_sweep(*, older_than_seconds: int = 120) -> int:
    """Send again the provisioning of sign-ups verified a while ago that are still not ready: their task
    was lost (broker down at commit) or their worker died. ``signup_provision`` is safe to run twice."""
    from shared_apps.onboarding.tasks import signup_provision_task

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stuck = SignupRequest.objects.filter(status=SignupStatus.PROVISIONING, verified_at__lt=cutoff)
    count = 0
    for signup_id in stuck.values_list("id", flat=True):
        signup_provision_task.apply_async(kwargs={"signup_id": signup_id}, headers={"_schema_name": "public"})
        count += 1
    return count


def signup_expire_stale() -> int:
    """Mark unverified sign-ups whose link has expired (they no longer hold their subdomain)."""
    return SignupRequest.objects.filter(
        status=SignupStatus.AWAITING_VERIFICATION, verification_sent_at__lt=selectors.stale_before()
    ).update(status=SignupStatus.EXPIRED)


# --- Provisioning -------------------------------------------------------------------------------


def signup_provision(*, signup_id: int) -> SignupRequest:
    """Run the sign-up's provisioning job, then email the set-password link. Safe to run twice: the job
    is idempotent and the email is recorded as sent. A failure is recorded on the sign-up (operators
    retry it from the admin) and not raised."""
    signup = SignupRequest.objects.select_related("provisioning_job").get(pk=signup_id)
    job = signup.provisioning_job
    if job is None or signup.status not in (SignupStatus.PROVISIONING, SignupStatus.READY):
        return signup
    try:
        city = provision(job_id=job.id)
        return signup_send_ready_email(signup_id=signup.pk, city_id=city.id)
    except JobAlreadyRunning:
        return signup  # another worker is on it and will send the email
    except Exception as exc:
        # provision() recorded the failure on the job; the sign-up shows the failure page with the
        # platform's contact, and operators retry it from the admin.
        logger.exception("sign-up %s (%s) failed", signup.pk, signup.slug)
        reason = exc.message if isinstance(exc, ApplicationError) else str(exc)
        SignupRequest.objects.filter(pk=signup.pk, ready_email_sent_at__isnull=True).update(
            status=SignupStatus.FAILED, failure_reason=reason[:2000]
        )
        return SignupRequest.objects.get(pk=signup.pk)


def set_password_url(*, city: City, email: str) -> str:
    """A link to set the password of ``email``'s account in ``city`` (Django's password-reset token:
    it stops working once the password is set, or after PASSWORD_RESET_TIMEOUT)."""
    with in_city(city_id=city.id):
        user = get_user_model().objects.get(email__iexact=email)
        uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
    path = reverse("account:set_password", kwargs={"uidb64": uidb64, "token": token}, urlconf=settings.ROOT_URLCONF)
    return city.absolute_url(path)


@transaction.atomic
def signup_send_ready_email(*, signup_id: int, city_id: int, again: bool = False) -> SignupRequest:
    """Email the contact that the platform is ready, with the link to set the first admin's password.

    Sent once (``ready_email_sent_at``), unless ``again`` (operators resending an expired link).
    """
    signup = SignupRequest.objects.select_for_update().get(pk=signup_id)
    if signup.ready_email_sent_at is not None and not again:
        return signup
    city = City.objects.get(pk=city_id)
    _send_templated(
        signup=signup,
        template="ready",
        context={
            "city": city,
            "city_url": city.absolute_url("/"),
            "set_password_url": set_password_url(city=city, email=signup.contact_email),
            "login_url": city.absolute_url(reverse("account:login", urlconf=settings.ROOT_URLCONF)),
        },
    )
    signup.status = SignupStatus.READY
    signup.failure_reason = ""
    signup.ready_email_sent_at = timezone.now()
    signup.save(update_fields=["status", "failure_reason", "ready_email_sent_at"])
    return signup


@transaction.atomic
def signup_retry(*, signup: SignupRequest) -> SignupRequest:
    """Operators: run a failed sign-up's provisioning again (a new job if none could be recorded)."""
    signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    if signup.status != SignupStatus.FAILED:
        raise ApplicationError(_("Only a failed sign-up can be retried."), code="invalid_status")
    if signup.provisioning_job is None:
        _start_provisioning(signup)
        signup.refresh_from_db()
        if signup.status == SignupStatus.FAILED:
            raise ApplicationError(signup.failure_reason, code="invalid")
        return signup
    signup.status = SignupStatus.PROVISIONING
    signup.failure_reason = ""
    try:
        with transaction.atomic():
            signup.save(update_fields=["status", "failure_reason"])
    except IntegrityError as exc:
        raise _taken_error(signup.slug, None) from exc
    from shared_apps.onboarding.tasks import signup_provision_task

    enqueue_on_commit(signup_provision_task, kwargs={"signup_id": signup.id})
    return signup
