"""Subscription lifecycle: trial, activation, plan changes with proration, dunning, suspension.

Allowed transitions (anything else is refused and nothing is recorded)::

    trialing  -> active | suspended | cancelled
    active    -> past_due | cancelled
    past_due  -> active | suspended | cancelled
    suspended -> active | cancelled
    cancelled -> (final)

Suspending a subscription suspends its city through ``tenants.services.city_suspend``; returning to
active resumes the city only if billing was what suspended it (an operator's own suspension stays).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from shared_apps.billing import conf, selectors
from shared_apps.billing.models import Invoice, InvoiceStatus, Plan, Subscription, SubscriptionEvent, SubscriptionStatus
from shared_apps.billing.vat import round_half_up
from tenants import services as city_services
from tenants.models import City, CityStatus

S = SubscriptionStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.TRIALING: frozenset({S.ACTIVE, S.SUSPENDED, S.CANCELLED}),
    S.ACTIVE: frozenset({S.PAST_DUE, S.CANCELLED}),
    S.PAST_DUE: frozenset({S.ACTIVE, S.SUSPENDED, S.CANCELLED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}
SYSTEM_ACTOR = "system"


def add_years(day: datetime.date, years: int = 1) -> datetime.date:
    """Same day ``years`` later; 29 February becomes 28 February."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def _lock(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update(of=("self",)).select_related("plan", "city").get(pk=subscription.pk)


# savepoint=False: inside provisioning's transaction this joins it instead of adding savepoint round trips;
# called on its own it still runs in a transaction of its own.
@transaction.atomic(savepoint=False)
def subscription_start_trial(
    *, city: City, plan: Plan | None = None, actor: str = SYSTEM_ACTOR, billing_email: str = ""
) -> Subscription:
    """Start the city's trial on ``plan`` (default: the catalogue's trial plan). Idempotent: a city that
    already has a live subscription keeps it. Two truly simultaneous first calls for one city cannot both
    succeed: the partial unique constraint (one live subscription per city) fails the second."""
    existing = Subscription.objects.filter(city=city).exclude(status=S.CANCELLED).first()
    if existing is not None:
        return existing
    return _trial_create(city_id=city.pk, plan=plan, actor=actor, billing_email=billing_email or _admin_email(city))


@transaction.atomic(savepoint=False)
def subscription_start_trial_new_city(
    *, city_id: int, billing_email: str, plan: Plan | None = None, actor: str = SYSTEM_ACTOR
) -> Subscription:
    """``subscription_start_trial`` for a city created in the current transaction: it cannot have a
    subscription yet, so neither the city nor its subscriptions are read (provisioning's fast path; the
    one-live-subscription constraint still guards against any mistake)."""
    return _trial_create(city_id=city_id, plan=plan, actor=actor, billing_email=billing_email)


def _trial_create(*, city_id: int, plan: Plan | None, actor: str, billing_email: str) -> Subscription:
    plan = plan or selectors.plan_default_trial()
    start = timezone.localdate()
    subscription = Subscription.objects.create(
        city_id=city_id,
        plan=plan,
        status=S.TRIALING,
        trial_ends_on=start + datetime.timedelta(days=plan.trial_days),
        billing_email=billing_email,
    )
    SubscriptionEvent.objects.create(
        subscription=subscription,
        kind=SubscriptionEvent.Kind.CREATED,
        to_status=S.TRIALING,
        to_plan=plan.code,
        actor=actor,
        reason=f"Trial of {plan.trial_days} days.",
    )
    return subscription


def _admin_email(city: City) -> str:
    job = city.provisioning_jobs.order_by("created_at").first()
    return job.admin_email if job else ""


