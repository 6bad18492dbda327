"""Cities (tenants) and their host names. Lives in the public schema."""

from __future__ import annotations

import zoneinfo
from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from tenants.validators import SLUG_MAX_LENGTH, validate_city_slug

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


class CityStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ARCHIVED = "archived", _("Archived")


class CityQuerySet(models.QuerySet["City"]):
    def active(self) -> CityQuerySet:
        return self.filter(status=CityStatus.ACTIVE)


class City(TenantMixin):
    """A municipality or region on the platform; all its data lives in schema ``schema_name``."""

    slug = models.CharField(_("subdomain"), max_length=SLUG_MAX_LENGTH, unique=True, validators=[validate_city_slug])
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=CityStatus.choices, default=CityStatus.ACTIVE)
    country = models.CharField(
        _("country"), max_length=2, validators=[RegexValidator(r"^[A-Z]{2}$", _("Use an ISO 3166 code, e.g. FR."))]
    )
    default_language = models.CharField(_("default language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Paris")
    brand_color = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1d4ed8",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour such as #1d4ed8."))],
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    # Digest of the tenant migrations applied to this schema; `city migrate` skips cities already at the
    # code's digest without opening their catalogue.
    migration_state = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Schemas are never dropped implicitly: deletion is an explicit, recorded operator action.
    auto_drop_schema = False

    objects: ClassVar[CityQuerySet] = CityQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def _check_schema_name_is_unique(self) -> None:
        # django-tenants checks this with a query before every insert; our schema names are derived
        # lower-case from unique slugs and the column is unique in the database, which is the real guard.
        return None

    @property
    def is_active(self) -> bool:
        return self.status == CityStatus.ACTIVE

    @property
    def primary_host(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}"

    def absolute_url(self, path: str = "/") -> str:
        port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
        return f"{settings.PUBLIC_URL_SCHEME}://{self.primary_host}{port}{path}"


class Domain(DomainMixin):
    """A host name that routes to a city: ``<slug>.<BASE_DOMAIN>`` and optional custom domains."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


class PoolSchemaStatus(models.TextChoices):
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")


class PoolSchema(models.Model):
    """A spare schema, migrated ahead of time, waiting to become a city (renamed in milliseconds)."""

    schema_name = models.CharField(max_length=63, unique=True)
    status = models.CharField(max_length=16, choices=PoolSchemaStatus.choices, default=PoolSchemaStatus.BUILDING)
    # Digest of the tenant apps' migrations this schema was built at; a schema whose state differs from
    # the code's is stale and is never handed out (see tenants.pool).
    migration_state = models.CharField(max_length=64, blank=True)
    build_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=["status", "migration_state"], name="pool_claimable_idx")]

    def __str__(self) -> str:
        return f"{self.schema_name} ({self.status})"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")


class ProvisioningJob(models.Model):
    """One request to create a city, with its steps as they happen; retried safely until it succeeds."""

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Self-service sign-up")
        CONSOLE = "console", _("Operator console")
        API = "api", _("Operator API")
        CLI = "cli", _("Command line")

    public_id = models.UUIDField(unique=True, editable=False)
    slug = models.CharField(max_length=SLUG_MAX_LENGTH, validators=[validate_city_slug])
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    language = models.CharField(max_length=8, default="fr")
    time_zone = models.CharField(max_length=64, default="Europe/Paris")
    admin_email = models.EmailField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CLI)
    requested_by = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    steps = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    used_pool = models.BooleanField(null=True)
    city = models.ForeignKey(City, null=True, blank=True, on_delete=models.SET_NULL, related_name="provisioning_jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"provision {self.slug} ({self.status})"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None


class CityExport(models.Model):
    """An archive of one city (every table of its schema and its uploaded files), built by a job."""

    public_id = models.UUIDField(unique=True, editable=False)
    city = models.ForeignKey(City, null=True, blank=True, on_delete=models.SET_NULL, related_name="exports")
    # Kept after the city is deleted: the export is what remains of it.
    city_slug = models.CharField(max_length=SLUG_MAX_LENGTH)
    city_name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_label = models.CharField(max_length=200, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"export of {self.city_slug} ({self.status})"


class CityDeletion(models.Model):
    """What is left of a deleted city: who deleted it, when, and the export taken before."""

    city_id_was = models.BigIntegerField()
    city_slug = models.CharField(max_length=SLUG_MAX_LENGTH)
    city_name = models.CharField(max_length=200)
    schema_name = models.CharField(max_length=63)
    export = models.ForeignKey(CityExport, on_delete=models.PROTECT, related_name="deletions")
    deleted_by = models.CharField(max_length=254)
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-deleted_at",)

    def __str__(self) -> str:
        return f"{self.city_slug} deleted by {self.deleted_by}"
