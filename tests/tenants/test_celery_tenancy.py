"""Tasks run in the city that enqueued them, on a real worker consuming the real Redis broker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from fluicity.celery import app as celery_app
from tenants.context import current_city, fan_out, in_city
from tenants.models import City
from tenants.tasks import enqueue_on_commit


@celery_app.task(name="tests.report_city_task")
def report_city_task(*, run_id: str, seq: int) -> dict[str, Any]:
    city = current_city()
    admins = sorted(get_user_model().objects.filter(is_superuser=True).values_list("email", flat=True))
    record = f"{seq}:{city.slug}:{connection.schema_name}:{','.join(admins)}"
    redis.Redis.from_url(settings.REDIS_URL).rpush(run_id, record)
    return {"seq": seq, "slug": city.slug, "schema": connection.schema_name, "admins": admins}


@pytest.fixture(scope="module")
def worker(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with (
        django_db_blocker.unblock(),
        start_worker(celery_app, pool="solo", perform_ping_check=False, queues=["default"], shutdown_timeout=20),
    ):
        yield


def _records(run_id: str, expected: int, timeout: float = 30.0) -> list[str]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.llen(run_id) >= expected:
            break
        time.sleep(0.05)
    return [r.decode() for r in client.lrange(run_id, 0, -1)]


@pytest.mark.django_db(transaction=False)
def test_tasks_run_in_the_city_that_enqueued_them_interleaved(worker: None, alpha: City, beta: City) -> None:
    run_id = f"run-{uuid.uuid4()}"
    results = []
    for seq in range(20):
        city = alpha if seq % 2 == 0 else beta
        with in_city(city_id=city.id):
            results.append((city.slug, report_city_task.apply_async(kwargs={"run_id": run_id, "seq": seq})))
    for slug, result in results:
        outcome = result.get(timeout=30)
        assert outcome["slug"] == slug
        assert outcome["schema"] == f"city_{slug}"
        assert outcome["admins"] == [f"admin@{slug}.example"]  # read from that city's own tables
    records = _records(run_id, 20)
    assert len(records) == 20


def test_fan_out_reaches_every_active_city_once(worker: None, alpha: City, beta: City) -> None:
    beta.status = "suspended"
    beta.save(update_fields=["status"])
    run_id = f"run-{uuid.uuid4()}"
    count = fan_out(report_city_task, kwargs={"run_id": run_id, "seq": 0}, jitter_seconds=0)
    active = City.objects.active().count()
    assert count == active
    records = _records(run_id, active)
    slugs = sorted(r.split(":")[1] for r in records)
    assert "alpha" in slugs and "beta" not in slugs
    assert len(slugs) == len(set(slugs)) == active
    assert connection.schema_name == "public"


def test_enqueue_on_commit_waits_for_commit_and_keeps_the_city(
    worker: None, alpha: City, beta: City, django_capture_on_commit_callbacks: Any
) -> None:
    run_id = f"run-{uuid.uuid4()}"
    with django_capture_on_commit_callbacks(execute=False) as callbacks, in_city(city_id=alpha.id):
        enqueue_on_commit(report_city_task, kwargs={"run_id": run_id, "seq": 1})
    assert len(callbacks) == 1
    time.sleep(0.3)
    assert _records(run_id, 1, timeout=0.2) == []  # nothing sent before the commit
    with in_city(city_id=beta.id):  # the connection has moved on by the time the commit happens
        callbacks[0]()
    records = _records(run_id, 1)
    assert records and records[0].startswith("1:alpha:city_alpha:")


def test_public_task_runs_in_public(worker: None, db: None) -> None:
    from tenants.tasks import fan_out_task

    run_id = f"run-{uuid.uuid4()}"
    result = fan_out_task.apply_async(
        kwargs={"task_name": "tests.report_city_task", "kwargs": {"run_id": run_id, "seq": 7}, "jitter_seconds": 0}
    )
    count = result.get(timeout=30)
    assert count == City.objects.active().count() >= 2
    slugs = {r.split(":")[1] for r in _records(run_id, count)}
    assert {"alpha", "beta"} <= slugs
