"""/consultations/ on a city host: residents' pages (consultations, contributions, results)."""

from django.urls import URLPattern, URLResolver

app_name = "consultations"

urlpatterns: list[URLPattern | URLResolver] = []
