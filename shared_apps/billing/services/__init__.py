"""Writes of billing, one module per concern; import from here."""

from shared_apps.billing.services.features import feature_set
from shared_apps.billing.services.invoices import (
    invoice_issue_for_period,
    invoice_issue_proration,
    invoice_void,
    invoices_generate_due,
)
from shared_apps.billing.services.metering import usage_collect, usage_measure
from shared_apps.billing.services.payments import (
    invoice_by_reference,
    payment_checkout_start,
    payment_confirm_from_provider,
    payment_reconcile_transfer,
    payment_record,
)
from shared_apps.billing.services.subscriptions import (
    ALLOWED_TRANSITIONS,
    Proration,
    dunning_run,
    proration_compute,
    subscription_activate,
    subscription_change_plan,
    subscription_settle,
    subscription_start_trial,
    subscription_transition,
    trials_expire,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "Proration",
    "dunning_run",
    "feature_set",
    "invoice_by_reference",
    "invoice_issue_for_period",
    "invoice_issue_proration",
    "invoice_void",
    "invoices_generate_due",
    "payment_checkout_start",
    "payment_confirm_from_provider",
    "payment_reconcile_transfer",
    "payment_record",
    "proration_compute",
    "subscription_activate",
    "subscription_change_plan",
    "subscription_settle",
    "subscription_start_trial",
    "subscription_transition",
    "trials_expire",
    "usage_collect",
    "usage_measure",
]
