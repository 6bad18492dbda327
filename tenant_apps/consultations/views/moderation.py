"""Moderation back-office under /manage/consultations/moderation/: the queue with bulk decisions, the
city's settings and the audit log. Moderators and city admins only: visitors get the login page,
residents a 403 page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from tenant_apps.consultations.forms_moderation import DecisionForm, SettingsForm
from tenant_apps.consultations.models import ModerationAction, ReportReason
from tenant_apps.consultations.services import moderation
from tenant_apps.consultations.views.common import staff_only

View = Callable[..., HttpResponse]

QUEUE_PARAMS = ("consultation", "status", "kind", "reason", "q", "sort", "page", "page_size")


def _query(params: QueryDict | dict[str, Any], **changes: Any) -> str:
    """A query string with only the queue's own parameters (``changes`` replace or drop values)."""
    query = QueryDict(mutable=True)
    for key in QUEUE_PARAMS:
        value = changes[key] if key in changes else params.get(key)
        if value not in (None, ""):
            query[key] = str(value)
    return query.urlencode()


@staff_only
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    error = None
    status = 200
    try:
        filters = moderation.parse_queue_filters(request.GET)
        page_number, page_size = moderation.page_params(request.GET)
    except ApplicationError as exc:
        error, status = exc.message, exc.status_code
        filters, page_number, page_size = moderation.QueueFilters(), 1, moderation.DEFAULT_PAGE_SIZE
    page = moderation.queue_page(filters=filters, page=page_number, page_size=page_size)
    context = {
        "page": page,
        "filters": filters,
        "error": error,
        "form": DecisionForm(),
        "consultations": moderation.consultation_choices(),
        "statuses": [("pending", _("Pending")), ("hidden", _("Hidden")), ("reported", _("Reported"))],
        "kinds": [("contribution", _("Contributions")), ("comment", _("Comments"))],
        "reasons": ReportReason.choices,
        "sorts": [("newest", _("Newest")), ("oldest", _("Oldest")), ("reported", _("Most reported"))],
        "return_query": _query(request.GET),
        "next_query": _query(request.GET, page=page.page + 1) if page.has_next else None,
        "previous_query": _query(request.GET, page=page.page - 1) if page.has_previous else None,
    }
    return render(request, "consultations/moderation/queue.html", context, status=status)


@staff_only
@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    form = DecisionForm(request.POST)
    back = reverse("consultations-moderation:queue")
    query = _query(QueryDict(request.POST.get("return_query", "")))
    if query:
        back = f"{back}?{query}"
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
        return redirect(back)
    data = form.cleaned_data
    try:
        changed = moderation.moderate(
            action=data["action"],
            contribution_ids=data["contribution"],
            comment_ids=data["comment"],
            reason=data["reason"],
            actor_id=int(request.user.pk or 0),
        )
    except ApplicationError as exc:
        details = " ".join(m for field_messages in exc.fields.values() for m in field_messages if m != exc.message)
        messages.error(request, f"{exc.message} {details}".strip())
        return redirect(back)
    if changed:
        messages.success(
            request,
            ngettext("%(n)d item moderated.", "%(n)d items moderated.", changed) % {"n": changed},
        )
    else:
        messages.info(request, _("Nothing to change: the selected items are already in that state."))
    return redirect(back)


@staff_only
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    current = moderation.settings_get()
    form = SettingsForm(request.POST or None, current=current)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            moderation.settings_update(
                auto_hide_threshold=form.cleaned_data["auto_hide_threshold"],
                max_links=form.cleaned_data["max_links"],
                word_lists=form.word_lists(),
            )
        except ApplicationError as exc:
            error = exc.message
            for key, field_messages in exc.fields.items():
                name = form.field_for_error(key)
                for message in field_messages:
                    form.add_error(name, message if name else f"{key}: {message}")
        else:
            messages.success(request, _("The moderation settings are saved."))
            return redirect("consultations-moderation:settings")
    return render(request, "consultations/moderation/settings.html", {"form": form, "error": error})


@staff_only
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    error = None
    status = 200
    consultation_id: int | None = None
    action = ""
    try:
        consultation_id = moderation.int_param(request.GET, "consultation", default=None)
        action = (request.GET.get("action") or "").strip()
        page_number, page_size = moderation.page_params(request.GET)
        page = moderation.decision_log_page(
            consultation_id=consultation_id, action=action, page=page_number, page_size=page_size
        )
    except ApplicationError as exc:
        error, status = exc.message, exc.status_code
        consultation_id, action = None, ""
        page = moderation.decision_log_page()
    query = QueryDict(mutable=True)
    if consultation_id is not None:
        query["consultation"] = str(consultation_id)
    if action:
        query["action"] = action
    rows = [(d, moderation.decision_consultation(d)) for d in page.items]

    def page_query(number: int) -> str:
        q = query.copy()
        q["page"] = str(number)
        return q.urlencode()

    context = {
        "page": page,
        "rows": rows,
        "error": error,
        "consultation_id": consultation_id,
        "action": action,
        "actions": ModerationAction.choices,
        "consultations": moderation.consultation_choices(),
        "next_query": page_query(page.page + 1) if page.has_next else None,
        "previous_query": page_query(page.page - 1) if page.has_previous else None,
    }
    return render(request, "consultations/moderation/log.html", context, status=status)
