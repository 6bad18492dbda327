"""Self-service sign-ups of cities (public schema): the request, its email verification, its provisioning."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.validators import SLUG_MAX_LENGTH, validate_city_slug

VILLAGE_MAX_POPULATION = 5_000
TOWN_MAX_POPULATION = 50_000


class Plan(models.TextChoices):
    """The plan catalogue by name; billing will map each name to its plan row."""

    VILLAGE = "village", _("Village (under 5,000 residents)")
    TOWN = "town", _("Town (under 50,000 residents)")
    CITY = "city", _("City")
    REGION = "region", _("Region")

    @classmethod
    def suggested_for(cls, population: int) -> Plan:
        """The plan a municipality of this size most likely needs. Regions choose theirs explicitly:
        their population says nothing a large city's does not."""
        if population < VILLAGE_MAX_POPULATION:
            return cls.VILLAGE
        if population < TOWN_MAX_POPULATION:
            return cls.TOWN
        return cls.CITY


class SignupStatus(models.TextChoices):
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting email verification")
    PROVISIONING = "provisioning", _("Verified, platform being created")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


# A sign-up in one of these states holds its subdomain against other sign-ups (awaiting ones only
# until their link expires: see selectors.slug_holders).
HOLDING_STATUSES = (SignupStatus.AWAITING_VERIFICATION, SignupStatus.PROVISIONING)


class SignupRequest(models.Model):
    """A city asking for its platform. Its public id is the only handle given to the visitor."""

    public_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    city_name = models.CharField(_("name of the city"), max_length=200)
    slug = models.CharField(_("subdomain"), max_length=SLUG_MAX_LENGTH, validators=[validate_city_slug])
    contact_email = models.EmailField(_("official contact email"))
    country = models.CharField(_("country"), max_length=2)
    time_zone = models.CharField(_("time zone"), max_length=64)
    population = models.PositiveIntegerField(_("population"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=SignupStatus.choices, default=SignupStatus.AWAITING_VERIFICATION
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    requester_ip = models.GenericIPAddressField(_("requester IP address"), null=True, blank=True)
    provisioning_job = models.ForeignKey(
        "tenants.ProvisioningJob",
        verbose_name=_("provisioning job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signups",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The last verification link was sent then; an awaiting sign-up stops holding its subdomain once
    # that link has expired.
    verification_sent_at = models.DateTimeField(_("verification link sent"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    # Set in the transaction that enqueues the "ready" email: a second run of the task sends nothing.
    ready_email_sent_at = models.DateTimeField(_("ready email sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ("-created_at",)
        constraints = [
            # Closes the race between two sign-ups for one subdomain; stale awaiting sign-ups are marked
            # expired before a new one is recorded, which releases their subdomain.
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(status__in=["awaiting_verification", "provisioning"]),
                name="onboarding_signup_slug_held_once",
            ),
        ]
        indexes = [
            models.Index(fields=["contact_email", "created_at"], name="onboarding_signup_email_idx"),
            models.Index(fields=["status", "verification_sent_at"], name="onboarding_signup_stale_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.city_name} ({self.slug}, {self.status})"
