"""Django admin for consultations: a window for support, not the way to run a consultation.

Writes with rules (phases, slugs, sanitising, counters, moderation, notifications) go through the
services and the back-office pages, so most models are read-only here; what may be edited is
re-validated (descriptions are cleaned with the same allow-list as the services).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenant_apps.consultations.models import (
    Comment,
    Consultation,
    Contribution,
    ExportJob,
    ModerationDecision,
    ModerationSettings,
    Notification,
    OfficialAnswer,
    Report,
    Survey,
    Theme,
)
from tenant_apps.consultations.sanitize import clean_html


class ReadOnlyAdmin(admin.ModelAdmin):
    """Everything visible, nothing writable (records kept by services and audit logs)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0
    fields = ("position", "name", "colour", "icon")


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "phase", "visibility", "participation", "opens_at", "closes_at")
    list_filter = ("phase", "visibility", "participation")
    search_fields = ("title", "slug")
    # The phase moves through consultation_set_phase (plan limit, dates, followers' notifications); the
    # language fixes how contributions are indexed; the slug is validated by the services.
    readonly_fields = (
        "slug",
        "phase",
        "language",
        "search_config",
        "opened_at",
        "closed_at",
        "results_published_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = [ThemeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created by consultation_create (slug, language, search configuration)

    def save_model(self, request: HttpRequest, obj: Consultation, form: Any, change: bool) -> None:
        obj.description = clean_html(obj.description)
        super().save_model(request, obj, form, change)


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ("title", "consultation", "status", "support_count", "comment_count", "answer_status", "created_at")
    list_filter = ("status", "answer_status")
    search_fields = ("title",)
    list_select_related = ("consultation",)
    exclude = ("search_vector",)
    raw_id_fields = ("consultation", "theme", "author", "merged_into")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "contribution", "depth", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("contribution", "parent", "author")


@admin.register(OfficialAnswer)
class OfficialAnswerAdmin(ReadOnlyAdmin):
    list_display = ("contribution", "status", "answered_at", "updated_at")
    list_filter = ("status",)
    raw_id_fields = ("contribution", "answered_by")


@admin.register(ModerationSettings)
class ModerationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "auto_hide_threshold", "max_links", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The one row is created on first use (services.moderation.settings_get); this admin is also
        # listed on the root host, where the table does not exist, so it must not query here.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "contribution", "comment", "previous_status", "new_status", "actor")
    list_filter = ("action",)
    raw_id_fields = ("contribution", "comment", "actor")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "reason", "contribution", "comment", "resolved_at")
    list_filter = ("reason",)
    raw_id_fields = ("contribution", "comment", "reporter")


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ("title", "consultation", "position", "created_at")
    raw_id_fields = ("consultation",)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "consultation", "kind", "format", "status", "rows_done", "rows_total")
    list_filter = ("status", "kind", "format")
    raw_id_fields = ("consultation", "survey", "requested_by")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "recipient", "digest", "sent_at")
    list_filter = ("kind", "digest")
    raw_id_fields = ("recipient", "consultation", "contribution")
