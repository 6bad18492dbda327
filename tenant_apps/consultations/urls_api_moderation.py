"""/api/v1/consultations/moderation/ on a city host: the moderation queue and decisions (staff)."""

from django.urls import URLPattern, URLResolver, path

from tenant_apps.consultations.api import moderation

app_name = "consultations-moderation-api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("queue/", moderation.QueueListApi.as_view(), name="queue"),
    path("decisions/", moderation.DecisionCreateApi.as_view(), name="decisions"),
    path("settings/", moderation.SettingsApi.as_view(), name="settings"),
    path("log/", moderation.DecisionLogApi.as_view(), name="log"),
]
