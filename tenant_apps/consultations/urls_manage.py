"""/manage/consultations/ on a city host: the staff back-office of consultations."""

from django.urls import URLPattern, URLResolver

app_name = "consultations-manage"

urlpatterns: list[URLPattern | URLResolver] = []
