"""Provisioning a city: a recorded job whose steps are visible, safe to retry, and never half done.

Everything that makes the city exists (schema rename, City, Domain, first admin, each tenant app's
bootstrap) commits in ONE transaction: PostgreSQL DDL is transactional, so a failure at any step rolls
the rename back and the spare schema returns to the pool. The only work outside that transaction is
building a spare schema when the pool is empty, and a spare schema is never an orphan: it is recorded
in the pool and used by the next provisioning.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.registry import tenant_app_hooks
from tenants import pool
from tenants.context import in_city
from tenants.db import connection
from tenants.migration import current_migration_state
from tenants.models import City, Domain, JobStatus, ProvisioningJob
from tenants.validators import schema_name_for_slug, validate_city_slug

logger = logging.getLogger(__name__)

MAX_POOL_ATTEMPTS = 3


class JobAlreadyRunning(ApplicationError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"The provisioning of “{slug}” is already running.", code="job_running", status_code=409)


def _tenant_app_bootstraps() -> list[Callable[..., None]]:
    """Each tenant app may expose ``interface.bootstrap(city=CityRef)``: default texts, roles, themes."""
    return [hook for _app, hook in tenant_app_hooks("interface", "bootstrap")]


def validate_new_city(*, slug: str, name: str, country: str, language: str, time_zone: str) -> None:
    """Raise ApplicationError (with per-field messages) unless a city with these values can be made."""
    errors: dict[str, list[str]] = {}
    try:
        validate_city_slug(slug)
    except ValidationError as exc:
        errors["slug"] = list(exc.messages)
    else:
        if City.objects.filter(slug=slug).exists():
            errors["slug"] = [f"The subdomain “{slug}” is taken."]
    if not name.strip():
        errors["name"] = ["A name is required."]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [f"Unsupported language “{language}”."]
    if not (len(country) == 2 and country.isalpha()):
        errors["country"] = ["Use an ISO 3166 code, e.g. FR."]
    from tenants.models import TIME_ZONE_CHOICES

    if time_zone not in dict(TIME_ZONE_CHOICES):
        errors["time_zone"] = [f"Unknown time zone “{time_zone}”."]
    if errors:
        first = next(iter(errors.values()))[0]
        code = "slug_taken" if "taken" in " ".join(errors.get("slug", [])) else "invalid"
        raise ApplicationError(first, code=code, fields=errors)


def provisioning_request(
    *,
    slug: str,
    name: str,
    admin_email: str,
    country: str = "FR",
    language: str = "fr",
    time_zone: str = "Europe/Paris",
    source: str = ProvisioningJob.Source.CLI,
    requested_by: str = "",
    record: bool = True,
) -> ProvisioningJob:
    """Validate and record a request to create a city. Run it with ``provision`` (or its task).

    ``record=False`` (synchronous creation, ``tenants.services.city_create``) returns the job unsaved:
    ``provision`` then records it in the very transaction that creates the city, or as failed after a
    failure; either way every run leaves its job row, with one commit fewer on the way."""
    slug = slug.strip().lower()
    country = country.strip().upper()
    validate_new_city(slug=slug, name=name, country=country, language=language, time_zone=time_zone)
    job = ProvisioningJob(
        public_id=uuid.uuid4(),
        slug=slug,
        name=name.strip(),
        country=country,
        language=language,
        time_zone=time_zone,
        admin_email=admin_email.strip().lower(),
        source=source,
        requested_by=requested_by,
    )
    if record:
        job.save(force_insert=True)
    return job


class _StepLog:
    """Collects the job's steps (name, label, status, timing, error). They are written with the job's
    status: in the transaction that creates the city on success, right after a failure, and before a
    slow step (building a schema) so the progress page shows it while it runs."""

    def __init__(self, job: ProvisioningJob) -> None:
        self.job = job

    @contextmanager
    def step(self, name: str, label: str) -> Iterator[dict[str, Any]]:
        entry: dict[str, Any] = {"name": name, "label": label, "status": "running", "at": timezone.now().isoformat()}
        self.job.steps = [*self.job.steps, entry]
        started = time.perf_counter()
        try:
            yield entry
        except BaseException as exc:
            entry["status"] = "failed"
            entry["error"] = str(exc)[:500]
            raise
        else:
            entry["status"] = "done"
        finally:
            entry["ms"] = round((time.perf_counter() - started) * 1000, 1)


def _create_city_in_schema(job: ProvisioningJob, schema_name: str) -> City:
    """Inside the provisioning transaction: the renamed schema becomes the city."""
    target = schema_name_for_slug(job.slug)
    pool.rename_schema(schema_name, target)
    city = City(
        schema_name=target,
        slug=job.slug,
        name=job.name,
        country=job.country,
        default_language=job.language,
        time_zone=job.time_zone,
        migration_state=current_migration_state(),
    )
    # The schema exists and is migrated: skip django-tenants' create-and-migrate step altogether.
    city.auto_create_schema = False
    city.save(verbosity=0)
    # bulk_create skips DomainMixin.save()'s "demote the other primary domains" savepoint and UPDATE: a new
    # city has no other domain. Routing is invalidated by the City save above.
    Domain.objects.bulk_create([Domain(domain=city.primary_host, tenant=city, is_primary=True)])
    with in_city(city_id=city.id, city=city) as ref:
        # No password (unusable): the contact sets it through the emailed link (a password-reset token).
        get_user_model().objects.create_user(email=job.admin_email, is_staff=True, is_superuser=True)
        for bootstrap in _tenant_app_bootstraps():
            bootstrap(city=ref)
    # Every new city starts on a trial (billing, public schema), in the same transaction.
    from shared_apps.billing.interface import subscription_start_trial

    subscription_start_trial(city_id=city.id, billing_email=job.admin_email, new_city=True)
    return city


def provision(*, job_id: int, job: ProvisioningJob | None = None) -> City:
    """Run (or resume) a provisioning job. Idempotent: a finished job returns its city; a job that another
    worker is running right now raises JobAlreadyRunning instead of running twice.

    The job row is locked (``FOR UPDATE NOWAIT``) by each transaction that may finish the job, so two
    runs never both create the city; a run that finds it locked backs off at once.
    """
    connection.set_schema_to_public()
    if job is None or (job.pk is not None and job.pk != job_id):
        job = ProvisioningJob.objects.get(pk=job_id)
    if job.status == JobStatus.SUCCEEDED and job.city_id:
        return City.objects.get(pk=job.city_id)
    started_at = timezone.now()
    attempts = job.attempts + 1
    log = _StepLog(job)
    used_pool = True
    city: City | None = None
    try:
        for _attempt in range(MAX_POOL_ATTEMPTS):
            # One transaction: claim, rename, City, Domain, admin, bootstraps and the job's success.
            with transaction.atomic():
                # An unrecorded job (synchronous creation) is invisible to other runs: nothing to lock.
                if job.pk is not None:
                    locked = _lock_job(job)
                    if locked.status == JobStatus.SUCCEEDED and locked.city_id:
                        return City.objects.get(pk=locked.city_id)  # another run finished it meanwhile
                with log.step("claim", "Reserve a ready database schema") as entry:
                    claimed = pool.pool_claim()
                    entry["schema"] = claimed
                if claimed is not None:
                    with log.step("create", "Create the city, its address, first admin and defaults"):
                        city = _create_city_in_schema(job, claimed)
                    _record(
                        job,
                        status=JobStatus.SUCCEEDED,
                        city=city,
                        used_pool=used_pool,
                        steps=job.steps,
                        attempts=attempts,
                        started_at=started_at,
                        finished_at=timezone.now(),
                        error="",
                    )
            if city is not None:
                break
            used_pool = False
            steps = job.steps
            _record(
                job,
                status=JobStatus.RUNNING,
                steps=[*steps, _building_step()],
                attempts=attempts,
                started_at=started_at,
            )
            # The stored "running" entry is for the progress page; the step log records the real one.
            job.steps = steps
            with log.step("build", "No schema ready: prepare one now (slower)"):
                pool.pool_build_one()
        if city is None:
            raise ApplicationError("Could not reserve a database schema; try again.", code="pool_exhausted")
    except JobAlreadyRunning:
        raise
    except Exception as exc:
        connection.set_schema_to_public()
        message = exc.message if isinstance(exc, ApplicationError) else str(exc)
        if isinstance(exc, IntegrityError) and "slug" in str(exc):
            message = f"The subdomain “{job.slug}” is taken."
        job.city = None  # a rolled-back city has no row
        _record(
            job,
            status=JobStatus.FAILED,
            error=message[:2000],
            steps=job.steps,
            attempts=attempts,
            started_at=started_at,
            finished_at=timezone.now(),
        )
        logger.exception("provisioning %s failed", job.slug)
        if isinstance(exc, IntegrityError) and "slug" in str(exc):
            raise ApplicationError(message, code="slug_taken") from exc
        raise
    from tenants.tasks import pool_refill_task

    transaction.on_commit(lambda: pool_refill_task.apply_async(headers={"_schema_name": "public"}))
    return city


def _record(job: ProvisioningJob, **fields: Any) -> None:
    """Write ``fields`` to the job's row: one UPDATE, or one INSERT of the whole job if not yet recorded."""
    if job.pk is None:
        for name, value in fields.items():
            setattr(job, name, value)
        job.save(force_insert=True)
    else:
        ProvisioningJob.objects.filter(pk=job.pk).update(**fields)


