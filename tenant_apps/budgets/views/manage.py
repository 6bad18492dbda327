"""Staff back-office under /manage/budgets/: city staff only (residents get 404, visitors the login page)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError
from tenant_apps.budgets import accounts_adapter, forms, permissions, selectors, services, tasks
from tenant_apps.budgets.models import (
    RULE_FIELDS,
    BallotKind,
    BudgetProcess,
    PaperEntryStatus,
    ProcessEvent,
    Project,
    ProjectStatus,
    Result,
)
from tenant_apps.budgets.phases import TRANSITIONS, Phase
from tenant_apps.budgets.services.processes import SCHEDULE_REFUSED
from tenant_apps.budgets.views import common

View = Callable[..., HttpResponse]


def staff_only(view: View) -> View:
    """accounts' notion of staff (moderators and city admins), as the budgets services check it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff or not accounts_adapter.is_staff(user_id=request.user.pk):
            raise Http404  # the back-office is not even shown to residents
        return view(request, *args, **kwargs)

    return wrapper


def _form_page(request: HttpRequest, form: Any, *, title: str, submit: str, **extra: Any) -> HttpResponse:
    status = extra.pop("status", 200)
    return render(
        request,
        "budgets/manage/form.html",
        {"form": form, "title": title, "submit_label": submit, **extra},
        status=status,
    )


def _add_errors(form: Any, exc: ApplicationError) -> None:
    for key, field_messages in exc.fields.items():
        for message in field_messages:
            form.add_error(
                key if key in form.fields else None, f"{key}: {message}" if key not in form.fields else message
            )


@staff_only
def process_list(request: HttpRequest) -> HttpResponse:
    processes = BudgetProcess.objects.order_by("-created_at")
    return render(request, "budgets/manage/list.html", {"processes": processes})


def _rules_from(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in data.items()
        if key in RULE_FIELDS and key not in ("total_budget", "citywide_budget")
    }


@staff_only
@require_http_methods(["GET", "POST"])
def process_new(request: HttpRequest) -> HttpResponse:
    form = forms.ProcessForm(request.POST or None)
    title, submit = _("New participatory budget"), _("Create")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            process = services.process_create(
                title=data["title"],
                description=data["description"],
                total_budget=common.to_minor(data["total_budget"]) or 0,
                currency=data["currency"].upper(),
                citywide_budget=common.to_minor(data["citywide_budget"]),
                districts=data["districts"],
                actor=request.user,
                **_rules_from(data),
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
            return _form_page(request, form, title=title, submit=submit, error=exc.message)
        messages.success(request, _("The budget is created, in the proposals phase."))
        return redirect("budgets-manage:process", process_id=process.pk)
    return _form_page(request, form, title=title, submit=submit)


@staff_only
@require_http_methods(["GET", "POST"])
def process_import(request: HttpRequest) -> HttpResponse:
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    title, submit = _("Import a Pabulib file"), _("Import")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
            process = services.process_import_pabulib(text=text, title=form.cleaned_data["title"])
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("Imported: %(title)s.") % {"title": process.title})
            return redirect("budgets-manage:process", process_id=process.pk)
    return _form_page(request, form, title=title, submit=submit, multipart=True)


