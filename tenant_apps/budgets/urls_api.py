"""/api/v1/budgets/ on a city host."""

from django.urls import path

from tenant_apps.budgets.api import views

app_name = "budgets-api"

PROJECT = "processes/<int:process_id>/projects/<int:project_id>/"

urlpatterns = [
    path("processes/", views.ProcessListApi.as_view(), name="processes"),
    path("processes/<int:process_id>/", views.ProcessDetailApi.as_view(), name="process"),
    path("processes/<int:process_id>/projects/", views.ProjectListApi.as_view(), name="projects"),
    path(PROJECT, views.ProjectDetailApi.as_view(), name="project"),
    path(f"{PROJECT}comments/", views.ProjectCommentsApi.as_view(), name="project-comments"),
    path(f"{PROJECT}support/", views.ProjectSupportApi.as_view(), name="project-support"),
    path(f"{PROJECT}follow-up/", views.ProjectFollowUpApi.as_view(), name="project-follow-up"),
    path(f"{PROJECT}milestones/", views.ProjectMilestonesApi.as_view(), name="project-milestones"),
    path(f"{PROJECT}milestones/<int:milestone_id>/", views.ProjectMilestoneApi.as_view(), name="project-milestone"),
    path("processes/<int:process_id>/ballot/", views.BallotApi.as_view(), name="ballot"),
    path("processes/<int:process_id>/results/", views.ResultsApi.as_view(), name="results"),
]
