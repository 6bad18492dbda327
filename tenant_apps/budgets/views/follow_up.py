"""Staff pages under /manage/budgets/: hiding a comment, and the follow-up of a funded project (its public
status and its milestones timeline)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, NotFoundError
from tenant_apps.budgets import forms, permissions, selectors, services
from tenant_apps.budgets.models import Project, ProjectComment, ProjectMilestone
from tenant_apps.budgets.views import common
from tenant_apps.budgets.views.manage import staff_only


@staff_only
@require_POST
def comment_hide(request: HttpRequest, process_id: int, project_id: int, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(ProjectComment, pk=comment_id, project_id=project_id, project__process_id=process_id)
    form = forms.HideCommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the comment is hidden (at most 300 characters)."))
    else:
        try:
            services.comment_hide(comment_id=comment.pk, moderator=request.user, reason=form.cleaned_data["reason"])
        except NotFoundError as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The comment is hidden."))
    url = reverse("budgets:project", kwargs={"process_id": process_id, "project_id": project_id})
    return redirect(f"{url}#comment-{comment.pk}")


def _project(process_id: int, project_id: int) -> Project:
    return get_object_or_404(Project.objects.select_related("process"), pk=project_id, process_id=process_id)


def _refusal(project: Project) -> str | None:
    if not permissions.can_follow_up(project.process):
        return _("The follow-up of funded projects starts once the results are out.")
    if project.pk not in selectors.funded_project_ids(process=project.process):
        return _("Only funded projects have a follow-up.")
    return None


def _milestone_initial(milestone: ProjectMilestone) -> dict[str, Any]:
    return {
        "title": milestone.title,
        "description": milestone.description,
        "planned_date": milestone.planned_date,
        "done_date": milestone.done_date,
        "position": milestone.position,
    }


def _page(
    request: HttpRequest,
    project: Project,
    *,
    status_form: forms.FollowUpForm | None = None,
    new_form: forms.MilestoneForm | None = None,
    edited: tuple[int, forms.MilestoneForm] | None = None,
    error: str | None = None,
    error_for: str = "",
    status: int = 200,
) -> HttpResponse:
    refusal = _refusal(project)
    milestones = list(selectors.milestone_list_qs().filter(project=project))
    rows = []
    for milestone in milestones:
        form = (
            edited[1]
            if edited and edited[0] == milestone.pk
            else forms.MilestoneForm(prefix=f"m{milestone.pk}", initial=_milestone_initial(milestone))
        )
        rows.append((milestone, form))
    context = {
        "process": project.process,
        "project": project,
        "cost": common.money(project.cost, project.process.currency),
        "refusal": refusal,
        "label": common.follow_up_label(project.follow_up_status),
        "status_form": status_form
        or forms.FollowUpForm(
            initial={"status": project.follow_up_status or "planned", "note": project.follow_up_note}
        ),
        "new_form": new_form or forms.MilestoneForm(prefix="new"),
        "rows": rows,
        # Each form shows its own error: "status", "new", or the id of the milestone edited.
        "status_error": error if error_for == "status" else None,
        "new_error": error if error_for == "new" else None,
        "edit_error": error if edited else None,
        "edited_id": edited[0] if edited else None,
        "has_errors": bool(error or (status_form and status_form.errors) or (new_form and new_form.errors) or edited),
    }
    return render(request, "budgets/manage/follow_up.html", context, status=409 if refusal else status)


def _back(project: Project) -> HttpResponse:
    return redirect("budgets-manage:follow-up", process_id=project.process_id, project_id=project.pk)


def _form_errors(form: Any, exc: ApplicationError) -> None:
    for key, field_messages in exc.fields.items():
        for message in field_messages:
            form.add_error(key if key in form.fields else None, message)


@staff_only
@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest, process_id: int, project_id: int) -> HttpResponse:
    """The follow-up page of one project; POST sets its public status and note."""
    project = _project(process_id, project_id)
    if request.method == "GET":
        return _page(request, project)
    form = forms.FollowUpForm(request.POST)
    if not form.is_valid():
        return _page(request, project, status_form=form)
    try:
        services.project_follow_up_set(
            project_id=project.pk,
            actor=request.user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as exc:
        _form_errors(form, exc)
        return _page(
            request,
            project,
            status_form=form,
            error=exc.message,
            error_for="status",
            status=exc.status_code if exc.status_code != 400 else 200,
        )
    messages.success(request, _("The status of “%(title)s” is saved.") % {"title": project.title})
    return _back(project)


@staff_only
@require_POST
def milestone_new(request: HttpRequest, process_id: int, project_id: int) -> HttpResponse:
    project = _project(process_id, project_id)
    form = forms.MilestoneForm(request.POST, prefix="new")
    if not form.is_valid():
        return _page(request, project, new_form=form)
    data = form.cleaned_data
    try:
        services.milestone_create(
            project_id=project.pk,
            actor=request.user,
            title=data["title"],
            description=data["description"],
            planned_date=data["planned_date"],
            done_date=data["done_date"],
            position=data["position"],
        )
    except ApplicationError as exc:
        _form_errors(form, exc)
        return _page(
            request,
            project,
            new_form=form,
            error=exc.message,
            error_for="new",
            status=exc.status_code if exc.status_code != 400 else 200,
        )
    messages.success(request, _("The milestone is added."))
    return _back(project)


@staff_only
@require_POST
def milestone_edit(request: HttpRequest, process_id: int, project_id: int, milestone_id: int) -> HttpResponse:
    """Save (``action=save``) or delete (``action=delete``) one milestone."""
    project = _project(process_id, project_id)
    milestone = get_object_or_404(ProjectMilestone, pk=milestone_id, project=project)
    if request.POST.get("action") == "delete":
        try:
            services.milestone_delete(milestone_id=milestone.pk, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The milestone is deleted."))
        return _back(project)
    form = forms.MilestoneForm(request.POST, prefix=f"m{milestone.pk}")
    if not form.is_valid():
        return _page(request, project, edited=(milestone.pk, form))
    data = form.cleaned_data
    try:
        services.milestone_update(
            milestone_id=milestone.pk,
            actor=request.user,
            title=data["title"],
            description=data["description"],
            planned_date=data["planned_date"],
            done_date=data["done_date"],
            position=data["position"] if data["position"] is not None else milestone.position,
        )
    except ApplicationError as exc:
        _form_errors(form, exc)
        status = exc.status_code if exc.status_code != 400 else 200
        return _page(request, project, edited=(milestone.pk, form), error=exc.message, status=status)
    messages.success(request, _("The milestone is saved."))
    return _back(project)
