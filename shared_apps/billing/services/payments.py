"""Payments: bank transfers reconciled by operators, and online payments confirmed by a provider.

A paid invoice settles its subscription: past due or suspended becomes active again once nothing is
overdue, and a city that billing suspended is resumed.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import ApplicationError, NotFoundError
from shared_apps.billing.models import Invoice, InvoiceStatus, Payment
from shared_apps.billing.providers import Checkout, get_provider
from shared_apps.billing.services.invoices import normalise_reference
from shared_apps.billing.services.subscriptions import subscription_settle
from shared_apps.billing.templatetags.billing import cents


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount_cents: int,
    method: str,
    actor: str,
    received_on: datetime.date | None = None,
    bank_reference: str = "",
    provider: str = "",
    provider_payment_id: str | None = None,
) -> Payment:
    """Record money received against ``invoice``; a full payment marks it paid and settles the
    subscription. Over-payment is refused (the operator refunds or splits it by hand)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        raise ApplicationError(f"Invoice {invoice.number} is cancelled.", code="invoice_void")
    if invoice.status == InvoiceStatus.PAID:
        raise ApplicationError(f"Invoice {invoice.number} is already paid.", code="invoice_paid")
    if amount_cents <= 0:
        raise ApplicationError(
            "The amount must be positive.", code="invalid", fields={"amount_cents": ["Must be > 0."]}
        )
    if amount_cents > invoice.balance_cents:
        raise ApplicationError(
            f"{cents(amount_cents)} is more than the {cents(invoice.balance_cents)} {invoice.currency} "
            f"still due on {invoice.number}.",
            code="overpayment",
            fields={"amount_cents": ["More than the balance."]},
        )
    payment = Payment.objects.create(
        invoice=invoice,
        amount_cents=amount_cents,
        method=method,
        received_on=received_on or timezone.localdate(),
        bank_reference=bank_reference,
        provider=provider,
        provider_payment_id=provider_payment_id,
        recorded_by=actor,
    )
    invoice.paid_cents += amount_cents
    fields = ["paid_cents"]
    if invoice.paid_cents == invoice.total_cents:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = timezone.now()
        fields += ["status", "paid_at"]
    invoice.save(update_fields=fields)
    if invoice.status == InvoiceStatus.PAID:
        subscription_settle(subscription=invoice.subscription, actor=actor, reason=f"Invoice {invoice.number} paid.")
    return payment


def invoice_by_reference(*, reference: str) -> Invoice:
    """The invoice a bank transfer's remittance information names (payment reference or number)."""
    ref = normalise_reference(reference)
    invoice = Invoice.objects.filter(Q(payment_reference=ref) | Q(number=ref)).first()
    if invoice is None:
        raise NotFoundError(f"No invoice has the reference {reference!r}.", code="unknown_reference")
    return invoice


def payment_reconcile_transfer(
    *, reference: str, amount_cents: int, actor: str, received_on: datetime.date | None = None, bank_reference: str = ""
) -> Payment:
    """Bank transfer reconciliation: find the invoice by its payment reference and record the payment."""
    return payment_record(
        invoice=invoice_by_reference(reference=reference),
        amount_cents=amount_cents,
        method=Payment.Method.BANK_TRANSFER,
        actor=actor,
        received_on=received_on,
        bank_reference=bank_reference,
    )


def payment_checkout_start(*, invoice: Invoice, return_url: str) -> Checkout:
    if invoice.status != InvoiceStatus.OPEN:
        raise ApplicationError(f"Invoice {invoice.number} is not awaiting payment.", code="invalid_status")
    return get_provider().checkout_create(
        amount_cents=invoice.balance_cents,
        currency=invoice.currency,
        reference=invoice.payment_reference,
        description=f"Invoice {invoice.number}",
        return_url=return_url,
    )


def payment_confirm_from_provider(*, provider_payment_id: str, actor: str = "provider") -> Payment | None:
    """Ask the provider about a payment and record it once if it is paid (idempotent: a second
    confirmation returns the payment already recorded). Returns None while it is not paid."""
    existing = Payment.objects.filter(provider_payment_id=provider_payment_id).first()
    if existing is not None:
        return existing
    provider = get_provider()
    remote = provider.payment_fetch(provider_payment_id=provider_payment_id)
    if remote.status != "paid":
        return None
    invoice = invoice_by_reference(reference=remote.reference)
    if remote.currency != invoice.currency:
        raise ApplicationError("The payment's currency differs from the invoice's.", code="currency_mismatch")
    try:
        return payment_record(
            invoice=invoice,
            amount_cents=remote.amount_cents,
            method=Payment.Method.PROVIDER,
            actor=actor,
            provider=provider.name,
            provider_payment_id=provider_payment_id,
        )
    except IntegrityError:  # a concurrent confirmation recorded it first
        return Payment.objects.get(provider_payment_id=provider_payment_id)
