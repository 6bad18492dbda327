from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "tenant_apps.budgets"
    label = "budgets"
    verbose_name = "Participatory budgeting"
    default_auto_field = "django.db.models.BigAutoField"
