"""Operators' view of sign-ups: follow them, retry a failed one, resend the set-password link."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from shared_apps.onboarding import services
from shared_apps.onboarding.models import SignupRequest, SignupStatus


@admin.register(SignupRequest)
class SignupRequestAdmin(admin.ModelAdmin):
    list_display = ("city_name", "slug", "contact_email", "country", "population", "plan", "status", "created_at")
    list_filter = ("status", "plan", "country", "language")
    search_fields = ("city_name", "slug", "contact_email")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("provisioning_job",)
    readonly_fields = (
        "public_id",
        "status",
        "failure_reason",
        "requester_ip",
        "provisioning_job",
        "created_at",
        "verification_sent_at",
        "verified_at",
        "ready_email_sent_at",
    )
    actions = ("retry_provisioning", "resend_ready_email")

    @admin.action(description=_("Retry provisioning of the selected failed sign-ups"))
    def retry_provisioning(self, request: HttpRequest, queryset: QuerySet[SignupRequest]) -> None:
        for signup in queryset.filter(status=SignupStatus.FAILED):
            try:
                services.signup_retry(signup=signup)
            except ApplicationError as exc:
                self.message_user(request, f"{signup.slug}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{signup.slug}: {_('provisioning enqueued')}", messages.SUCCESS)

    @admin.action(description=_("Send the set-password link again"))
    def resend_ready_email(self, request: HttpRequest, queryset: QuerySet[SignupRequest]) -> None:
        for signup in queryset.filter(status=SignupStatus.READY).select_related("provisioning_job"):
            job = signup.provisioning_job
            if job is None or job.city_id is None:
                continue
            services.signup_send_ready_email(signup_id=signup.pk, city_id=job.city_id, again=True)
            self.message_user(request, f"{signup.slug}: {_('link sent')}", messages.SUCCESS)
