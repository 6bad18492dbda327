"""Invoices: one per subscription and yearly period, numbered per issuing year without gaps.

Two guarantees, both held by the database rather than by the caller:
- **one invoice per (subscription, period)**: the subscription row is locked while the invoice is
  looked up and inserted, and a partial unique constraint backs it up (a racing insert gets an
  IntegrityError and returns the invoice that won);
- **gap-free numbering**: the year's ``InvoiceCounter`` row is locked ``FOR UPDATE`` and incremented
  in the same transaction as the invoice insert, so a rolled-back insert rolls the number back too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.exceptions import ApplicationError
from shared_apps.billing import conf
from shared_apps.billing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    Plan,
    Subscription,
    SubscriptionEvent,
)
from shared_apps.billing.selectors import BILLABLE_STATUSES
from shared_apps.billing.services.subscriptions import Proration, add_years
from shared_apps.billing.vat import vat_cents, vat_for_country


@dataclass(frozen=True)
class Line:
    description: str
    amount_cents: int


def _creditor_reference(base: str) -> str:
    """ISO 11649 structured creditor reference (``RFkk`` + base), accepted by SEPA bank transfers."""
    digits = "".join(str(int(ch, 36)) for ch in (base + "RF00").upper())
    check = 98 - int(digits) % 97
    return f"RF{check:02d}{base}"


def normalise_reference(value: str) -> str:
    return "".join(value.split()).upper()


def _next_number(year: int) -> tuple[int, str]:
    """Take the next number of ``year``. Must run inside the transaction that inserts the invoice."""
    # The year's row may not exist yet: create it without racing (a concurrent creator just waits).
    InvoiceCounter.objects.bulk_create([InvoiceCounter(year=year, last_number=0)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number, f"{conf.invoice_prefix()}-{year}-{counter.last_number:06d}"


def _insert(
    *,
    subscription: Subscription,
    kind: str,
    lines: list[Line],
    period_start: datetime.date,
    period_end: datetime.date,
    on: datetime.date,
    source_event: SubscriptionEvent | None = None,
) -> Invoice:
    city = subscription.city
    if city is None:
        # Only a deleted city's (cancelled) subscription has no city: nothing more is ever billed to it.
        raise ApplicationError("This subscription's city was deleted; it cannot be invoiced.", code="city_deleted")
    plan = subscription.plan
    rule = vat_for_country(city.country)
    vats = [vat_cents(amount_cents=line.amount_cents, rate=rule.rate) for line in lines]
    subtotal = sum(line.amount_cents for line in lines)
    sequence, number = _next_number(on.year)
    invoice = Invoice.objects.create(
        subscription=subscription,
        city=city,
        kind=kind,
        number=number,
        year=on.year,
        sequence=sequence,
        period_start=period_start,
        period_end=period_end,
        issued_on=on,
        due_on=on + datetime.timedelta(days=conf.payment_terms_days()),
        currency=plan.currency,
        subtotal_cents=subtotal,
        vat_rate=rule.rate,
        vat_cents=sum(vats),
        total_cents=subtotal + sum(vats),
        payment_reference=_creditor_reference(number.replace("-", "")),
        vat_note=rule.note,
        buyer_name=subscription.buyer_name or city.name,
        buyer_address=subscription.buyer_address,
        buyer_country=city.country,
        buyer_vat_number=subscription.buyer_vat_number,
        buyer_order_reference=subscription.buyer_order_reference,
        plan_code=plan.code,
        source_event=source_event,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice, position=index, description=line.description, amount_cents=line.amount_cents, vat_cents=vat
        )
        for index, (line, vat) in enumerate(zip(lines, vats, strict=True), start=1)
    )
    return invoice


def _period_invoice(subscription_id: int, period_start: datetime.date) -> Invoice | None:
    return Invoice.objects.filter(
        subscription_id=subscription_id, period_start=period_start, kind=Invoice.Kind.PERIOD
    ).first()


def invoice_issue_for_period(
    *, subscription_id: int, period_start: datetime.date, on: datetime.date | None = None
) -> Invoice:
    """The yearly invoice of the period starting ``period_start``: issued once, returned ever after.

    Safe to call twice or concurrently (see the module docstring). A credit left by a downgrade is
    deducted on this invoice (up to its amount).
    """
    existing = _period_invoice(subscription_id, period_start)
    if existing is not None:
        return existing
    on = on or timezone.localdate()
    try:
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update(of=("self",))
                .select_related("plan", "city")
                .get(pk=subscription_id)
            )
            # Re-read under the lock: a concurrent caller may have committed the invoice meanwhile.
            existing = _period_invoice(subscription_id, period_start)
            if existing is not None:
                return existing
            plan = subscription.plan
            if subscription.current_period_start == period_start and subscription.current_period_end:
                period_end = subscription.current_period_end
            else:
                period_end = add_years(period_start)
            last_day = period_end - datetime.timedelta(days=1)
            lines = [
                Line(
                    f"Fluicity {plan.name} plan, yearly subscription "
                    f"from {period_start:%d/%m/%Y} to {last_day:%d/%m/%Y}",
                    plan.yearly_price_cents,
                )
            ]
            credit = min(subscription.credit_cents, plan.yearly_price_cents)
            if credit > 0:
                lines.append(Line("Credit from an earlier plan change", -credit))
                subscription.credit_cents -= credit
                subscription.save(update_fields=["credit_cents", "updated_at"])
            return _insert(
                subscription=subscription,
                kind=Invoice.Kind.PERIOD,
                lines=lines,
                period_start=period_start,
                period_end=period_end,
                on=on,
            )
    except IntegrityError:
        # The unique constraint caught a race the lock did not (e.g. a caller that skipped it).
        invoice = _period_invoice(subscription_id, period_start)
        if invoice is None:
            raise
        return invoice


def invoice_issue_proration(
    *, subscription: Subscription, event: SubscriptionEvent, old_plan: Plan, proration: Proration, on: datetime.date
) -> Invoice:
    """Invoice the upgrade of ``event`` for the rest of the period (once per plan change)."""
    existing = Invoice.objects.filter(source_event=event).first()
    if existing is not None:
        return existing
    assert subscription.current_period_start and subscription.current_period_end
    days = f"{proration.remaining_days}/{proration.period_days} days"
    lines = [
        Line(
            f"Fluicity {subscription.plan.name} plan from {on:%d/%m/%Y} ({days} of the period)", proration.charge_cents
        ),
        Line(f"Credit: unused {old_plan.name} plan from {on:%d/%m/%Y} ({days})", -proration.credit_cents),
    ]
    return _insert(
        subscription=subscription,
        kind=Invoice.Kind.PRORATION,
        lines=lines,
        period_start=on,
        period_end=subscription.current_period_end,
        on=on,
        source_event=event,
    )


@transaction.atomic
def _roll_period(subscription_id: int, on: datetime.date) -> None:
    subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
    end = subscription.current_period_end
    if end is None or end > on or subscription.status not in BILLABLE_STATUSES:
        return
    start = subscription.current_period_start
    while end <= on:
        start, end = end, add_years(end)
    subscription.current_period_start, subscription.current_period_end = start, end
    subscription.save(update_fields=["current_period_start", "current_period_end", "updated_at"])


def invoices_generate_due(*, on: datetime.date | None = None) -> int:
    """Beat's daily pass: roll ended periods forward and issue every billable period's invoice that is
    missing. Returns how many invoices exist for current periods that had none before."""
    on = on or timezone.localdate()
    billable = Subscription.objects.filter(status__in=BILLABLE_STATUSES, current_period_start__isnull=False)
    for pk in billable.filter(current_period_end__lte=on).values_list("pk", flat=True):
        _roll_period(pk, on)
    has_invoice = Invoice.objects.filter(
        subscription=OuterRef("pk"), period_start=OuterRef("current_period_start"), kind=Invoice.Kind.PERIOD
    )
    missing = billable.filter(~Exists(has_invoice)).values_list("pk", "current_period_start")
    issued = 0
    for pk, start in missing:
        assert start is not None  # filtered above
        invoice_issue_for_period(subscription_id=pk, period_start=start, on=on)
        issued += 1
    return issued


@transaction.atomic
def invoice_void(*, invoice: Invoice, actor: str, reason: str) -> Invoice:
    """Cancel an unpaid invoice. It keeps its number (numbering stays gap-free); the buyer is told."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.OPEN or invoice.paid_cents:
        raise ApplicationError("Only an unpaid open invoice can be cancelled.", code="invalid_status")
    if not reason.strip():
        raise ApplicationError("Say why.", code="reason_required", fields={"reason": ["This field is required."]})
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.save(update_fields=["status", "voided_at"])
    SubscriptionEvent.objects.create(
        subscription_id=invoice.subscription_id,
        kind=SubscriptionEvent.Kind.NOTE,
        actor=actor,
        reason=f"Invoice {invoice.number} cancelled: {reason}",
    )
    return invoice
