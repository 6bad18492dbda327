"""Online payment providers behind one small interface.

A real provider (Stripe, Mollie, ...) needs the internet: it lives in its own class implementing
``PaymentProvider`` and is chosen by ``settings.BILLING_PAYMENT_PROVIDER`` (a dotted path). Billing
only ever talks to the interface; tests and local runs use ``FakeProvider``, which keeps its state in
the cache (shared by web and worker processes; billing calls it on the public schema, so the
tenant-aware cache keys are the same everywhere it is used).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from django.core.cache import cache
from django.utils.module_loading import import_string

from shared_apps.billing import conf


@dataclass(frozen=True)
class Checkout:
    provider_payment_id: str
    redirect_url: str


@dataclass(frozen=True)
class ProviderPayment:
    provider_payment_id: str
    status: str  # "pending" | "paid" | "failed"
    amount_cents: int
    currency: str
    reference: str  # the invoice's payment reference, echoed back by the provider


class PaymentProvider(Protocol):
    name: str

    def checkout_create(
        self, *, amount_cents: int, currency: str, reference: str, description: str, return_url: str
    ) -> Checkout: ...

    def payment_fetch(self, *, provider_payment_id: str) -> ProviderPayment: ...


class FakeProvider:
    """A local stand-in: checkouts are pending until ``complete`` is called (by a test or the fake
    checkout page)."""

    name = "fake"
    _key = "billing:fake-provider:{}"

    def checkout_create(
        self, *, amount_cents: int, currency: str, reference: str, description: str, return_url: str
    ) -> Checkout:
        payment_id = f"fake_{uuid.uuid4().hex}"
        payment = ProviderPayment(payment_id, "pending", amount_cents, currency, reference)
        cache.set(self._key.format(payment_id), payment, timeout=86400)
        return Checkout(provider_payment_id=payment_id, redirect_url=f"{return_url}?payment_id={payment_id}")

    def payment_fetch(self, *, provider_payment_id: str) -> ProviderPayment:
        payment = cache.get(self._key.format(provider_payment_id))
        if payment is None:
            return ProviderPayment(provider_payment_id, "failed", 0, "", "")
        assert isinstance(payment, ProviderPayment)
        return payment

    def complete(self, *, provider_payment_id: str, status: str = "paid") -> None:
        payment = self.payment_fetch(provider_payment_id=provider_payment_id)
        done = ProviderPayment(
            payment.provider_payment_id, status, payment.amount_cents, payment.currency, payment.reference
        )
        cache.set(self._key.format(provider_payment_id), done, timeout=86400)


def get_provider() -> PaymentProvider:
    provider: PaymentProvider = import_string(conf.payment_provider_path())()
    return provider
