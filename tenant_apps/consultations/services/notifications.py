"""Notifications: one row per email owed, sent by Celery after the commit that created it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tenant_apps.consultations.models import DigestFrequency, Follow, Notification


def notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    consultation_id: int | None = None,
    contribution_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> list[Notification]:
    """Owe ``kind`` to each recipient (duplicates and None dropped). People who chose the daily digest
    for ``consultation_id`` get it in the digest; the others by email soon after the commit."""
    ids = sorted({i for i in recipient_ids if i is not None})
    if not ids:
        return []
    daily: set[int] = set()
    if consultation_id is not None:
        daily = set(
            Follow.objects.filter(
                consultation_id=consultation_id, user_id__in=ids, frequency=DigestFrequency.DAILY
            ).values_list("user_id", flat=True)
        )
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=i,
                kind=kind,
                consultation_id=consultation_id,
                contribution_id=contribution_id,
                payload=payload or {},
                digest=i in daily,
            )
            for i in ids
        ]
    )
    immediate = [n.pk for n in rows if not n.digest]
    if immediate:
        from tenant_apps.consultations import tasks
        from tenants.tasks import enqueue_on_commit

        enqueue_on_commit(tasks.notifications_send_task, kwargs={"notification_ids": immediate})
    return rows
