"""Subscription lifecycle: allowed and refused transitions, history, proration, trials."""

from __future__ import annotations

import datetime

import pytest

from core.exceptions import ApplicationError
from shared_apps.billing import services
from shared_apps.billing.models import Invoice, InvoiceStatus, Subscription, SubscriptionEvent, SubscriptionStatus
from tenants.models import City, CityStatus
from tests.shared_apps.billing.conftest import START, active_subscription, plan

S = SubscriptionStatus
ALLOWED = [
    (S.TRIALING, S.ACTIVE),
    (S.TRIALING, S.SUSPENDED),
    (S.TRIALING, S.CANCELLED),
    (S.ACTIVE, S.PAST_DUE),
    (S.ACTIVE, S.CANCELLED),
    (S.PAST_DUE, S.ACTIVE),
    (S.PAST_DUE, S.SUSPENDED),
    (S.PAST_DUE, S.CANCELLED),
    (S.SUSPENDED, S.ACTIVE),
    (S.SUSPENDED, S.CANCELLED),
]
ALL_PAIRS = [(a, b) for a in S for b in S if a != b]


def _at(city: City, status: str) -> Subscription:
    subscription = services.subscription_start_trial(city=city)
    Subscription.objects.filter(pk=subscription.pk).update(status=status)
    subscription.refresh_from_db()
    return subscription


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_transition_matrix(alpha: City, from_status: str, to_status: str) -> None:
    subscription = _at(alpha, from_status)
    events_before = SubscriptionEvent.objects.filter(subscription=subscription).count()
    if (from_status, to_status) in ALLOWED:
        services.subscription_transition(subscription=subscription, to_status=to_status, actor="ops@x", reason="test")
        subscription.refresh_from_db()
        assert subscription.status == to_status
        event = SubscriptionEvent.objects.filter(subscription=subscription).latest("id")
        assert (event.from_status, event.to_status, event.actor, event.reason) == (
            from_status,
            to_status,
            "ops@x",
            "test",
        )
    else:
        with pytest.raises(ApplicationError) as caught:
            services.subscription_transition(subscription=subscription, to_status=to_status, actor="ops@x", reason="t")
        assert caught.value.code == "invalid_transition"
        subscription.refresh_from_db()
        assert subscription.status == from_status
        assert SubscriptionEvent.objects.filter(subscription=subscription).count() == events_before


def test_transition_needs_a_reason(alpha: City) -> None:
    subscription = _at(alpha, S.ACTIVE)
    with pytest.raises(ApplicationError) as caught:
        services.subscription_transition(subscription=subscription, to_status=S.CANCELLED, actor="ops", reason=" ")
    assert caught.value.code == "reason_required"


def test_trial_is_idempotent_and_on_the_default_plan(alpha: City) -> None:
    first = services.subscription_start_trial(city=alpha)
    second = services.subscription_start_trial(city=alpha)
    assert first.pk == second.pk and first.status == S.TRIALING
    assert first.plan.code == "town" and first.trial_ends_on is not None
    assert SubscriptionEvent.objects.filter(subscription=first, kind="created").count() == 1


def test_proration_is_day_based_and_rounded_half_up() -> None:
    # 365-day period, 100 days left: 120000 * 100/365 = 32876.71 -> 32877; 480000 * 100/365 = 131506.85 -> 131507
    proration = services.proration_compute(
        old_yearly_cents=120_000,
        new_yearly_cents=480_000,
        period_start=datetime.date(2025, 3, 1),
        period_end=datetime.date(2026, 3, 1),
        on=datetime.date(2025, 11, 21),
    )
    assert (proration.remaining_days, proration.period_days) == (100, 365)
    assert (proration.credit_cents, proration.charge_cents, proration.net_cents) == (32_877, 131_507, 98_630)
    # Exactly half a cent rounds up: 1 cent * 1/2 = 0.5 -> 1.
    half = services.proration_compute(
        old_yearly_cents=0,
        new_yearly_cents=1,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 1, 3),
        on=datetime.date(2025, 1, 2),
    )
    assert half.charge_cents == 1


