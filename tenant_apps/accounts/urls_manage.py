"""/manage/ on a city host: the staff back-office entry point (billing mounts /manage/billing/ itself)."""

from django.urls import path

from tenant_apps.accounts.views import manage

app_name = "manage"

urlpatterns = [
    path("", manage.dashboard, name="dashboard"),
    path("team/invite/", manage.staff_invite, name="staff_invite"),
    path("team/<int:user_id>/role/", manage.team_role, name="team_role"),
    path("accounts/settings/", manage.settings_page, name="settings"),
    path("accounts/census/", manage.census_upload, name="census_upload"),
    path("accounts/letters/new/", manage.letter_batch_create, name="letter_batch_create"),
    path("accounts/letters/<int:batch_id>.<str:fmt>", manage.letter_batch_download, name="letter_batch_download"),
    path("accounts/demographics/", manage.demographics, name="demographics"),
]
