"""Resident pages under /budgets/: processes, proposals, the voting booth and its receipt."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from tenant_apps.budgets import accounts_adapter, forms, permissions, services
from tenant_apps.budgets.models import BallotKind, BudgetProcess
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.views import common

# Keys of ApplicationError.fields from ballot validation, and the booth element they are about.
FIELD_LABELS = {
    "projects": gettext_lazy("Projects"),
    "count": gettext_lazy("Number of projects"),
    "points": gettext_lazy("Points"),
    "ranks": gettext_lazy("Ranks"),
    "cost": gettext_lazy("Budget"),
}


def process_list(request: HttpRequest) -> HttpResponse:
    processes = BudgetProcess.objects.order_by("-created_at")
    groups = [(str(label), [p for p in processes if p.phase == value]) for value, label in Phase.choices]
    return render(request, "budgets/list.html", {"groups": [g for g in groups if g[1]]})


def process_detail(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    projects = common.public_projects(process, user=request.user)
    follow_up = common.follow_up_view(process) if common.results_published(process) else []
    context = {
        "process": process,
        "phases": common.phase_dates(process),
        "budget": common.money(process.total_budget, process.currency),
        "projects": [(p, common.money(p.cost, process.currency)) for p in projects],
        "can_propose": permissions.can_propose(process),
        "can_vote": permissions.can_vote(process),
        "can_support": permissions.can_support(process),
        "results": common.results_published(process),
        "my_ballot": common.my_ballot(process, request.user),
        # In follow-up the delivery of funded projects is the news; during results, once staff report it.
        "follow_up": follow_up
        if process.phase == Phase.FOLLOW_UP or any(row["status"] or row["milestones"] for row in follow_up)
        else [],
    }
    return render(request, "budgets/process.html", context)


def _refusal(request: HttpRequest, action: str) -> str | None:
    decision = accounts_adapter.can(request.user, action)
    return None if decision else str(decision.reason)


@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = forms.ProposalForm(request.POST or None, request.FILES or None, process=process)
    context: dict[str, Any] = {"process": process, "form": form, "multipart": True}
    if not permissions.can_propose(process):
        context["refusal"] = _("Proposals are closed for this budget.")
    else:
        context["refusal"] = _refusal(request, "propose_project")
    if request.method == "POST" and not context["refusal"] and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_submit(
                process_id=process.pk,
                author=request.user,
                title=data["title"],
                description=data["description"],
                estimated_cost=common.to_minor(data["estimated_cost"]) or 0,
                district_id=data["district"].pk if data.get("district") else None,
                category_id=data["category"].pk if data.get("category") else None,
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
                images=data.get("images") or [],
            )
        except ApplicationError as exc:
            for key, field_messages in exc.fields.items():
                for message in field_messages:
                    form.add_error(key if key in form.fields else None, message)
            context["error"] = exc.message
        else:
            messages.success(request, _("Thank you! “%(title)s” is submitted for review.") % {"title": project.title})
            return redirect("budgets:process", process_id=process.pk)
    status = 200 if not context["refusal"] else 403
    return render(request, "budgets/propose.html", context, status=status)


def _booth_context(
    request: HttpRequest, process: BudgetProcess, choices: list[services.Choice] | None = None
) -> dict[str, Any]:
    district = common.voter_district(process, request.user)
    projects = common.ballot_projects(process, district)
    if choices is None:
        ballot = common.my_ballot(process, request.user)
        choices = (
            [services.Choice(project_id=c.project_id, points=c.points, rank=c.rank) for c in ballot.choices.all()]
            if ballot
            else []
        )
    values = common.ballot_values(process, choices)
    rows = [
        {
            "project": p,
            "cost": common.money(p.cost, process.currency),
            "value": values.get(p.pk, 0),
            "checked": p.pk in values,
            "errors": [],
        }
        for p in projects
    ]
    return {
        "process": process,
        "district": district,
        "rows": rows,
        "kind": process.ballot_kind,
        "kinds": BallotKind,
        "rank_options": list(range(1, (process.ranks or 0) + 1)),
        "total": common.running_total(process, district, choices),
        "choices": choices,
        "has_voted": common.my_ballot(process, request.user) is not None,
        "budget": common.money(process.total_budget, process.currency),
    }


def _booth_errors(exc_fields: dict[str, list[str]]) -> list[dict[str, str]]:
    summary = []
    for key, field_messages in exc_fields.items():
        target = key if key.startswith(("points-", "rank-")) else "booth-projects"
        label = FIELD_LABELS.get(key, "")
        summary += [{"target": target, "label": str(label), "message": m, "key": key} for m in field_messages]
    return summary


def _attach_errors(context: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Errors in the summary (each linked to its input) and next to the input they are about."""
    context["errors"] = _booth_errors(errors)
    for row in context["rows"]:
        pk = row["project"].pk
        row["errors"] = errors.get(f"points-{pk}", []) + errors.get(f"rank-{pk}", [])


@require_http_methods(["GET", "POST"])
def booth(request: HttpRequest, process_id: int) -> HttpResponse:
    """The voting booth: choose, review (recomputed on the server: works without JavaScript), confirm."""
    process = get_object_or_404(BudgetProcess, pk=process_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_vote(process):
        return render(
            request, "budgets/refused.html", {"process": process, "reason": _("Voting is not open.")}, status=409
        )
    refusal = _refusal(request, "vote_budget")
    if refusal is None and process.districts.exists() and common.voter_district(process, request.user) is None:
        refusal = _("Only residents verified in one of this budget's districts can vote.")
    if refusal:
        return render(request, "budgets/refused.html", {"process": process, "reason": refusal}, status=403)
    if request.method == "GET":
        return render(request, "budgets/booth.html", _booth_context(request, process))
    district = common.voter_district(process, request.user)
    parsed = common.parse_ballot(process, request.POST, common.ballot_projects(process, district))
    context = _booth_context(request, process, parsed.choices)
    action = request.POST.get("action", "review")
    errors = dict(parsed.errors)
    if not errors and action != "edit":
        try:
            services.validate_choices(process=process, district=district, choices=parsed.choices)
        except ApplicationError as exc:
            errors.update(exc.fields)
    if errors:
        _attach_errors(context, errors)
        return render(request, "budgets/booth.html", context, status=200)
    if action == "edit":
        return render(request, "budgets/booth.html", context)
    if action != "confirm":
        return render(request, "budgets/review.html", context)
    try:
        services.ballot_cast(process_id=process.pk, voter=request.user, choices=parsed.choices)
    except ApplicationError as exc:
        _attach_errors(context, exc.fields or {"": [exc.message]})
        return render(request, "budgets/booth.html", context, status=200 if exc.status_code == 400 else exc.status_code)
    return redirect("budgets:receipt", process_id=process.pk)


def receipt(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    ballot = common.my_ballot(process, request.user)
    if ballot is None:
        return redirect("budgets:booth", process_id=process.pk)
    choices = [services.Choice(project_id=c.project_id, points=c.points, rank=c.rank) for c in ballot.choices.all()]
    context = _booth_context(request, process, choices)
    context.update({"ballot": ballot, "can_revise": permissions.can_vote(process)})
    return render(request, "budgets/receipt.html", context)
