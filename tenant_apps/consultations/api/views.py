"""City API /api/v1/consultations/: session or token auth; errors in the one shape of core.api.

One APIView per resource; reads go through ``selectors``, writes through ``services``. What a viewer may
read is decided by the selectors (residents: consultations out of draft, published contributions, their
own pending ones); staff are the city's moderators and administrators (``permissions.is_staff``).
Surveys and the moderation queue have their own modules (urls_api_surveys, urls_api_moderation).
"""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination
from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.consultations import permissions, selectors
from tenant_apps.consultations.api.serializers import (
    CommentNodeOut,
    CommentOut,
    ConsultationOut,
    ContributionOut,
    ContributionPageOut,
    CountersOut,
    OfficialAnswerOut,
    StringChoiceField,
    ThemeOut,
    comment_data,
    comment_tree_data,
    consultation_data,
    contribution_data,
    contribution_item_data,
    counters_data,
    official_answer_data,
    theme_data,
)
from tenant_apps.consultations.models import (
    AnswerStatus,
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    DigestFrequency,
    Follow,
    Participation,
    Reaction,
    ReactionKind,
    ReactionMode,
    ReportReason,
    Theme,
    Visibility,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import answers as answer_services
from tenant_apps.consultations.services import comments as comment_services
from tenant_apps.consultations.services import consultations as consultation_services
from tenant_apps.consultations.services import contributions as contribution_services
from tenant_apps.consultations.services import follows as follow_services
from tenant_apps.consultations.services import moderation as moderation_services
from tenant_apps.consultations.services import reactions as reaction_services

# --- Who is asking ----------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    """The signed-in user (for views that require IsAuthenticated)."""
    return cast(User, request.user)


def _viewer_id(request: Request) -> int | None:
    user = request.user
    return int(user.pk) if user is not None and user.is_authenticated else None


def _staff(request: Request) -> bool:
    """Is the signed-in person one of the city's staff? Asked once per request."""
    cached = getattr(request, "_consultations_staff", None)
    if cached is None:
        cached = permissions.is_staff(request.user)
        request._consultations_staff = cached  # type: ignore[attr-defined]
    return bool(cached)


class IsCityStaff(BasePermission):
    """The city's moderators and administrators; anonymous requests get 401 (DRF's NotAuthenticated)."""

    message = gettext_lazy("Only the city's staff may do this.")
    code = "staff_only"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _staff(request)


def _read_or(write: type[BasePermission], request: Request) -> list[BasePermission]:
    """AllowAny for reads, ``write`` for the other methods."""
    return [AllowAny()] if request.method in ("GET", "HEAD", "OPTIONS") else [write()]


# --- Lookups (each one 404s for what the viewer may not see, and for other cities' ids) ------------------


def _consultation(request: Request, slug: str) -> Consultation:
    return selectors.consultation_get(slug=slug, staff=_staff(request))


def _contribution(request: Request, consultation: Consultation, contribution_id: int) -> Contribution:
    return selectors.contribution_get(
        consultation=consultation, contribution_id=contribution_id, viewer_id=_viewer_id(request), staff=_staff(request)
    )


def _theme(consultation: Consultation, theme_id: int) -> Theme:
    theme = Theme.objects.filter(consultation=consultation, pk=theme_id).first()
    if theme is None:
        raise ApplicationError(_("This theme does not exist."), code="not_found", status_code=404)
    return theme


def _check_theme_filter(consultation: Consultation, theme_id: int | None) -> None:
    """A theme filter names one of this consultation's themes (else 400, rather than an empty page)."""
    if theme_id is not None and not Theme.objects.filter(consultation=consultation, pk=theme_id).exists():
        raise ApplicationError(_("Unknown theme."), code="invalid_filter", fields={"theme": [_("Unknown theme.")]})


def _renamed_fields(exc: ApplicationError, names: dict[str, str]) -> ApplicationError:
    """``exc`` with its fields named as in this API's input (services name some differently)."""
    fields = {names.get(name, name): messages for name, messages in exc.fields.items()}
    return ApplicationError(exc.message, code=exc.code, fields=fields, status_code=exc.status_code)


def _my_reaction(request: Request, contribution: Contribution) -> str | None:
    viewer_id = _viewer_id(request)
    if viewer_id is None:
        return None
    return Reaction.objects.filter(contribution=contribution, user_id=viewer_id).values_list("kind", flat=True).first()


def _contribution_response(request: Request, consultation: Consultation, contribution: Contribution) -> Any:
    data = contribution_data(
        contribution,
        consultation=consultation,
        viewer_id=_viewer_id(request),
        staff=_staff(request),
        my_reaction=_my_reaction(request, contribution),
    )
    return ContributionOut(data).data


# --- Consultations ----------------------------------------------------------------------------------------


class ThemeIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    colour = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False, default="#3355aa", help_text="#rrggbb")
    icon = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ConsultationPageOut(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ConsultationOut(many=True)


class ConsultationListApi(APIView):
    """Consultations: residents see the listed ones out of draft, staff see all. POST creates one in the
    draft phase (staff): JSON, or multipart with a ``cover_image`` file (themes need JSON)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=200)
        slug = serializers.SlugField(
            max_length=80, required=False, allow_blank=True, default="", help_text="Made from the title when empty."
        )
        summary = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        description = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="HTML; sanitised on the way in."
        )
        themes = ThemeIn(many=True, required=False)
        participation = StringChoiceField(choices=Participation.choices, default=Participation.SIGNED_IN)
        visibility = StringChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
        reaction_mode = StringChoiceField(choices=ReactionMode.choices, default=ReactionMode.SUPPORT)
        premoderation = serializers.BooleanField(default=False)
        allow_attachments = serializers.BooleanField(default=True)
        allow_location = serializers.BooleanField(default=True)
        language = serializers.CharField(
            max_length=8, required=False, allow_blank=True, default="", help_text="Empty: the city's language."
        )
        opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    class MultipartInputSerializer(InputSerializer):
        cover_image = serializers.FileField(required=False, allow_null=True, default=None)

    def get_permissions(self) -> list[BasePermission]:
        return _read_or(IsCityStaff, self.request)

    @extend_schema(
        operation_id="v1_consultations_list",
        responses=ConsultationPageOut,
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="At most 100."),
        ],
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        queryset = selectors.consultation_list(staff=_staff(request)).prefetch_related("themes")
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        return paginator.get_paginated_response(ConsultationOut([consultation_data(c) for c in page], many=True).data)

    @extend_schema(
        request={"application/json": InputSerializer, "multipart/form-data": MultipartInputSerializer},
        responses={201: ConsultationOut},
    )
    def post(self, request: Request) -> Response:
        serializer = self.MultipartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        themes = [dict(t) for t in data.pop("themes", [])]
        consultation = consultation_services.consultation_create(
            **data, themes=themes, created_by_id=_viewer_id(request)
        )
        return Response(ConsultationOut(consultation_data(consultation)).data, status=status.HTTP_201_CREATED)


class ConsultationDetailApi(APIView):
    """One consultation (unlisted ones too: the link is the key; drafts for staff). PATCH changes the
    given settings (staff): JSON, or multipart with a ``cover_image`` file (null removes it)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80, allow_blank=True, help_text="Empty: made from the title.")
        summary = serializers.CharField(max_length=300, allow_blank=True)
        description = serializers.CharField(allow_blank=True, help_text="HTML; sanitised on the way in.")
        participation = StringChoiceField(choices=Participation.choices)
        visibility = StringChoiceField(choices=Visibility.choices)
        reaction_mode = StringChoiceField(choices=ReactionMode.choices)
        premoderation = serializers.BooleanField()
        allow_attachments = serializers.BooleanField()
        allow_location = serializers.BooleanField()
        language = serializers.CharField(max_length=8, allow_blank=True)
        opens_at = serializers.DateTimeField(allow_null=True)
        closes_at = serializers.DateTimeField(allow_null=True)

    class MultipartInputSerializer(InputSerializer):
        cover_image = serializers.FileField(allow_null=True, help_text="A new cover image; null removes it.")

    def get_permissions(self) -> list[BasePermission]:
        return _read_or(IsCityStaff, self.request)

    @extend_schema(responses=ConsultationOut)
    def get(self, request: Request, slug: str) -> Response:
        return Response(ConsultationOut(consultation_data(_consultation(request, slug))).data)

    @extend_schema(
        request={"application/json": InputSerializer, "multipart/form-data": MultipartInputSerializer},
        responses=ConsultationOut,
    )
    def patch(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        serializer = self.MultipartInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if "cover_image" in fields and fields["cover_image"] is None:
            fields["cover_image"] = False  # the service's "remove"
        if fields:
            consultation = consultation_services.consultation_update(consultation_id=consultation.pk, **fields)
        return Response(ConsultationOut(consultation_data(consultation)).data)


class ConsultationPhaseApi(APIView):
    """Move the consultation to another phase (staff): draft -> open -> closed -> results; closed -> open."""

    permission_classes = [IsCityStaff]

    class InputSerializer(serializers.Serializer[Any]):
        to = StringChoiceField(choices=Phase.choices)

    @extend_schema(request=InputSerializer, responses=ConsultationOut)
    def post(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consultation = consultation_services.consultation_set_phase(
            consultation_id=consultation.pk, to=serializer.validated_data["to"], actor_id=_viewer_id(request)
        )
        return Response(ConsultationOut(consultation_data(consultation)).data)


# --- Themes -----------------------------------------------------------------------------------------------


class ThemeListApi(APIView):
    """The consultation's themes in order; POST adds one (staff)."""

    def get_permissions(self) -> list[BasePermission]:
        return _read_or(IsCityStaff, self.request)

    @extend_schema(responses=ThemeOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        return Response(ThemeOut([theme_data(t) for t in selectors.themes_of(consultation)], many=True).data)

    @extend_schema(request=ThemeIn, responses={201: ThemeOut})
    def post(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        serializer = ThemeIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        theme = consultation_services.theme_create(consultation_id=consultation.pk, **serializer.validated_data)
        return Response(ThemeOut(theme_data(theme)).data, status=status.HTTP_201_CREATED)


class ThemeDetailApi(APIView):
    """Edit or delete a theme (staff); its contributions move to “other” when it is deleted."""

    permission_classes = [IsCityStaff]

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=120)
        colour = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", help_text="#rrggbb")
        icon = serializers.CharField(max_length=32, allow_blank=True)
        description = serializers.CharField(allow_blank=True)

    @extend_schema(request=InputSerializer, responses=ThemeOut)
    def patch(self, request: Request, slug: str, theme_id: int) -> Response:
        theme = _theme(_consultation(request, slug), theme_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data:
            theme = consultation_services.theme_update(theme_id=theme.pk, **serializer.validated_data)
        return Response(ThemeOut(theme_data(theme)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, theme_id: int) -> Response:
        theme = _theme(_consultation(request, slug), theme_id)
        consultation_services.theme_delete(theme_id=theme.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThemeOrderApi(APIView):
    """Put the themes in this order (staff): every theme of the consultation, once."""

    permission_classes = [IsCityStaff]

    class InputSerializer(serializers.Serializer[Any]):
        theme_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)

    @extend_schema(request=InputSerializer, responses=ThemeOut(many=True))
    def post(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data["theme_ids"]
        existing = set(Theme.objects.filter(consultation=consultation).values_list("id", flat=True))
        if len(wanted) != len(set(wanted)) or set(wanted) != existing:
            message = _("List every theme of this consultation exactly once.")
            raise ApplicationError(message, code="invalid", fields={"theme_ids": [message]})
        consultation_services.themes_reorder(consultation_id=consultation.pk, theme_ids=wanted)
        return Response(ThemeOut([theme_data(t) for t in selectors.themes_of(consultation)], many=True).data)


# --- Contributions ----------------------------------------------------------------------------------------

_LIST_PARAMETERS = [
    OpenApiParameter("theme", OpenApiTypes.STR, description="A theme id, or `other` for contributions without one."),
    OpenApiParameter("district", OpenApiTypes.STR),
    OpenApiParameter(
        "answered",
        OpenApiTypes.STR,
        description="`yes`, `no`, or an answer status (`under_review`, `accepted`, `rejected`, `done`).",
    ),
    OpenApiParameter("q", OpenApiTypes.STR, description="Full-text search in the consultation's language."),
    OpenApiParameter("sort", OpenApiTypes.STR, description="`newest` (default), `supported`, `agreed` or `commented`."),
    OpenApiParameter("status", OpenApiTypes.STR, description="Staff only: `published` (default), `pending`, ..."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1 to {selectors.MAX_PAGE_SIZE}."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From a previous page's `next` or `previous` link."),
    OpenApiParameter("body", OpenApiTypes.STR, description="`excerpt` (default) or `full`."),
]


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page_size", "")
    if not raw:
        return selectors.DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        message = _("Give a number of items per page, from 1 to %(max)d.") % {"max": selectors.MAX_PAGE_SIZE}
        raise ApplicationError(message, code="invalid_filter", fields={"page_size": [message]})
    return min(size, selectors.MAX_PAGE_SIZE)


def _page_link(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class ContributionListApi(APIView):
    """Contributions, one page at a time (keyset pagination: follow `next` / `previous`). POST contributes,
    as JSON or as multipart with `attachments` files (images or PDFs)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=200)
        body = serializers.CharField(max_length=10_000, help_text="Plain text.")
        theme = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Null: other.")
        latitude = serializers.DecimalField(
            max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True, default=None
        )
        longitude = serializers.DecimalField(
            max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True, default=None
        )
        district = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class MultipartInputSerializer(InputSerializer):
        attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def get_permissions(self) -> list[BasePermission]:
        return _read_or(IsAuthenticated, self.request)

    @extend_schema(
        operation_id="v1_consultations_contributions_list", parameters=_LIST_PARAMETERS, responses=ContributionPageOut
    )
    def get(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        staff = _staff(request)
        params = request.query_params
        filters = selectors.parse_filters(params, staff=staff)
        _check_theme_filter(consultation, filters.theme)
        body = params.get("body", "excerpt")
        if body not in ("excerpt", "full"):
            message = _("Choose “excerpt” or “full”.")
            raise ApplicationError(message, code="invalid_filter", fields={"body": [message]})
        page = selectors.contribution_page(
            consultation,
            filters=filters,
            sort=params.get("sort") or "newest",
            cursor=params.get("cursor", ""),
            page_size=_page_size(request),
            viewer_id=_viewer_id(request),
            staff=staff,
        )
        results = [
            contribution_item_data(c, my_reaction=page.my_reactions.get(c.pk), full_body=body == "full")
            for c in page.items
        ]
        data = {
            "results": results,
            "next": _page_link(request, page.next_cursor),
            "previous": _page_link(request, page.previous_cursor),
        }
        return Response(ContributionPageOut(data).data)

    @extend_schema(
        request={"application/json": InputSerializer, "multipart/form-data": MultipartInputSerializer},
        responses={201: ContributionOut},
    )
    def post(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        serializer = self.MultipartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contribution = contribution_services.contribution_create(
            consultation=consultation,
            author=_user(request),
            title=data["title"],
            body=data["body"],
            theme_id=data["theme"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            district=data["district"],
            attachments=data["attachments"],
        )
        contribution = _contribution(request, consultation, contribution.pk)
        return Response(_contribution_response(request, consultation, contribution), status=status.HTTP_201_CREATED)


class ContributionDetailApi(APIView):
    """One contribution with its official answer and attachments; PATCH edits it (its author only)."""

    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=200)
        body = serializers.CharField(max_length=10_000)
        theme = serializers.IntegerField(allow_null=True, help_text="Null: other.")

    def get_permissions(self) -> list[BasePermission]:
        return _read_or(IsAuthenticated, self.request)

    @extend_schema(responses=ContributionOut)
    def get(self, request: Request, slug: str, contribution_id: int) -> Response:
        consultation = _consultation(request, slug)
        contribution = _contribution(request, consultation, contribution_id)
        return Response(_contribution_response(request, consultation, contribution))

    @extend_schema(request=InputSerializer, responses=ContributionOut)
    def patch(self, request: Request, slug: str, contribution_id: int) -> Response:
        consultation = _consultation(request, slug)
        contribution = _contribution(request, consultation, contribution_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contribution_services.contribution_update(
            contribution_id=contribution.pk,
            editor=_user(request),
            title=data.get("title", contribution.title),
            body=data.get("body", contribution.body),
            theme_id=data.get("theme", contribution.theme_id),
        )
        contribution = _contribution(request, consultation, contribution.pk)
        return Response(_contribution_response(request, consultation, contribution))


class ContributionMergeApi(APIView):
    """Merge a contribution into another of the same consultation (staff): duplicates read as one."""

    permission_classes = [IsCityStaff]

    class InputSerializer(serializers.Serializer[Any]):
        into = serializers.IntegerField(help_text="The id of the contribution that absorbs this one.")
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=ContributionOut)
    def post(self, request: Request, slug: str, contribution_id: int) -> Response:
        consultation = _consultation(request, slug)
        contribution = _contribution(request, consultation, contribution_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        into_id = serializer.validated_data["into"]
        if not Contribution.objects.filter(consultation=consultation, pk=into_id).exists():
            message = _("Choose another contribution of this consultation.")
            raise ApplicationError(message, code="invalid", fields={"into": [message]})
        contribution_services.contribution_merge(
            contribution_id=contribution.pk,
            into_id=into_id,
            actor_id=_user(request).pk,
            reason=serializer.validated_data["reason"],
        )
        contribution = _contribution(request, consultation, contribution.pk)
        return Response(_contribution_response(request, consultation, contribution))


# --- Comments ---------------------------------------------------------------------------------------------


class CommentListApi(APIView):
    """The comments of a contribution as a tree; POST comments or replies (``parent_id``)."""

    class InputSerializer(serializers.Serializer[Any]):
        body = serializers.CharField(max_length=5_000, help_text="Plain text.")
        parent_id = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text="The comment this one replies to."
        )

    def get_permissions(self) -> list[BasePermission]:
        return _read_or(IsAuthenticated, self.request)

    @extend_schema(responses=CommentNodeOut(many=True))
    def get(self, request: Request, slug: str, contribution_id: int) -> Response:
        contribution = _contribution(request, _consultation(request, slug), contribution_id)
        viewer_id = _viewer_id(request)
        tree = selectors.comment_thread(contribution=contribution, viewer_id=viewer_id, staff=_staff(request))
        return Response(CommentNodeOut(comment_tree_data(tree, viewer_id=viewer_id), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CommentOut})
    def post(self, request: Request, slug: str, contribution_id: int) -> Response:
        contribution = _contribution(request, _consultation(request, slug), contribution_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            comment = comment_services.comment_create(
                contribution=contribution,
                author=_user(request),
                body=serializer.validated_data["body"],
                parent_id=serializer.validated_data["parent_id"],
            )
        except ApplicationError as exc:
            raise _renamed_fields(exc, {"parent": "parent_id"}) from exc
        comment = Comment.objects.select_related("author").get(pk=comment.pk)
        data = comment_data(comment, viewer_id=_viewer_id(request))
        return Response(CommentOut(data).data, status=status.HTTP_201_CREATED)


# --- Reactions, official answers, follows -----------------------------------------------------------------


class ReactionStateOut(serializers.Serializer[Any]):
    counters = CountersOut()
    my_reaction = serializers.CharField(allow_null=True)


class ReactionApi(APIView):
    """My reaction to a contribution: PUT sets (or changes) it, DELETE takes it back."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        kind = StringChoiceField(
            choices=ReactionKind.choices,
            help_text="`support` (support mode) or `agree`, `disagree`, `pass` (agreement mode).",
        )

    def _state(self, request: Request, contribution: Contribution) -> Response:
        contribution.refresh_from_db(
            fields=["support_count", "agree_count", "disagree_count", "pass_count", "comment_count"]
        )
        data = {"counters": counters_data(contribution), "my_reaction": _my_reaction(request, contribution)}
        return Response(ReactionStateOut(data).data)

    @extend_schema(request=InputSerializer, responses=ReactionStateOut)
    def put(self, request: Request, slug: str, contribution_id: int) -> Response:
        contribution = _contribution(request, _consultation(request, slug), contribution_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reaction_services.reaction_set(
            contribution=contribution, user=_user(request), kind=serializer.validated_data["kind"]
        )
        return self._state(request, contribution)

    @extend_schema(responses=ReactionStateOut)
    def delete(self, request: Request, slug: str, contribution_id: int) -> Response:
        contribution = _contribution(request, _consultation(request, slug), contribution_id)
        reaction_services.reaction_remove(contribution=contribution, user=_user(request))
        return self._state(request, contribution)


class OfficialAnswerApi(APIView):
    """The city's official answer to a contribution (staff); its author is notified."""

    permission_classes = [IsCityStaff]

    class InputSerializer(serializers.Serializer[Any]):
        status = StringChoiceField(choices=AnswerStatus.choices)
        text = serializers.CharField(max_length=10_000, help_text="Plain text.")

    @extend_schema(request=InputSerializer, responses=OfficialAnswerOut)
    def put(self, request: Request, slug: str, contribution_id: int) -> Response:
        contribution = _contribution(request, _consultation(request, slug), contribution_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = answer_services.official_answer_set(
            contribution_id=contribution.pk,
            status=serializer.validated_data["status"],
            text=serializer.validated_data["text"],
            actor_id=_user(request).pk,
        )
        return Response(OfficialAnswerOut(official_answer_data(answer)).data)


class FollowStateOut(serializers.Serializer[Any]):
    following = serializers.BooleanField()
    frequency = serializers.CharField(allow_null=True, help_text="`immediate` or `daily`; null when not following.")


class FollowApi(APIView):
    """Following a consultation: told by email when it opens, closes, publishes results or answers."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        frequency = StringChoiceField(choices=DigestFrequency.choices, default=DigestFrequency.IMMEDIATE)

    def _state(self, request: Request, consultation: Consultation) -> Response:
        frequency = (
            Follow.objects.filter(consultation=consultation, user_id=_user(request).pk)
            .values_list("frequency", flat=True)
            .first()
        )
        return Response(FollowStateOut({"following": frequency is not None, "frequency": frequency}).data)

    @extend_schema(responses=FollowStateOut)
    def get(self, request: Request, slug: str) -> Response:
        return self._state(request, _consultation(request, slug))

    @extend_schema(request=InputSerializer, responses=FollowStateOut)
    def put(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        follow_services.follow_set(
            consultation=consultation, user=_user(request), frequency=serializer.validated_data["frequency"]
        )
        return self._state(request, consultation)

    @extend_schema(responses=FollowStateOut)
    def delete(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        follow_services.follow_remove(consultation=consultation, user=_user(request))
        return self._state(request, consultation)


# --- Reports ----------------------------------------------------------------------------------------------


class ReportCreateIn(serializers.Serializer[Any]):
    reason = StringChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReportCreatedOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


def _report(request: Request, target: Contribution | Comment) -> Response:
    serializer = ReportCreateIn(data=request.data)
    serializer.is_valid(raise_exception=True)
    report = moderation_services.report_create(
        target=target,
        reporter=_user(request),
        reason=serializer.validated_data["reason"],
        note=serializer.validated_data["note"],
    )
    data = {"id": report.pk, "reason": report.reason, "note": report.note, "created_at": report.created_at}
    return Response(ReportCreatedOut(data).data, status=status.HTTP_201_CREATED)


class ContributionReportApi(APIView):
    """Report a contribution to the moderators (once per person)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReportCreateIn, responses={201: ReportCreatedOut})
    def post(self, request: Request, slug: str, contribution_id: int) -> Response:
        return _report(request, _contribution(request, _consultation(request, slug), contribution_id))


class CommentReportApi(APIView):
    """Report a comment to the moderators (once per person)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReportCreateIn, responses={201: ReportCreatedOut})
    def post(self, request: Request, slug: str, comment_id: int) -> Response:
        consultation = _consultation(request, slug)
        comment = Comment.objects.filter(pk=comment_id, contribution__consultation=consultation).first()
        viewer_id = _viewer_id(request)
        if comment is not None:
            # The comment is readable where its contribution is, and when published (or the viewer's own).
            _contribution(request, consultation, comment.contribution_id)
            if comment.status != CommentStatus.PUBLISHED and comment.author_id != viewer_id and not _staff(request):
                comment = None
        if comment is None:
            raise ApplicationError(_("This comment does not exist."), code="not_found", status_code=404)
        return _report(request, comment)


# --- Figures ----------------------------------------------------------------------------------------------


class FiguresOut(serializers.Serializer[Any]):
    contributions = serializers.IntegerField(help_text="Published contributions.")
    contributors = serializers.IntegerField(help_text="Different people who contributed.")
    comments = serializers.IntegerField()
    reactions = serializers.IntegerField()
    answered = serializers.IntegerField(help_text="Contributions with an official answer.")
    per_theme = inline_serializer(
        "ConsultationFiguresTheme",
        {"name": serializers.CharField(), "colour": serializers.CharField(), "count": serializers.IntegerField()},
        many=True,
    )
    per_day = inline_serializer(
        "ConsultationFiguresDay", {"day": serializers.DateField(), "count": serializers.IntegerField()}, many=True
    )
    per_answer_status = inline_serializer(
        "ConsultationFiguresAnswer", {"label": serializers.CharField(), "count": serializers.IntegerField()}, many=True
    )


class FiguresApi(APIView):
    """What we heard: participation figures, once the consultation is closed (staff: at any time)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=FiguresOut)
    def get(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        if consultation.phase not in (Phase.CLOSED, Phase.RESULTS) and not _staff(request):
            raise ApplicationError(
                _("The figures are published once the consultation is closed."),
                code="figures_not_available",
                status_code=status.HTTP_409_CONFLICT,
            )
        figures = selectors.consultation_figures(consultation)
        data = {
            "contributions": figures.contributions,
            "contributors": figures.contributors,
            "comments": figures.comments,
            "reactions": figures.reactions,
            "answered": figures.answered,
            "per_theme": [{"name": n, "colour": c, "count": k} for n, c, k in figures.per_theme],
            "per_day": [{"day": d, "count": k} for d, k in figures.per_day],
            "per_answer_status": [{"label": label, "count": k} for label, k in figures.per_answer_status],
        }
        return Response(FiguresOut(data).data)
