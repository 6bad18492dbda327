"""Daily usage metering: each city is asked, in its own schema, what it used on one day (UTC).

Tenant apps are asked through a hook found by name, never imported statically (shared code must not
depend on tenant apps): for each ``tenant_apps.*`` app in ``settings.TENANT_APPS``, ``<app>.interface``
is imported if it exists and its ``usage(*, period_start, period_end) -> dict[str, int]`` called if
defined. What the city schema holds already is counted here: participants (``core.User`` who logged in
during the day) and storage (the schema's tables plus its media folder).

Merging: ``contributions``, ``ballots`` and ``storage_bytes`` are summed over apps; ``participants`` is
the largest figure reported (apps count the same people), at least the logins.
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from core.registry import tenant_app_hooks
from shared_apps.billing.models import UsageRecord
from tenants.archive import city_media_root
from tenants.context import in_city
from tenants.db import connection

logger = logging.getLogger(__name__)

UsageHook = Callable[..., dict[str, int]]


def _usage_hooks() -> list[tuple[str, UsageHook]]:
    return tenant_app_hooks("interface", "usage")


def _schema_bytes(schema_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'm')",
            [schema_name],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _folder_bytes(path: Any) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total


def usage_measure(*, city_id: int, day: datetime.date) -> dict[str, Any]:
    """Measure one city's usage for ``day`` (no write)."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    end = start + datetime.timedelta(days=1)
    with in_city(city_id=city_id) as city:
        logins = get_user_model().objects.filter(last_login__gte=start, last_login__lt=end).count()
        details: dict[str, dict[str, int]] = {}
        for app, hook in _usage_hooks():
            reported = hook(period_start=start, period_end=end) or {}
            details[app] = {str(key): int(value) for key, value in reported.items()}
        database_bytes = _schema_bytes(city.schema_name)
        media_bytes = _folder_bytes(city_media_root(city.schema_name))
    apps = details.values()
    return {
        "participants_active": max([logins, *(d.get("participants", 0) for d in apps)]),
        "contributions": sum(d.get("contributions", 0) for d in apps),
        "ballots": sum(d.get("ballots", 0) for d in apps),
        "storage_bytes": database_bytes + media_bytes + sum(d.get("storage_bytes", 0) for d in apps),
        "details": {"apps": details, "database_bytes": database_bytes, "media_bytes": media_bytes, "logins": logins},
    }


def usage_collect(*, city_id: int, day: datetime.date) -> UsageRecord:
    """Store the city's usage for ``day`` once: a second run for the same day returns the first record
    unchanged (no re-measure, no update)."""
    existing = UsageRecord.objects.filter(city_id=city_id, day=day).first()
    if existing is not None:
        return existing
    measured = usage_measure(city_id=city_id, day=day)
    try:
        with transaction.atomic():
            return UsageRecord.objects.create(city_id=city_id, day=day, **measured)
    except IntegrityError:  # a concurrent run stored it first
        return UsageRecord.objects.get(city_id=city_id, day=day)
