"""/api/v1/accounts/ on a city host."""

from django.urls import path

from tenant_apps.accounts.api import views

app_name = "accounts-api"

urlpatterns = [
    path("register/", views.RegisterApi.as_view(), name="register"),
    path("profile/", views.ProfileApi.as_view(), name="profile"),
    path("verification/", views.VerificationStatusApi.as_view(), name="verification"),
    path("verification/census/", views.CensusVerifyApi.as_view(), name="verify-census"),
    path("verification/letter/", views.LetterVerifyApi.as_view(), name="verify-letter"),
    path("verification/email-domain/", views.EmailDomainVerifyApi.as_view(), name="verify-email-domain"),
    path("verification/sms/", views.SmsStartApi.as_view(), name="verify-sms"),
    path("verification/sms/confirm/", views.SmsConfirmApi.as_view(), name="verify-sms-confirm"),
    path("can/<str:action>/", views.CanApi.as_view(), name="can"),
    path("data-export/", views.DataExportApi.as_view(), name="data-export"),
    path("delete/", views.AccountDeleteApi.as_view(), name="delete"),
]
