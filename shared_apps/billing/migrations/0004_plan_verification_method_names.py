"""Name verification methods in the plan catalogue as the accounts app does (census, letter,
email_domain, sms; eid kept for electronic identity). Plans an operator has edited are left alone."""

from django.db import migrations

OLD_DEFAULTS = {
    "village": ["email"],
    "town": ["email", "sms"],
    "city": ["email", "sms", "eid"],
    "region": ["email", "sms", "eid"],
}
NEW_DEFAULTS = {
    "village": ["email_domain", "letter"],
    "town": ["email_domain", "letter", "census", "sms"],
    "city": ["email_domain", "letter", "census", "sms", "eid"],
    "region": ["email_domain", "letter", "census", "sms", "eid"],
}


def forwards(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in Plan.objects.filter(code__in=NEW_DEFAULTS):
        if plan.verification_methods == OLD_DEFAULTS[plan.code]:
            plan.verification_methods = NEW_DEFAULTS[plan.code]
            plan.save(update_fields=["verification_methods"])


def backwards(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in Plan.objects.filter(code__in=OLD_DEFAULTS):
        if plan.verification_methods == NEW_DEFAULTS[plan.code]:
            plan.verification_methods = OLD_DEFAULTS[plan.code]
            plan.save(update_fields=["verification_methods"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_city_set_null")]
    operations = [migrations.RunPython(forwards, backwards)]
