"""Deleting a city: refused while it owes money; afterwards its invoices stay, detached."""

from __future__ import annotations

import pytest

from core.exceptions import ApplicationError
from shared_apps.billing.models import Invoice, InvoiceStatus, Subscription, SubscriptionStatus
from shared_apps.billing.services.payments import payment_record
from tenants import operations
from tenants.models import City
from tenants.services import city_create
from tests.shared_apps.billing.conftest import active_subscription


def test_city_with_unpaid_invoice_cannot_be_deleted_then_can(db: None, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    city = city_create(slug="xi", name="Xi", admin_email="a@xi.example")
    Subscription.objects.filter(city=city).delete()  # replace the provisioning trial with a billed one
    subscription = active_subscription(city)
    invoice = Invoice.objects.get(subscription=subscription)
    assert invoice.status == InvoiceStatus.OPEN
    export = operations.export_run(export_id=operations.export_request(city=city, requested_by="ops").id)

    with pytest.raises(ApplicationError, match="unpaid invoice"):
        operations.city_delete(city=city, export_public_id=str(export.public_id), confirm_slug="xi", deleted_by="ops")
    assert City.objects.filter(slug="xi").exists()

    payment_record(invoice=invoice, amount_cents=invoice.total_cents, method="bank_transfer", actor="ops")
    operations.city_delete(city=city, export_public_id=str(export.public_id), confirm_slug="xi", deleted_by="ops")
    assert not City.objects.filter(slug="xi").exists()
    invoice.refresh_from_db()
    subscription.refresh_from_db()
    assert invoice.city_id is None and invoice.status == InvoiceStatus.PAID and invoice.buyer_name == "Xi"
    assert subscription.city_id is None and subscription.status == SubscriptionStatus.CANCELLED