@staff_only
def process_page(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    projects = Project.objects.filter(process=process).select_related("district", "category").order_by("id")
    reviewable = permissions.can_review(process)
    context = {
        "process": process,
        "budget": common.money(process.total_budget, process.currency),
        "phases": common.phase_dates(process),
        "next_phases": [(value, Phase(value).label) for value in sorted(TRANSITIONS[process.phase])],
        "projects": [
            (
                p,
                common.money(p.cost, process.currency),
                forms.ReviewForm(project=p, initial=_review_initial(p)) if reviewable else None,
            )
            for p in projects
        ],
        "results": Result.objects.filter(process=process).select_related("district").order_by("district_id"),
        "can_compute": permissions.can_compute_results(process),
        "can_follow_up": permissions.can_follow_up(process),
        "funded": selectors.funded_project_ids(process=process) if permissions.can_follow_up(process) else set(),
        "public_statuses": [str(status) for status in selectors.PUBLIC_STATUSES],
        "can_vote": permissions.can_vote(process),
        "rules_frozen": not permissions.can_change_rules(process),
        "ballot_count": process.ballots.count(),
        "pending_entries": process.paper_entries.filter(status=PaperEntryStatus.PENDING).count(),
        "conflicts": (
            process.paper_entries.filter(status=PaperEntryStatus.CONFLICT).values("paper_ref").distinct().count()
        ),
        "has_resolutions": process.paper_resolutions.exists(),
        "schedule_refusal": _schedule_refusal(process),
    }
    return render(request, "budgets/manage/process.html", context)


def _schedule_refusal(process: BudgetProcess) -> dict[str, Any] | None:
    """The schedule's last refused phase change, while nothing happened since (staff should know why)."""
    last = ProcessEvent.objects.filter(process=process).order_by("-pk").first()
    if last is None or last.kind != SCHEDULE_REFUSED:
        return None
    target = last.payload.get("to", "")
    return {
        "phase": Phase(target).label if target in Phase.values else target,
        "message": last.payload.get("message", ""),
        "at": last.created_at,
    }


def _review_initial(project: Project) -> dict[str, Any]:
    return {
        "decision": project.status,
        "official_cost": project.official_cost / 100 if project.official_cost is not None else None,
        "public_reason": project.public_reason,
        "merged_into": project.merged_into_id,
    }


@staff_only
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    initial = {name: getattr(process, name) for name in forms.RulesForm.base_fields}
    form = forms.RulesForm(request.POST or None, initial=initial)
    title, submit = _("Voting rules"), _("Save the rules")
    frozen = None if permissions.can_change_rules(process) else _("The voting rules are frozen: voting has opened.")
    if request.method == "POST" and form.is_valid():
        try:
            services.process_set_rules(process_id=process.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _add_errors(form, exc)
            status = exc.status_code if exc.status_code != 400 else 200
            return _form_page(
                request, form, title=title, submit=submit, error=exc.message, process=process, status=status
            )
        messages.success(request, _("The rules are saved."))
        return redirect("budgets-manage:process", process_id=process.pk)
    return _form_page(request, form, title=title, submit=submit, process=process, intro=frozen)


@staff_only
@require_POST
def advance_phase(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    target = request.POST.get("to", "")
    try:
        services.process_advance_phase(process_id=process.pk, to=target, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The budget is now in the phase: %(phase)s.") % {"phase": Phase(target).label})
    return redirect("budgets-manage:process", process_id=process.pk)


@staff_only
@require_POST
def review(request: HttpRequest, process_id: int, project_id: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=project_id, process_id=process_id)
    form = forms.ReviewForm(request.POST, project=project)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{project.title}: {field}: {' '.join(str(e) for e in errors)}")
        return redirect("budgets-manage:process", process_id=process_id)
    data = form.cleaned_data
    try:
        services.project_review(
            project_id=project.pk,
            reviewer=request.user,
            decision=data["decision"],
            public_reason=data["public_reason"],
            official_cost=common.to_minor(data["official_cost"]),
            merged_into_id=data["merged_into"].pk if data["merged_into"] else None,
        )
    except ApplicationError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        messages.error(request, f"{project.title}: {exc.message} {details}".strip())
    else:
        messages.success(request, _("“%(title)s” is reviewed.") % {"title": project.title})
    return redirect("budgets-manage:process", process_id=process_id)


@staff_only
@require_http_methods(["GET", "POST"])
def paper_ballot(request: HttpRequest, process_id: int) -> HttpResponse:
    """Key a paper ballot; with double entry, a second staff member keys the same sheet to confirm it."""
    process = get_object_or_404(BudgetProcess, pk=process_id)
    form = forms.PaperBallotForm(request.POST or None, process=process)
    district = None
    if request.method == "POST" and form.is_valid():
        district = form.cleaned_data.get("district")
    projects = (
        common.ballot_projects(process, district)
        if district or not process.districts.exists()
        else list(Project.objects.filter(process=process, status=ProjectStatus.SELECTED_FOR_BALLOT).order_by("id"))
    )
    parsed = common.parse_ballot(process, request.POST, projects) if request.method == "POST" else common.ParsedBallot()
    values = common.ballot_values(process, parsed.choices)
    context: dict[str, Any] = {
        "process": process,
        "form": form,
        "kind": process.ballot_kind,
        "kinds": BallotKind,
        "rank_options": list(range(1, (process.ranks or 0) + 1)),
        "rows": [
            {
                "project": p,
                "cost": common.money(p.cost, process.currency),
                "value": values.get(p.pk, 0),
                "checked": p.pk in values,
                "errors": parsed.errors.get(f"points-{p.pk}", []) + parsed.errors.get(f"rank-{p.pk}", []),
            }
            for p in projects
        ],
        "can_vote": permissions.can_vote(process),
    }
    if request.method == "POST" and form.is_valid() and not parsed.errors:
        try:
            entry = services.paper_ballot_enter(
                process_id=process.pk,
                staff=request.user,
                paper_ref=form.cleaned_data["paper_ref"],
                choices=parsed.choices,
                district_id=district.pk if district else None,
            )
        except ApplicationError as exc:
            context["error"] = exc.message
            context["errors"] = [
                {"target": "booth-projects", "label": key, "message": m} for key, ms in exc.fields.items() for m in ms
            ]
        else:
            if entry.status == PaperEntryStatus.CONFIRMED:
                messages.success(request, _("Sheet %(ref)s is counted.") % {"ref": entry.paper_ref})
            elif entry.status == PaperEntryStatus.PENDING:
                messages.success(
                    request,
                    _("First entry of sheet %(ref)s saved: another staff member must key it again.")
                    % {"ref": entry.paper_ref},
                )
            else:
                messages.error(
                    request,
                    _(
                        "The two entries of sheet %(ref)s differ: a staff member who keyed neither entry must "
                        "resolve the conflict (Paper ballot conflicts)."
                    )
                    % {"ref": entry.paper_ref},
                )
            return redirect("budgets-manage:paper", process_id=process.pk)
    elif parsed.errors:
        context["errors"] = [
            {"target": key, "label": "", "message": m} for key, ms in parsed.errors.items() for m in ms
        ]
    return render(request, "budgets/manage/paper.html", context)


@staff_only
@require_POST
def compute(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    if not permissions.can_compute_results(process):
        messages.error(request, _("Results are computed once voting closed."))
    else:
        # The worker must see this request's writes: enqueue only once they are committed.
        transaction.on_commit(lambda: tasks.results_compute_task.delay(process_id=process.pk))
        messages.success(request, _("The count is queued; this page shows its progress."))
    return redirect("budgets-manage:process", process_id=process.pk)
