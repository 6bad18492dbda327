"""/manage/consultations/ on a city host: the staff back-office of consultations."""

from django.urls import path

from tenant_apps.consultations.views import manage

app_name = "consultations-manage"

urlpatterns = [
    path("", manage.consultation_list, name="list"),
    path("new/", manage.consultation_new, name="new"),
    path("<slug:slug>/", manage.consultation_page, name="consultation"),
    path("<slug:slug>/edit/", manage.consultation_edit, name="edit"),
    path("<slug:slug>/phase/", manage.phase, name="phase"),
    path("<slug:slug>/themes/", manage.themes, name="themes"),
    path("<slug:slug>/themes/<int:theme_id>/", manage.theme_edit, name="theme_edit"),
    path("<slug:slug>/themes/<int:theme_id>/delete/", manage.theme_delete, name="theme_delete"),
    path("<slug:slug>/themes/<int:theme_id>/move/", manage.theme_move, name="theme_move"),
    path("<slug:slug>/contributions/<int:contribution_id>/answer/", manage.answer, name="answer"),
    path("<slug:slug>/contributions/<int:contribution_id>/merge/", manage.merge, name="merge"),
]
