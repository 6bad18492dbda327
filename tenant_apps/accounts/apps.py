from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tenant_apps.accounts"
    label = "accounts"
    verbose_name = "Residents and staff"
    default_auto_field = "django.db.models.BigAutoField"
