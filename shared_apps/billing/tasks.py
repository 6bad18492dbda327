"""Billing's periodic work. Every task runs on the public schema, takes ids or ISO dates, and is safe
to run twice (see each service). Beat entries: docs/billing.md."""

from __future__ import annotations

import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from tenants.context import dangerously_all_cities, in_public


def _day(value: str | None, *, default_offset: int = 0) -> datetime.date:
    if value:
        return datetime.date.fromisoformat(value)
    return timezone.localdate() - datetime.timedelta(days=default_offset)


@shared_task(name="billing.usage_collect_dispatch_task", queue="default", acks_late=True)
def usage_collect_dispatch_task(*, day: str | None = None) -> int:
    """Enqueue one usage collection per active city for ``day`` (default: yesterday, UTC)."""
    target = _day(day, default_offset=1).isoformat()
    count = 0
    with in_public():
        for city in dangerously_all_cities():
            usage_collect_task.apply_async(
                kwargs={"city_id": city.id, "day": target}, headers={"_schema_name": "public"}
            )
            count += 1
    return count


@shared_task(name="billing.usage_collect_task", queue="default", acks_late=True)
def usage_collect_task(*, city_id: int, day: str) -> int:
    from shared_apps.billing.services import usage_collect

    with in_public():
        return usage_collect(city_id=city_id, day=datetime.date.fromisoformat(day)).pk


@shared_task(name="billing.invoices_generate_task", queue="default", acks_late=True)
def invoices_generate_task(*, day: str | None = None) -> int:
    from shared_apps.billing.services import invoices_generate_due

    with in_public():
        return invoices_generate_due(on=_day(day))


@shared_task(name="billing.trials_expire_task", queue="default", acks_late=True)
def trials_expire_task(*, day: str | None = None) -> dict[str, int]:
    from shared_apps.billing.services import trials_expire

    with in_public():
        return trials_expire(on=_day(day))


@shared_task(name="billing.dunning_task", queue="default", acks_late=True)
def dunning_task(*, day: str | None = None) -> dict[str, int]:
    from shared_apps.billing.services import dunning_run

    with in_public():
        return dunning_run(on=_day(day))


@shared_task(name="billing.overdue_reminders_task", queue="default", acks_late=True)
def overdue_reminders_task(*, day: str | None = None) -> int:
    """Queue reminder emails (sent by core.send_mail_task on the ``email`` queue)."""
    from shared_apps.billing.services.reminders import overdue_reminders_send

    with in_public():
        return overdue_reminders_send(on=_day(day))


@shared_task(name="billing.provider_payment_confirm_task", queue="default", acks_late=True)
def provider_payment_confirm_task(*, provider_payment_id: str) -> Any:
    from shared_apps.billing.services import payment_confirm_from_provider

    with in_public():
        payment = payment_confirm_from_provider(provider_payment_id=provider_payment_id)
    return payment.pk if payment else None
