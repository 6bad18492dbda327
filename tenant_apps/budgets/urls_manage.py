"""/manage/budgets/ on a city host: the staff back-office of participatory budgets."""

from django.urls import path

from tenant_apps.budgets.views import conflicts, follow_up, manage

app_name = "budgets-manage"

urlpatterns = [
    path("", manage.process_list, name="list"),
    path("new/", manage.process_new, name="new"),
    path("import/", manage.process_import, name="import"),
    path("<int:process_id>/", manage.process_page, name="process"),
    path("<int:process_id>/rules/", manage.rules, name="rules"),
    path("<int:process_id>/phase/", manage.advance_phase, name="phase"),
    path("<int:process_id>/projects/<int:project_id>/review/", manage.review, name="review"),
    path(
        "<int:process_id>/projects/<int:project_id>/comments/<int:comment_id>/hide/",
        follow_up.comment_hide,
        name="comment-hide",
    ),
    path("<int:process_id>/projects/<int:project_id>/follow-up/", follow_up.follow_up, name="follow-up"),
    path(
        "<int:process_id>/projects/<int:project_id>/follow-up/milestones/",
        follow_up.milestone_new,
        name="milestone-new",
    ),
    path(
        "<int:process_id>/projects/<int:project_id>/follow-up/milestones/<int:milestone_id>/",
        follow_up.milestone_edit,
        name="milestone",
    ),
    path("<int:process_id>/paper/", manage.paper_ballot, name="paper"),
    path("<int:process_id>/paper/conflicts/", conflicts.paper_conflicts, name="paper-conflicts"),
    path("<int:process_id>/results/compute/", manage.compute, name="compute"),
]
