"""/account/ on a city host (before core.account_urls: login, logout, password reset stay there)."""

from django.urls import path

from tenant_apps.accounts.views import resident

app_name = "accounts"

urlpatterns = [
    path("register/", resident.register, name="register"),
    path("register/done/", resident.register_done, name="register_done"),
    path("verify-email/<str:token>/", resident.verify_email, name="verify_email"),
    path("login-link/", resident.login_link_request, name="login_link"),
    path("login-link/<str:token>/", resident.login_link_use, name="login_link_use"),
    path("profile/", resident.profile, name="profile"),
    path("verification/", resident.verification, name="verification"),
    path("verification/census/", resident.verify_census, name="verify_census"),
    path("verification/letter/", resident.verify_letter, name="verify_letter"),
    path("verification/email-domain/", resident.verify_email_domain, name="verify_email_domain"),
    path("verification/sms/", resident.verify_sms, name="verify_sms"),
    path("data/", resident.my_data, name="my_data"),
    path("data/<int:export_id>/<str:token>/", resident.export_download, name="export_download"),
    path("delete/", resident.delete_account, name="delete"),
    path("invitation/<str:token>/", resident.invitation_accept, name="invitation_accept"),
]
