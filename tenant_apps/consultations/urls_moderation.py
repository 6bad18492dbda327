"""/manage/consultations/moderation/: the moderation queue, settings and audit log."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-moderation"

urlpatterns: list[URLPattern | URLResolver] = []
