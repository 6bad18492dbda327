"""/api/v1/budgets/ on a city host."""

from django.urls import path

from tenant_apps.budgets.api import views

app_name = "budgets-api"

urlpatterns = [
    path("processes/", views.ProcessListApi.as_view(), name="processes"),
    path("processes/<int:process_id>/", views.ProcessDetailApi.as_view(), name="process"),
    path("processes/<int:process_id>/projects/", views.ProjectListApi.as_view(), name="projects"),
    path("processes/<int:process_id>/projects/<int:project_id>/", views.ProjectDetailApi.as_view(), name="project"),
    path("processes/<int:process_id>/ballot/", views.BallotApi.as_view(), name="ballot"),
    path("processes/<int:process_id>/results/", views.ResultsApi.as_view(), name="results"),
]
