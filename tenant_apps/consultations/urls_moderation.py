"""/manage/consultations/moderation/: the moderation queue, settings and audit log."""

from django.urls import URLPattern, URLResolver, path

from tenant_apps.consultations.views import moderation

app_name = "consultations-moderation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", moderation.queue, name="queue"),
    path("decide/", moderation.decide, name="decide"),
    path("settings/", moderation.settings_page, name="settings"),
    path("log/", moderation.log, name="log"),
]
