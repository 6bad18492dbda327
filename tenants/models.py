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
