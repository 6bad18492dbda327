"""The one door into a city for code that runs outside a request (tasks, commands, scripts).

Fails closed: ``current_city()`` raises on the public schema instead of returning "no city", so tenant
code can never silently act on public data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tenants.db import connection
from tenants.models import City, CityStatus


class NoCityError(RuntimeError):
    """Tenant code ran while no city is active (public schema)."""


@dataclass(frozen=True)
class CityRef:
    id: int
    slug: str
    name: str
    schema_name: str
    status: str
    country: str
    default_language: str
    time_zone: str

    @classmethod
    def of(cls, city: City) -> CityRef:
        return cls(
            id=city.id,
            slug=city.slug,
            name=city.name,
            schema_name=city.schema_name,
            status=city.status,
            country=city.country,
            default_language=city.default_language,
            time_zone=city.time_zone,
        )


def current_city() -> CityRef:
    """The city whose schema is active. Raises NoCityError on the public schema."""
    tenant = getattr(connection, "tenant", None)
    if connection.schema_name == "public" or not isinstance(tenant, City):
        raise NoCityError("No city is active: this code must run inside a city (use tenants.context.in_city).")
    return CityRef.of(tenant)


@contextmanager
def in_city(*, city_id: int, city: City | None = None) -> Iterator[CityRef]:
    """Run the block in the schema of city ``city_id``; the previous schema comes back afterwards,
    even when the block raises. Pass ``city`` too when the caller holds the row (saves a query)."""
    previous_tenant: Any = getattr(connection, "tenant", None)
    previous_schema = connection.schema_name
    if city is None or city.pk != city_id:
        city = City.objects.get(pk=city_id)
    connection.set_tenant(city)
    try:
        yield CityRef.of(city)
    finally:
        _restore(previous_tenant, previous_schema)


@contextmanager
def in_public() -> Iterator[None]:
    """Run the block on the public schema (platform data), then restore the previous schema."""
    previous_tenant: Any = getattr(connection, "tenant", None)
    previous_schema = connection.schema_name
    connection.set_schema_to_public()
    try:
        yield
    finally:
        _restore(previous_tenant, previous_schema)


def _restore(tenant: Any, schema: str) -> None:
    if isinstance(tenant, City) and tenant.schema_name == schema:
        connection.set_tenant(tenant)
    elif schema == "public":
        connection.set_schema_to_public()
    else:
        connection.set_schema(schema)


def dangerously_all_cities(*, status: str | None = CityStatus.ACTIVE) -> list[CityRef]:
    """Every city (active ones by default). The name is a warning: callers cross city boundaries."""
    queryset = City.objects.all() if status is None else City.objects.filter(status=status)
    return [CityRef.of(city) for city in queryset.order_by("id")]


def fan_out(task: Any, *, kwargs: dict[str, Any] | None = None, jitter_seconds: float = 60.0) -> int:
    """Enqueue ``task`` once in every active city, spread over ``jitter_seconds`` so that a beat tick
    does not start N heavy jobs in the same second. Returns how many were enqueued.

    tenant-schemas-celery stamps each message with the schema active at send time, so the worker
    runs each copy inside its city.
    """
    count = 0
    for city in dangerously_all_cities():
        with in_city(city_id=city.id):
            countdown = random.uniform(0, jitter_seconds) if jitter_seconds > 0 else 0  # noqa: S311
            task.apply_async(kwargs=kwargs or {}, countdown=countdown)
        count += 1
    return count
