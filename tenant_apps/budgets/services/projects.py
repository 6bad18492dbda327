"""Project proposals and their review by staff."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.exceptions import ApplicationError, PermissionDeniedError
from tenant_apps.budgets import accounts_adapter, permissions
from tenant_apps.budgets.models import BudgetProcess, Category, District, Project, ProjectStatus


@transaction.atomic
def project_submit(
    *,
    process_id: int,
    author: Any,
    title: str,
    estimated_cost: int,
    description: str = "",
    district_id: int | None = None,
    category_id: int | None = None,
) -> Project:
    """A resident proposes a project (only during the proposals phase)."""
    process = BudgetProcess.objects.get(pk=process_id)
    if not permissions.can_propose(process):
        raise ApplicationError("Proposals are closed.", code="proposals_closed", status_code=409)
    decision = accounts_adapter.can(author, "propose_project")
    if not decision:
        raise PermissionDeniedError(decision.reason, code=decision.code)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["A title is required."]
    if estimated_cost <= 0:
        errors["estimated_cost"] = ["The cost must be positive."]
    district = District.objects.filter(process=process, pk=district_id).first() if district_id else None
    if district_id and district is None:
        errors["district"] = ["Unknown district."]
    category = Category.objects.filter(process=process, pk=category_id).first() if category_id else None
    if category_id and category is None:
        errors["category"] = ["Unknown category."]
    if errors:
        raise ApplicationError("The proposal is incomplete.", code="invalid", fields=errors)
    return Project.objects.create(
        process=process,
        author=author,
        title=title.strip(),
        description=description,
        estimated_cost=estimated_cost,
        district=district,
        category=category,
        status=ProjectStatus.SUBMITTED,
    )


REVIEW_DECISIONS = (
    ProjectStatus.FEASIBLE,
    ProjectStatus.NOT_FEASIBLE,
    ProjectStatus.MERGED,
    ProjectStatus.SELECTED_FOR_BALLOT,
)


@transaction.atomic
def project_review(
    *,
    project_id: int,
    reviewer: Any,
    decision: str,
    public_reason: str = "",
    official_cost: int | None = None,
    merged_into_id: int | None = None,
) -> Project:
    """Staff decide on a proposal: feasible, not feasible (with a public reason), merged, or on the ballot."""
    project = Project.objects.select_for_update().select_related("process").get(pk=project_id)
    if reviewer is None or not accounts_adapter.is_staff(user_id=reviewer.pk):
        raise PermissionDeniedError("Only city staff review projects.")
    if not permissions.can_review(project.process):
        raise ApplicationError("Projects can no longer be reviewed.", code="review_closed", status_code=409)
    errors: dict[str, list[str]] = {}
    if decision not in REVIEW_DECISIONS:
        errors["decision"] = [f"Expected one of {', '.join(REVIEW_DECISIONS)}."]
    if decision in (ProjectStatus.NOT_FEASIBLE, ProjectStatus.MERGED) and not public_reason.strip():
        errors["public_reason"] = ["Say publicly why."]
    if official_cost is not None and official_cost <= 0:
        errors["official_cost"] = ["The cost must be positive."]
    target = None
    if decision == ProjectStatus.MERGED:
        target = Project.objects.filter(process=project.process, pk=merged_into_id or 0).exclude(pk=project.pk).first()
        if target is None:
            errors["merged_into"] = ["Choose another project of this process."]
    if errors:
        raise ApplicationError("The review is incomplete.", code="invalid", fields=errors)
    project.status = decision
    project.public_reason = public_reason
    if official_cost is not None:
        project.official_cost = official_cost
    project.merged_into = target
    project.save(update_fields=["status", "public_reason", "official_cost", "merged_into"])
    return project
