"""What other apps and the platform may call: ids in, plain data out."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from tenant_apps.budgets.models import Ballot, PaperEntry, PaperResolution, Project, ProjectStatus

__all__ = ["gdpr_erase", "gdpr_export", "home_section", "usage"]

# Projects still private to their author; once public (reviewed, on the ballot) they stay, anonymised.
_PRIVATE_STATUSES = (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED)


def gdpr_export(*, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The person's budget proposals. Ballot contents are not linked to people, so none are exported."""
    projects = Project.objects.filter(author_id=user_id).select_related("process").order_by("id")
    return {
        "budget_projects": [
            {
                "process": p.process.title,
                "title": p.title,
                "description": p.description,
                "estimated_cost": p.estimated_cost,
                "status": p.status,
                "created_at": p.created_at.isoformat(),
            }
            for p in projects
        ]
    }


@transaction.atomic
def gdpr_erase(*, user_id: int, keep_contributions: bool) -> dict[str, int]:
    """Forget the person: proposals are anonymised (or deleted while still private when not kept).

    Ballots hold no reference to people, so they stay as they are and keep counting.
    """
    projects = Project.objects.filter(author_id=user_id)
    deleted = 0
    if not keep_contributions:
        deleted, _ = projects.filter(status__in=_PRIVATE_STATUSES, merged__isnull=True).delete()
    anonymised = projects.update(author=None)
    PaperEntry.objects.filter(entered_by_id=user_id).update(entered_by=None)
    PaperResolution.objects.filter(resolved_by_id=user_id).update(resolved_by=None)
    return {"projects_deleted": deleted, "projects_anonymised": anonymised}


def usage(*, period_start: datetime.datetime, period_end: datetime.datetime) -> dict[str, int]:
    """Billable activity in ``[period_start, period_end)``."""
    return {"ballots": Ballot.objects.filter(created_at__gte=period_start, created_at__lt=period_end).count()}


def home_section() -> dict[str, Any] | None:
    """What the city's home page shows of participatory budgets: the processes residents can act on or
    read now (proposals, voting, results, follow-up), newest first; None when there is none."""
    from tenant_apps.budgets.models import BudgetProcess
    from tenant_apps.budgets.phases import Phase

    items = list(
        BudgetProcess.objects.filter(
            phase__in=[Phase.PROPOSALS, Phase.VOTING, Phase.RESULTS, Phase.FOLLOW_UP]
        ).order_by("-pk")[:6]
    )
    return {"template": "budgets/_home_section.html", "items": items} if items else None
