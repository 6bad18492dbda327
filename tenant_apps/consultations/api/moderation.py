"""Staff API /api/v1/consultations/moderation/: the queue, bulk decisions, the settings, the audit log.

Session or token auth like the rest of the city API; moderators and city admins only (anonymous: 401,
anyone else: 403), errors in the one shape of core.api. Lists are paged by number (``page``,
``page_size`` up to 100) without counting the table, at a fixed number of queries per page.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from tenant_apps.consultations import accounts_adapter
from tenant_apps.consultations.models import Comment, ModerationAction, ModerationDecision, ReportReason
from tenant_apps.consultations.services import moderation


class IsModerationStaff(BasePermission):
    """The city's moderators and administrators."""

    message = gettext_lazy("Only the city's moderators and administrators may do this.")
    code = "staff_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and accounts_adapter.is_staff(user_id=user.pk))


class StaffApi(APIView):
    permission_classes = [IsAuthenticated, IsModerationStaff]


def _page_links(request: Request, page: moderation.Page) -> dict[str, Any]:
    url = request.build_absolute_uri()
    return {
        "page": page.page,
        "page_size": page.page_size,
        "next": replace_query_param(url, "page", page.page + 1) if page.has_next else None,
        "previous": replace_query_param(url, "page", page.page - 1) if page.has_previous else None,
    }


PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Items per page (at most 100, default 25)."),
]


class ReportOut(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class ConsultationRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()


class QueueItemOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=moderation.QUEUE_KINDS)
    id = serializers.IntegerField()
    status = serializers.CharField()
    title = serializers.CharField(help_text="The contribution's title (for a comment: of its contribution).")
    body = serializers.CharField(help_text="Plain text: escape it when showing it.")
    contribution_id = serializers.IntegerField()
    consultation = ConsultationRefOut()
    author_id = serializers.IntegerField(allow_null=True)
    author_name = serializers.CharField()
    moderation_reason = serializers.CharField()
    report_count = serializers.IntegerField()
    reports = ReportOut(many=True, help_text="The open reports.")
    created_at = serializers.DateTimeField()


class QueuePageOut(serializers.Serializer):
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueItemOut(many=True)


def _queue_item_data(item: moderation.QueueItem) -> dict[str, Any]:
    target = item.target
    return {
        "kind": item.kind,
        "id": target.pk,
        "status": target.status,
        "title": item.contribution.title,
        "body": target.body,
        "contribution_id": item.contribution.pk,
        "consultation": {"id": item.consultation.pk, "slug": item.consultation.slug, "title": item.consultation.title},
        "author_id": target.author_id,
        "author_name": item.author_name,
        "moderation_reason": target.moderation_reason,
        "report_count": target.report_count,
        "reports": [{"reason": r.reason, "note": r.note, "created_at": r.created_at} for r in item.reports],
        "created_at": target.created_at,
    }


class QueueListApi(StaffApi):
    """Pending, hidden and reported contributions and comments, with their open reports."""

    @extend_schema(
        parameters=[
            OpenApiParameter("consultation", OpenApiTypes.INT, description="A consultation id."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(moderation.QUEUE_STATUSES)),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(moderation.QUEUE_KINDS)),
            OpenApiParameter("reason", OpenApiTypes.STR, enum=list(ReportReason.values)),
            OpenApiParameter("q", OpenApiTypes.STR, description="Text in the title, the body or the author's name."),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(moderation.QUEUE_SORTS)),
            *PAGE_PARAMETERS,
        ],
        responses=QueuePageOut,
    )
    def get(self, request: Request) -> Response:
        filters = moderation.parse_queue_filters(request.query_params)
        number, size = moderation.page_params(request.query_params)
        page = moderation.queue_page(filters=filters, page=number, page_size=size)
        return Response(
            QueuePageOut({**_page_links(request, page), "results": [_queue_item_data(i) for i in page.items]}).data
        )


