"""Writes on cities: create, suspend, resume. Keyword-only, and every step leaves no half city."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import ApplicationError
from tenants import routing
from tenants.context import in_city
from tenants.db import connection
from tenants.models import City, CityStatus, Domain
from tenants.validators import schema_name_for_slug, validate_city_slug

logger = logging.getLogger(__name__)


def _validation_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@transaction.atomic
def _drop_schema(schema_name: str) -> None:
    with connection.cursor() as cursor:
        # Inside a caller's transaction, deferred foreign-key checks on the schema's tables would
        # block the DROP ("pending trigger events"): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')


def city_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    country: str = "FR",
    language: str = "fr",
    time_zone: str = "Europe/Paris",
    admin_password: str | None = None,
) -> City:
    """Create a city: its schema (migrated), its host ``<slug>.<BASE_DOMAIN>``, and its first admin.

    On any failure the schema and rows created so far are removed, so a retry starts clean.
    """
    slug = slug.strip().lower()
    try:
        validate_city_slug(slug)
    except ValidationError as exc:
        raise ApplicationError(_validation_message(exc), code="invalid_slug", fields={"slug": exc.messages}) from exc
    if City.objects.filter(slug=slug).exists():
        raise ApplicationError(f"The subdomain “{slug}” is taken.", code="slug_taken", fields={"slug": ["Taken."]})
    if language not in dict(settings.LANGUAGES):
        raise ApplicationError(f"Unsupported language “{language}”.", code="invalid_language")
    schema_name = schema_name_for_slug(slug)
    city = City(
        schema_name=schema_name,
        slug=slug,
        name=name.strip(),
        country=country.upper(),
        default_language=language,
        time_zone=time_zone,
    )
    try:
        city.full_clean(exclude=["schema_name"])
    except ValidationError as exc:
        raise ApplicationError(
            _validation_message(exc), code="invalid", fields=exc.message_dict if hasattr(exc, "error_dict") else None
        ) from exc

    connection.set_schema_to_public()
    try:
        city.save(verbosity=0)  # creates and migrates the schema
        Domain.objects.create(domain=city.primary_host, tenant=city, is_primary=True)
        with in_city(city_id=city.id):
            from django.contrib.auth import get_user_model

            user_model = get_user_model()
            admin = user_model.objects.create_user(
                email=admin_email, password=admin_password or None, is_staff=True, is_superuser=True
            )
            if not admin_password:
                admin.set_unusable_password()
                admin.save(update_fields=["password"])
    except Exception:
        logger.exception("city_create failed for %s; removing what was created", slug)
        connection.set_schema_to_public()
        if city.pk:
            Domain.objects.filter(tenant_id=city.pk).delete()
            City.objects.filter(pk=city.pk).delete()
        _drop_schema(schema_name)
        routing.invalidate()
        raise
    return city


def _set_status(*, city: City, status: str) -> City:
    city.status = status
    city.save(update_fields=["status", "updated_at"])  # routing cache invalidated by tenants.routing
    return city


def city_suspend(*, city: City) -> City:
    """Suspend a city: its hosts show a "temporarily unavailable" page; every byte of data is kept."""
    if city.status != CityStatus.ACTIVE:
        raise ApplicationError(f"{city.name} is {city.status}, not active.", code="invalid_status")
    return _set_status(city=city, status=CityStatus.SUSPENDED)


def city_resume(*, city: City) -> City:
    """Reactivate a suspended city."""
    if city.status != CityStatus.SUSPENDED:
        raise ApplicationError(f"{city.name} is {city.status}, not suspended.", code="invalid_status")
    return _set_status(city=city, status=CityStatus.ACTIVE)
