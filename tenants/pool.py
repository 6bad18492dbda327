"""The warm pool: spare schemas migrated ahead of time, claimed by a rename in milliseconds.

Migrating a new schema takes the better part of a second and grows with every migration; renaming a
ready one takes a few milliseconds. Provisioning claims a ready schema inside its own transaction
(``SELECT ... FOR UPDATE SKIP LOCKED``: two claims never get the same schema, and neither waits for the
other); ``pool_refill_task`` builds replacements off the request path. A schema built at another
migration state than the code's is never handed out: the refill migrates it (or drops it if that fails).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.registry import tenant_app_hooks
from tenants.db import connection
from tenants.migration import current_migration_state, migrate_schema
from tenants.models import PoolSchema, PoolSchemaStatus

logger = logging.getLogger(__name__)

POOL_PREFIX = "pool_"
# Any 64-bit constant: serialises refills across processes (pg_try_advisory_lock is per session).
_REFILL_LOCK_KEY = 0x466C7569_506F6F6C


def pool_target_size() -> int:
    return int(getattr(settings, "SCHEMA_POOL_SIZE", 2))


def _drop_schema(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')


def pool_build_one() -> PoolSchema:
    """Create one spare schema, migrate it, and mark it ready. On failure nothing is left behind."""
    connection.set_schema_to_public()
    entry = PoolSchema.objects.create(schema_name=f"{POOL_PREFIX}{uuid.uuid4().hex[:16]}")
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{entry.schema_name}"')
        migrate_schema(entry.schema_name)
        _prepare(entry.schema_name)
    except Exception:
        logger.exception("pool: building %s failed", entry.schema_name)
        connection.set_schema_to_public()
        _drop_schema(entry.schema_name)
        PoolSchema.objects.filter(pk=entry.pk).delete()
        raise
    entry.status = PoolSchemaStatus.READY
    entry.migration_state = current_migration_state()
    entry.build_ms = int((time.perf_counter() - started) * 1000)
    entry.ready_at = timezone.now()
    entry.save(update_fields=["status", "migration_state", "build_ms", "ready_at"])
    return entry


def _prepare(schema_name: str) -> None:
    """Run the tenant apps' ``interface.prepare_schema()``: rows every city needs that depend on no city
    (secrets, singleton settings). Done here, off the request path, so that claiming stays a rename."""
    hooks = tenant_app_hooks("interface", "prepare_schema")
    if not hooks:
        return
    connection.set_schema(schema_name)
    try:
        for _app, prepare in hooks:
            prepare()
    finally:
        connection.set_schema_to_public()


def pool_claim() -> str | None:
    """Take a ready, current pool schema for the caller's transaction; None when the pool is empty.

    Must run inside ``transaction.atomic``: the row lock and the deletion commit (or roll back) with
    the rest of the provisioning, so a failed provisioning gives the schema back to the pool.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("pool_claim() must run inside the provisioning transaction")
    entry = (
        PoolSchema.objects.select_for_update(skip_locked=True)
        .filter(status=PoolSchemaStatus.READY, migration_state=current_migration_state())
        .order_by("id")
        .first()
    )
    if entry is None:
        return None
    entry.delete()
    return entry.schema_name


@dataclass(frozen=True)
class RefillReport:
    built: int
    refreshed: int
    dropped: int
    ready: int
    skipped_locked: bool = False


def _refresh_stale() -> tuple[int, int]:
    """Bring ready schemas built at an older migration state up to date; drop those that fail."""
    refreshed = dropped = 0
    state = current_migration_state()
    for entry in PoolSchema.objects.filter(status=PoolSchemaStatus.READY).exclude(migration_state=state):
        try:
            migrate_schema(entry.schema_name)
        except Exception:
            logger.exception("pool: %s could not be migrated; dropping it", entry.schema_name)
            connection.set_schema_to_public()
            _drop_schema(entry.schema_name)
            entry.delete()
            dropped += 1
            continue
        PoolSchema.objects.filter(pk=entry.pk).update(migration_state=state)
        refreshed += 1
    return refreshed, dropped


def _drop_abandoned_builds(max_age_seconds: int = 3600) -> int:
    """A worker killed mid-build leaves a 'building' row; after an hour it is certainly dead."""
    dropped = 0
    cutoff = timezone.now() - timedelta(seconds=max_age_seconds)
    for entry in PoolSchema.objects.filter(status=PoolSchemaStatus.BUILDING, created_at__lt=cutoff):
        _drop_schema(entry.schema_name)
        entry.delete()
        dropped += 1
    return dropped


def pool_refill(*, target: int | None = None) -> RefillReport:
    """Top the pool up to ``target`` ready, current schemas. One refill at a time across processes."""
    target = pool_target_size() if target is None else target
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFILL_LOCK_KEY])
        row = cursor.fetchone()
    if not (row and row[0]):
        return RefillReport(built=0, refreshed=0, dropped=0, ready=pool_ready_count(), skipped_locked=True)
    try:
        dropped = _drop_abandoned_builds()
        refreshed, stale_dropped = _refresh_stale()
        built = 0
        while pool_ready_count() < target:
            pool_build_one()
            built += 1
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK_KEY])
    return RefillReport(built=built, refreshed=refreshed, dropped=dropped + stale_dropped, ready=pool_ready_count())


def pool_ready_count() -> int:
    return PoolSchema.objects.filter(status=PoolSchemaStatus.READY, migration_state=current_migration_state()).count()


def rename_schema(old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{old}" RENAME TO "{new}"')
