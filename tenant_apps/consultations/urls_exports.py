"""/manage/consultations/<slug>/exports/: CSV and XLSX exports (every view receives ``slug``)."""

from django.urls import path

from tenant_apps.consultations.views import exports

app_name = "consultations-exports"

urlpatterns = [
    path("", exports.export_page, name="page"),
    path("jobs/<int:job_id>/", exports.job_page, name="job"),
    path("jobs/<int:job_id>/retry/", exports.job_retry, name="retry"),
    path("jobs/<int:job_id>/download/<str:token>/", exports.job_download, name="download"),
]