def _lock_job(job: ProvisioningJob) -> ProvisioningJob:
    try:
        return ProvisioningJob.objects.select_for_update(nowait=True).only("id", "status", "city_id").get(pk=job.pk)
    except OperationalError as exc:  # "could not obtain lock": another worker holds this job
        raise JobAlreadyRunning(job.slug) from exc


def _building_step() -> dict[str, Any]:
    return {
        "name": "build",
        "label": "No schema ready: prepare one now (slower)",
        "status": "running",
        "at": timezone.now().isoformat(),
    }


def provisioning_sweep(*, older_than_seconds: int = 120) -> int:
    """Send again the jobs that waited too long: their message was lost (broker down at commit) or their
    worker died. Running a job twice is safe (see ``provision``). Sign-up jobs are swept by onboarding,
    which also sends the sign-up's email. Returns how many were sent."""
    from tenants.tasks import provision_city_task

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stuck = ProvisioningJob.objects.filter(
        status__in=[JobStatus.PENDING, JobStatus.RUNNING], created_at__lt=cutoff
    ).exclude(source=ProvisioningJob.Source.SIGNUP)
    count = 0
    for job_id in stuck.values_list("id", flat=True):
        provision_city_task.apply_async(kwargs={"job_id": job_id}, headers={"_schema_name": "public"})
        count += 1
    return count
