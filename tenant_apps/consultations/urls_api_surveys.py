"""/api/v1/consultations/<slug>/surveys/ on a city host."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-surveys-api"

urlpatterns: list[URLPattern | URLResolver] = []
