#!/usr/bin/env python
"""Provisioning benchmark: how long creating one city takes, three ways, at 0 and at N existing cities.

Run from the repository root::

    .venv/bin/python benchmarks/bench_provisioning.py              # N=200, 15 samples per path and level
    .venv/bin/python benchmarks/bench_provisioning.py --quick      # N=20, 5 samples: a smoke run (< 1 min)

What is measured (every path does the same work: schema, ``<slug>.<BASE_DOMAIN>`` domain, first admin
in the city schema, each tenant app's ``interface.bootstrap``):

(a) ``migrate``: django-tenants' plain creation, ``City(...).save()`` with ``auto_create_schema``:
    ``CREATE SCHEMA`` then every tenant migration, then Domain, admin and bootstraps.
(b) ``clone``: django-tenants' clone path, ``TENANT_BASE_SCHEMA`` (a migrated template schema) with
    ``TENANT_CREATION_FAKES_MIGRATIONS = True``: its ``clone_schema()`` SQL function copies the template,
    migrations are faked, then Domain, admin and bootstraps.
(c) ``pool``: ours, ``tenants.services.city_create`` end to end: validation, the recorded job, claim of a
    warm pool schema (``FOR UPDATE SKIP LOCKED``), rename, City, Domain, admin, bootstraps in one
    transaction, step log, and the refill task enqueued on commit. The pool is refilled OUTSIDE the
    timed section, as in production where ``pool_refill_task`` runs off the request path.

Method:

- Nothing touches a developer's data: a throwaway database ``fluicity_bench_<pid>`` is created on the
  server named by ``DATABASE_URL`` and dropped at the end, even after a failure, Ctrl-C or SIGTERM.
  Redis is the server of ``REDIS_URL`` but database 14 with a per-run cache key prefix; the Celery
  broker is kombu's in-memory transport (nothing is queued anywhere, no worker runs).
- "Existing cities" is exact: at level L, every sample starts with exactly L cities (asserted), plus
  the warm pool (``--pool-size`` spare schemas, production's default 5), the clone template schema and
  ``public``. Each sample's city is deleted (schema dropped) right after it is timed, outside the timer.
  The three paths are interleaved (rotating order), so slow drift of the machine hits them alike.
- One untimed warm-up creation per path first (imports, migration graph, the clone function).
- Level N is reached by provisioning through the pool (``pool_refill(target=...)`` in batches, then
  ``city_create``); the fill time is reported.
- Time per creation is ``time.perf_counter`` around the call; p50 is the median, p95 the inclusive
  95th percentile (``statistics.quantiles``). With 15 samples p95 sits between the two slowest samples.
- No-op migrate over the N cities, every city up to date: ours, ``migrate_all_cities(workers=2)``
  (public, then one query over City.migration_state: median of 3 runs), against stock
  ``migrate_schemas`` (django-tenants' standard executor: public, then every schema, one run). Also
  ``migrate_all_cities(workers=2, force=True)`` (every schema opened and migrated; ``--no-force`` skips it).
- The pool path's own step log (``ProvisioningJob.steps``: claim, create) is summarised per level; "other"
  is the rest of ``city_create`` (validation, job rows, step-log writes, the enqueue on commit).

Caveats: a single 2-core machine with PostgreSQL on it (the database competes with Python for the CPU);
the Celery publish goes to memory, not Redis (a sub-millisecond round trip in production); cities hold
no data, which is how they start; ratios are only meaningful within one run.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fluicity"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
BENCH_REDIS_DB = 14
TEMPLATE_SCHEMA = "bench_template"
PATHS = ("migrate", "clone", "pool")
LABELS = {
    "migrate": "(a) django-tenants plain (migrations)",
    "clone": "(b) django-tenants clone (TENANT_BASE_SCHEMA)",
    "pool": "(c) fluicity warm pool (city_create)",
}


def log(message: str) -> None:
    """Progress goes to stderr; the report (table and summary line) goes to stdout."""
    print(message, file=sys.stderr, flush=True)


def percentile_95(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


@dataclass
class PathSamples:
    path: str
    level: int
    ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return percentile_95(self.ms)


@dataclass
class Report:
    cities: int
    samples: int
    pool_size: int
    levels: list[int] = field(default_factory=list)
    results: dict[tuple[str, int], PathSamples] = field(default_factory=dict)
    setup_s: float = 0.0
    fill_s: float = 0.0
    filled: int = 0
    noop_ours_s: float = 0.0
    noop_ours_runs: list[float] = field(default_factory=list)
    noop_force_s: float | None = None
    noop_stock_s: float = 0.0
    postgres: str = ""
    # Per level, the pool path's recorded steps (ProvisioningJob.steps): step name -> ms per sample.
    pool_steps: dict[int, dict[str, list[float]]] = field(default_factory=dict)


# --- Throwaway database and Django setup ---------------------------------------------------------


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """Create ``fluicity_bench_<pid>`` on the server of ``server_url``; yield its URL; always drop it."""
    import psycopg
    from psycopg import sql

    name = f"fluicity_bench_{os.getpid()}"
    admin_url = _with_path(server_url, "/postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"created throwaway database {name}")
    try:
        yield _with_path(server_url, f"/{name}")
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        log(f"dropped throwaway database {name}")


def configure_environment(database_url: str, pool_size: int) -> None:
    """Point the settings at the throwaway database BEFORE Django reads them."""
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = _with_path(redis_url, f"/{BENCH_REDIS_DB}")
    os.environ["CACHE_KEY_PREFIX"] = f"fluicity-bench-{os.getpid()}"
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["CELERY_RESULT_BACKEND"] = "cache+memory://"
    os.environ["SCHEMA_POOL_SIZE"] = str(pool_size)
    os.environ["DEBUG"] = "false"  # DEBUG keeps every query in memory: not what production does
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "fluicity.settings.local"
    for entry in (REPO_ROOT / "src", REPO_ROOT):
        if str(entry) not in sys.path:
            sys.path.append(str(entry))


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the throwaway database is dropped either way."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- The three creation paths and the cleanup (Django is set up from here on) -------------------


def _domain_admin_bootstrap(city: Any) -> None:
    """What our provisioning does after the schema, for the two stock paths: same work, same cost."""
    from django.contrib.auth import get_user_model

    from tenants.context import in_city
    from tenants.models import Domain
    from tenants.provisioning import _tenant_app_bootstraps

    Domain.objects.create(domain=city.primary_host, tenant=city, is_primary=True)
    with in_city(city_id=city.id) as ref:
        admin = get_user_model().objects.create_user(
            email=f"admin@{city.slug}.example", is_staff=True, is_superuser=True
        )
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
        for bootstrap in _tenant_app_bootstraps():
            bootstrap(city=ref)


def _stock_city(slug: str) -> None:
    from tenants.migration import current_migration_state
    from tenants.models import City
    from tenants.validators import schema_name_for_slug

    city = City(
        schema_name=schema_name_for_slug(slug),
        slug=slug,
        name=f"Bench {slug}",
        country="FR",
        migration_state=current_migration_state(),
    )
    city.save(verbosity=0)  # auto_create_schema: django-tenants creates (or clones) the schema here
    _domain_admin_bootstrap(city)


def create_migrate(slug: str) -> None:
    _stock_city(slug)


def create_clone(slug: str) -> None:
    _stock_city(slug)  # the caller switched TENANT_BASE_SCHEMA / TENANT_CREATION_FAKES_MIGRATIONS on


def create_pool(slug: str) -> None:
    from tenants.services import city_create

    city_create(slug=slug, name=f"Bench {slug}", admin_email=f"admin@{slug}.example")


@contextmanager
def clone_settings() -> Iterator[None]:
    from django.test import override_settings

    with override_settings(TENANT_BASE_SCHEMA=TEMPLATE_SCHEMA, TENANT_CREATION_FAKES_MIGRATIONS=True):
        yield


@contextmanager
def no_settings() -> Iterator[None]:
    yield


CREATORS: dict[str, tuple[Callable[[str], None], Callable[[], Any]]] = {
    "migrate": (create_migrate, no_settings),
    "clone": (create_clone, clone_settings),
    "pool": (create_pool, no_settings),
}


def pool_step_times(slug: str, total_ms: float) -> dict[str, float]:
    """The job's own step timings for a pool creation, and the rest of the call (request, job, enqueue)."""
    from tenants.models import ProvisioningJob

    job = ProvisioningJob.objects.get(slug=slug)
    steps = {str(step["name"]): float(step.get("ms", 0.0)) for step in job.steps}
    steps["other"] = total_ms - sum(steps.values())
    return steps


