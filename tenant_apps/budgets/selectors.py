"""Reads of the budgets app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tenant_apps.budgets.models import (
    Ballot,
    BudgetProcess,
    PaperEntry,
    PaperEntryStatus,
    PaperResolution,
    Project,
    ProjectStatus,
    Result,
)

# Statuses residents see; a proposal still under review is visible to its author only.
PUBLIC_STATUSES = (
    ProjectStatus.FEASIBLE,
    ProjectStatus.NOT_FEASIBLE,
    ProjectStatus.MERGED,
    ProjectStatus.SELECTED_FOR_BALLOT,
)


def process_get(*, process_id: int) -> BudgetProcess:
    return BudgetProcess.objects.get(pk=process_id)


def process_list() -> QuerySet[BudgetProcess]:
    """Every process, newest first (``pk`` breaks ties, so pages never overlap)."""
    return BudgetProcess.objects.order_by("-created_at", "-pk")


def project_list(*, process: BudgetProcess, on_ballot: bool = False) -> QuerySet[Project]:
    projects = Project.objects.filter(process=process).select_related("district", "category")
    if on_ballot:
        projects = projects.filter(status=ProjectStatus.SELECTED_FOR_BALLOT)
    return projects.order_by("id")


def project_list_public(*, process: BudgetProcess, user: Any = None) -> QuerySet[Project]:
    """Projects residents may see: reviewed ones, plus the viewer's own pending proposals (by id)."""
    visible = Q(status__in=PUBLIC_STATUSES)
    if user is not None and getattr(user, "is_authenticated", False):
        visible |= Q(author_id=user.pk)
    return Project.objects.filter(process=process).filter(visible).select_related("district", "category").order_by("id")


def ballot_get(*, receipt: str) -> Ballot | None:
    return Ballot.objects.filter(receipt=receipt).prefetch_related("choices").first()


def results_for_process(*, process: BudgetProcess) -> QuerySet[Result]:
    return Result.objects.filter(process=process).select_related("district").order_by("district_id")


@dataclass(frozen=True)
class ConflictSheet:
    """A paper sheet whose entries differ: its entries in keying order (entry A first)."""

    paper_ref: str
    entries: tuple[PaperEntry, ...]


def paper_conflict_list(*, process: BudgetProcess) -> list[ConflictSheet]:
    """The sheets of ``process`` waiting for a conflict resolution, by sheet number."""
    entries = (
        PaperEntry.objects.filter(process=process, status=PaperEntryStatus.CONFLICT)
        .select_related("entered_by", "district")
        .order_by("paper_ref", "pk")
    )
    sheets: dict[str, list[PaperEntry]] = {}
    for entry in entries:
        sheets.setdefault(entry.paper_ref, []).append(entry)
    return [ConflictSheet(paper_ref=ref, entries=tuple(items)) for ref, items in sheets.items()]


def paper_resolution_list(*, process: BudgetProcess) -> QuerySet[PaperResolution]:
    """How conflicts were settled, newest first (the audit record shown to staff)."""
    return (
        PaperResolution.objects.filter(process=process)
        .select_related("resolved_by", "accepted_entry", "accepted_entry__entered_by")
        .order_by("-created_at", "-pk")
    )
