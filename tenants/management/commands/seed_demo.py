"""`manage.py seed_demo`: demo cities with realistic data; safe to run again (nothing duplicated)."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from tenants.demo import DEMO_CITIES, OPERATOR_EMAIL, seed_demo


class Command(BaseCommand):
    help = "Create the demo operator and the demo cities (demo, region) with their data, once."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--password", default="fluicity-demo", help="Password of every demo account.")

    def handle(self, *args: Any, **options: Any) -> None:
        cities = seed_demo(password=options["password"], log=lambda m: self.stdout.write(f"  {m}"))
        port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
        root = f"{settings.PUBLIC_URL_SCHEME}://{settings.BASE_DOMAIN}{port}/"
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Accounts (password: {options['password']}):"))
        self.stdout.write(f"  operator     {OPERATOR_EMAIL:38} {root}admin/")
        for demo, city in zip(DEMO_CITIES, cities, strict=True):
            admin_email = f"admin@{demo.slug}.fluicity.example"
            self.stdout.write(f"  city admin   {admin_email:38} {city.absolute_url()}")
