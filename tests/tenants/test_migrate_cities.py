"""`city migrate`: public first, then cities in parallel; up-to-date ones skipped; failures isolated."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tenants.migration import current_migration_state
from tenants.models import City, Domain
from tenants.services import city_create


@pytest.fixture
def committed_broken_city(django_db_setup: None, django_db_blocker: Any) -> Iterator[City]:
    """A real (committed) city whose migration table lies: migrate will try to recreate its tables."""
    with django_db_blocker.unblock():
        city = city_create(slug="broken", name="Broken", admin_email="a@broken.example")
        with connection.cursor() as cursor:
            cursor.execute('DELETE FROM "city_broken".django_migrations WHERE app = %s', ["authtoken"])
        try:
            yield city
        finally:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute('DROP SCHEMA IF EXISTS "city_broken" CASCADE')
            Domain.objects.filter(tenant_id=city.id).delete()
            City.objects.filter(id=city.id).delete()
            City.objects.exclude(migration_state=current_migration_state()).update(
                migration_state=current_migration_state()
            )


def test_failing_city_is_reported_and_the_others_migrate(committed_broken_city: City, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        City.objects.all().update(migration_state="")  # every city needs migrating
        out, err = StringIO(), StringIO()
        with pytest.raises(CommandError, match="1 failed: broken"):
            call_command("city", "migrate", "--workers", "2", stdout=out, stderr=err)
        lines = out.getvalue().splitlines()
        assert lines[0].split()[:3] == ["city", "schema", "result"]
        by_city = {line.split()[0]: line for line in lines[1:]}
        assert {"alpha", "beta", "broken"} <= set(by_city), out.getvalue()
        assert "failed" in by_city["broken"] and "already exists" in by_city["broken"]
        assert "migrated" in by_city["alpha"] and "migrated" in by_city["beta"]
        states = dict(City.objects.values_list("slug", "migration_state"))
        assert states["alpha"] == states["beta"] == current_migration_state()
        assert states["broken"] == ""


def test_up_to_date_cities_are_skipped(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        City.objects.all().update(migration_state=current_migration_state())
        out = StringIO()
        call_command("city", "migrate", stdout=out, stderr=StringIO())
        text = out.getvalue()
        assert "0 migrated" in text and "0 failed" in text
        assert all("up to date" in line for line in text.splitlines()[1:-1])
