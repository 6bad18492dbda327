"""Reads for the consultation pages and API.

Lists never count the table and never load more than a page: keyset pagination on the sort key plus the
id (an opaque cursor), served by one of the ``(consultation, status, <sort>)`` indexes; the decorations
of a page (themes, authors, the viewer's own reactions) cost a fixed number of queries whatever the
page size or the data size.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import (
    AnswerStatus,
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ContributionStatus,
    Reaction,
    Theme,
    Visibility,
)
from tenant_apps.consultations.phases import VISIBLE

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

# sort name -> (counter field or "created_at", label)
SORTS: dict[str, tuple[str, Any]] = {
    "newest": ("created_at", gettext_lazy("Newest")),
    "supported": ("support_count", gettext_lazy("Most supported")),
    "agreed": ("agree_count", gettext_lazy("Most agreed")),
    "commented": ("comment_count", gettext_lazy("Most commented")),
}


# --- Consultations ----------------------------------------------------------------------------------------


def consultation_list(*, staff: bool = False) -> QuerySet[Consultation]:
    """Consultations residents may see (listed ones, out of draft); staff see everything."""
    qs = Consultation.objects.all()
    if not staff:
        qs = qs.filter(phase__in=VISIBLE, visibility=Visibility.PUBLIC)
    return qs.order_by("-created_at", "-id")


def consultation_get(*, slug: str, staff: bool = False) -> Consultation:
    """The consultation at ``slug`` (unlisted ones too: the link is the key); draft ones only for staff."""
    consultation = Consultation.objects.filter(slug=slug).first()
    if consultation is None or (not staff and consultation.phase not in VISIBLE):
        raise ApplicationError(_("This consultation does not exist."), code="not_found", status_code=404)
    return consultation


def themes_of(consultation: Consultation) -> list[Theme]:
    return list(consultation.themes.all())


# --- Contribution lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionFilters:
    theme: int | None = None  # a theme id
    other_theme: bool = False  # contributions without a theme ("other")
    district: str = ""
    answered: str = ""  # "", "yes", "no", or an AnswerStatus value
    q: str = ""  # full-text search in the consultation's language
    status: str = ""  # staff only; residents always see published contributions
    author_id: int | None = None


@dataclass
class ContributionPage:
    items: list[Contribution]
    next_cursor: str | None
    previous_cursor: str | None
    sort: str
    page_size: int
    # contribution id -> the viewer's reaction kind on it
    my_reactions: dict[int, str] = field(default_factory=dict)


def parse_filters(params: Any, *, staff: bool = False) -> ContributionFilters:
    """Filters from query parameters (a QueryDict or a dict); bad values raise a clear 400."""
    theme_raw = (params.get("theme") or "").strip()
    theme: int | None = None
    other = False
    if theme_raw == "other":
        other = True
    elif theme_raw:
        try:
            theme = int(theme_raw)
        except ValueError as exc:
            raise ApplicationError(
                _("Unknown theme."), code="invalid_filter", fields={"theme": [_("Unknown theme.")]}
            ) from exc
    answered = (params.get("answered") or "").strip()
    if answered and answered not in ("yes", "no", *AnswerStatus.values):
        raise ApplicationError(
            _("Unknown answer filter."), code="invalid_filter", fields={"answered": [_("Unknown answer filter.")]}
        )
    status = (params.get("status") or "").strip() if staff else ""
    if status and status not in ContributionStatus.values:
        raise ApplicationError(_("Unknown status."), code="invalid_filter", fields={"status": [_("Unknown status.")]})
    q = (params.get("q") or "").strip()[:200]
    return ContributionFilters(
        theme=theme,
        other_theme=other,
        district=(params.get("district") or "").strip()[:100],
        answered=answered,
        q=q,
        status=status,
    )


def _encode_cursor(sort_value: Any, pk: int, direction: str) -> str:
    raw = json.dumps(
        [sort_value.isoformat() if isinstance(sort_value, datetime.datetime) else sort_value, pk, direction]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort_field: str) -> tuple[Any, int, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk, direction = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if sort_field == "created_at":
            value = parse_datetime(value)
            if value is None:
                raise ValueError
        elif not isinstance(value, int):
            raise ValueError
        if not isinstance(pk, int) or direction not in ("next", "prev"):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise ApplicationError(_("This page link is not valid."), code="invalid_cursor") from exc
    return value, pk, direction


def contribution_queryset(
    consultation: Consultation, filters: ContributionFilters, *, staff: bool = False
) -> QuerySet[Contribution]:
    """Contributions matching ``filters`` (unordered); residents only ever see published ones."""
    qs = Contribution.objects.filter(consultation=consultation)
    if staff and filters.status:
        qs = qs.filter(status=filters.status)
    elif not staff or not filters.status:
        qs = qs.filter(status=ContributionStatus.PUBLISHED)
    if filters.theme is not None:
        qs = qs.filter(theme_id=filters.theme)
    elif filters.other_theme:
        qs = qs.filter(theme__isnull=True)
    if filters.district:
        qs = qs.filter(district=filters.district)
    if filters.answered == "yes":
        qs = qs.exclude(answer_status="")
    elif filters.answered == "no":
        qs = qs.filter(answer_status="")
    elif filters.answered:
        qs = qs.filter(answer_status=filters.answered)
    if filters.author_id is not None:
        qs = qs.filter(author_id=filters.author_id)
    if filters.q:
        qs = qs.filter(search_vector=SearchQuery(filters.q, config=consultation.search_config, search_type="websearch"))
    return qs


def contribution_page(
    consultation: Consultation,
    *,
    filters: ContributionFilters | None = None,
    sort: str = "newest",
    cursor: str = "",
    page_size: int = DEFAULT_PAGE_SIZE,
    viewer_id: int | None = None,
    staff: bool = False,
) -> ContributionPage:
    """One page of contributions: 1 query for the rows (+ themes and authors joined), 1 for the viewer's
    reactions when signed in. ``cursor`` comes from a previous page's ``next_cursor``/``previous_cursor``."""
    if sort not in SORTS:
        raise ApplicationError(
            _("Unknown sort order."), code="invalid_filter", fields={"sort": [_("Unknown sort order.")]}
        )
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    sort_field = SORTS[sort][0]
    filters = filters or ContributionFilters()
    qs = contribution_queryset(consultation, filters, staff=staff)
    direction = "next"
    if cursor:
        value, pk, direction = _decode_cursor(cursor, sort_field)
        # A row comparison, ``(sort_key, id) < (value, pk)``: PostgreSQL starts the index scan right at the
        # cursor. The equivalent "a < v OR (a = v AND id < pk)" is only a filter, and a page 40% down
        # the list then walked 400,000 index entries (make bench-consultations).
        lookup = TupleLessThan if direction == "next" else TupleGreaterThan
        qs = qs.filter(lookup(Tuple(F(sort_field), F("id")), (value, pk)))
    order = (f"-{sort_field}", "-id") if direction == "next" else (sort_field, "id")
    if filters.q:
        # Search: pick the page's ids first, then join themes and authors for those rows only (joining
        # before the LIMIT made PostgreSQL join every match of a common word).
        ids = list(qs.order_by(*order).values_list("pk", flat=True)[: page_size + 1])
        by_id = {c.pk: c for c in _decorated(Contribution.objects.filter(pk__in=ids))}
        rows = [by_id[i] for i in ids if i in by_id]
    else:
        rows = list(_decorated(qs).order_by(*order)[: page_size + 1])
    if direction == "next":
        has_more, has_before = len(rows) > page_size, bool(cursor)
        rows = rows[:page_size]
    else:
        has_before, has_more = len(rows) > page_size, True
        rows = list(reversed(rows[:page_size]))
    next_cursor = _encode_cursor(getattr(rows[-1], sort_field), rows[-1].pk, "next") if rows and has_more else None
    previous_cursor = _encode_cursor(getattr(rows[0], sort_field), rows[0].pk, "prev") if rows and has_before else None
    mine: dict[int, str] = {}
    if viewer_id is not None and rows:
        mine = dict(
            Reaction.objects.filter(user_id=viewer_id, contribution_id__in=[r.pk for r in rows]).values_list(
                "contribution_id", "kind"
            )
        )
    return ContributionPage(
        items=rows,
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
        sort=sort,
        page_size=page_size,
        my_reactions=mine,
    )


