"""Celery tasks: thin, take ids, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

# Retries after a transient SMTP failure: 1, 2, 4... minutes, at most an hour apart.
EMAIL_MAX_RETRIES = 8


def _email_retry_countdown(retries: int) -> int:
    return int(min(60 * 2**retries, 3600))


@shared_task(
    name="consultations.notifications_send_task",
    queue="email",
    acks_late=True,
    bind=True,
    max_retries=EMAIL_MAX_RETRIES,
)
def notifications_send_task(self: Any, *, notification_ids: list[int]) -> int:
    """Send a batch of immediate notifications (the unsent ones only: safe to run twice)."""
    from tenant_apps.consultations.services.notifications import TRANSIENT_ERRORS, send_batch

    try:
        return send_batch(notification_ids=notification_ids)
    except TRANSIENT_ERRORS as exc:
        if self.request.called_directly:
            raise
        raise self.retry(exc=exc, countdown=_email_retry_countdown(self.request.retries)) from exc


@shared_task(name="consultations.digest_send_task", queue="email", acks_late=True, bind=True, max_retries=3)
def digest_send_task(self: Any) -> int:
    """Beat, daily, in every city (tenants.fan_out_task): the digest emails (unsent ones only)."""
    from tenant_apps.consultations.services.notifications import TRANSIENT_ERRORS, digest_send

    try:
        return digest_send()
    except TRANSIENT_ERRORS as exc:
        if self.request.called_directly:
            raise
        raise self.retry(exc=exc, countdown=_email_retry_countdown(self.request.retries)) from exc


@shared_task(name="consultations.export_build_task", queue="heavy", acks_late=True)
def export_build_task(*, job_id: int) -> str:
    """Build a large export (a finished job is left alone; a failed or crashed one is rebuilt)."""
    from tenant_apps.consultations.models import ExportJob
    from tenant_apps.consultations.services.exports import export_job_build

    try:
        return export_job_build(job_id=job_id).status
    except ExportJob.DoesNotExist:  # deleted with its consultation meanwhile
        return "missing"


@shared_task(name="consultations.schedule_apply_task", acks_late=True)
def schedule_apply_task() -> int:
    """Beat, every 5 minutes, in every city: open and close consultations on their planned dates
    (each change re-checked under its row lock: safe to run twice). Returns how many changed."""
    from tenant_apps.consultations.services.consultations import consultations_schedule_apply

    return consultations_schedule_apply()


@shared_task(name="consultations.notifications_sweep_task", queue="email", acks_late=True)
def notifications_sweep_task() -> int:
    """Beat, every 10 minutes, in every city: send immediate notifications whose message was lost."""
    from tenant_apps.consultations.services.notifications import notifications_sweep

    return notifications_sweep()


@shared_task(name="consultations.exports_purge_task", acks_late=True)
def exports_purge_task() -> int:
    """Beat, daily, in every city: delete export files past their retention."""
    from tenant_apps.consultations.services.exports import exports_purge

    return exports_purge()