def discard_city(slug: str) -> None:
    """Drop a measured city (schema, City, Domain, job), so the next sample sees the same count.

    Plain SQL rather than ``City.delete()``: Django's collector would query every model related to City,
    so the benchmark would depend on unrelated apps. A row elsewhere still pointing at the city makes
    the DELETE fail loudly (foreign keys), rather than leaving anything behind.
    """
    from django.db import transaction

    from shared_apps.billing.models import Subscription, SubscriptionEvent
    from tenants.db import connection
    from tenants.models import City, Domain, ProvisioningJob

    connection.set_schema_to_public()
    city_id, schema_name = City.objects.values_list("id", "schema_name").get(slug=slug)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{schema_name}" CASCADE')
        cursor.execute(f'DELETE FROM "{Domain._meta.db_table}" WHERE tenant_id = %s', [city_id])
        cursor.execute(f'DELETE FROM "{ProvisioningJob._meta.db_table}" WHERE slug = %s', [slug])
        # Provisioning starts a billing trial: its subscription and events go with the measured city.
        cursor.execute(
            f'DELETE FROM "{SubscriptionEvent._meta.db_table}" WHERE subscription_id IN '
            f'(SELECT id FROM "{Subscription._meta.db_table}" WHERE city_id = %s)',
            [city_id],
        )
        cursor.execute(f'DELETE FROM "{Subscription._meta.db_table}" WHERE city_id = %s', [city_id])
        cursor.execute(f'DELETE FROM "{City._meta.db_table}" WHERE id = %s', [city_id])


