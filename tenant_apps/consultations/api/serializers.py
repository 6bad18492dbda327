"""Shapes shared by several consultation endpoints, and the functions that fill them.

Views build plain dicts with the ``*_data`` functions below (so that what a viewer may see is decided in
one place: the moderation reason only for the author and staff, a hidden comment as a placeholder) and
render them through these serializers, which also document the shapes in the OpenAPI schema.

Choice fields are documented as strings with their values in the description, not as OpenAPI enums:
drf-spectacular names enums globally by field name ("status", "kind", "reason"...), and the same names
carry different choice sets across the city API, which the schema check reports as collisions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenant_apps.consultations.models import (
    Attachment,
    Comment,
    Consultation,
    Contribution,
    ContributionStatus,
    OfficialAnswer,
    Theme,
)

EXCERPT_LENGTH = 280


def one_of(choices: type[TextChoices] | Iterable[str]) -> str:
    values = choices.values if isinstance(choices, type) else list(choices)
    return "One of: " + ", ".join(f"`{v}`" for v in values) + "."


@extend_schema_field(OpenApiTypes.STR)
class StringChoiceField(serializers.ChoiceField):
    """A ChoiceField documented as a plain string (see the module docstring); the values are listed in
    its help text, which it fills in when none is given."""

    def __init__(self, *, choices: Any, **kwargs: Any) -> None:
        values = [c[0] if isinstance(c, (tuple, list)) else c for c in choices]
        kwargs.setdefault("help_text", one_of(values))
        super().__init__(choices=choices, **kwargs)


def author_name(user: Any) -> str:
    """The name shown for a person: their display name, never their email address."""
    if user is None or not user.is_active:
        return _("Former participant")
    return str(user.display_name).strip() or _("Resident")


# --- Consultations and themes -----------------------------------------------------------------------------


class ThemeOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField(help_text="#rrggbb")
    icon = serializers.CharField()
    description = serializers.CharField()
    position = serializers.IntegerField()


class ThemeRefOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField(help_text="#rrggbb")


class ConsultationOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    description = serializers.CharField(help_text="Sanitised HTML.")
    cover_image = serializers.CharField(allow_null=True, help_text="URL of the cover image, or null.")
    phase = serializers.CharField(help_text="One of: `draft`, `open`, `closed`, `results`.")
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    results_published_at = serializers.DateTimeField(allow_null=True)
    participation = serializers.CharField(help_text="One of: `signed_in`, `verified`.")
    visibility = serializers.CharField(help_text="One of: `public`, `unlisted`.")
    reaction_mode = serializers.CharField(help_text="One of: `support`, `agreement`.")
    reaction_kinds = serializers.ListField(
        child=serializers.CharField(), help_text="The reaction kinds this consultation accepts."
    )
    premoderation = serializers.BooleanField()
    allow_attachments = serializers.BooleanField()
    allow_location = serializers.BooleanField()
    language = serializers.CharField()
    themes = ThemeOut(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def theme_data(theme: Theme) -> dict[str, Any]:
    return {
        "id": theme.pk,
        "name": theme.name,
        "colour": theme.colour,
        "icon": theme.icon,
        "description": theme.description,
        "position": theme.position,
    }


def consultation_data(consultation: Consultation) -> dict[str, Any]:
    """``consultation`` as ConsultationOut (prefetch ``themes`` when rendering many)."""
    return {
        "id": consultation.pk,
        "slug": consultation.slug,
        "title": consultation.title,
        "summary": consultation.summary,
        "description": consultation.description,
        "cover_image": consultation.cover_image.url if consultation.cover_image else None,
        "phase": consultation.phase,
        "opens_at": consultation.opens_at,
        "closes_at": consultation.closes_at,
        "opened_at": consultation.opened_at,
        "closed_at": consultation.closed_at,
        "results_published_at": consultation.results_published_at,
        "participation": consultation.participation,
        "visibility": consultation.visibility,
        "reaction_mode": consultation.reaction_mode,
        "reaction_kinds": list(consultation.reaction_kinds),
        "premoderation": consultation.premoderation,
        "allow_attachments": consultation.allow_attachments,
        "allow_location": consultation.allow_location,
        "language": consultation.language,
        "themes": [theme_data(t) for t in consultation.themes.all()],
        "created_at": consultation.created_at,
        "updated_at": consultation.updated_at,
    }


# --- Contributions ----------------------------------------------------------------------------------------


class CountersOut(serializers.Serializer[Any]):
    support = serializers.IntegerField()
    agree = serializers.IntegerField()
    disagree = serializers.IntegerField()
    pass_ = serializers.IntegerField()
    comments = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "pass" is a Python keyword: declared as ``pass_``, published as ``pass``.
        fields = super().get_fields()
        return {("pass" if name == "pass_" else name): field for name, field in fields.items()}


class ContributionItemOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Plain text (escape it): an excerpt unless `body=full` was asked.")
    body_truncated = serializers.BooleanField()
    theme = ThemeRefOut(allow_null=True, help_text="Null: the “other” bucket.")
    author = serializers.CharField(help_text="The author's display name.")
    district = serializers.CharField()
    status = serializers.CharField(help_text=one_of(ContributionStatus))
    created_at = serializers.DateTimeField()
    counters = CountersOut()
    answer_status = serializers.CharField(
        help_text="The official answer's status (`under_review`, `accepted`, `rejected`, `done`), or empty."
    )
    my_reaction = serializers.CharField(allow_null=True, help_text="The signed-in viewer's reaction kind, or null.")


class ContributionPageOut(serializers.Serializer[Any]):
    results = ContributionItemOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class AttachmentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="One of: `image`, `pdf`.")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class OfficialAnswerOut(serializers.Serializer[Any]):
    status = serializers.CharField(help_text="One of: `under_review`, `accepted`, `rejected`, `done`.")
    text = serializers.CharField(help_text="Plain text.")
    answered_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ContributionOut(ContributionItemOut):
    consultation = serializers.CharField(help_text="The consultation's slug.")
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    updated_at = serializers.DateTimeField()
    merged_into = serializers.IntegerField(allow_null=True, help_text="Set when merged into another contribution.")
    moderation_reason = serializers.CharField(
        help_text="Why it is pending or hidden (shown to the author and staff only; empty otherwise)."
    )
    official_answer = OfficialAnswerOut(allow_null=True)
    attachments = AttachmentOut(many=True)
    is_mine = serializers.BooleanField()


def counters_data(contribution: Contribution) -> dict[str, int]:
    return {
        "support": contribution.support_count,
        "agree": contribution.agree_count,
        "disagree": contribution.disagree_count,
        "pass": contribution.pass_count,
        "comments": contribution.comment_count,
    }


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> tuple[str, bool]:
    """The first ``length`` characters of ``text``, cut at a word boundary, and whether it was cut."""
    if len(text) <= length:
        return text, False
    cut = text[:length]
    space = cut.rfind(" ")
    if space > length // 2:
        cut = cut[:space]
    return cut.rstrip() + "…", True


def contribution_item_data(
    contribution: Contribution, *, my_reaction: str | None = None, full_body: bool = False
) -> dict[str, Any]:
    """One list item (``theme`` and ``author`` must be loaded with the row: select_related)."""
    body, truncated = (contribution.body, False) if full_body else excerpt(contribution.body)
    theme = contribution.theme
    return {
        "id": contribution.pk,
        "title": contribution.title,
        "body": body,
        "body_truncated": truncated,
        "theme": {"id": theme.pk, "name": theme.name, "colour": theme.colour} if theme else None,
        "author": author_name(contribution.author),
        "district": contribution.district,
        "status": contribution.status,
        "created_at": contribution.created_at,
        "counters": counters_data(contribution),
        "answer_status": contribution.answer_status,
        "my_reaction": my_reaction,
    }


def official_answer_data(answer: OfficialAnswer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "status": answer.status,
        "text": answer.text,
        "answered_at": answer.answered_at,
        "updated_at": answer.updated_at,
    }


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "kind": attachment.kind,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": attachment.file.url,
    }


def contribution_data(
    contribution: Contribution,
    *,
    consultation: Consultation,
    viewer_id: int | None,
    staff: bool,
    my_reaction: str | None = None,
) -> dict[str, Any]:
    """The full contribution, as ``viewer_id`` may see it."""
    mine = viewer_id is not None and contribution.author_id == viewer_id
    try:
        answer: OfficialAnswer | None = contribution.official_answer
    except OfficialAnswer.DoesNotExist:
        answer = None
    return {
        **contribution_item_data(contribution, my_reaction=my_reaction, full_body=True),
        "consultation": consultation.slug,
        "latitude": float(contribution.latitude) if contribution.latitude is not None else None,
        "longitude": float(contribution.longitude) if contribution.longitude is not None else None,
        "updated_at": contribution.updated_at,
        "merged_into": contribution.merged_into_id,
        "moderation_reason": contribution.moderation_reason if (mine or staff) else "",
        "official_answer": official_answer_data(answer),
        "attachments": [attachment_data(a) for a in contribution.attachments.order_by("id")],
        "is_mine": mine,
    }


# --- Comments ---------------------------------------------------------------------------------------------


class CommentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    parent_id = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField(help_text="0 for a top-level comment.")
    author = serializers.CharField(allow_null=True, help_text="Display name; null for a placeholder.")
    body = serializers.CharField(help_text="Plain text (escape it); empty for a placeholder.")
    status = serializers.CharField(help_text="One of: `published`, `pending`, `hidden`.")
    placeholder = serializers.BooleanField(
        help_text="A comment the viewer may not read, kept so that the replies under it still read as a thread."
    )
    is_mine = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CommentNodeOut(CommentOut):
    replies = serializers.ListField(child=serializers.DictField())  # replaced below: the tree is recursive


# A serializer that contains itself: DRF builds fields lazily, so the recursion stops with the data, and
# drf-spectacular registers the component before mapping its fields, so the schema holds a $ref to itself.
CommentNodeOut._declared_fields["replies"] = CommentNodeOut(many=True)


def comment_data(comment: Comment, *, shown: bool = True, viewer_id: int | None = None) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "author": author_name(comment.author) if shown else None,
        "body": comment.body if shown else "",
        "status": comment.status,
        "placeholder": not shown,
        "is_mine": viewer_id is not None and comment.author_id == viewer_id,
        "created_at": comment.created_at,
    }


def comment_tree_data(nodes: list[dict[str, Any]], *, viewer_id: int | None) -> list[dict[str, Any]]:
    """selectors.comment_thread's tree as CommentNodeOut dicts."""
    return [
        {
            **comment_data(node["comment"], shown=node["shown"], viewer_id=viewer_id),
            "replies": comment_tree_data(node["replies"], viewer_id=viewer_id),
        }
        for node in nodes
    ]
