"""/api/v1/consultations/ on a city host."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-api"

urlpatterns: list[URLPattern | URLResolver] = []