def city_count() -> int:
    from tenants.models import City

    return City.objects.count()


def top_up_pool(pool_size: int) -> None:
    from tenants.pool import pool_refill

    report = pool_refill(target=pool_size)
    if report.skipped_locked or report.ready < pool_size:
        raise RuntimeError(f"pool refill failed: {report}")


def timed_creation(path: str, slug: str) -> float:
    create, settings_cm = CREATORS[path]
    with settings_cm():
        started = time.perf_counter()
        create(slug)
        elapsed = time.perf_counter() - started
    return elapsed * 1000


# --- Phases --------------------------------------------------------------------------------------


def setup_database() -> float:
    """Public schema, the clone template, and a warm pool; returns seconds."""
    from django.core.management import call_command

    from tenants.db import connection
    from tenants.migration import migrate_schema

    started = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{TEMPLATE_SCHEMA}"')
    migrate_schema(TEMPLATE_SCHEMA)
    return time.perf_counter() - started


def warm_up(pool_size: int) -> None:
    for path in PATHS:
        if path == "pool":
            top_up_pool(pool_size)
        slug = f"warm-{path}"
        timed_creation(path, slug)
        discard_city(slug)


def measure_level(report: Report, level: int) -> None:
    run = uuid.uuid4().hex[:6]
    for path in PATHS:
        report.results[(path, level)] = PathSamples(path=path, level=level)
    for i in range(report.samples):
        shift = i % len(PATHS)
        for path in PATHS[shift:] + PATHS[:shift]:
            if path == "pool":
                top_up_pool(report.pool_size)  # refill is off the request path by design
            existing = city_count()
            if existing != level:
                raise RuntimeError(f"expected {level} existing cities before a sample, found {existing}")
            slug = f"s{level}-{path}-{i}-{run}"
            ms = timed_creation(path, slug)
            report.results[(path, level)].ms.append(ms)
            if path == "pool":
                for step, step_ms in pool_step_times(slug, ms).items():
                    report.pool_steps.setdefault(level, {}).setdefault(step, []).append(step_ms)
            discard_city(slug)
        log(
            f"  level {level} sample {i + 1}/{report.samples}: "
            + ", ".join(f"{p} {report.results[(p, level)].ms[-1]:.1f} ms" for p in PATHS)
        )
    report.levels.append(level)


