"""Helpers and small reads shared by the consultations pages.

Every read here costs a fixed number of queries whatever the size of a page or of the consultation;
the results figures are cached (the cache key function adds the city's schema, see settings.CACHES).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from tenant_apps.consultations import permissions, selectors
from tenant_apps.consultations.models import (
    AnswerStatus,
    Consultation,
    Contribution,
    Follow,
    OfficialAnswer,
    Reaction,
    ReactionKind,
    ReactionMode,
)
from tenant_apps.consultations.phases import Phase

View = Callable[..., HttpResponseBase]

ANSWER_LABELS: dict[str, Any] = dict(AnswerStatus.choices)
REACTION_LABELS: dict[str, Any] = dict(ReactionKind.choices)
FIGURES_TIMEOUT_OPEN = 60
FIGURES_TIMEOUT_CLOSED = 10 * 60


def city_time_zone(request: HttpRequest) -> str:
    city = getattr(request, "city", None)
    return str(getattr(city, "time_zone", "") or "UTC")


def in_city_time(view: View) -> View:
    """Render (and read typed dates) in the city's time zone, not the server's."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with timezone.override(city_time_zone(request)):
            return view(request, *args, **kwargs)

    return wrapper


def staff_only(view: View) -> View:
    """The back-office of consultations (manage, moderation, surveys, exports): moderators and city admins
    (accounts' roles). Visitors go to the login page; anyone else gets a 403 page saying why."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.is_staff(request.user):
            return render(
                request,
                "consultations/refused.html",
                {"refusal": Refusal("forbidden", _("This page is for the city's staff only."))},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


def viewer_is_staff(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and permissions.is_staff(request.user))


def viewer_id(request: HttpRequest) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` field of a form when it points back into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


# --- Refusals ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why the viewer may not do an action, and the page that would change that (if any)."""

    code: str
    reason: str
    link_url: str = ""
    link_label: str = ""

    @property
    def status(self) -> int:
        return 409 if self.code == "not_open" else 403


def refusal_for(request: HttpRequest, consultation: Consultation, action: str) -> Refusal | None:
    """None when the viewer may do ``action`` (contribute, comment, react) now."""
    decision = permissions.participation_decision(request.user, consultation, action)
    if decision:
        return None
    code = str(getattr(decision, "code", "") or "refused")
    reason = str(getattr(decision, "reason", "") or _("You cannot do this here."))
    if code == "login_required":
        login = f"{reverse('account:login')}?{urlencode({'next': request.get_full_path()})}"
        return Refusal(code, reason, login, _("Sign in or create an account"))
    if code == "verification_required":
        return Refusal(code, reason, reverse("accounts:verification"), _("Verify your residency"))
    return Refusal(code, reason)


# --- Small reads ------------------------------------------------------------------------------------------


def follow_of(consultation: Consultation, request: HttpRequest) -> Follow | None:
    if not request.user.is_authenticated:
        return None
    return Follow.objects.filter(consultation=consultation, user_id=request.user.pk).first()


def answers_for(contribution_ids: Iterable[int]) -> dict[int, OfficialAnswer]:
    """The official answers of a page of contributions, in one query."""
    ids = list(contribution_ids)
    if not ids:
        return {}
    return {a.contribution_id: a for a in OfficialAnswer.objects.filter(contribution_id__in=ids)}


def my_reaction(contribution: Contribution, request: HttpRequest) -> str | None:
    if not request.user.is_authenticated:
        return None
    return (
        Reaction.objects.filter(contribution=contribution, user_id=request.user.pk)
        .values_list("kind", flat=True)
        .first()
    )


def official_answer_of(contribution: Contribution) -> OfficialAnswer | None:
    """The answer joined by ``selectors.contribution_get`` (no query), or None."""
    try:
        return contribution.official_answer
    except OfficialAnswer.DoesNotExist:
        return None


def merged_here(contribution: Contribution) -> list[Contribution]:
    """Contributions merged into ``contribution`` (shown with it; one query, capped)."""
    return list(
        Contribution.objects.filter(merged_into=contribution).only("id", "title", "consultation_id").order_by("id")[:50]
    )


STATUS_COUNTS_TIMEOUT = 60


