from django.urls import path

from shared_apps.billing import views_city

app_name = "billing-city"
urlpatterns = [
    path("", views_city.billing_page, name="page"),
    path("features/", views_city.feature_toggle, name="feature"),
    path("invoices/<str:number>/", views_city.invoice_detail, name="invoice"),
    path("invoices/<str:number>/pdf/", views_city.invoice_download, name="invoice-pdf"),
]
