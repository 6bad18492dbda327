"""Staff back-office under /manage/consultations/: moderators and city admins only.

Visitors are sent to the login page; signed-in residents get a 403 page saying the page is for staff.
Forms post to their own address and redirect back (post/redirect/get); service refusals (billing's plan
limit, an impossible phase change) are shown as they come.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from tenant_apps.consultations import forms, selectors
from tenant_apps.consultations.models import Consultation, Contribution, ContributionStatus, Theme
from tenant_apps.consultations.phases import TRANSITIONS, Phase
from tenant_apps.consultations.services import answers as answer_services
from tenant_apps.consultations.services import consultations as consultation_services
from tenant_apps.consultations.services import contributions as contribution_services
from tenant_apps.consultations.views import common
from tenant_apps.consultations.views.common import in_city_time, staff_only

View = Callable[..., HttpResponse]


def _actor_id(request: HttpRequest) -> int:
    """The signed-in staff member (``staff_only`` let the request through)."""
    pk = request.user.pk
    if pk is None:
        raise Http404
    return int(pk)


def _consultation(slug: str) -> Consultation:
    try:
        return selectors.consultation_get(slug=slug, staff=True)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _manage_url(consultation: Consultation) -> str:
    return reverse("consultations-manage:consultation", kwargs={"slug": consultation.slug})


def _add_errors(form: Any, exc: ApplicationError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
    for key, field_messages in exc.fields.items():
        for message in field_messages:
            form.add_error(key if key in form.fields else None, message)


def _form_page(
    request: HttpRequest, form: Any, *, title: str, submit: str, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "consultations/manage_form.html",
        {"form": form, "title": title, "submit_label": submit, "multipart": True, **extra},
        status=status,
    )


# --- Consultations ----------------------------------------------------------------------------------------


@staff_only
@require_GET
@in_city_time
def consultation_list(request: HttpRequest) -> HttpResponse:
    consultations = list(selectors.consultation_list(staff=True)[:200])
    counts = common.contribution_counts([c.pk for c in consultations])
    rows = [
        {
            "c": c,
            "published": counts[c.pk].get(ContributionStatus.PUBLISHED, 0),
            "pending": counts[c.pk].get(ContributionStatus.PENDING, 0),
            "hidden": counts[c.pk].get(ContributionStatus.HIDDEN, 0),
        }
        for c in consultations
    ]
    context = {"rows": rows, "time_zone": common.city_time_zone(request)}
    return render(request, "consultations/manage_list.html", context)


def _consultation_fields(form: forms.ConsultationForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    cover = data.pop("cover_image", None)
    fields = {key: value for key, value in data.items() if key in forms.ConsultationForm.base_fields}
    if isinstance(cover, UploadedFile):
        fields["cover_image"] = cover
    elif cover is False:  # "clear" ticked on the current image: the service removes it
        fields["cover_image"] = False
    return fields


@staff_only
@require_http_methods(["GET", "POST"])
@in_city_time
def consultation_new(request: HttpRequest) -> HttpResponse:
    zone = common.city_time_zone(request)
    form = forms.ConsultationForm(
        request.POST or None,
        request.FILES or None,
        time_zone=zone,
        initial={"allow_attachments": True, "allow_location": True, "language": (request.LANGUAGE_CODE or "fr")[:2]},
    )
    title, submit = _("New consultation"), _("Create the consultation")
    if request.method == "POST" and form.is_valid():
        fields = _consultation_fields(form)
        if fields.get("cover_image") is False:  # nothing to remove on a new consultation
            del fields["cover_image"]
        try:
            consultation = consultation_services.consultation_create(created_by_id=_actor_id(request), **fields)
        except ApplicationError as exc:
            _add_errors(form, exc)
            return _form_page(request, form, title=title, submit=submit, status=_status(exc))
        messages.success(request, _("The consultation is created, as a draft: add its themes, then open it."))
        return redirect(_manage_url(consultation))
    return _form_page(request, form, title=title, submit=submit)


def _status(exc: ApplicationError) -> int:
    return 200 if exc.status_code == 400 else exc.status_code


@staff_only
@require_http_methods(["GET", "POST"])
@in_city_time
def consultation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(slug)
    form = forms.ConsultationForm(
        request.POST or None,
        request.FILES or None,
        time_zone=common.city_time_zone(request),
        initial=forms.consultation_initial(consultation),
    )
    title, submit = _("Edit the consultation"), _("Save")
    if request.method == "POST" and form.is_valid():
        fields = _consultation_fields(form)
        try:
            consultation = consultation_services.consultation_update(consultation_id=consultation.pk, **fields)
        except ApplicationError as exc:
            _add_errors(form, exc)
            return _form_page(request, form, title=title, submit=submit, consultation=consultation, status=_status(exc))
        messages.success(request, _("The consultation is saved."))
        return redirect(_manage_url(consultation))
    return _form_page(request, form, title=title, submit=submit, consultation=consultation)


PHASE_BUTTONS: dict[tuple[str, str], Any] = {
    (Phase.DRAFT, Phase.OPEN): _("Open the consultation"),
    (Phase.OPEN, Phase.CLOSED): _("Close the consultation"),
    (Phase.CLOSED, Phase.OPEN): _("Reopen the consultation"),
    (Phase.CLOSED, Phase.RESULTS): _("Publish the results"),
}


def phase_buttons(consultation: Consultation) -> list[tuple[str, str]]:
    targets = sorted(TRANSITIONS.get(consultation.phase, frozenset()))
    return [(str(t), str(PHASE_BUTTONS.get((consultation.phase, t), Phase(t).label))) for t in targets]


@staff_only
@require_POST
@in_city_time
def phase(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(slug)
    target = request.POST.get("to", "")
    try:
        consultation = consultation_services.consultation_set_phase(
            consultation_id=consultation.pk, to=target, actor_id=_actor_id(request)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The consultation is now: %(phase)s.") % {"phase": consultation.get_phase_display()}
        )
    return redirect(_manage_url(consultation))


def _staff_page_context(request: HttpRequest, consultation: Consultation) -> dict[str, Any]:
    params = request.GET
    filter_error = ""
    try:
        filters = selectors.parse_filters(params, staff=True)
        page = selectors.contribution_page(
            consultation,
            filters=filters,
            sort=params.get("sort") or "newest",
            cursor=params.get("cursor", ""),
            page_size=20,
            staff=True,
        )
    except ApplicationError as exc:
        filter_error = exc.message
        filters = selectors.ContributionFilters()
        page = selectors.contribution_page(consultation, page_size=20, staff=True)
    answers = common.answers_for(item.pk for item in page.items)
    rows = []
    for item in page.items:
        answer = answers.get(item.pk)
        initial = {"status": answer.status, "text": answer.text} if answer else None
        rows.append(
            {
                "c": item,
                "answer": answer,
                "answer_label": common.ANSWER_LABELS.get(item.answer_status, ""),
                "counters": common.counters(consultation, item),
                "answer_form": forms.AnswerForm(contribution_id=item.pk, initial=initial),
                "merge_form": forms.MergeForm(contribution_id=item.pk)
                if item.status != ContributionStatus.MERGED
                else None,
            }
        )
    path = request.path
    return {
        "consultation": consultation,
        "time_zone": common.city_time_zone(request),
        "phases": common.phase_steps(consultation),
        "phase_buttons": phase_buttons(consultation),
        "themes": selectors.themes_of(consultation),
        "rows": rows,
        "page": page,
        "status": filters.status or ContributionStatus.PUBLISHED,
        "statuses": ContributionStatus.choices,
        "filter_error": filter_error,
        "next_url": f"{path}?{common.query_with(params, cursor=page.next_cursor)}" if page.next_cursor else "",
        "previous_url": (
            f"{path}?{common.query_with(params, cursor=page.previous_cursor)}" if page.previous_cursor else ""
        ),
        "here": request.get_full_path(),
    }


@staff_only
@require_GET
@in_city_time
def consultation_page(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(slug)
    context = _staff_page_context(request, consultation)
    return render(
        request, "consultations/manage_consultation.html", context, status=400 if context["filter_error"] else 200
    )


def _staff_contribution(consultation: Consultation, contribution_id: int) -> Contribution:
    contribution = Contribution.objects.filter(consultation=consultation, pk=contribution_id).first()
    if contribution is None:
        raise Http404(_("This contribution does not exist."))
    return contribution


@staff_only
@require_POST
@in_city_time
def answer(request: HttpRequest, slug: str, contribution_id: int) -> HttpResponse:
    consultation = _consultation(slug)
    contribution = _staff_contribution(consultation, contribution_id)
    form = forms.AnswerForm(request.POST, contribution_id=contribution.pk)
    back = common.safe_next(request, _manage_url(consultation))
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[k].label}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items() if k in form.fields
        )
        messages.error(
            request,
            _("The answer to #%(id)s is not saved: %(problems)s") % {"id": contribution.pk, "problems": problems},
        )
        return redirect(f"{back}#c-{contribution.pk}")
    try:
        answer_services.official_answer_set(
            contribution_id=contribution.pk,
            status=form.cleaned_data["status"],
            text=form.cleaned_data["text"],
            actor_id=_actor_id(request),
        )
    except ApplicationError as exc:
        messages.error(request, f"#{contribution.pk}: {exc.message}")
    else:
        messages.success(request, _("The answer to “%(title)s” is published.") % {"title": contribution.title})
    return redirect(f"{back}#c-{contribution.pk}")


@staff_only
@require_POST
@in_city_time
def merge(request: HttpRequest, slug: str, contribution_id: int) -> HttpResponse:
    consultation = _consultation(slug)
    contribution = _staff_contribution(consultation, contribution_id)
    form = forms.MergeForm(request.POST, contribution_id=contribution.pk)
    back = common.safe_next(request, _manage_url(consultation))
    if not form.is_valid():
        messages.error(
            request, _("Give the number of the contribution to merge #%(id)s into.") % {"id": contribution.pk}
        )
        return redirect(f"{back}#c-{contribution.pk}")
    try:
        contribution_services.contribution_merge(
            contribution_id=contribution.pk,
            into_id=form.cleaned_data["into"],
            actor_id=_actor_id(request),
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        messages.error(request, f"#{contribution.pk}: {exc.message}")
    else:
        messages.success(
            request,
            _("#%(id)s is merged into #%(into)s.") % {"id": contribution.pk, "into": form.cleaned_data["into"]},
        )
    return redirect(back)


# --- Themes -----------------------------------------------------------------------------------------------


def _theme(consultation: Consultation, theme_id: int) -> Theme:
    theme = Theme.objects.filter(consultation=consultation, pk=theme_id).first()
    if theme is None:
        raise Http404(_("This theme does not exist."))
    return theme


def _themes_url(consultation: Consultation) -> str:
    return reverse("consultations-manage:themes", kwargs={"slug": consultation.slug})


@staff_only
@require_http_methods(["GET", "POST"])
@in_city_time
def themes(request: HttpRequest, slug: str) -> HttpResponse:
    """The consultation's themes in order, with up/down, edit and delete; the form adds one."""
    consultation = _consultation(slug)
    form = forms.ThemeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            theme = consultation_services.theme_create(consultation_id=consultation.pk, **form.cleaned_data)
        except ApplicationError as exc:
            _add_errors(form, exc)
            status = _status(exc)
        else:
            messages.success(request, _("Theme “%(name)s” added.") % {"name": theme.name})
            return redirect(_themes_url(consultation))
    context = {"consultation": consultation, "themes": selectors.themes_of(consultation), "form": form}
    return render(request, "consultations/manage_themes.html", context, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
@in_city_time
def theme_edit(request: HttpRequest, slug: str, theme_id: int) -> HttpResponse:
    consultation = _consultation(slug)
    theme = _theme(consultation, theme_id)
    initial = {"name": theme.name, "colour": theme.colour, "icon": theme.icon, "description": theme.description}
    form = forms.ThemeForm(request.POST or None, initial=initial)
    title, submit = _("Edit the theme"), _("Save the theme")
    if request.method == "POST" and form.is_valid():
        try:
            consultation_services.theme_update(theme_id=theme.pk, **form.cleaned_data)
        except ApplicationError as exc:
            _add_errors(form, exc)
            return _form_page(
                request,
                form,
                title=title,
                submit=submit,
                consultation=consultation,
                back=_themes_url(consultation),
                status=_status(exc),
            )
        messages.success(request, _("The theme is saved."))
        return redirect(_themes_url(consultation))
    return _form_page(
        request, form, title=title, submit=submit, consultation=consultation, back=_themes_url(consultation)
    )


@staff_only
@require_POST
@in_city_time
def theme_delete(request: HttpRequest, slug: str, theme_id: int) -> HttpResponse:
    consultation = _consultation(slug)
    theme = _theme(consultation, theme_id)
    try:
        consultation_services.theme_delete(theme_id=theme.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Theme “%(name)s” deleted; its contributions are now under “Other”.") % {"name": theme.name},
        )
    return redirect(_themes_url(consultation))


@staff_only
@require_POST
@in_city_time
def theme_move(request: HttpRequest, slug: str, theme_id: int) -> HttpResponse:
    consultation = _consultation(slug)
    theme = _theme(consultation, theme_id)
    order = [t.pk for t in selectors.themes_of(consultation)]
    index = order.index(theme.pk)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
        try:
            consultation_services.themes_reorder(consultation_id=consultation.pk, theme_ids=order)
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect(f"{_themes_url(consultation)}#theme-{theme.pk}")