def contribution_counts(consultation_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """consultation id -> {status: count} for the back-office list: one GROUP BY over the consultations
    not in the cache, each cached for a minute (a million-row consultation is not recounted per view)."""
    keys = {pk: f"consultations:status-counts:{pk}" for pk in consultation_ids}
    cached = cache.get_many(list(keys.values()))
    counts: dict[int, dict[str, int]] = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [pk for pk in consultation_ids if pk not in counts]
    if missing:
        fresh: dict[int, dict[str, int]] = {pk: {} for pk in missing}
        rows = (
            Contribution.objects.filter(consultation_id__in=missing)
            .values_list("consultation_id", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for consultation_id, status, n in rows:
            fresh[consultation_id][status] = n
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, STATUS_COUNTS_TIMEOUT)
        counts.update(fresh)
    return counts


# --- Display ----------------------------------------------------------------------------------------------


def phase_steps(consultation: Consultation) -> list[dict[str, Any]]:
    """The lifecycle as steps with their (planned or actual) date, the current one marked."""
    order = [Phase.DRAFT, Phase.OPEN, Phase.CLOSED, Phase.RESULTS]
    current = order.index(Phase(consultation.phase))
    dates = {
        Phase.OPEN: consultation.opened_at or consultation.opens_at,
        Phase.CLOSED: consultation.closed_at or consultation.closes_at,
        Phase.RESULTS: consultation.results_published_at,
    }
    steps = []
    for index, phase in enumerate(order[1:], start=1):
        steps.append(
            {
                "label": phase.label,
                "date": dates[phase],
                "done": index < current,
                "current": index == current,
                "planned": index > current,
            }
        )
    return steps


def results_visible(consultation: Consultation, *, staff: bool = False) -> bool:
    return staff or consultation.phase in (Phase.CLOSED, Phase.RESULTS)


def reaction_buttons(consultation: Consultation, mine: str | None) -> list[dict[str, Any]]:
    """Toggle buttons: the label stays, ``aria-pressed`` tells the state; pressing the viewer's current
    reaction again withdraws it."""
    return [
        {
            "kind": kind,
            "label": REACTION_LABELS[kind],
            "pressed": mine == kind,
            "value": "remove" if mine == kind else kind,
        }
        for kind in consultation.reaction_kinds
    ]


def counters(consultation: Consultation, contribution: Contribution) -> list[tuple[str, int]]:
    if consultation.reaction_mode == ReactionMode.AGREEMENT:
        return [
            (_("agree"), contribution.agree_count),
            (_("disagree"), contribution.disagree_count),
            (_("pass"), contribution.pass_count),
        ]
    return [(_("supports"), contribution.support_count)]


def contribution_rows(
    consultation: Consultation, page: selectors.ContributionPage, *, can_react: bool
) -> list[dict[str, Any]]:
    """Each item of a list page with what the template shows; no query (themes are joined)."""
    rows = []
    for item in page.items:
        mine = page.my_reactions.get(item.pk)
        rows.append(
            {
                "c": item,
                "mine": mine,
                "mine_label": REACTION_LABELS.get(mine or "", ""),
                "answer_label": ANSWER_LABELS.get(item.answer_status, ""),
                "counters": counters(consultation, item),
                "buttons": reaction_buttons(consultation, mine) if can_react else [],
            }
        )
    return rows


def query_with(params: QueryDict, **changes: str | None) -> str:
    """``params`` as a query string with ``changes`` applied (None removes a key)."""
    copy = params.copy()
    for key, value in changes.items():
        if value is None:
            copy.pop(key, None)
        else:
            copy[key] = value
    return copy.urlencode()


# --- Results ----------------------------------------------------------------------------------------------


def figures_cache_key(consultation: Consultation) -> str:
    # The consultation's row changes with every phase change and edit; the language is in the key
    # because figures hold a translated label ("Other").
    stamp = consultation.updated_at.timestamp() if consultation.updated_at else 0
    return f"consultations:figures:{consultation.pk}:{stamp}:{consultation.phase}:{translation.get_language()}"


def cached_figures(consultation: Consultation) -> selectors.ConsultationFigures:
    """``selectors.consultation_figures``, cached: a million-contribution consultation computes its
    GROUP BYs every ten minutes once closed (once a minute while open), not at every page view."""
    key = figures_cache_key(consultation)
    figures = cache.get(key)
    if not isinstance(figures, selectors.ConsultationFigures):
        figures = selectors.consultation_figures(consultation)
        timeout = FIGURES_TIMEOUT_OPEN if consultation.phase == Phase.OPEN else FIGURES_TIMEOUT_CLOSED
        cache.set(key, figures, timeout)
    return figures


def theme_bars(per_theme: Sequence[tuple[str, str, int]]) -> list[dict[str, Any]]:
    top = max([n for _name, _colour, n in per_theme] + [1])
    total = sum(n for _name, _colour, n in per_theme) or 1
    return [
        {
            "name": name,
            "colour": colour,
            "count": n,
            "width": round(100 * n / top),
            "share": round(100 * n / total),
        }
        for name, colour, n in per_theme
    ]


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    bars: list[dict[str, Any]]
    top: int
    axis_labels: list[dict[str, Any]]


def day_chart(per_day: Sequence[tuple[datetime.date, int]], *, width: int = 720, height: int = 180) -> DayChart | None:
    """Geometry of a server-side SVG column chart of contributions per day (days without any shown as
    gaps). The drawing is ``width`` wide for up to ``width / 4`` days, wider beyond (it scales down)."""
    if not per_day:
        return None
    counts = dict(per_day)
    first, last = per_day[0][0], per_day[-1][0]
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    if len(days) > 400:  # a very long consultation: only the days with contributions
        days = [d for d, _n in per_day]
    top = max(counts.values()) or 1
    step = max(4, min(48, width // len(days)))
    plot_height = height - 24
    bars = []
    for index, day in enumerate(days):
        n = counts.get(day, 0)
        bar_height = round(plot_height * n / top)
        bars.append(
            {
                "x": index * step + 1,
                "y": plot_height - bar_height,
                "w": max(step - 2, 2),
                "h": bar_height,
                "day": day,
                "count": n,
            }
        )
    every = max(1, len(days) // 6)
    axis_labels = [{"x": bars[i]["x"], "day": bars[i]["day"]} for i in range(0, len(bars), every)]
    return DayChart(width=max(width, len(days) * step + 2), height=height, bars=bars, top=top, axis_labels=axis_labels)
