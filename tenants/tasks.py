"""Platform-level periodic plumbing: fan a per-city task out to every active city."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import transaction

from tenants.context import fan_out, in_public
from tenants.db import connection


@shared_task(name="tenants.fan_out_task", acks_late=True)
def fan_out_task(*, task_name: str, kwargs: dict[str, Any] | None = None, jitter_seconds: float = 60.0) -> int:
    """Beat calls this with the name of a per-city task; it enqueues one copy per active city."""
    from fluicity.celery import app

    task = app.tasks[task_name]
    with in_public():
        return fan_out(task, kwargs=kwargs, jitter_seconds=jitter_seconds)


def enqueue_on_commit(task: Any, *, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
    """Enqueue ``task`` once the current transaction commits, in the city active *now*.

    The schema is captured at call time: by the time the transaction commits, the connection may
    have moved to another city, and the task must still run where its data was written.
    """
    schema = connection.schema_name
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs or {}, headers={"_schema_name": schema}, **options))


@shared_task(name="tenants.provision_city_task", queue="heavy", acks_late=True)
def provision_city_task(*, job_id: int) -> int | None:
    """Run a provisioning job (idempotent: a finished job is not redone). Returns the city id, or None
    when another worker is running the same job right now."""
    from tenants.provisioning import JobAlreadyRunning, provision

    with in_public():
        try:
            return provision(job_id=job_id).id
        except JobAlreadyRunning:
            return None


@shared_task(name="tenants.provisioning_sweep_task", acks_late=True)
def provisioning_sweep_task() -> int:
    """Beat: send again provisioning jobs whose message was lost or whose worker died."""
    from tenants.provisioning import provisioning_sweep

    with in_public():
        return provisioning_sweep()


@shared_task(name="tenants.pool_refill_task", queue="heavy", acks_late=True)
def pool_refill_task() -> dict[str, int]:
    """Top the warm pool up and migrate stale spare schemas (after each claim, and every few minutes)."""
    from tenants.pool import pool_refill

    with in_public():
        report = pool_refill()
    return {"built": report.built, "refreshed": report.refreshed, "dropped": report.dropped, "ready": report.ready}


@shared_task(name="tenants.city_export_task", queue="heavy", acks_late=True)
def city_export_task(*, export_id: int) -> str:
    """Build a city's export archive (idempotent: a finished export is not rebuilt)."""
    from tenants.operations import export_run

    with in_public():
        return export_run(export_id=export_id).status
