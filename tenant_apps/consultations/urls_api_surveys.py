"""/api/v1/consultations/<slug>/surveys/ on a city host."""

from django.urls import path

from tenant_apps.consultations.api import surveys

app_name = "consultations-surveys-api"

urlpatterns = [
    path("", surveys.SurveyListApi.as_view(), name="list"),
    path("<int:survey_id>/", surveys.SurveyDetailApi.as_view(), name="detail"),
    path("<int:survey_id>/responses/", surveys.SurveyResponseApi.as_view(), name="responses"),
    path("<int:survey_id>/results/", surveys.SurveyResultsApi.as_view(), name="results"),
    path("<int:survey_id>/questions/", surveys.QuestionListApi.as_view(), name="questions"),
    path("<int:survey_id>/questions/order/", surveys.QuestionOrderApi.as_view(), name="question_order"),
    path("<int:survey_id>/questions/<int:question_id>/", surveys.QuestionDetailApi.as_view(), name="question"),
    path(
        "<int:survey_id>/questions/<int:question_id>/choices/<int:choice_id>/",
        surveys.ChoiceDetailApi.as_view(),
        name="choice",
    ),
]
