"""Celery tasks: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="consultations.notifications_send_task", queue="email", acks_late=True)
def notifications_send_task(*, notification_ids: list[int]) -> int:
    from tenant_apps.consultations.services.notifications import send_batch

    return send_batch(notification_ids=notification_ids)
