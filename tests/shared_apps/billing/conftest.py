"""Billing fixtures: subscriptions on the session's cities (rolled back with each test)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shared_apps.billing import services
from shared_apps.billing.models import Plan, Subscription
from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD, city_host

START = datetime.date(2025, 3, 1)


@pytest.fixture(autouse=True)
def _cities_without_subscription(request: pytest.FixtureRequest) -> None:
    """Provisioning starts every city on a trial; these tests start from a city without a subscription
    (as a city provisioned before billing existed), so that each one sets up exactly what it checks.
    Rolled back with the test. Tests on committed data (real concurrency) manage their own rows."""
    if "committed_subscriptions" in request.fixturenames:
        return
    request.getfixturevalue("db")
    Subscription.objects.all().delete()


def plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


def active_subscription(city: City, *, code: str = "village", on: datetime.date = START) -> Subscription:
    """A subscription converted from its trial on ``on``: active, with its first yearly invoice."""
    subscription = services.subscription_start_trial(
        city=city, plan=plan(code), billing_email=f"finance@{city.slug}.example"
    )
    subscription = services.subscription_change_plan(subscription=subscription, plan=plan(code), actor="test", on=on)
    return services.subscription_activate(subscription=subscription, actor="test", on=on)


@pytest.fixture
def alpha_sub(alpha: City) -> Subscription:
    return active_subscription(alpha)


def staff_client(city: City, *, is_staff: bool = True) -> Client:
    """A client logged in as a (staff) user of ``city``'s own schema."""
    with in_city(city_id=city.id):
        user = get_user_model().objects.create_user(
            email=f"{'staff' if is_staff else 'resident'}-billing@{city.slug}.example",
            password=PASSWORD,
            is_staff=is_staff,
        )
        client = Client(HTTP_HOST=city_host(city.slug))
        client.force_login(user)  # the session is written in the city's schema, as its login page would
    return client
