"""Billing settings, read at call time so tests can override them. All optional (defaults below)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULT_ISSUER: dict[str, str] = {
    "name": "Fluicity SAS",
    "address": "1 rue de la Participation\n75001 Paris\nFrance",
    "country": "FR",
    "vat_number": "FR00000000000",
    "registration": "RCS Paris 000 000 000",
    "email": "billing@fluicity.example",
    "iban": "FR76 0000 0000 0000 0000 0000 000",
    "bic": "XXXXFRPP",
}


def grace_days() -> int:
    """Days after an invoice's due date before non-payment suspends the city."""
    return int(getattr(settings, "BILLING_GRACE_DAYS", 30))


def payment_terms_days() -> int:
    """Days between issue and due date (French public buyers: 30 days legal maximum)."""
    return int(getattr(settings, "BILLING_PAYMENT_TERMS_DAYS", 30))


def reminder_interval_days() -> int:
    return int(getattr(settings, "BILLING_REMINDER_INTERVAL_DAYS", 7))


def invoice_prefix() -> str:
    return str(getattr(settings, "BILLING_INVOICE_PREFIX", "FLU"))


def issuer() -> dict[str, Any]:
    return {**DEFAULT_ISSUER, **getattr(settings, "BILLING_ISSUER", {})}


def payment_provider_path() -> str:
    return str(getattr(settings, "BILLING_PAYMENT_PROVIDER", "shared_apps.billing.providers.FakeProvider"))
