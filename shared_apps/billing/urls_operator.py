from django.urls import path

from shared_apps.billing import views_operator as views

app_name = "billing-console"
urlpatterns = [
    path("", views.subscription_list, name="subscriptions"),
    path("subscriptions/<int:pk>/", views.subscription_detail, name="subscription"),
    path("subscriptions/<int:pk>/<str:action>/", views.subscription_action, name="subscription-action"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_download, name="invoice-pdf"),
    path("invoices/<int:pk>/<str:action>/", views.invoice_action, name="invoice-action"),
    path("reconcile/", views.reconcile, name="reconcile"),
]
