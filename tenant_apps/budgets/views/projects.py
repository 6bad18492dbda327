"""The project page residents see: the proposal, its images and location, supports, comments, follow-up.

Supporting and commenting are plain POST forms that redirect back (they work without JavaScript).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, NotFoundError
from tenant_apps.budgets import accounts_adapter, forms, permissions, selectors, services
from tenant_apps.budgets.models import BudgetProcess, Project
from tenant_apps.budgets.views import common


def _visible(request: HttpRequest, process: BudgetProcess, project_id: int) -> Project:
    project = (
        selectors.project_list_public(process=process, user=request.user)
        .filter(pk=project_id)
        .select_related("merged_into")
        .first()
    )
    if project is None:
        raise Http404
    return project


def _is_staff(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_staff and accounts_adapter.is_staff(user_id=user.pk))


def _support_refusal(request: HttpRequest) -> str | None:
    """Why the signed-in person may not support (accounts decides), or None."""
    if not request.user.is_authenticated:
        return None
    decision = accounts_adapter.can(request.user, "propose_project")
    if decision or accounts_adapter.can(request.user, "vote_budget"):
        return None
    return str(decision.reason)


def _comment_refusal(request: HttpRequest) -> str | None:
    if not request.user.is_authenticated:
        return None
    decision = accounts_adapter.can(request.user, "comment")
    return None if decision else str(decision.reason)


def _page_context(request: HttpRequest, process: BudgetProcess, project: Project, **extra: Any) -> dict[str, Any]:
    funded = common.results_published(process) and project.pk in selectors.funded_project_ids(process=process)
    context: dict[str, Any] = {
        "process": process,
        "project": project,
        "cost": common.money(project.cost, process.currency),
        "images": list(project.images.order_by("position", "id")),
        "map_url": common.map_url(project),
        "supports_open": permissions.can_support(process),
        "can_support": permissions.can_support(process) and permissions.takes_supports(project),
        "supported": selectors.has_supported(project=project, user=request.user),
        "support_refusal": _support_refusal(request),
        "can_comment": permissions.can_comment(process),
        "comment_refusal": _comment_refusal(request),
        "thread": selectors.comment_thread(project=project),
        "comment_form": forms.CommentForm(),
        "is_staff": _is_staff(request),
        "funded": funded,
        "follow_up_label": common.follow_up_label(project.follow_up_status),
        "milestones": list(selectors.milestone_list_qs().filter(project=project)) if funded else [],
    }
    context.update(extra)
    return context


def project_detail(request: HttpRequest, process_id: int, project_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    project = _visible(request, process, project_id)
    return render(request, "budgets/project.html", _page_context(request, process, project))


def _project_url(process_id: int, project_id: int, anchor: str = "") -> str:
    url = reverse("budgets:project", kwargs={"process_id": process_id, "project_id": project_id})
    return f"{url}#{anchor}" if anchor else url


@require_POST
def support(request: HttpRequest, process_id: int, project_id: int) -> HttpResponse:
    """Support (``action=support``) or withdraw one's support (``action=unsupport``)."""
    process = get_object_or_404(BudgetProcess, pk=process_id)
    if not request.user.is_authenticated:
        return redirect_to_login(_project_url(process_id, project_id))
    project = _visible(request, process, project_id)
    withdraw = request.POST.get("action") == "unsupport"
    try:
        if withdraw:
            services.project_unsupport(process_id=process.pk, project_id=project.pk, user=request.user)
        else:
            services.project_support(process_id=process.pk, project_id=project.pk, user=request.user)
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your support is withdrawn.") if withdraw else _("Thank you for your support!"))
    return redirect(_project_url(process.pk, project.pk, "support"))


@require_POST
def comment(request: HttpRequest, process_id: int, project_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    if not request.user.is_authenticated:
        return redirect_to_login(_project_url(process_id, project_id, "comments"))
    project = _visible(request, process, project_id)
    form = forms.CommentForm(request.POST)
    error: str | None = None
    status = 200
    if form.is_valid():
        try:
            created = services.comment_create(
                process_id=process.pk,
                project_id=project.pk,
                author=request.user,
                body=form.cleaned_data["body"],
                parent_id=form.cleaned_data.get("parent"),
            )
        except NotFoundError as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            error = exc.message
            for key, field_messages in exc.fields.items():
                for message in field_messages:
                    form.add_error(key if key in form.fields and key != "parent" else None, message)
            status = exc.status_code if exc.status_code != 400 else 200
        else:
            messages.success(request, _("Your comment is published."))
            return redirect(_project_url(process.pk, project.pk, f"comment-{created.pk}"))
    context = _page_context(request, process, project, comment_form=form, error=error)
    return render(request, "budgets/project.html", context, status=status)
