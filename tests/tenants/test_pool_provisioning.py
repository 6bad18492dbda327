"""Warm pool and provisioning jobs: claims, fallback, stale schemas, failures, retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from core.exceptions import ApplicationError
from tenants import pool, provisioning
from tenants.context import in_city
from tenants.models import City, Domain, JobStatus, PoolSchema, PoolSchemaStatus, ProvisioningJob


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def request(slug: str) -> ProvisioningJob:
    return provisioning.provisioning_request(slug=slug, name=slug.title(), admin_email=f"clerk@{slug}.example")


def test_claims_a_ready_schema_by_renaming_it(db: None) -> None:
    spare = pool.pool_build_one()
    job = request("epsilon")
    city = provisioning.provision(job_id=job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.used_pool is True and job.city_id == city.id
    assert [s["name"] for s in job.steps] == ["claim", "create"]
    assert job.steps[0]["schema"] == spare.schema_name
    assert not schema_exists(spare.schema_name) and schema_exists("city_epsilon")
    assert not PoolSchema.objects.filter(pk=spare.pk).exists()
    assert Domain.objects.get(tenant=city, is_primary=True).domain == "epsilon.fluicity.test"
    with in_city(city_id=city.id):
        admin = get_user_model().objects.get()
        assert admin.email == "clerk@epsilon.example" and admin.is_staff and not admin.has_usable_password()


def test_empty_pool_falls_back_to_building_a_schema(db: None) -> None:
    PoolSchema.objects.all().delete()
    job = request("zeta")
    city = provisioning.provision(job_id=job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.used_pool is False
    assert [s["name"] for s in job.steps] == ["claim", "build", "claim", "create"]
    assert schema_exists(city.schema_name)
    with in_city(city_id=city.id):
        assert get_user_model().objects.filter(email="clerk@zeta.example").exists()


def test_stale_pool_schema_is_never_handed_out_and_gets_migrated(db: None) -> None:
    PoolSchema.objects.all().delete()
    stale = pool.pool_build_one()
    PoolSchema.objects.filter(pk=stale.pk).update(migration_state="built-by-an-older-release")
    job = request("eta")
    provisioning.provision(job_id=job.id)
    job.refresh_from_db()
    assert stale.schema_name not in [s.get("schema") for s in job.steps]
    assert PoolSchema.objects.get(pk=stale.pk).migration_state == "built-by-an-older-release"
    assert schema_exists(stale.schema_name)

    report = pool.pool_refill(target=1)
    assert report.refreshed == 1 and report.built == 0
    refreshed = PoolSchema.objects.get(pk=stale.pk)
    assert refreshed.migration_state == pool.current_migration_state()
    assert pool.pool_ready_count() == 1


def test_failure_mid_provisioning_leaves_no_half_city_and_retry_succeeds(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    PoolSchema.objects.all().delete()
    spare = pool.pool_build_one()

    def broken_bootstrap(**kwargs: Any) -> None:
        raise RuntimeError("default themes could not be written")

    monkeypatch.setattr(provisioning, "_tenant_app_bootstraps", lambda: [broken_bootstrap])
    job = request("theta")
    with pytest.raises(RuntimeError):
        provisioning.provision(job_id=job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "default themes" in job.error
    assert job.steps[-1]["name"] == "create" and job.steps[-1]["status"] == "failed"
    assert not City.objects.filter(slug="theta").exists()
    assert not Domain.objects.filter(domain__startswith="theta.").exists()
    assert not schema_exists("city_theta")
    # The spare schema went back to the pool, untouched.
    assert PoolSchema.objects.get(pk=spare.pk).status == PoolSchemaStatus.READY and schema_exists(spare.schema_name)

    monkeypatch.undo()
    city = provisioning.provision(job_id=job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2 and job.city_id == city.id
    assert provisioning.provision(job_id=job.id).id == city.id  # running it again changes nothing
    assert City.objects.filter(slug="theta").count() == 1


def test_synchronous_creation_records_its_job_with_the_city_or_as_failed(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenants.services import city_create

    pool.pool_build_one()
    city = city_create(slug="iota", name="Iota", admin_email="clerk@iota.example")
    job = ProvisioningJob.objects.get(slug="iota")
    assert job.status == JobStatus.SUCCEEDED and job.city_id == city.id and job.used_pool
    assert [s["name"] for s in job.steps] == ["claim", "create"]

    pool.pool_build_one()

    def broken_bootstrap(**kwargs: Any) -> None:
        raise RuntimeError("roles could not be written")

    monkeypatch.setattr(provisioning, "_tenant_app_bootstraps", lambda: [broken_bootstrap])
    with pytest.raises(RuntimeError):
        city_create(slug="kappa", name="Kappa", admin_email="clerk@kappa.example")
    failed = ProvisioningJob.objects.get(slug="kappa")
    assert failed.status == JobStatus.FAILED and "roles" in failed.error and failed.city_id is None
    assert not City.objects.filter(slug="kappa").exists() and not schema_exists("city_kappa")
    monkeypatch.undo()
    retried = provisioning.provision(job_id=failed.id)  # the recorded failure can be retried
    assert retried.slug == "kappa"

    PoolSchema.objects.all().delete()  # empty pool: the synchronous creation builds a schema, then claims it
    city_create(slug="lambda", name="Lambda", admin_email="clerk@lambda.example")
    built = ProvisioningJob.objects.get(slug="lambda")
    assert built.status == JobStatus.SUCCEEDED and not built.used_pool
    assert [s["name"] for s in built.steps] == ["claim", "build", "claim", "create"]


def test_refill_tops_up_to_target_and_no_further(db: None) -> None:
    PoolSchema.objects.all().delete()
    first = pool.pool_refill(target=2)
    assert first.built == 2 and first.ready == 2
    second = pool.pool_refill(target=2)
    assert second.built == 0 and second.ready == 2


@pytest.mark.parametrize(
    ("slug", "field"), [("www", "slug"), ("alpha", "slug"), ("Bad Slug", "slug"), ("ok-slug", "language")]
)
def test_request_validation(db: None, slug: str, field: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        provisioning.provisioning_request(
            slug=slug, name="X", admin_email="a@b.example", language="xx" if field == "language" else "fr"
        )
    assert field in caught.value.fields


@pytest.fixture
def committed_pool(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[str]]:
    """Two ready spare schemas committed for real, so that separate connections can race for them."""
    with django_db_blocker.unblock():
        built = [pool.pool_build_one().schema_name for _ in range(2)]
        try:
            yield built
        finally:
            connection.set_schema_to_public()
            for name in built:
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            PoolSchema.objects.filter(schema_name__in=built).delete()


def test_two_concurrent_claims_never_get_the_same_schema(committed_pool: list[str], django_db_blocker: Any) -> None:
    barrier = threading.Barrier(2, timeout=20)
    claimed: list[str | None] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            with django_db_blocker.unblock(), transaction.atomic():
                claimed.append(pool.pool_claim())
                barrier.wait()  # both hold their claim at the same time
                raise _Rollback
        except _Rollback:
            pass
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(claimed) == 2 and None not in claimed
    assert claimed[0] != claimed[1]
    assert set(claimed) <= set(committed_pool) | set(PoolSchema.objects.values_list("schema_name", flat=True))


class _Rollback(Exception):
    pass


@pytest.fixture
def committed_job(django_db_setup: None, django_db_blocker: Any) -> Iterator[ProvisioningJob]:
    """A committed provisioning job (other sessions must see it), and everything it creates removed after."""
    with django_db_blocker.unblock():
        job = request("iota")
        try:
            yield job
        finally:
            from shared_apps.billing.models import Subscription

            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute('DROP SCHEMA IF EXISTS "city_iota" CASCADE')
            city = City.objects.filter(slug="iota").first()
            ProvisioningJob.objects.filter(pk=job.pk).delete()
            if city is not None:
                for subscription in Subscription.objects.filter(city=city):
                    subscription.events.all().delete()
                    subscription.delete()
                Domain.objects.filter(tenant=city).delete()
                City.objects.filter(pk=city.pk).delete()


def test_a_job_running_elsewhere_is_not_run_twice(committed_job: ProvisioningJob, django_db_blocker: Any) -> None:
    job = committed_job
    holding, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with django_db_blocker.unblock():
            other = connections["default"].copy()  # a second database session: another worker
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT id FROM tenants_provisioningjob WHERE id = %s FOR UPDATE", [job.id])
                holding.set()
                release.wait(20)
                cursor.execute("ROLLBACK")
            other.close()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    assert holding.wait(20)
    with django_db_blocker.unblock():
        try:
            with pytest.raises(provisioning.JobAlreadyRunning):
                provisioning.provision(job_id=job.id)
            from tenants.tasks import provision_city_task

            assert provision_city_task.run(job_id=job.id) is None
        finally:
            release.set()
            thread.join(20)
        assert not City.objects.filter(slug="iota").exists()
        city = provisioning.provision(job_id=job.id)
        assert city.slug == "iota"
        assert provisioning.provision(job_id=job.id).id == city.id


def test_sweeper_resends_stuck_jobs_only(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tenants.tasks import provision_city_task

    stuck, fresh, signup = request("kappa-stuck"), request("kappa-fresh"), request("kappa-signup")
    ProvisioningJob.objects.filter(pk=signup.pk).update(source=ProvisioningJob.Source.SIGNUP)
    old = timezone.now() - timedelta(minutes=10)
    ProvisioningJob.objects.filter(pk__in=[stuck.pk, signup.pk]).update(created_at=old)
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(provision_city_task, "apply_async", lambda **kw: sent.append(kw["kwargs"]))
    assert provisioning.provisioning_sweep() == 1
    assert sent == [{"job_id": stuck.id}]
    assert fresh.status == JobStatus.PENDING


def test_a_new_city_starts_on_a_billing_trial(db: None) -> None:
    from shared_apps.billing.interface import entitlements_for_city, subscription_for_city

    city = provisioning.provision(job_id=request("nu").id)
    subscription = subscription_for_city(city_id=city.id)
    assert subscription is not None and subscription.status == "trialing"
    assert entitlements_for_city(city_id=city.id).is_trial


def test_spare_schemas_are_prepared_by_tenant_apps_when_built(db: None) -> None:
    spare = pool.pool_build_one()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{spare.schema_name}".accounts_citysecret')
        assert cursor.fetchone() == (1,)  # the schema's own random salt, made before any city owns it
        cursor.execute(f'SELECT count(*) FROM "{spare.schema_name}".accounts_accountssettings')
        assert cursor.fetchone() == (1,)
    assert connection.schema_name == "public"
