"""Invoices: VAT per country, numbering, one per period even when run twice or concurrently."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction

from core.exceptions import ApplicationError
from shared_apps.billing import services
from shared_apps.billing.models import (
    Invoice,
    InvoiceCounter,
    Subscription,
    SubscriptionEvent,
    SubscriptionStatus,
)
from shared_apps.billing.vat import vat_cents, vat_for_country
from tenants.models import City
from tests.shared_apps.billing.conftest import START, active_subscription, plan


@pytest.mark.parametrize(
    ("country", "rate", "vat"),
    [
        ("FR", "0.20", 24_000),
        ("BE", "0.21", 25_200),
        ("NL", "0.21", 25_200),
        ("DE", "0.19", 22_800),
        ("LU", "0.17", 20_400),
    ],
)
def test_vat_by_the_city_country(alpha: City, country: str, rate: str, vat: int) -> None:
    City.objects.filter(pk=alpha.pk).update(country=country)
    alpha.refresh_from_db()
    invoice = Invoice.objects.get(subscription=active_subscription(alpha))
    assert invoice.vat_rate == Decimal(rate)
    assert (invoice.subtotal_cents, invoice.vat_cents, invoice.total_cents) == (120_000, vat, 120_000 + vat)
    assert invoice.lines.get().vat_cents == vat


def test_vat_outside_the_eu_is_zero_with_a_note() -> None:
    rule = vat_for_country("CH")
    assert rule.rate == 0 and "not applicable" in rule.note
    with pytest.raises(ApplicationError):
        vat_for_country("France")


def test_line_vat_rounds_half_up() -> None:
    assert vat_cents(amount_cents=1_234_5, rate=Decimal("0.21")) == 2_592  # 2592.45 -> 2592
    assert vat_cents(amount_cents=250, rate=Decimal("0.17")) == 43  # 42.5 -> 43
    assert vat_cents(amount_cents=-250, rate=Decimal("0.17")) == -43


def test_invoice_carries_the_legal_mentions(alpha: City, alpha_sub: Subscription) -> None:
    invoice = Invoice.objects.get(subscription=alpha_sub)
    assert invoice.number == f"FLU-{START.year}-{invoice.sequence:06d}"
    assert invoice.payment_reference.startswith("RF") and invoice.number.replace("-", "") in invoice.payment_reference
    assert invoice.due_on == START + datetime.timedelta(days=30)
    assert (invoice.period_start, invoice.period_end) == (START, datetime.date(2026, 3, 1))
    assert invoice.buyer_name == "Alphaville" and invoice.buyer_country == "FR"


def test_numbers_follow_each_other_within_a_year_and_restart_next_year(alpha: City, beta: City) -> None:
    a = Invoice.objects.get(subscription=active_subscription(alpha, on=datetime.date(2093, 2, 1)))
    b = Invoice.objects.get(subscription=active_subscription(beta, on=datetime.date(2093, 5, 1)))
    assert (a.year, a.sequence, b.sequence) == (2093, 1, 2)
    services.invoices_generate_due(on=datetime.date(2094, 2, 1))
    c = Invoice.objects.get(subscription__city=alpha, period_start=datetime.date(2094, 2, 1))
    assert (c.year, c.sequence, c.number) == (2094, 1, "FLU-2094-000001")


def test_issuing_twice_returns_the_same_invoice(alpha_sub: Subscription) -> None:
    first = Invoice.objects.get(subscription=alpha_sub)
    again = services.invoice_issue_for_period(subscription_id=alpha_sub.pk, period_start=START, on=START)
    assert again.pk == first.pk
    assert services.invoices_generate_due(on=START) == 0
    assert Invoice.objects.filter(subscription=alpha_sub).count() == 1
    assert InvoiceCounter.objects.get(year=START.year).last_number == first.sequence


def test_void_keeps_the_number(alpha_sub: Subscription) -> None:
    invoice = Invoice.objects.get(subscription=alpha_sub)
    services.invoice_void(invoice=invoice, actor="ops", reason="Wrong buyer")
    invoice.refresh_from_db()
    assert invoice.status == "void" and Invoice.objects.filter(number=invoice.number).exists()
    with pytest.raises(ApplicationError):
        services.invoice_void(invoice=invoice, actor="ops", reason="again")


# --- real concurrent transactions on committed data --------------------------------------------

YEAR = 2091


@pytest.fixture
def committed_subscriptions(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[int]]:
    """Six committed (cancelled, so not clashing with anything live) subscriptions of alpha; removed
    afterwards with everything billing wrote for them."""
    with django_db_blocker.unblock():
        alpha = City.objects.get(slug="alpha")
        ids = [
            Subscription.objects.create(city=alpha, plan=plan("village"), status=SubscriptionStatus.CANCELLED).pk
            for _ in range(6)
        ]
        try:
            yield ids
        finally:
            connection.set_schema_to_public()
            Invoice.objects.filter(subscription_id__in=ids).delete()
            SubscriptionEvent.objects.filter(subscription_id__in=ids).delete()
            Subscription.objects.filter(pk__in=ids).delete()
            InvoiceCounter.objects.filter(year=YEAR).delete()


def _race(django_db_blocker: Any, jobs: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(len(jobs), timeout=20)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            with django_db_blocker.unblock():
                barrier.wait()
                results.append(job())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


class _Rollback(Exception):
    pass


def test_concurrent_generation_issues_one_invoice(committed_subscriptions: list[int], django_db_blocker: Any) -> None:
    sub_id = committed_subscriptions[0]
    start = datetime.date(YEAR, 1, 1)

    def issue() -> int:
        return services.invoice_issue_for_period(subscription_id=sub_id, period_start=start, on=start).pk

    results, errors = _race(django_db_blocker, [issue] * 5)
    assert not errors
    assert len(results) == 5 and len(set(results)) == 1
    assert Invoice.objects.filter(subscription_id=sub_id).count() == 1
    assert InvoiceCounter.objects.get(year=YEAR).last_number == 1


def test_numbering_has_no_gap_under_concurrency(committed_subscriptions: list[int], django_db_blocker: Any) -> None:
    start = datetime.date(YEAR, 6, 1)

    def issue(sub_id: int) -> Callable[[], int]:
        return lambda: services.invoice_issue_for_period(subscription_id=sub_id, period_start=start, on=start).sequence

    def issue_then_fail(sub_id: int) -> Callable[[], None]:
        def job() -> None:
            try:
                with transaction.atomic():
                    services.invoice_issue_for_period(subscription_id=sub_id, period_start=start, on=start)
                    raise _Rollback
            except _Rollback:
                return None

        return job

    jobs: list[Callable[[], Any]] = [issue(pk) for pk in committed_subscriptions[:4]]
    jobs += [issue_then_fail(pk) for pk in committed_subscriptions[4:]]
    results, errors = _race(django_db_blocker, jobs)
    assert not errors
    sequences = sorted(Invoice.objects.filter(year=YEAR).values_list("sequence", flat=True))
    assert sequences == [1, 2, 3, 4]  # the two rolled-back inserts took no number
    assert sorted(r for r in results if r is not None) == [1, 2, 3, 4]
    assert InvoiceCounter.objects.get(year=YEAR).last_number == 4
