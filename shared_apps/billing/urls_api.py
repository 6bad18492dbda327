from django.urls import path

from shared_apps.billing import api

urlpatterns = [
    path("subscriptions/", api.SubscriptionListApi.as_view(), name="operator-billing-subscriptions"),
    path(
        "subscriptions/<int:pk>/transition/",
        api.SubscriptionTransitionApi.as_view(),
        name="operator-billing-transition",
    ),
    path("subscriptions/<int:pk>/plan/", api.SubscriptionPlanApi.as_view(), name="operator-billing-plan"),
    path("revenue/", api.RevenueApi.as_view(), name="operator-billing-revenue"),
    path("invoices/", api.InvoiceListApi.as_view(), name="operator-billing-invoices"),
    path("invoices/<int:pk>/", api.InvoiceDetailApi.as_view(), name="operator-billing-invoice"),
    path("invoices/<int:pk>/void/", api.InvoiceVoidApi.as_view(), name="operator-billing-invoice-void"),
    path("payments/reconcile/", api.PaymentReconcileApi.as_view(), name="operator-billing-reconcile"),
]
