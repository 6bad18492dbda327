"""Seed the plan catalogue (operators edit it afterwards; re-running changes nothing that exists)."""

from django.db import migrations

PLANS = [
    {
        "code": "village",
        "name": "Village",
        "rank": 10,
        "max_population": 5_000,
        "yearly_price_cents": 120_000,
        "trial_days": 30,
        "allows_participatory_budgeting": False,
        "allows_surveys": True,
        "allows_analysis": False,
        "allows_custom_domain": False,
        "verification_methods": ["email"],
        "max_open_consultations": 3,
        "max_staff_seats": 3,
    },
    {
        "code": "town",
        "name": "Town",
        "rank": 20,
        "max_population": 50_000,
        "yearly_price_cents": 480_000,
        "trial_days": 30,
        "allows_participatory_budgeting": True,
        "allows_surveys": True,
        "allows_analysis": False,
        "allows_custom_domain": False,
        "verification_methods": ["email", "sms"],
        "max_open_consultations": 10,
        "max_staff_seats": 10,
        "is_default_trial": True,
    },
    {
        "code": "city",
        "name": "City",
        "rank": 30,
        "max_population": 500_000,
        "yearly_price_cents": 1_440_000,
        "trial_days": 30,
        "allows_participatory_budgeting": True,
        "allows_surveys": True,
        "allows_analysis": True,
        "allows_custom_domain": True,
        "verification_methods": ["email", "sms", "eid"],
        "max_open_consultations": 50,
        "max_staff_seats": 50,
    },
    {
        "code": "region",
        "name": "Region",
        "rank": 40,
        "max_population": None,
        "yearly_price_cents": 4_800_000,
        "trial_days": 60,
        "allows_participatory_budgeting": True,
        "allows_surveys": True,
        "allows_analysis": True,
        "allows_custom_domain": True,
        "verification_methods": ["email", "sms", "eid"],
        "max_open_consultations": None,
        "max_staff_seats": None,
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for values in PLANS:
        values = dict(values)
        Plan.objects.get_or_create(code=values.pop("code"), defaults={"currency": "EUR", **values})


def unseed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.filter(code__in=[p["code"] for p in PLANS], subscriptions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
