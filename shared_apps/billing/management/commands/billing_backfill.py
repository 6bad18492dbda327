"""Start a trial for every city that has no subscription yet (safe to run again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shared_apps.billing.models import Subscription
from shared_apps.billing.services import subscription_start_trial
from tenants.context import in_public
from tenants.models import City


class Command(BaseCommand):
    help = "Create a trial subscription for each city without one."

    def handle(self, *args: Any, **options: Any) -> None:
        created = 0
        with in_public():
            for city in City.objects.exclude(pk__in=Subscription.objects.values("city_id")).order_by("id"):
                subscription_start_trial(city=city, actor="billing_backfill")
                created += 1
        self.stdout.write(f"{created} trial(s) started.")