def _decorated(qs: QuerySet[Contribution]) -> QuerySet[Contribution]:
    """What a list row shows: theme and author joined; the search vector and password hashes left behind."""
    return qs.select_related("theme", "author").defer("search_vector", "author__password", "author__last_login")


def contribution_get(
    *, consultation: Consultation, contribution_id: int, viewer_id: int | None = None, staff: bool = False
) -> Contribution:
    """A contribution residents may read: published or merged (shown with a link to where it went), or
    their own pending/hidden one (with the reason); staff see all."""
    contribution = (
        Contribution.objects.select_related("theme", "author", "merged_into", "official_answer")
        .filter(consultation=consultation, pk=contribution_id)
        .first()
    )
    visible = contribution is not None and (
        staff
        or contribution.status in (ContributionStatus.PUBLISHED, ContributionStatus.MERGED)
        or (viewer_id is not None and contribution.author_id == viewer_id)
    )
    if not visible:
        raise ApplicationError(_("This contribution does not exist."), code="not_found", status_code=404)
    assert contribution is not None
    return contribution


def comment_thread(
    *, contribution: Contribution, viewer_id: int | None = None, staff: bool = False
) -> list[dict[str, Any]]:
    """The comments of a contribution as a tree (one query): ``[{"comment": c, "replies": [...]}, ...]``.

    Hidden or pending comments show to staff and to their author only; a hidden comment with visible
    replies stays as a placeholder so that the thread still reads."""
    comments = list(contribution.comments.select_related("author").order_by("created_at", "id"))
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for comment in comments:
        shown = (
            staff
            or comment.status == CommentStatus.PUBLISHED
            or (viewer_id is not None and comment.author_id == viewer_id)
        )
        node = {"comment": comment, "shown": shown, "replies": []}
        nodes[comment.pk] = node
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent["replies"] if parent else roots).append(node)

    def prune(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        for node in items:
            node["replies"] = prune(node["replies"])
            if node["shown"] or node["replies"]:
                kept.append(node)
        return kept

    return prune(roots)


# --- Figures ("what we heard") ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationFigures:
    contributions: int
    contributors: int
    comments: int
    reactions: int
    answered: int
    per_theme: list[tuple[str, str, int]]  # (name, colour, count), themes in order then "other"
    per_day: list[tuple[datetime.date, int]]
    per_answer_status: list[tuple[str, int]]


def consultation_figures(consultation: Consultation) -> ConsultationFigures:
    """Participation figures over published contributions (a handful of GROUP BY queries on indexed
    columns; callers cache the result for large consultations)."""
    published = Contribution.objects.filter(consultation=consultation, status=ContributionStatus.PUBLISHED)
    totals = published.aggregate(
        n=Count("id"),
        people=Count("author", distinct=True),
        answered=Count("id", filter=~Q(answer_status="")),
    )
    by_theme: dict[int | None, int] = dict(
        published.values_list("theme_id").annotate(n=Count("id")).values_list("theme_id", "n")
    )
    per_theme = [(t.name, t.colour, by_theme.get(t.pk, 0)) for t in consultation.themes.all()]
    if by_theme.get(None):
        per_theme.append((_("Other"), "#888888", by_theme[None]))
    zone = timezone.get_current_timezone()
    per_day = list(
        published.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
        .values_list("day", "n")
    )
    answers = list(
        published.exclude(answer_status="")
        .values("answer_status")
        .annotate(n=Count("id"))
        .values_list("answer_status", "n")
    )
    labels = dict(AnswerStatus.choices)
    return ConsultationFigures(
        contributions=totals["n"],
        contributors=totals["people"],
        comments=Comment.objects.filter(
            contribution__consultation=consultation, status=CommentStatus.PUBLISHED
        ).count(),
        reactions=Reaction.objects.filter(contribution__consultation=consultation).count(),
        answered=totals["answered"],
        per_theme=per_theme,
        per_day=per_day,
        per_answer_status=[(str(labels.get(s, s)), n) for s, n in answers],
    )


def most_supported(consultation: Consultation, *, limit: int = 10) -> Sequence[Contribution]:
    field_name = "agree_count" if consultation.reaction_mode == "agreement" else "support_count"
    return list(
        Contribution.objects.filter(consultation=consultation, status=ContributionStatus.PUBLISHED)
        .select_related("theme", "official_answer")
        .order_by(f"-{field_name}", "-id")[:limit]
    )


def answered_contributions(consultation: Consultation, *, limit: int = 20) -> Sequence[Contribution]:
    return list(
        Contribution.objects.filter(consultation=consultation, status=ContributionStatus.PUBLISHED)
        .exclude(answer_status="")
        .select_related("theme", "official_answer")
        .order_by("-official_answer__updated_at", "-id")[:limit]
    )
