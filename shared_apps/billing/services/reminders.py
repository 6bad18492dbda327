"""Overdue reminders: one email per overdue invoice every ``BILLING_REMINDER_INTERVAL_DAYS`` at most."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from core.mail import send_mail_on_commit
from shared_apps.billing import conf, selectors
from shared_apps.billing.models import Invoice, InvoiceStatus


def overdue_reminders_send(*, on: datetime.date | None = None) -> int:
    """Email the buyer of each overdue invoice not reminded recently. Safe to run twice a day: the
    invoice's ``last_reminder_on`` is updated in the transaction that enqueues the email."""
    on = on or timezone.localdate()
    not_before = on - datetime.timedelta(days=conf.reminder_interval_days())
    due = selectors.invoices_overdue(on=on).filter(
        Q(last_reminder_on__isnull=True) | Q(last_reminder_on__lte=not_before)
    )
    sent = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update(of=("self",)).select_related("subscription", "city").get(pk=pk)
            recent = invoice.last_reminder_on is not None and invoice.last_reminder_on > not_before
            if invoice.status != InvoiceStatus.OPEN or recent or not invoice.subscription.billing_email:
                continue
            invoice.last_reminder_on = on
            invoice.reminders_sent += 1
            invoice.save(update_fields=["last_reminder_on", "reminders_sent"])
            context = {"invoice": invoice, "issuer": conf.issuer(), "grace_days": conf.grace_days(), "today": on}
            send_mail_on_commit(
                to=[invoice.subscription.billing_email],
                subject=f"Payment reminder: invoice {invoice.number} is overdue",
                body=render_to_string("billing/email/overdue_reminder.txt", context),
                reply_to=[conf.issuer()["email"]],
            )
            sent += 1
    return sent
