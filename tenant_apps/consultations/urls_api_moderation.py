"""/api/v1/consultations/moderation/ on a city host: the moderation queue and decisions (staff)."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-moderation-api"

urlpatterns: list[URLPattern | URLResolver] = []
