"""Payments: transfer reconciliation, provider (local fake), non-payment suspension, reactivation."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from core.exceptions import ApplicationError
from shared_apps.billing import services
from shared_apps.billing.models import Invoice, InvoiceStatus, Payment, Subscription, SubscriptionStatus
from shared_apps.billing.providers import FakeProvider
from shared_apps.billing.services.reminders import overdue_reminders_send
from tenants.models import City, CityStatus
from tests.shared_apps.billing.conftest import START

DUE = START + datetime.timedelta(days=30)


def test_transfer_reconciled_by_reference(alpha_sub: Subscription) -> None:
    invoice = Invoice.objects.get(subscription=alpha_sub)
    spaced = " ".join(invoice.payment_reference[i : i + 4] for i in range(0, len(invoice.payment_reference), 4))
    services.payment_reconcile_transfer(
        reference=spaced.lower(), amount_cents=100_000, actor="ops", bank_reference="B1"
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == invoice.total_cents - 100_000
    services.payment_reconcile_transfer(reference=invoice.number, amount_cents=invoice.balance_cents, actor="ops")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_unknown_reference_and_overpayment_are_refused(alpha_sub: Subscription) -> None:
    invoice = Invoice.objects.get(subscription=alpha_sub)
    with pytest.raises(ApplicationError) as caught:
        services.payment_reconcile_transfer(reference="RF00NOPE", amount_cents=1, actor="ops")
    assert caught.value.code == "unknown_reference"
    with pytest.raises(ApplicationError) as caught:
        services.payment_record(
            invoice=invoice, amount_cents=invoice.total_cents + 1, method="bank_transfer", actor="o"
        )
    assert caught.value.code == "overpayment"
    assert not Payment.objects.exists()


def test_non_payment_suspends_after_grace_and_payment_reactivates(
    alpha: City, alpha_sub: Subscription, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.BILLING_GRACE_DAYS = 15
    invoice = Invoice.objects.get(subscription=alpha_sub)
    assert services.dunning_run(on=DUE) == {"past_due": 0, "suspended": 0}  # due today is not overdue
    assert services.dunning_run(on=DUE + datetime.timedelta(days=1)) == {"past_due": 1, "suspended": 0}
    alpha_sub.refresh_from_db()
    assert alpha_sub.status == SubscriptionStatus.PAST_DUE
    assert services.dunning_run(on=DUE + datetime.timedelta(days=15)) == {"past_due": 0, "suspended": 0}
    assert services.dunning_run(on=DUE + datetime.timedelta(days=16)) == {"past_due": 0, "suspended": 1}
    alpha_sub.refresh_from_db()
    alpha.refresh_from_db()
    assert alpha_sub.status == SubscriptionStatus.SUSPENDED and alpha.status == CityStatus.SUSPENDED
    assert services.dunning_run(on=DUE + datetime.timedelta(days=17)) == {"past_due": 0, "suspended": 0}

    services.payment_reconcile_transfer(
        reference=invoice.payment_reference, amount_cents=invoice.total_cents, actor="ops"
    )
    alpha_sub.refresh_from_db()
    alpha.refresh_from_db()
    assert alpha_sub.status == SubscriptionStatus.ACTIVE and not alpha_sub.city_suspended_by_billing
    assert alpha.status == CityStatus.ACTIVE
    reasons = list(alpha_sub.events.filter(kind="transition").values_list("to_status", "actor"))
    assert reasons[-3:] == [("past_due", "system"), ("suspended", "system"), ("active", "ops")]


def test_payment_does_not_resume_a_city_an_operator_suspended(alpha: City, alpha_sub: Subscription) -> None:
    from tenants.services import city_suspend

    city_suspend(city=alpha)
    services.dunning_run(on=DUE + datetime.timedelta(days=100))
    alpha_sub.refresh_from_db()
    assert alpha_sub.status == SubscriptionStatus.SUSPENDED and not alpha_sub.city_suspended_by_billing
    invoice = Invoice.objects.get(subscription=alpha_sub)
    services.payment_record(invoice=invoice, amount_cents=invoice.total_cents, method="bank_transfer", actor="ops")
    alpha.refresh_from_db()
    assert alpha.status == CityStatus.SUSPENDED


def test_provider_payment_is_recorded_once(alpha_sub: Subscription) -> None:
    invoice = Invoice.objects.get(subscription=alpha_sub)
    checkout = services.payment_checkout_start(invoice=invoice, return_url="http://alpha.fluicity.test/manage/billing/")
    assert services.payment_confirm_from_provider(provider_payment_id=checkout.provider_payment_id) is None  # pending
    FakeProvider().complete(provider_payment_id=checkout.provider_payment_id)
    first = services.payment_confirm_from_provider(provider_payment_id=checkout.provider_payment_id)
    second = services.payment_confirm_from_provider(provider_payment_id=checkout.provider_payment_id)
    assert first is not None and second is not None and first.pk == second.pk
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and first.method == Payment.Method.PROVIDER


def test_overdue_reminders_are_emailed_once_per_interval(
    alpha_sub: Subscription, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    day = DUE + datetime.timedelta(days=1)
    with (
        mock.patch("core.mail.send_mail_task.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert overdue_reminders_send(on=DUE) == 0  # not overdue yet
        assert overdue_reminders_send(on=day) == 1
        assert overdue_reminders_send(on=day) == 0
        assert overdue_reminders_send(on=day + datetime.timedelta(days=6)) == 0
    assert send.call_count == 1
    invoice = Invoice.objects.get(subscription=alpha_sub)
    message = send.call_args.kwargs["kwargs"]
    assert message["to"] == ["finance@alpha.example"] and invoice.number in message["subject"]
    assert invoice.payment_reference in message["body"]
    assert invoice.reminders_sent == 1 and invoice.last_reminder_on == day
    with mock.patch("core.mail.send_mail_task.apply_async"), django_capture_on_commit_callbacks(execute=True):
        assert overdue_reminders_send(on=day + datetime.timedelta(days=7)) == 1
