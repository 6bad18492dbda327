"""Self-service sign-up, on the root host under /signup/."""

from django.urls import path

from shared_apps.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.signup_start, name="start"),
    path("sent/", views.signup_sent, name="sent"),
    path("check/", views.slug_check, name="check"),
    path("verify/<str:token>/", views.signup_verify, name="verify"),
    path("resend/", views.signup_resend, name="resend"),
    path("progress/<uuid:public_id>/", views.signup_progress, name="progress"),
    path("progress/<uuid:public_id>/status.json", views.signup_progress, {"as_json": True}, name="progress_json"),
]
