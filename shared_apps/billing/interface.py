"""The only billing functions other apps (tenant apps included) may call: ids in, frozen dataclasses out.

Tenant code typically asks before doing something the plan limits::

    from shared_apps.billing import interface as billing
    from tenants.context import current_city

    billing.check_entitlement(city_id=current_city().id, feature="open_consultations",
                              current_count=Consultation.objects.open().count())

which raises ``ApplicationError(code="plan_limit")`` (HTTP 403) with a message naming the plan, its
limit, and the plan to upgrade to, or ``code="feature_disabled"`` when the plan allows the feature but
the city's admin turned it off.
"""

from __future__ import annotations

from django.conf import settings

from core.exceptions import ApplicationError
from shared_apps.billing import selectors
from shared_apps.billing.contracts import CityBillingSummary, Entitlements, SubscriptionRef
from shared_apps.billing.models import LIMIT_FEATURES, Feature, Subscription
from tenants.models import City

__all__ = [
    "Entitlements",
    "Feature",
    "SubscriptionRef",
    "check_entitlement",
    "check_verification_method",
    "entitlements_for_city",
    "plan_limit_message",
    "subscription_for_city",
    "subscription_start_trial",
]

BILLING_PAGE = "/manage/billing/"
_LIMIT_WORDS = {
    Feature.OPEN_CONSULTATIONS: ("open consultations", "open more"),
    Feature.STAFF_SEATS: ("staff seats", "add more"),
}


def entitlements_for_city(*, city_id: int) -> Entitlements:
    """The city's plan, status, and every feature with whether the plan allows it and the city enabled
    it. A city with no subscription yet gets the default trial plan."""
    return selectors.entitlements_for_city(city_id=city_id)


def plan_limit_message(*, plan_code: str, feature: str, needed: int | None = None) -> str:
    """The sentence shown when ``feature`` (or one more of it) is beyond plan ``plan_code``."""
    plan = selectors.plan_get(code=plan_code)
    upgrade = selectors.plan_upgrade_for(plan=plan, feature=feature, needed=needed)
    if feature in LIMIT_FEATURES:
        noun, verb = _LIMIT_WORDS[Feature(feature)]
        limit = selectors.plan_limit(plan, feature)
        head = f"Your plan ({plan.name}) allows {limit} {noun}"
    else:
        verb = "use it"
        head = f"Your plan ({plan.name}) does not include {Feature(feature).label.lower()}"
    if upgrade is not None:
        return f"{head}; upgrade to {upgrade.name} to {verb}."
    return f"{head}; contact {settings.PLATFORM_CONTACT_EMAIL} to {verb}."


def check_entitlement(*, city_id: int, feature: str, current_count: int | None = None) -> None:
    """Refuse (ApplicationError, HTTP 403) what the city's plan or its admin does not allow.

    For a limit feature (``open_consultations``, ``staff_seats``) pass ``current_count``, the number
    in use *before* the action: the action is refused when ``current_count`` already reaches the limit.
    """
    if feature not in Feature.values:
        raise ValueError(f"Unknown billing feature {feature!r}.")
    entitlements = selectors.entitlements_for_city(city_id=city_id)
    state = entitlements.feature(feature)
    if feature in LIMIT_FEATURES:
        if current_count is None:
            raise ValueError(f"check_entitlement({feature!r}) needs current_count.")
        if state.limit is not None and current_count >= state.limit:
            raise ApplicationError(
                plan_limit_message(plan_code=entitlements.plan_code, feature=feature, needed=current_count + 1),
                code="plan_limit",
                status_code=403,
            )
        return
    if not state.allowed:
        raise ApplicationError(
            plan_limit_message(plan_code=entitlements.plan_code, feature=feature), code="plan_limit", status_code=403
        )
    if not state.enabled:
        raise ApplicationError(
            f"{state.label} is turned off for your city; an administrator can turn it on at {BILLING_PAGE}.",
            code="feature_disabled",
            status_code=403,
        )