def fill_to(target: int, batch: int, pool_size: int) -> tuple[int, float]:
    """Provision cities through the pool until ``target`` exist; returns (created, seconds)."""
    from tenants.pool import pool_refill
    from tenants.services import city_create

    started = time.perf_counter()
    created = 0
    while (existing := city_count()) < target:
        step = min(batch, target - existing)
        pool_refill(target=step)
        for _ in range(step):
            slug = f"city-{existing + 1:04d}"
            city_create(slug=slug, name=f"City {existing + 1}", admin_email=f"admin@{slug}.example")
            existing += 1
            created += 1
        log(f"  filled {existing}/{target} cities ({time.perf_counter() - started:.0f} s)")
    top_up_pool(pool_size)
    return created, time.perf_counter() - started


def measure_noop_migrate(report: Report, force: bool) -> None:
    from django.core.management import call_command

    from tenants.db import connection
    from tenants.migration import migrate_all_cities

    runs = []
    for _ in range(3):
        connection.set_schema_to_public()
        started = time.perf_counter()
        results = migrate_all_cities(workers=2)
        runs.append(time.perf_counter() - started)
        statuses = {r.status for r in results}
        if len(results) != report.cities or statuses != {"up to date"}:
            raise RuntimeError(f"no-op migrate was not a no-op: {len(results)} cities, statuses {statuses}")
    report.noop_ours_runs = runs
    report.noop_ours_s = statistics.median(runs)
    log(f"  ours: {', '.join(f'{r:.3f}' for r in runs)} s")

    if force:
        connection.set_schema_to_public()
        started = time.perf_counter()
        results = migrate_all_cities(workers=2, force=True)
        report.noop_force_s = time.perf_counter() - started
        failed = [r for r in results if r.status == "failed"]
        if failed:
            raise RuntimeError(f"forced migrate failed for {len(failed)} cities: {failed[0].error}")
        log(f"  ours --force: {report.noop_force_s:.1f} s")

    connection.set_schema_to_public()
    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    report.noop_stock_s = time.perf_counter() - started
    log(f"  stock migrate_schemas: {report.noop_stock_s:.1f} s")


def run(report: Report, fill_batch: int, force: bool) -> None:
    import django

    django.setup()
    from django.db import connection as raw_connection

    with raw_connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
        report.postgres = str(row[0]) if row else "?"

    log("setup: public schema, clone template, warm pool")
    report.setup_s = setup_database()
    top_up_pool(report.pool_size)
    warm_up(report.pool_size)

    log("measuring at 0 existing cities")
    measure_level(report, 0)

    log(f"filling to {report.cities} cities through the pool")
    report.filled, report.fill_s = fill_to(report.cities, fill_batch, report.pool_size)

    log(f"measuring at {report.cities} existing cities")
    measure_level(report, report.cities)

    log(f"no-op migrate over {report.cities} up-to-date cities")
    measure_noop_migrate(report, force)


# --- Output --------------------------------------------------------------------------------------


def ratio(slow: float, fast: float) -> float:
    return slow / fast if fast > 0 else float("inf")


