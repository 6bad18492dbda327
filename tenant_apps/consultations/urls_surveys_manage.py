"""/manage/consultations/<slug>/surveys/: building surveys and reading their results."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-surveys-manage"

urlpatterns: list[URLPattern | URLResolver] = []
