"""/consultations/ on a city host: residents' pages (consultations, contributions, results)."""

from django.urls import path

from tenant_apps.consultations.views import resident

app_name = "consultations"

urlpatterns = [
    path("", resident.consultation_list, name="list"),
    path("<slug:slug>/", resident.consultation_detail, name="detail"),
    path("<slug:slug>/contribute/", resident.contribute, name="contribute"),
    path("<slug:slug>/follow/", resident.follow, name="follow"),
    path("<slug:slug>/results/", resident.results, name="results"),
    path("<slug:slug>/contributions/<int:contribution_id>/", resident.contribution_detail, name="contribution"),
    path("<slug:slug>/contributions/<int:contribution_id>/react/", resident.react, name="react"),
    path("<slug:slug>/contributions/<int:contribution_id>/comment/", resident.comment, name="comment"),
    path("<slug:slug>/contributions/<int:contribution_id>/report/", resident.report_contribution, name="report"),
    path("<slug:slug>/comments/<int:comment_id>/report/", resident.report_comment, name="report_comment"),
]
