"""/budgets/ on a city host: residents' pages."""

from django.urls import path

from tenant_apps.budgets.views import projects, resident, results

app_name = "budgets"

urlpatterns = [
    path("", resident.process_list, name="list"),
    path("<int:process_id>/", resident.process_detail, name="process"),
    path("<int:process_id>/propose/", resident.propose, name="propose"),
    path("<int:process_id>/projects/<int:project_id>/", projects.project_detail, name="project"),
    path("<int:process_id>/projects/<int:project_id>/support/", projects.support, name="support"),
    path("<int:process_id>/projects/<int:project_id>/comments/", projects.comment, name="comment"),
    path("<int:process_id>/vote/", resident.booth, name="booth"),
    path("<int:process_id>/vote/receipt/", resident.receipt, name="receipt"),
    path("<int:process_id>/results/", results.results, name="results"),
    path("<int:process_id>/results/digest.txt", results.digest, name="digest"),
    path("<int:process_id>/results/<str:pot>.pb", results.pabulib_export, name="pabulib"),
]
