"""Reads of billing data. City-facing reads always take the city id and filter on it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from core.exceptions import NotFoundError
from shared_apps.billing.contracts import Entitlements, FeatureState
from shared_apps.billing.models import (
    BOOLEAN_FEATURES,
    Feature,
    FeatureSetting,
    Invoice,
    InvoiceStatus,
    Plan,
    Subscription,
    SubscriptionStatus,
    UsageRecord,
)
from shared_apps.billing.vat import round_half_up

BILLABLE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def today() -> datetime.date:
    return timezone.localdate()


def plan_list(*, offered_only: bool = False) -> QuerySet[Plan]:
    plans = Plan.objects.all()
    return plans.filter(is_public=True) if offered_only else plans


def plan_get(*, code: str) -> Plan:
    plan = Plan.objects.filter(code=code).first()
    if plan is None:
        raise NotFoundError(f"No plan {code!r}.", code="unknown_plan")
    return plan


def plan_default_trial() -> Plan:
    """The plan a trial runs on: the one flagged as such, else the smallest."""
    plan = Plan.objects.order_by("-is_default_trial", "rank", "pk").first()  # one query either way
    if plan is None:
        raise NotFoundError("The plan catalogue is empty.", code="no_plans")
    return plan


def plan_allows(plan: Plan, feature: str) -> bool:
    if feature == Feature.PARTICIPATORY_BUDGETING:
        return plan.allows_participatory_budgeting
    if feature == Feature.SURVEYS:
        return plan.allows_surveys
    if feature == Feature.ANALYSIS:
        return plan.allows_analysis
    if feature == Feature.CUSTOM_DOMAIN:
        return plan.allows_custom_domain
    if feature == Feature.VERIFICATION:
        return bool(plan.verification_methods)
    if feature in (Feature.OPEN_CONSULTATIONS, Feature.STAFF_SEATS):
        return plan_limit(plan, feature) != 0
    raise KeyError(feature)


def plan_limit(plan: Plan, feature: str) -> int | None:
    if feature == Feature.OPEN_CONSULTATIONS:
        return plan.max_open_consultations
    if feature == Feature.STAFF_SEATS:
        return plan.max_staff_seats
    raise KeyError(feature)


def plan_upgrade_for(*, plan: Plan, feature: str, needed: int | None = None) -> Plan | None:
    """The smallest offered plan above ``plan`` that allows ``feature`` (and ``needed`` of it)."""
    for candidate in Plan.objects.filter(is_public=True, rank__gt=plan.rank).order_by("rank", "code"):
        if feature in (Feature.OPEN_CONSULTATIONS, Feature.STAFF_SEATS):
            limit = plan_limit(candidate, feature)
            if limit is None or (needed is not None and limit >= needed):
                return candidate
        elif plan_allows(candidate, feature):
            return candidate
    return None


def subscription_for_city(*, city_id: int) -> Subscription | None:
    """The city's live (not cancelled) subscription, or its latest one, or None."""
    subscriptions = Subscription.objects.select_related("plan", "city").filter(city_id=city_id)
    live = subscriptions.exclude(status=SubscriptionStatus.CANCELLED).first()
    return live or subscriptions.order_by("-created_at", "-id").first()


def feature_settings_for_city(*, city_id: int) -> dict[str, bool]:
    return dict(FeatureSetting.objects.filter(city_id=city_id).values_list("feature", "enabled"))


def entitlements_for_city(*, city_id: int) -> Entitlements:
    """What the city may use now. A city with no subscription yet is treated as trialing on the
    default trial plan (provisioning creates the real trial; see docs/billing.md)."""
    subscription = subscription_for_city(city_id=city_id)
    plan = subscription.plan if subscription else plan_default_trial()
    status = subscription.status if subscription else SubscriptionStatus.TRIALING
    enabled = feature_settings_for_city(city_id=city_id)
    features = tuple(
        FeatureState(
            code=str(code),
            label=str(code.label),
            allowed=plan_allows(plan, code),
            enabled=enabled.get(code, True),
        )
        for code in BOOLEAN_FEATURES
    ) + tuple(
        FeatureState(
            code=str(code),
            label=str(code.label),
            allowed=plan_allows(plan, code),
            enabled=True,  # limits are not switches
            limit=plan_limit(plan, code),
        )
        for code in (Feature.OPEN_CONSULTATIONS, Feature.STAFF_SEATS)
    )
    return Entitlements(
        city_id=city_id,
        plan_code=plan.code,
        plan_name=plan.name,
        status=str(status),
        is_trial=status == SubscriptionStatus.TRIALING,
        trial_ends_on=subscription.trial_ends_on if subscription else None,
        features=features,
        verification_methods=tuple(str(m) for m in plan.verification_methods or ()),
        max_open_consultations=plan.max_open_consultations,
        max_staff_seats=plan.max_staff_seats,
    )


