from django.urls import path

from tenants.api import operator

urlpatterns = [
    path("cities/", operator.CityListCreateApi.as_view(), name="operator-cities"),
    path("cities/<slug:slug>/", operator.CityDetailApi.as_view(), name="operator-city"),
    path("cities/<slug:slug>/suspend/", operator.CitySuspendApi.as_view(), name="operator-city-suspend"),
    path("cities/<slug:slug>/resume/", operator.CityResumeApi.as_view(), name="operator-city-resume"),
    path("cities/<slug:slug>/exports/", operator.CityExportsApi.as_view(), name="operator-city-exports"),
    path("exports/<uuid:public_id>/", operator.ExportDetailApi.as_view(), name="operator-export"),
    path("jobs/<uuid:public_id>/", operator.JobDetailApi.as_view(), name="operator-job"),
]
