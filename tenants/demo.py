"""Demo cities for `make run`: a small town and a regional government, created once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from core.registry import tenant_app_hooks
from tenants import services
from tenants.context import CityRef, in_city, in_public
from tenants.models import City


@dataclass(frozen=True)
class DemoCity:
    slug: str
    name: str
    country: str
    language: str
    time_zone: str
    brand_color: str


DEMO_CITIES = (
    DemoCity("demo", "Belleville-sur-Meuse", "FR", "fr", "Europe/Paris", "#0f766e"),
    DemoCity("region", "Région wallonne", "BE", "fr", "Europe/Brussels", "#b91c1c"),
)
OPERATOR_EMAIL = "operator@fluicity.example"


def _app_seeders() -> list[Callable[..., None]]:
    """Each tenant app may ship ``<app>.demo.seed(city=CityRef)``; idempotent by contract."""
    return [hook for _app, hook in tenant_app_hooks("demo", "seed")]


def seed_demo(*, password: str, log: Callable[[str], None]) -> list[City]:
    """Create the operator, the demo cities and their admins if missing, then let apps add data."""
    user_model = get_user_model()
    with in_public():
        if not user_model.objects.filter(email=OPERATOR_EMAIL).exists():
            user_model.objects.create_superuser(email=OPERATOR_EMAIL, password=password, display_name="Operator")
            log(f"operator {OPERATOR_EMAIL} created")
    cities = []
    for demo in DEMO_CITIES:
        city = City.objects.filter(slug=demo.slug).first()
        if city is None:
            city = services.city_create(
                slug=demo.slug,
                name=demo.name,
                admin_email=f"admin@{demo.slug}.fluicity.example",
                admin_password=password,
                country=demo.country,
                language=demo.language,
                time_zone=demo.time_zone,
            )
            city.brand_color = demo.brand_color
            city.save(update_fields=["brand_color", "updated_at"])
            log(f"city {demo.slug} created")
        else:
            log(f"city {demo.slug} already there")
        for seed in _app_seeders():
            with in_city(city_id=city.id) as ref:
                seed(city=ref)
        cities.append(city)
    return cities


__all__ = ["DEMO_CITIES", "OPERATOR_EMAIL", "CityRef", "seed_demo"]
