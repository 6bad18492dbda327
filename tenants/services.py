"""Writes on cities: create, suspend, resume. Keyword-only; every step leaves no half city."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from core.exceptions import ApplicationError
from tenants.context import in_city
from tenants.models import City, CityStatus, ProvisioningJob
from tenants.provisioning import provision, provisioning_request


def city_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    country: str = "FR",
    language: str = "fr",
    time_zone: str = "Europe/Paris",
    admin_password: str | None = None,
    source: str = ProvisioningJob.Source.CLI,
    requested_by: str = "",
) -> City:
    """Create a city now (a recorded provisioning job run in this process): schema from the warm pool,
    host ``<slug>.<BASE_DOMAIN>``, first admin, apps' defaults. Nothing is left behind on failure."""
    job = provisioning_request(
        slug=slug,
        name=name,
        admin_email=admin_email,
        country=country,
        language=language,
        time_zone=time_zone,
        source=source,
        requested_by=requested_by,
        record=False,  # recorded by provision() in the city's own transaction
    )
    city = provision(job_id=job.id, job=job)
    if admin_password:
        with in_city(city_id=city.id):
            admin = get_user_model().objects.get(email=job.admin_email)
            admin.set_password(admin_password)
            admin.save(update_fields=["password"])
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