def print_report(report: Report, total_s: float) -> None:
    n = report.cities
    print(
        f"Provisioning benchmark: PostgreSQL {report.postgres}, {os.cpu_count()} CPUs, "
        f"{report.samples} samples per path and level, warm pool of {report.pool_size}"
    )
    print(
        "Each path: schema + domain + first admin + app bootstraps. 'existing' = cities present when each "
        "sample starts (exact;\nthe measured city is deleted after each sample). Pool refill runs outside "
        "the timed section (off the request path by design)."
    )
    print()
    header = f"{'path':<48} {'existing':>8} {'n':>3} {'p50 ms':>9} {'p95 ms':>9} {'x vs migrate p50':>17} {'p95':>8}"
    print(header)
    print("-" * len(header))
    for level in report.levels:
        base = report.results[("migrate", level)]
        for path in PATHS:
            s = report.results[(path, level)]
            print(
                f"{LABELS[path]:<48} {level:>8} {len(s.ms):>3} {s.p50:>9.1f} {s.p95:>9.1f} "
                f"{ratio(base.p50, s.p50):>16.1f}x {ratio(base.p95, s.p95):>7.1f}x"
            )
    print()
    for level, steps in report.pool_steps.items():
        parts = ", ".join(f"{name} {statistics.median(values):.1f}" for name, values in steps.items())
        print(f"pool path at {level} cities, median ms per step: {parts}")
    print(f"setup (public schema, template, pool): {report.setup_s:.1f} s")
    print(f"fill to {n} cities through the pool: {report.filled} cities in {report.fill_s:.1f} s")
    runs = ", ".join(f"{r:.3f}" for r in report.noop_ours_runs)
    print(
        f"no-op migrate over {n} cities: ours migrate_all_cities(workers=2) {report.noop_ours_s:.3f} s "
        f"(median of {runs}); stock migrate_schemas {report.noop_stock_s:.2f} s "
        f"({ratio(report.noop_stock_s, report.noop_ours_s):.0f}x)"
    )
    if report.noop_force_s is not None:
        print(f"  ours with --force (every schema migrated, 2 workers): {report.noop_force_s:.2f} s")
    pool = report.results[("pool", n)]
    clone = report.results[("clone", n)]
    migrate = report.results[("migrate", n)]
    speedup = ratio(migrate.p95, pool.p95)
    print(
        f"targets at {n} cities: pool p95 < 50 ms: {'met' if pool.p95 < 50 else 'NOT met'} ({pool.p95:.1f} ms); "
        f"pool >= 100x migrate (p95/p95): {'met' if speedup >= 100 else 'NOT met'} ({speedup:.0f}x)"
    )
    print(f"total run time: {total_s:.0f} s")
    print(
        f"provisioning cities={n} pool_p50_ms={pool.p50:.1f} pool_p95_ms={pool.p95:.1f} "
        f"clone_p95_ms={clone.p95:.1f} migrate_p95_ms={migrate.p95:.1f} ratio_vs_migrate={speedup:.0f} "
        f"noop_migrate_s={report.noop_ours_s:.3f} stock_noop_migrate_s={report.noop_stock_s:.2f}"
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cities", type=int, default=None, help="existing cities at the second level (200)")
    parser.add_argument("--samples", type=int, default=None, help="creations per path and level (15)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 cities, 5 samples")
    parser.add_argument("--pool-size", type=int, default=5, help="warm pool kept ready (production default 5)")
    parser.add_argument("--fill-batch", type=int, default=25, help="pool schemas built per fill batch")
    parser.add_argument(
        "--no-force", dest="force", action="store_false", help="skip timing migrate_all_cities(force=True)"
    )
    args = parser.parse_args(list(argv))
    args.cities = args.cities if args.cities is not None else (20 if args.quick else 200)
    args.samples = args.samples if args.samples is not None else (5 if args.quick else 15)
    if args.cities < 1 or args.samples < 1 or args.pool_size < 1 or args.fill_batch < 1:
        parser.error("--cities, --samples, --pool-size and --fill-batch must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from django.conf import settings

    if settings.configured:
        log("Django is already configured in this process: refusing to run (it must own a throwaway database).")
        return 2
    started = time.perf_counter()
    report = Report(cities=args.cities, samples=args.samples, pool_size=args.pool_size)
    server_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        with sigterm_as_interrupt(), throwaway_database(server_url) as database_url:
            configure_environment(database_url, args.pool_size)
            run(report, args.fill_batch, args.force)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print_report(report, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