@transaction.atomic
def subscription_transition(*, subscription: Subscription, to_status: str, actor: str, reason: str) -> Subscription:
    """Move to ``to_status`` if the lifecycle allows it, record who/when/why, and apply the effect on the
    city (suspend / resume)."""
    subscription = _lock(subscription)
    from_status = subscription.status
    if to_status not in ALLOWED_TRANSITIONS.get(from_status, frozenset()):
        raise ApplicationError(
            f"A subscription cannot go from {S(from_status).label} to {S(to_status).label}.",
            code="invalid_transition",
        )
    if not reason.strip():
        raise ApplicationError("Say why.", code="reason_required", fields={"reason": ["This field is required."]})
    subscription.status = to_status
    fields = ["status", "updated_at"]
    city = City.objects.select_for_update().get(pk=subscription.city_id)
    if to_status == S.SUSPENDED and city.status == CityStatus.ACTIVE:
        city_services.city_suspend(city=city)
        subscription.city_suspended_by_billing = True
        fields.append("city_suspended_by_billing")
    elif to_status == S.ACTIVE and subscription.city_suspended_by_billing:
        if city.status == CityStatus.SUSPENDED:
            city_services.city_resume(city=city)
        subscription.city_suspended_by_billing = False
        fields.append("city_suspended_by_billing")
    subscription.save(update_fields=fields)
    SubscriptionEvent.objects.create(
        subscription=subscription,
        kind=SubscriptionEvent.Kind.TRANSITION,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
    )
    return subscription


@transaction.atomic
def subscription_activate(
    *, subscription: Subscription, actor: str, reason: str = "Trial converted.", on: datetime.date | None = None
) -> Subscription:
    """End the trial: the yearly period starts ``on`` (today) and its invoice is issued."""
    from shared_apps.billing.services.invoices import invoice_issue_for_period

    on = on or timezone.localdate()
    subscription = _lock(subscription)
    # A trial, or a city suspended at the end of its trial (never billed) that now takes a plan.
    if not (
        subscription.status == S.TRIALING
        or (subscription.status == S.SUSPENDED and subscription.current_period_start is None)
    ):
        raise ApplicationError("Only a subscription on trial can be activated.", code="invalid_transition")
    subscription.current_period_start = on
    subscription.current_period_end = add_years(on)
    if subscription.plan_chosen_at is None:
        subscription.plan_chosen_at = timezone.now()
    subscription.save(update_fields=["current_period_start", "current_period_end", "plan_chosen_at", "updated_at"])
    subscription = subscription_transition(subscription=subscription, to_status=S.ACTIVE, actor=actor, reason=reason)
    invoice_issue_for_period(subscription_id=subscription.pk, period_start=on, on=on)
    return subscription


@dataclass(frozen=True)
class Proration:
    """Moving from one yearly price to another for the rest of the period, rounded half-up per line."""

    remaining_days: int
    period_days: int
    credit_cents: int  # unused part of the old plan
    charge_cents: int  # remaining part of the new plan

    @property
    def net_cents(self) -> int:
        return self.charge_cents - self.credit_cents


def proration_compute(
    *,
    old_yearly_cents: int,
    new_yearly_cents: int,
    period_start: datetime.date,
    period_end: datetime.date,
    on: datetime.date,
) -> Proration:
    """Day-based proration over [on, period_end) of a [period_start, period_end) period."""
    if not period_start <= on < period_end:
        raise ApplicationError("The change date is outside the current period.", code="invalid_date")
    period_days = (period_end - period_start).days
    remaining = (period_end - on).days
    share = Decimal(remaining) / Decimal(period_days)
    return Proration(
        remaining_days=remaining,
        period_days=period_days,
        credit_cents=round_half_up(Decimal(old_yearly_cents) * share),
        charge_cents=round_half_up(Decimal(new_yearly_cents) * share),
    )


