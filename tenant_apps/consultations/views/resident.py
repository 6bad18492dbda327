"""Resident pages under /consultations/: consultations, contributions, comments, reactions, results.

Every form posts to its own address and redirects back (post/redirect/get); a refusal renders the
reason with the page that would lift it (sign in, verify residency); form errors re-render the page
with what the person typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from tenant_apps.consultations import forms, selectors
from tenant_apps.consultations.models import (
    AnswerStatus,
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ContributionStatus,
    ReactionMode,
)
from tenant_apps.consultations.services import comments as comment_services
from tenant_apps.consultations.services import contributions as contribution_services
from tenant_apps.consultations.services import follows as follow_services
from tenant_apps.consultations.services import moderation as moderation_services
from tenant_apps.consultations.services import reactions as reaction_services
from tenant_apps.consultations.views import common
from tenant_apps.consultations.views.common import in_city_time


def _consultation(request: HttpRequest, slug: str, *, staff: bool | None = None) -> Consultation:
    if staff is None:
        staff = common.viewer_is_staff(request)
    try:
        return selectors.consultation_get(slug=slug, staff=staff)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _contribution(request: HttpRequest, consultation: Consultation, contribution_id: int) -> Contribution:
    try:
        return selectors.contribution_get(
            consultation=consultation,
            contribution_id=contribution_id,
            viewer_id=common.viewer_id(request),
            staff=common.viewer_is_staff(request),
        )
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _refused(request: HttpRequest, consultation: Consultation, refusal: common.Refusal) -> HttpResponse:
    return render(
        request,
        "consultations/refused.html",
        {"consultation": consultation, "refusal": refusal},
        status=refusal.status,
    )


def _detail_url(consultation: Consultation) -> str:
    return reverse("consultations:detail", kwargs={"slug": consultation.slug})


def _contribution_url(consultation: Consultation, contribution_id: int) -> str:
    return reverse("consultations:contribution", kwargs={"slug": consultation.slug, "contribution_id": contribution_id})


def _with_anchor(url: str, anchor: str) -> str:
    return url if "#" in url else f"{url}#{anchor}"


def _add_service_errors(form: Any, exc: ApplicationError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for key, field_messages in exc.fields.items():
        for message in field_messages:
            if key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, message)


# --- Consultations ----------------------------------------------------------------------------------------


@require_GET
@in_city_time
def consultation_list(request: HttpRequest) -> HttpResponse:
    consultations = list(selectors.consultation_list().prefetch_related("themes")[:200])
    return render(
        request,
        "consultations/list.html",
        {"consultations": consultations, "time_zone": common.city_time_zone(request)},
    )


def _page_size(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("size", selectors.DEFAULT_PAGE_SIZE)), selectors.MAX_PAGE_SIZE))
    except ValueError:
        return selectors.DEFAULT_PAGE_SIZE


def _sort_options(consultation: Consultation) -> list[tuple[str, str]]:
    wanted = ["newest", "agreed" if consultation.reaction_mode == ReactionMode.AGREEMENT else "supported", "commented"]
    return [(key, str(selectors.SORTS[key][1])) for key in wanted]


def _detail_context(request: HttpRequest, consultation: Consultation, *, staff: bool) -> dict[str, Any]:
    themes = selectors.themes_of(consultation)
    params = request.GET
    filter_error = ""
    sort = params.get("sort") or "newest"
    try:
        filters = selectors.parse_filters(params)
        page = selectors.contribution_page(
            consultation,
            filters=filters,
            sort=sort,
            cursor=params.get("cursor", ""),
            page_size=_page_size(request),
            viewer_id=common.viewer_id(request),
        )
    except ApplicationError as exc:
        filter_error = exc.message
        filters, sort = selectors.ContributionFilters(), "newest"
        page = selectors.contribution_page(
            consultation, page_size=_page_size(request), viewer_id=common.viewer_id(request)
        )
    contribute_refusal = common.refusal_for(request, consultation, "contribute")
    react_refusal = common.refusal_for(request, consultation, "react")
    contribution_form = (
        forms.ContributionForm(consultation=consultation, themes=themes) if contribute_refusal is None else None
    )
    follow = common.follow_of(consultation, request)
    path = request.path
    return {
        "consultation": consultation,
        "themes": themes,
        "phases": common.phase_steps(consultation),
        "time_zone": common.city_time_zone(request),
        "rows": common.contribution_rows(consultation, page, can_react=react_refusal is None),
        "page": page,
        "next_url": f"{path}?{common.query_with(params, cursor=page.next_cursor)}" if page.next_cursor else "",
        "previous_url": (
            f"{path}?{common.query_with(params, cursor=page.previous_cursor)}" if page.previous_cursor else ""
        ),
        "filters": filters,
        "filter_theme": "other" if filters.other_theme else (str(filters.theme) if filters.theme else ""),
        "filtering": bool(filters.theme or filters.other_theme or filters.district or filters.answered or filters.q),
        "filter_error": filter_error,
        "sort": sort,
        "sort_options": _sort_options(consultation),
        "answer_options": [("yes", _("Answered")), ("no", _("Not answered yet")), *AnswerStatus.choices],
        "contribution_form": contribution_form,
        "contribute_refusal": contribute_refusal,
        "react_refusal": react_refusal,
        "follow": follow,
        "follow_form": forms.FollowForm(initial={"frequency": follow.frequency} if follow else None),
        "results_visible": common.results_visible(consultation),
        "has_surveys": consultation.surveys.exists(),
        "is_staff": staff,
        "here": request.get_full_path(),
    }


@require_GET
@in_city_time
def consultation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    staff = common.viewer_is_staff(request)
    consultation = _consultation(request, slug, staff=staff)
    context = _detail_context(request, consultation, staff=staff)
    return render(request, "consultations/detail.html", context, status=400 if context["filter_error"] else 200)


@require_http_methods(["GET", "POST"])
@in_city_time
def contribute(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    refusal = common.refusal_for(request, consultation, "contribute")
    if refusal is not None:
        return _refused(request, consultation, refusal)
    themes = selectors.themes_of(consultation)
    form = forms.ContributionForm(request.POST or None, request.FILES or None, consultation=consultation, themes=themes)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contribution = contribution_services.contribution_create(
                consultation=consultation,
                author=request.user,
                title=data["title"],
                body=data["body"],
                theme_id=form.theme_id(),
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
                district=data.get("district") or "",
                attachments=data.get("attachments") or [],
            )
        except ApplicationError as exc:
            _add_service_errors(form, exc)
            status = 200 if exc.status_code == 400 else exc.status_code
        else:
            if contribution.status == ContributionStatus.PUBLISHED:
                messages.success(request, _("Thank you! Your contribution is published."))
            else:
                note = _("Thank you! Your contribution will be shown once a moderator has checked it.")
                if contribution.moderation_reason:
                    note = f"{note} {contribution.moderation_reason}"
                messages.info(request, note)
            return redirect(_contribution_url(consultation, contribution.pk))
    context = {
        "consultation": consultation,
        "form": form,
        "themes": themes,
        "time_zone": common.city_time_zone(request),
    }
    return render(request, "consultations/contribute.html", context, status=status)


@require_POST
@in_city_time
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(consultation))
    user: Any = request.user
    if request.POST.get("action") == "unfollow":
        follow_services.follow_remove(consultation=consultation, user=user)
        messages.success(request, _("You no longer follow this consultation."))
    else:
        form = forms.FollowForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose how often we should tell you."))
            return redirect(_with_anchor(_detail_url(consultation), "follow"))
        try:
            follow_services.follow_set(consultation=consultation, user=user, frequency=form.cleaned_data["frequency"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("You follow this consultation: we will tell you about its news."))
    return redirect(_with_anchor(_detail_url(consultation), "follow"))


# --- Contributions ----------------------------------------------------------------------------------------


def _contribution_context(
    request: HttpRequest,
    consultation: Consultation,
    contribution: Contribution,
    *,
    comment_form: forms.CommentForm | None = None,
    reply_to: int | None = None,
) -> dict[str, Any]:
    staff = common.viewer_is_staff(request)
    published = contribution.status == ContributionStatus.PUBLISHED
    comment_refusal = common.refusal_for(request, consultation, "comment") if published else None
    react_refusal = common.refusal_for(request, consultation, "react") if published else None
    mine = common.my_reaction(contribution, request)
    thread = selectors.comment_thread(contribution=contribution, viewer_id=common.viewer_id(request), staff=staff)
    return {
        "consultation": consultation,
        "contribution": contribution,
        "time_zone": common.city_time_zone(request),
        "published": published,
        "attachments": list(contribution.attachments.order_by("id")),
        "answer": common.official_answer_of(contribution),
        "answer_label": common.ANSWER_LABELS.get(contribution.answer_status, ""),
        "merged_here": common.merged_here(contribution),
        "counters": common.counters(consultation, contribution),
        "mine": mine,
        "mine_label": common.REACTION_LABELS.get(mine or "", ""),
        "buttons": common.reaction_buttons(consultation, mine) if published and react_refusal is None else [],
        "react_refusal": react_refusal,
        "comment_refusal": comment_refusal,
        "can_comment": published and comment_refusal is None,
        "can_report": published and request.user.is_authenticated,
        "thread": thread,
        "comment_form": comment_form if comment_form is not None and reply_to is None else forms.CommentForm(),
        "reply_form": comment_form if reply_to is not None else None,
        "reply_to": reply_to,
        "max_depth": Comment.MAX_DEPTH,
        "report_form": forms.ReportForm(auto_id="report-%s"),
        "comment_statuses": CommentStatus,
        "is_staff": staff,
        "is_author": request.user.is_authenticated and contribution.author_id == request.user.pk,
    }


@require_GET
@in_city_time
def contribution_detail(request: HttpRequest, slug: str, contribution_id: int) -> HttpResponse:
    consultation = _consultation(request, slug)
    contribution = _contribution(request, consultation, contribution_id)
    return render(
        request, "consultations/contribution.html", _contribution_context(request, consultation, contribution)
    )


@require_POST
@in_city_time
def react(request: HttpRequest, slug: str, contribution_id: int) -> HttpResponse:
    consultation = _consultation(request, slug)
    contribution = _contribution(request, consultation, contribution_id)
    if not request.user.is_authenticated:
        return redirect_to_login(_contribution_url(consultation, contribution.pk))
    refusal = common.refusal_for(request, consultation, "react")
    if refusal is not None:
        return _refused(request, consultation, refusal)
    kind = request.POST.get("kind", "")
    user: Any = request.user
    try:
        if kind == "remove":
            reaction_services.reaction_remove(contribution=contribution, user=user)
        else:  # the service names the reactions this consultation takes
            reaction_services.reaction_set(contribution=contribution, user=user, kind=kind)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    back = common.safe_next(request, _contribution_url(consultation, contribution.pk))
    return redirect(_with_anchor(back, f"c-{contribution.pk}"))


@require_POST
@in_city_time
def comment(request: HttpRequest, slug: str, contribution_id: int) -> HttpResponse:
    consultation = _consultation(request, slug)
    contribution = _contribution(request, consultation, contribution_id)
    if not request.user.is_authenticated:
        return redirect_to_login(_contribution_url(consultation, contribution.pk))
    refusal = common.refusal_for(request, consultation, "comment")
    if refusal is not None:
        return _refused(request, consultation, refusal)
    form = forms.CommentForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            created = comment_services.comment_create(
                contribution=contribution,
                author=request.user,
                body=form.cleaned_data["body"],
                parent_id=form.cleaned_data.get("parent"),
            )
        except ApplicationError as exc:
            _add_service_errors(form, exc)
            status = 200 if exc.status_code == 400 else exc.status_code
        else:
            if created.status == CommentStatus.PUBLISHED:
                messages.success(request, _("Your comment is published."))
            else:
                note = _("Your comment will be shown once a moderator has checked it.")
                if created.moderation_reason:
                    note = f"{note} {created.moderation_reason}"
                messages.info(request, note)
            return redirect(f"{_contribution_url(consultation, contribution.pk)}#comment-{created.pk}")
    parent = form.cleaned_data.get("parent") if hasattr(form, "cleaned_data") else None
    context = _contribution_context(request, consultation, contribution, comment_form=form, reply_to=parent)
    return render(request, "consultations/contribution.html", context, status=status)


def _report(request: HttpRequest, target: Contribution | Comment, back: str) -> HttpResponse:
    form = forms.ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the reason of your report."))
        return redirect(back)
    try:
        moderation_services.report_create(
            target=target,
            reporter=request.user,  # type: ignore[arg-type]
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: a moderator will look at your report."))
    return redirect(back)


@require_POST
@in_city_time
def report_contribution(request: HttpRequest, slug: str, contribution_id: int) -> HttpResponse:
    consultation = _consultation(request, slug)
    contribution = _contribution(request, consultation, contribution_id)
    url = _contribution_url(consultation, contribution.pk)
    if not request.user.is_authenticated:
        return redirect_to_login(url)
    return _report(request, contribution, url)


@require_POST
@in_city_time
def report_comment(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    consultation = _consultation(request, slug)
    target = Comment.objects.filter(pk=comment_id, contribution__consultation=consultation).first()
    if target is None:
        raise Http404(_("This comment does not exist."))
    contribution = _contribution(request, consultation, target.contribution_id)
    url = f"{_contribution_url(consultation, contribution.pk)}#comment-{target.pk}"
    if not request.user.is_authenticated:
        return redirect_to_login(url)
    return _report(request, target, url)


# --- Results ----------------------------------------------------------------------------------------------


@require_GET
@in_city_time
def results(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(request, slug)
    staff = common.viewer_is_staff(request)
    if not common.results_visible(consultation, staff=staff):
        return render(
            request,
            "consultations/refused.html",
            {
                "consultation": consultation,
                "refusal": common.Refusal(
                    "not_closed", _("What we heard will be shown here once the consultation closes.")
                ),
            },
            status=404,
        )
    figures = common.cached_figures(consultation)
    supported = selectors.most_supported(consultation)
    context = {
        "consultation": consultation,
        "time_zone": common.city_time_zone(request),
        "figures": figures,
        "theme_bars": common.theme_bars(figures.per_theme),
        "day_chart": common.day_chart(figures.per_day),
        "most_supported": [{"c": c, "counters": common.counters(consultation, c)} for c in supported],
        "answered": [
            {"c": c, "answer": common.official_answer_of(c), "label": common.ANSWER_LABELS.get(c.answer_status, "")}
            for c in selectors.answered_contributions(consultation)
        ],
        "preview": consultation.phase not in ("closed", "results"),
    }
    return render(request, "consultations/results.html", context)
