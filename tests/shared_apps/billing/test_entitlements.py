"""Entitlements as a tenant app sees them: through shared_apps.billing.interface, from inside a city."""

from __future__ import annotations

import dataclasses

import pytest

from core.exceptions import ApplicationError
from shared_apps.billing import interface, services
from shared_apps.billing.models import Subscription
from tenants.context import current_city, in_city
from tenants.models import City
from tests.shared_apps.billing.conftest import active_subscription


def _publish_consultation(open_now: int) -> None:
    """What a consultations app does before opening one more: ask billing through its interface."""
    interface.check_entitlement(city_id=current_city().id, feature="open_consultations", current_count=open_now)


def test_plan_limit_is_refused_with_the_plan_and_the_upgrade(alpha: City) -> None:
    active_subscription(alpha, code="village")
    with in_city(city_id=alpha.id):
        _publish_consultation(2)  # the 3rd is fine
        with pytest.raises(ApplicationError) as caught:
            _publish_consultation(3)  # the 4th is not
    assert caught.value.code == "plan_limit" and caught.value.status_code == 403
    assert caught.value.message == "Your plan (Village) allows 3 open consultations; upgrade to Town to open more."


def test_feature_needs_the_plan_and_the_admin(alpha: City) -> None:
    active_subscription(alpha, code="village")
    with in_city(city_id=alpha.id), pytest.raises(ApplicationError) as caught:
        interface.check_entitlement(city_id=alpha.id, feature="participatory_budgeting")
    assert caught.value.code == "plan_limit"
    assert "does not include participatory budgeting; upgrade to Town" in caught.value.message

    interface.check_entitlement(city_id=alpha.id, feature="surveys")
    services.feature_set(city_id=alpha.id, feature="surveys", enabled=False, actor="admin@alpha.example")
    with pytest.raises(ApplicationError) as caught:
        interface.check_entitlement(city_id=alpha.id, feature="surveys")
    assert caught.value.code == "feature_disabled" and "/manage/billing/" in caught.value.message
    assert not interface.entitlements_for_city(city_id=alpha.id).allows("surveys")


def test_enabling_what_the_plan_does_not_allow_is_refused(alpha: City) -> None:
    active_subscription(alpha, code="village")
    with pytest.raises(ApplicationError) as caught:
        services.feature_set(city_id=alpha.id, feature="analysis", enabled=True, actor="admin")
    assert caught.value.code == "plan_limit" and "upgrade to City" in caught.value.message


def test_largest_plan_has_no_limit_and_nowhere_to_upgrade(alpha: City) -> None:
    active_subscription(alpha, code="region")
    interface.check_entitlement(city_id=alpha.id, feature="open_consultations", current_count=10_000)
    entitlements = interface.entitlements_for_city(city_id=alpha.id)
    assert entitlements.max_open_consultations is None and entitlements.allows("custom_domain")


def test_verification_methods_follow_the_plan(alpha: City) -> None:
    active_subscription(alpha, code="town")
    interface.check_verification_method(city_id=alpha.id, method="sms")
    with pytest.raises(ApplicationError) as caught:
        interface.check_verification_method(city_id=alpha.id, method="eid")
    assert caught.value.code == "plan_limit"


def test_a_city_without_subscription_gets_the_default_trial(beta: City) -> None:
    assert not Subscription.objects.filter(city=beta).exists()
    entitlements = interface.entitlements_for_city(city_id=beta.id)
    assert entitlements.plan_code == "town" and entitlements.is_trial
    with pytest.raises(dataclasses.FrozenInstanceError):
        entitlements.plan_code = "region"  # type: ignore[misc]


def test_start_trial_through_the_interface(beta: City) -> None:
    ref = interface.subscription_start_trial(city_id=beta.id, plan_code="village")
    assert ref.status == "trialing" and ref.plan_code == "village"
    assert interface.subscription_start_trial(city_id=beta.id).id == ref.id
