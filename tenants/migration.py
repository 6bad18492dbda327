"""Migration state of the code base and of schemas, and migrating one schema.

The *migration state* is a digest of the migrations on disk.
Recording it on every city (and pool schema) lets `city migrate` skip up-to-date cities with one query
for all of them, instead of loading each city's migration table.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache

from django.db import connections as db_connections
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors.base import run_migrations

from tenants.db import connection


@lru_cache(maxsize=1)
def current_migration_state() -> str:
    """Digest of every migration on disk (code, not city data: caching it per process is safe).

    All apps count, not only tenant apps: Django records every installed app's migrations in each
    schema it migrates (django-tenants' router turns the others into no-ops), so a new shared migration
    is also something each city schema has to record.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return hashlib.sha256(repr(sorted(loader.disk_migrations)).encode()).hexdigest()


def applied_migrations(schema_name: str) -> list[tuple[str, str]]:
    """The (app, name) pairs recorded in a schema's django_migrations table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return []
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations ORDER BY app, name')
        return [(app, name) for app, name in cursor.fetchall()]


@lru_cache(maxsize=1)
def _migrate_defaults() -> dict[str, object]:
    """Every option of Django's migrate command at its default, as the command line would give them."""
    from django_tenants.utils import get_tenant_base_migrate_command_class

    parser = get_tenant_base_migrate_command_class()().create_parser("manage.py", "migrate")
    defaults = vars(parser.parse_args([]))
    defaults.update(database="default", skip_checks=True)
    return defaults


def migrate_schema(schema_name: str, *, verbosity: int = 0) -> str:
    """Apply every pending tenant migration to ``schema_name``; returns what migrate printed.

    Runs on the current thread's connection and leaves it on the public schema.
    """
    output = io.StringIO()
    options = {**_migrate_defaults(), "verbosity": verbosity, "interactive": False, "stdout": output}
    previous = connection.schema_name
    try:
        run_migrations(args=[], options=options, executor_codename="fluicity", schema_name=schema_name)
    finally:
        if previous == "public":
            connection.set_schema_to_public()
        else:
            connection.set_schema(previous)
    return output.getvalue()


@dataclass(frozen=True)
class SchemaMigrationResult:
    slug: str
    schema_name: str
    status: str  # "migrated", "up to date" or "failed"
    seconds: float
    error: str = ""


def _migrate_in_worker(schema_name: str) -> tuple[str, bool, float, str]:
    """Runs in a forked worker process: its own database connection, failures reported, not raised."""
    started = time.perf_counter()
    try:
        migrate_schema(schema_name)
    except Exception as exc:  # noqa: BLE001 - one city's failure must not stop the others
        message = "".join(traceback.format_exception_only(exc)).strip()
        return schema_name, False, time.perf_counter() - started, message[:1000]
    return schema_name, True, time.perf_counter() - started, ""


def migrate_all_cities(
    *,
    workers: int = 2,
    force: bool = False,
    on_result: Callable[[SchemaMigrationResult], None] | None = None,
) -> list[SchemaMigrationResult]:
    """Migrate the public schema, then every city that is not at the code's migration state.

    Up-to-date cities are found with ONE query over the City table (their recorded migration state),
    not by opening each schema's catalogue. Cities migrate in ``workers`` forked processes; a failing
    city is reported and the others carry on. Raises only if the public schema fails.
    """
    from tenants.models import City

    migrate_schema("public")
    state = current_migration_state()
    cities = list(City.objects.order_by("id").values_list("slug", "schema_name", "migration_state"))
    results: list[SchemaMigrationResult] = []
    pending: dict[str, str] = {}
    for slug, schema_name, city_state in cities:
        if city_state == state and not force:
            result = SchemaMigrationResult(slug=slug, schema_name=schema_name, status="up to date", seconds=0.0)
            results.append(result)
            if on_result:
                on_result(result)
        else:
            pending[schema_name] = slug
    if not pending:
        return results

    # Forked children must not share the parent's sockets: close them; each side reconnects on use.
    db_connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context) as executor:
        futures = [executor.submit(_migrate_in_worker, schema_name) for schema_name in pending]
        for future in as_completed(futures):
            schema_name, ok, seconds, error = future.result()
            if ok:
                City.objects.filter(schema_name=schema_name).update(migration_state=state)
            result = SchemaMigrationResult(
                slug=pending[schema_name],
                schema_name=schema_name,
                status="migrated" if ok else "failed",
                seconds=round(seconds, 3),
                error=error,
            )
            results.append(result)
            if on_result:
                on_result(result)
    return results