@transaction.atomic
def subscription_change_plan(
    *, subscription: Subscription, plan: Plan, actor: str, on: datetime.date | None = None
) -> Subscription:
    """Change plan. On trial: the plan is chosen, nothing is billed yet. Mid-period (active/past due):
    an upgrade is invoiced now for the rest of the period; a downgrade becomes a credit deducted from the
    next yearly invoice."""
    from shared_apps.billing.services.invoices import invoice_issue_proration

    on = on or timezone.localdate()
    subscription = _lock(subscription)
    old_plan = subscription.plan
    never_billed = subscription.current_period_start is None
    if subscription.status == S.CANCELLED or (subscription.status == S.SUSPENDED and not never_billed):
        raise ApplicationError(
            f"The plan of a {S(subscription.status).label.lower()} subscription cannot change.", code="invalid_status"
        )
    if old_plan.pk == plan.pk and subscription.plan_chosen_at is not None:
        raise ApplicationError(f"The city is already on {plan.name}.", code="same_plan")
    if plan.currency != old_plan.currency and subscription.status != S.TRIALING:
        raise ApplicationError("A plan in another currency cannot be taken mid-period.", code="currency_mismatch")
    subscription.plan = plan
    subscription.plan_chosen_at = timezone.now()
    fields = ["plan", "plan_chosen_at", "updated_at"]
    proration: Proration | None = None
    if subscription.status in selectors.BILLABLE_STATUSES and old_plan.pk != plan.pk:
        assert subscription.current_period_start and subscription.current_period_end
        proration = proration_compute(
            old_yearly_cents=old_plan.yearly_price_cents,
            new_yearly_cents=plan.yearly_price_cents,
            period_start=subscription.current_period_start,
            period_end=subscription.current_period_end,
            on=on,
        )
        if proration.net_cents < 0:
            subscription.credit_cents += -proration.net_cents
            fields.append("credit_cents")
    subscription.save(update_fields=fields)
    event = SubscriptionEvent.objects.create(
        subscription=subscription,
        kind=SubscriptionEvent.Kind.PLAN_CHANGE,
        from_plan=old_plan.code,
        to_plan=plan.code,
        from_status=subscription.status,
        to_status=subscription.status,
        actor=actor,
        reason=(
            f"Prorated over {proration.remaining_days}/{proration.period_days} days: "
            f"credit {proration.credit_cents}, charge {proration.charge_cents} (cents)."
            if proration
            else "Plan chosen."
        ),
    )
    if proration and proration.net_cents > 0:
        invoice_issue_proration(subscription=subscription, event=event, old_plan=old_plan, proration=proration, on=on)
    return subscription


def trials_expire(*, on: datetime.date | None = None) -> dict[str, int]:
    """Trials that ended: converted when a plan was chosen, otherwise suspended (with the city)."""
    on = on or timezone.localdate()
    report = {"activated": 0, "suspended": 0}
    ids = list(Subscription.objects.filter(status=S.TRIALING, trial_ends_on__lte=on).values_list("pk", flat=True))
    for pk in ids:
        subscription = Subscription.objects.get(pk=pk)
        if subscription.status != S.TRIALING:  # changed meanwhile
            continue
        if subscription.plan_chosen_at is not None:
            subscription_activate(
                subscription=subscription, actor=SYSTEM_ACTOR, reason="Trial ended; plan chosen.", on=on
            )
            report["activated"] += 1
        else:
            subscription_transition(
                subscription=subscription,
                to_status=S.SUSPENDED,
                actor=SYSTEM_ACTOR,
                reason=f"Trial ended on {subscription.trial_ends_on} without a plan.",
            )
            report["suspended"] += 1
    return report


def dunning_run(*, on: datetime.date | None = None) -> dict[str, int]:
    """Overdue invoices put their subscription past due; still unpaid ``grace_days`` after the due date,
    the subscription and its city are suspended. Safe to run any number of times a day."""
    on = on or timezone.localdate()
    grace = datetime.timedelta(days=conf.grace_days())
    report = {"past_due": 0, "suspended": 0}
    overdue = selectors.invoices_overdue(on=on).filter(subscription__status__in=selectors.BILLABLE_STATUSES)
    for invoice in overdue.select_related("subscription").order_by("due_on"):
        subscription = Subscription.objects.get(pk=invoice.subscription_id)
        if subscription.status == S.ACTIVE:
            subscription = subscription_transition(
                subscription=subscription,
                to_status=S.PAST_DUE,
                actor=SYSTEM_ACTOR,
                reason=f"Invoice {invoice.number} was due on {invoice.due_on}.",
            )
            report["past_due"] += 1
        if subscription.status == S.PAST_DUE and invoice.due_on + grace < on:
            subscription_transition(
                subscription=subscription,
                to_status=S.SUSPENDED,
                actor=SYSTEM_ACTOR,
                reason=f"Invoice {invoice.number} unpaid {conf.grace_days()} days after its due date.",
            )
            report["suspended"] += 1
    return report


def subscription_settle(*, subscription: Subscription, actor: str, reason: str) -> Subscription:
    """After a payment: with nothing overdue any more, a past-due or suspended subscription is active
    again (and a city billing suspended is resumed)."""
    subscription.refresh_from_db()
    if subscription.status not in (S.PAST_DUE, S.SUSPENDED):
        return subscription
    still_overdue = Invoice.objects.filter(
        subscription=subscription, status=InvoiceStatus.OPEN, due_on__lt=timezone.localdate()
    ).exists()
    if still_overdue:
        return subscription
    return subscription_transition(subscription=subscription, to_status=S.ACTIVE, actor=actor, reason=reason)
