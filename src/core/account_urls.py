"""/account/ on both host kinds: sign in, sign out, password reset, set a password from an emailed link."""

from django.urls import path

from core import account_views

app_name = "account"

urlpatterns = [
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/done/", account_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("set-password/<uidb64>/<token>/", account_views.SetPasswordView.as_view(), name="set_password"),
    path("set-password/done/", account_views.SetPasswordDoneView.as_view(), name="set_password_done"),
]
