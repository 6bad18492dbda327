"""Reads of the budgets app."""

from __future__ import annotations

from django.db.models import QuerySet

from tenant_apps.budgets.models import Ballot, BudgetProcess, Project, ProjectStatus, Result


def process_get(*, process_id: int) -> BudgetProcess:
    return BudgetProcess.objects.get(pk=process_id)


def project_list(*, process: BudgetProcess, on_ballot: bool = False) -> QuerySet[Project]:
    projects = Project.objects.filter(process=process).select_related("district", "category")
    if on_ballot:
        projects = projects.filter(status=ProjectStatus.SELECTED_FOR_BALLOT)
    return projects.order_by("id")


def ballot_get(*, receipt: str) -> Ballot | None:
    return Ballot.objects.filter(receipt=receipt).prefetch_related("choices").first()


def results_for_process(*, process: BudgetProcess) -> QuerySet[Result]:
    return Result.objects.filter(process=process).select_related("district").order_by("district_id")
