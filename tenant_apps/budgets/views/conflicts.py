"""Staff page of paper sheets whose two entries differ: both entries side by side, accept one or discard
both (see ``services.paper`` for the four-eyes rule), and the record of past resolutions."""

from __future__ import annotations

from string import ascii_uppercase
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from tenant_apps.budgets import accounts_adapter, forms, permissions, selectors, services
from tenant_apps.budgets.models import BallotKind, BudgetProcess, PaperDecision, PaperEntry, Project
from tenant_apps.budgets.services.paper import OVERRIDE_ROLE, entry_choices
from tenant_apps.budgets.views.manage import staff_only


def _entry_problems(process: BudgetProcess, entry: PaperEntry) -> list[str]:
    """What stops this entry from counting (the ballot rules, checked as for any ballot); empty if valid."""
    try:
        services.validate_choices(process=process, district=entry.district, choices=entry_choices(entry))
    except ApplicationError as exc:
        return [message for field_messages in exc.fields.values() for message in field_messages] or [exc.message]
    return []


def _choice_rows(process: BudgetProcess, entry: PaperEntry, titles: dict[int, str], others: set[Any]) -> list[Any]:
    rows = []
    for choice in sorted(entry_choices(entry), key=lambda c: (c.rank or 0, titles.get(c.project_id, ""))):
        rows.append(
            {
                "title": titles.get(choice.project_id, _("Unknown project %(id)s") % {"id": choice.project_id}),
                "points": choice.points if process.ballot_kind == BallotKind.CUMULATIVE else None,
                "rank": choice.rank,
                # Not keyed identically in every other entry: what the person settling it must check.
                "differs": (choice.project_id, choice.points, choice.rank) not in others,
            }
        )
    return rows


def _sheets(process: BudgetProcess, user: Any) -> list[dict[str, Any]]:
    titles = dict(Project.objects.filter(process=process).values_list("pk", "title"))
    role = accounts_adapter.role_of(user_id=user.pk)
    sheets = []
    for sheet in selectors.paper_conflict_list(process=process):
        keyed = [{(c.project_id, c.points, c.rank) for c in entry_choices(entry)} for entry in sheet.entries]
        columns = []
        for position, entry in enumerate(sheet.entries):
            others = set.intersection(*(keyed[:position] + keyed[position + 1 :])) if len(keyed) > 1 else set()
            columns.append(
                {
                    "label": ascii_uppercase[position % 26],
                    "entry": entry,
                    "rows": _choice_rows(process, entry, titles, others),
                    "problems": _entry_problems(process, entry),
                    "mine": entry.entered_by_id == user.pk,
                }
            )
        mine = any(column["mine"] for column in columns)
        sheets.append(
            {
                "paper_ref": sheet.paper_ref,
                "columns": columns,
                "mine": mine,
                "can_resolve": not mine or role == OVERRIDE_ROLE,
            }
        )
    return sheets


@staff_only
@require_http_methods(["GET", "POST"])
def paper_conflicts(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(BudgetProcess, pk=process_id)
    error: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        form = forms.PaperResolutionForm(request.POST)
        if not form.is_valid():
            error, status = {"message": _("Choose to accept one entry or to discard both."), "details": []}, 400
        else:
            data = form.cleaned_data
            try:
                resolution = services.paper_conflict_resolve(
                    process_id=process.pk,
                    staff=request.user,
                    paper_ref=data["paper_ref"],
                    decision=data["decision"],
                    entry_id=data["entry"],
                )
            except ApplicationError as exc:
                details = [message for field_messages in exc.fields.values() for message in field_messages]
                error, status = (
                    {"message": exc.message, "details": details, "sheet": data["paper_ref"]},
                    exc.status_code,
                )
            else:
                if resolution.decision == PaperDecision.ACCEPT:
                    text = _("Sheet %(ref)s is counted, as keyed in the accepted entry.")
                else:
                    text = _("Both entries of sheet %(ref)s are discarded: the sheet can be keyed again, twice.")
                messages.success(request, text % {"ref": resolution.paper_ref})
                return redirect("budgets-manage:paper-conflicts", process_id=process.pk)
    context = {
        "process": process,
        "kind": process.ballot_kind,
        "kinds": BallotKind,
        "has_districts": process.districts.exists(),
        "can_vote": permissions.can_vote(process),
        "sheets": _sheets(process, request.user),
        "resolutions": selectors.paper_resolution_list(process=process),
        "error": error,
        "accept": PaperDecision.ACCEPT,
        "discard": PaperDecision.DISCARD,
    }
    return render(request, "budgets/manage/conflicts.html", context, status=status)
