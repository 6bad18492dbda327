"""/manage/consultations/<slug>/exports/: CSV and XLSX exports."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-exports"

urlpatterns: list[URLPattern | URLResolver] = []
