"""Celery tasks of accounts: thin, take ids, idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accounts.data_export_build_task", queue="heavy", acks_late=True)
def data_export_build_task(*, export_id: int) -> str | None:
    from tenant_apps.accounts.gdpr import export_build

    export = export_build(export_id=export_id)
    return export.status if export is not None else None


@shared_task(name="accounts.unverified_purge_task", acks_late=True)
def unverified_purge_task() -> int:
    """Per city (beat -> tenants.fan_out_task): delete unconfirmed accounts past the retention age."""
    from tenant_apps.accounts.gdpr import unverified_purge

    return unverified_purge()