def check_verification_method(*, city_id: int, method: str) -> None:
    """Refuse a verification method (``email``, ``sms``, ``eid``...) that the plan does not include."""
    check_entitlement(city_id=city_id, feature=Feature.VERIFICATION)
    entitlements = selectors.entitlements_for_city(city_id=city_id)
    if method not in entitlements.verification_methods:
        allowed = ", ".join(entitlements.verification_methods) or "none"
        raise ApplicationError(
            f"Your plan ({entitlements.plan_name}) includes these verification methods: {allowed}; "
            f"upgrade to use {method}.",
            code="plan_limit",
            status_code=403,
        )


def _ref(subscription: Subscription) -> SubscriptionRef:
    return SubscriptionRef(
        id=subscription.pk,
        city_id=subscription.city_id,
        plan_code=subscription.plan.code,
        status=subscription.status,
        trial_ends_on=subscription.trial_ends_on,
        current_period_start=subscription.current_period_start,
        current_period_end=subscription.current_period_end,
    )


def subscription_for_city(*, city_id: int) -> SubscriptionRef | None:
    subscription = selectors.subscription_for_city(city_id=city_id)
    return _ref(subscription) if subscription else None


def subscription_start_trial(
    *, city_id: int, plan_code: str | None = None, billing_email: str = "", new_city: bool = False
) -> SubscriptionRef:
    """Start a new city's trial (idempotent). Provisioning calls this once the city exists, with the
    first admin's email as the billing contact and ``new_city=True`` (the city was created in the same
    transaction, so there is no earlier subscription to look for)."""
    from shared_apps.billing.services import subscription_start_trial as start
    from shared_apps.billing.services.subscriptions import subscription_start_trial_new_city

    plan = selectors.plan_get(code=plan_code) if plan_code else None
    if new_city:
        return _ref(subscription_start_trial_new_city(city_id=city_id, plan=plan, billing_email=billing_email))
    return _ref(start(city=City.objects.get(pk=city_id), plan=plan, billing_email=billing_email))


def city_release(*, city_id: int, actor: str) -> None:
    """Before a city is deleted: refuse while it owes an invoice, else cancel its live subscription.
    Invoices and the subscription history stay (accounting records), detached from the city."""
    from shared_apps.billing.models import Invoice, InvoiceStatus, Subscription, SubscriptionStatus
    from shared_apps.billing.services.subscriptions import subscription_transition

    unpaid = Invoice.objects.filter(city_id=city_id, status=InvoiceStatus.OPEN).count()
    if unpaid:
        raise ApplicationError(
            f"This city has {unpaid} unpaid invoice(s): record the payment or cancel the invoice(s) "
            "before deleting it.",
            code="unpaid_invoices",
        )
    for subscription in Subscription.objects.filter(city_id=city_id).exclude(status=SubscriptionStatus.CANCELLED):
        subscription_transition(
            subscription=subscription, to_status=SubscriptionStatus.CANCELLED, actor=actor, reason="City deleted."
        )


def city_summaries(*, city_ids: list[int]) -> dict[int, CityBillingSummary]:
    """Plan, status and latest usage for many cities in two queries (the operators' city list)."""
    from shared_apps.billing.models import Subscription, SubscriptionStatus, UsageRecord

    summaries: dict[int, CityBillingSummary] = {}
    subscriptions = {
        s.city_id: s
        for s in Subscription.objects.filter(city_id__in=city_ids)
        .exclude(status=SubscriptionStatus.CANCELLED)
        .select_related("plan")
    }
    latest = {
        u.city_id: u
        for u in UsageRecord.objects.filter(city_id__in=city_ids).order_by("city_id", "-day").distinct("city_id")
    }
    for city_id in city_ids:
        subscription, usage = subscriptions.get(city_id), latest.get(city_id)
        summaries[city_id] = CityBillingSummary(
            city_id=city_id,
            plan_name=subscription.plan.name if subscription else "",
            status=subscription.get_status_display() if subscription else "",
            usage_day=usage.day if usage else None,
            participants_active=usage.participants_active if usage else None,
            storage_bytes=usage.storage_bytes if usage else None,
        )
    return summaries