def test_upgrade_mid_period_invoices_the_prorated_difference(alpha: City) -> None:
    subscription = active_subscription(alpha, code="village")
    on = datetime.date(2025, 11, 21)  # 100 of 365 days left
    services.subscription_change_plan(subscription=subscription, plan=plan("town"), actor="ops", on=on)
    proration = Invoice.objects.get(subscription=subscription, kind=Invoice.Kind.PRORATION)
    assert [line.amount_cents for line in proration.lines.all()] == [131_507, -32_877]
    assert proration.subtotal_cents == 98_630
    assert proration.vat_cents == 26_301 - 6_575  # per line, half-up: 26301.4 -> 26301, -6575.4 -> -6575
    assert proration.total_cents == 98_630 + 19_726
    subscription.refresh_from_db()
    assert subscription.plan.code == "town"
    event = SubscriptionEvent.objects.filter(subscription=subscription, kind="plan_change").latest("id")
    assert (event.from_plan, event.to_plan, event.actor) == ("village", "town", "ops")


def test_downgrade_mid_period_credits_the_next_invoice(alpha: City) -> None:
    subscription = active_subscription(alpha, code="town")
    services.subscription_change_plan(
        subscription=subscription, plan=plan("village"), actor="ops", on=datetime.date(2025, 11, 21)
    )
    subscription.refresh_from_db()
    assert subscription.credit_cents == 131_507 - 32_877
    assert not Invoice.objects.filter(subscription=subscription, kind=Invoice.Kind.PRORATION).exists()
    services.invoices_generate_due(on=datetime.date(2026, 3, 1))
    next_invoice = Invoice.objects.get(subscription=subscription, period_start=datetime.date(2026, 3, 1))
    assert [line.amount_cents for line in next_invoice.lines.all()] == [120_000, -98_630]
    subscription.refresh_from_db()
    assert subscription.credit_cents == 0


def test_trial_end_without_a_plan_suspends_the_city(alpha: City) -> None:
    subscription = services.subscription_start_trial(city=alpha)
    report = services.trials_expire(on=subscription.trial_ends_on)
    assert report == {"activated": 0, "suspended": 1}
    subscription.refresh_from_db()
    alpha.refresh_from_db()
    assert subscription.status == S.SUSPENDED and subscription.city_suspended_by_billing
    assert alpha.status == CityStatus.SUSPENDED


def test_trial_end_with_a_plan_activates_and_invoices(alpha: City) -> None:
    subscription = services.subscription_start_trial(city=alpha)
    services.subscription_change_plan(subscription=subscription, plan=plan("village"), actor="mayor")
    assert services.trials_expire(on=subscription.trial_ends_on) == {"activated": 1, "suspended": 0}
    subscription.refresh_from_db()
    assert subscription.status == S.ACTIVE
    assert subscription.current_period_start == subscription.trial_ends_on
    invoice = Invoice.objects.get(subscription=subscription)
    assert invoice.status == InvoiceStatus.OPEN and invoice.subtotal_cents == 120_000
    alpha.refresh_from_db()
    assert alpha.status == CityStatus.ACTIVE


def test_a_suspended_trial_comes_back_when_a_plan_is_taken(alpha: City) -> None:
    subscription = services.subscription_start_trial(city=alpha)
    services.trials_expire(on=subscription.trial_ends_on)
    subscription.refresh_from_db()
    services.subscription_change_plan(subscription=subscription, plan=plan("village"), actor="ops")
    services.subscription_activate(subscription=subscription, actor="ops", reason="Plan taken after the trial.")
    subscription.refresh_from_db()
    alpha.refresh_from_db()
    assert subscription.status == S.ACTIVE and alpha.status == CityStatus.ACTIVE


def test_cancelled_subscription_cannot_change_plan(alpha: City) -> None:
    subscription = _at(alpha, S.CANCELLED)
    with pytest.raises(ApplicationError):
        services.subscription_change_plan(subscription=subscription, plan=plan("city"), actor="ops")


def test_period_rolls_over_and_invoices_once(alpha: City) -> None:
    subscription = active_subscription(alpha)
    assert services.invoices_generate_due(on=START + datetime.timedelta(days=10)) == 0
    assert services.invoices_generate_due(on=datetime.date(2026, 3, 1)) == 1
    assert services.invoices_generate_due(on=datetime.date(2026, 3, 2)) == 0
    subscription.refresh_from_db()
    assert (subscription.current_period_start, subscription.current_period_end) == (
        datetime.date(2026, 3, 1),
        datetime.date(2027, 3, 1),
    )
    assert Invoice.objects.filter(subscription=subscription, kind="period").count() == 2
