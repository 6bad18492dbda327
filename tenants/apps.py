from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    label = "tenants"
    verbose_name = "Cities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenants import routing

        routing.connect_invalidation()
