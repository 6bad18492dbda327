"""Pure predicates over a process's phase: what may happen now (people's rights come from accounts)."""

from __future__ import annotations

from tenant_apps.budgets.models import BudgetProcess, Project, ProjectStatus
from tenant_apps.budgets.phases import Phase


def can_propose(process: BudgetProcess) -> bool:
    return process.phase == Phase.PROPOSALS


def can_review(process: BudgetProcess) -> bool:
    return process.phase in (Phase.PROPOSALS, Phase.REVIEW)


def can_vote(process: BudgetProcess) -> bool:
    return process.phase == Phase.VOTING


def can_change_rules(process: BudgetProcess) -> bool:
    return process.rules_frozen_at is None and process.phase in (Phase.PROPOSALS, Phase.REVIEW)


def can_compute_results(process: BudgetProcess) -> bool:
    return process.phase in (Phase.RESULTS, Phase.FOLLOW_UP)


def can_support(process: BudgetProcess) -> bool:
    """Supports say which proposals residents want reviewed first: only while proposals are open."""
    return process.phase == Phase.PROPOSALS


def takes_supports(project: Project) -> bool:
    """Proposals set aside in review (not feasible, merged) take no more supports; they stay readable."""
    return project.status not in (ProjectStatus.NOT_FEASIBLE, ProjectStatus.MERGED)


def can_comment(process: BudgetProcess) -> bool:
    """Comments are written while proposals are made and reviewed; the thread is read-only afterwards."""
    return process.phase in (Phase.PROPOSALS, Phase.REVIEW)


def can_follow_up(process: BudgetProcess) -> bool:
    """The delivery of funded projects is reported once results are out."""
    return process.phase in (Phase.RESULTS, Phase.FOLLOW_UP)
