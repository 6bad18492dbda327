from django.urls import path

from tenants.console import views

app_name = "console"
urlpatterns = [
    path("", views.city_list, name="cities"),
    path("cities/new/", views.city_new, name="city-new"),
    path("cities/<slug:slug>/", views.city_detail, name="city"),
    path("cities/<slug:slug>/delete/", views.city_delete, name="city-delete"),
    path("cities/<slug:slug>/<str:action>/", views.city_action, name="city-action"),
    path("jobs/<uuid:public_id>/", views.job_detail, name="job"),
    path("exports/<uuid:public_id>/download/", views.export_download, name="export-download"),
]
