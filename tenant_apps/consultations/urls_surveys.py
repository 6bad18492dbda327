"""/consultations/<slug>/surveys/ and its back-office: survey pages."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-surveys"

urlpatterns: list[URLPattern | URLResolver] = []