class DecisionCreateApi(StaffApi):
    """One decision on many contributions and comments: publish, hide (reason required), dismiss the
    reports. Each changed item is logged and its author told why."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=[a.value for a in moderation.ACTIONS])
        contribution_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), max_length=moderation.MAX_BULK, default=list
        )
        comment_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), max_length=moderation.MAX_BULK, default=list
        )
        reason = serializers.CharField(
            max_length=moderation.REASON_MAX_LENGTH, allow_blank=True, default="", help_text="Shown to the authors."
        )

    class OutputSerializer(serializers.Serializer):
        changed = serializers.IntegerField(help_text="How many items the decision changed.")

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = moderation.moderate(
            action=data["action"],
            contribution_ids=data["contribution_ids"],
            comment_ids=data["comment_ids"],
            reason=data["reason"],
            actor_id=int(request.user.pk or 0),
        )
        return Response(self.OutputSerializer({"changed": changed}).data)


class SettingsSerializer(serializers.Serializer):
    auto_hide_threshold = serializers.IntegerField(
        min_value=0, max_value=moderation.MAX_THRESHOLD, help_text="Hide after this many reports; 0: never."
    )
    word_lists = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True, trim_whitespace=False)),
        help_text='Language code ("fr", "en"; "*" for every language) -> words or phrases (at most 1000).',
    )
    max_links = serializers.IntegerField(
        min_value=0, max_value=moderation.MAX_LINKS_SETTING, help_text="More links than this: pending."
    )
    updated_at = serializers.DateTimeField(read_only=True)


class SettingsApi(StaffApi):
    """The city's moderation settings; PUT replaces them all."""

    @extend_schema(responses=SettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(SettingsSerializer(moderation.settings_get()).data)

    @extend_schema(request=SettingsSerializer, responses=SettingsSerializer)
    def put(self, request: Request) -> Response:
        serializer = SettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        settings = moderation.settings_update(
            auto_hide_threshold=data["auto_hide_threshold"], word_lists=data["word_lists"], max_links=data["max_links"]
        )
        return Response(SettingsSerializer(settings).data)


class DecisionOut(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=ModerationAction.choices)
    kind = serializers.ChoiceField(choices=moderation.QUEUE_KINDS, allow_null=True)
    target_id = serializers.IntegerField(allow_null=True)
    consultation = ConsultationRefOut(allow_null=True)
    previous_status = serializers.CharField()
    new_status = serializers.CharField()
    reason = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True, help_text="Null: decided by the platform.")
    actor_name = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class DecisionPageOut(serializers.Serializer):
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DecisionOut(many=True)


def _decision_data(decision: ModerationDecision) -> dict[str, Any]:
    consultation = moderation.decision_consultation(decision)
    target: Any = decision.comment if decision.comment_id else decision.contribution
    return {
        "id": decision.pk,
        "action": decision.action,
        "kind": None if target is None else ("comment" if isinstance(target, Comment) else "contribution"),
        "target_id": decision.comment_id or decision.contribution_id,
        "consultation": (
            {"id": consultation.pk, "slug": consultation.slug, "title": consultation.title} if consultation else None
        ),
        "previous_status": decision.previous_status,
        "new_status": decision.new_status,
        "reason": decision.reason,
        "actor_id": decision.actor_id,
        "actor_name": decision.actor.get_short_name() if decision.actor else None,
        "created_at": decision.created_at,
    }


class DecisionLogApi(StaffApi):
    """The audit log of moderation, newest first."""

    @extend_schema(
        parameters=[
            OpenApiParameter("consultation", OpenApiTypes.INT, description="A consultation id."),
            OpenApiParameter("action", OpenApiTypes.STR, enum=list(ModerationAction.values)),
            *PAGE_PARAMETERS,
        ],
        responses=DecisionPageOut,
    )
    def get(self, request: Request) -> Response:
        number, size = moderation.page_params(request.query_params)
        page = moderation.decision_log_page(
            consultation_id=moderation.int_param(request.query_params, "consultation", default=None),
            action=(request.query_params.get("action") or "").strip(),
            page=number,
            page_size=size,
        )
        return Response(
            DecisionPageOut({**_page_links(request, page), "results": [_decision_data(d) for d in page.items]}).data
        )
