"""/manage/consultations/<slug>/surveys/: building surveys and reading their results."""

from django.urls import path

from tenant_apps.consultations.views import surveys

app_name = "consultations-surveys-manage"

urlpatterns = [
    path("", surveys.manage_list, name="list"),
    path("<int:survey_id>/", surveys.manage_survey, name="survey"),
    path("<int:survey_id>/delete/", surveys.manage_survey_delete, name="survey_delete"),
    path("<int:survey_id>/results/", surveys.manage_results, name="results"),
    path("<int:survey_id>/questions/new/", surveys.manage_question_new, name="question_new"),
    path("<int:survey_id>/questions/<int:question_id>/", surveys.manage_question_edit, name="question"),
    path("<int:survey_id>/questions/<int:question_id>/delete/", surveys.manage_question_delete, name="question_delete"),
    path("<int:survey_id>/questions/<int:question_id>/move/", surveys.manage_question_move, name="question_move"),
    path(
        "<int:survey_id>/questions/<int:question_id>/choices/<int:choice_id>/",
        surveys.manage_choice_rename,
        name="choice_rename",
    ),
]
