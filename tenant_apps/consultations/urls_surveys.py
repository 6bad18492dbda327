"""/consultations/<slug>/surveys/ on a city host: answering a survey and reading its results."""

from django.urls import path

from tenant_apps.consultations.views import surveys

app_name = "consultations-surveys"

urlpatterns = [
    path("", surveys.survey_list, name="list"),
    path("<int:survey_id>/", surveys.survey_detail, name="detail"),
    path("<int:survey_id>/thanks/", surveys.survey_thanks, name="thanks"),
    path("<int:survey_id>/results/", surveys.survey_results, name="results"),
]