# --- invoices -------------------------------------------------------------------------------------


def invoice_list_for_city(*, city_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(city_id=city_id).order_by("-issued_on", "-sequence")


def invoice_get_for_city(*, city_id: int, number: str) -> Invoice:
    """One invoice of this city; another city's number is "not found", never "forbidden"."""
    invoice = Invoice.objects.select_related("city").prefetch_related("lines").filter(city_id=city_id, number=number)
    found = invoice.first()
    if found is None:
        raise NotFoundError("No such invoice.")
    return found


def invoice_get(*, invoice_id: int) -> Invoice:
    found = Invoice.objects.select_related("city", "subscription").prefetch_related("lines", "payments")
    invoice = found.filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFoundError("No such invoice.")
    return invoice


def invoice_list(
    *, status: str | None = None, city_id: int | None = None, overdue: bool = False, on: datetime.date | None = None
) -> QuerySet[Invoice]:
    invoices = Invoice.objects.select_related("city")
    if status:
        invoices = invoices.filter(status=status)
    if city_id:
        invoices = invoices.filter(city_id=city_id)
    if overdue:
        invoices = invoices.filter(status=InvoiceStatus.OPEN, due_on__lt=on or today())
    return invoices.order_by("-issued_on", "-sequence")


def invoices_overdue(*, on: datetime.date | None = None) -> QuerySet[Invoice]:
    return Invoice.objects.filter(status=InvoiceStatus.OPEN, due_on__lt=on or today())


# --- operators -------------------------------------------------------------------------------------


def subscription_list(
    *, status: str | None = None, plan_code: str | None = None, country: str | None = None, query: str | None = None
) -> QuerySet[Subscription]:
    subscriptions = Subscription.objects.select_related("city", "plan")
    if status:
        subscriptions = subscriptions.filter(status=status)
    if plan_code:
        subscriptions = subscriptions.filter(plan__code=plan_code)
    if country:
        subscriptions = subscriptions.filter(city__country=country.upper())
    if query:
        subscriptions = subscriptions.filter(Q(city__name__icontains=query) | Q(city__slug__icontains=query))
    return subscriptions.order_by("city__name", "-created_at")


@dataclass(frozen=True)
class Revenue:
    currency: str
    mrr_cents: int
    arr_cents: int
    overdue_cents: int
    overdue_count: int
    open_cents: int
    billable_subscriptions: int


def revenue_overview(*, on: datetime.date | None = None) -> list[Revenue]:
    """MRR/ARR from billable subscriptions (active, past due) at their plan's yearly price, VAT excluded;
    overdue and open balances from invoices (VAT included). One entry per currency."""
    on = on or today()
    yearly = (
        Subscription.objects.filter(status__in=BILLABLE_STATUSES)
        .values(currency=F("plan__currency"))
        .annotate(arr=Sum("plan__yearly_price_cents"))
    )
    open_invoices = Invoice.objects.filter(status=InvoiceStatus.OPEN)
    currencies = {row["currency"] for row in yearly} | set(open_invoices.values_list("currency", flat=True))
    result = []
    for currency in sorted(currencies) or ["EUR"]:
        arr = sum(int(row["arr"] or 0) for row in yearly if row["currency"] == currency)
        billable = Subscription.objects.filter(status__in=BILLABLE_STATUSES, plan__currency=currency).count()
        in_currency = open_invoices.filter(currency=currency)
        overdue = in_currency.filter(due_on__lt=on)
        result.append(
            Revenue(
                currency=currency,
                mrr_cents=round_half_up(Decimal(arr) / 12),
                arr_cents=arr,
                overdue_cents=int(overdue.aggregate(s=Sum(F("total_cents") - F("paid_cents")))["s"] or 0),
                overdue_count=overdue.count(),
                open_cents=int(in_currency.aggregate(s=Sum(F("total_cents") - F("paid_cents")))["s"] or 0),
                billable_subscriptions=billable,
            )
        )
    return result


# --- usage -----------------------------------------------------------------------------------------


def usage_latest_for_city(*, city_id: int) -> UsageRecord | None:
    return UsageRecord.objects.filter(city_id=city_id).order_by("-day").first()


def usage_for_city(*, city_id: int, limit: int = 30) -> list[UsageRecord]:
    return list(UsageRecord.objects.filter(city_id=city_id).order_by("-day")[:limit])
