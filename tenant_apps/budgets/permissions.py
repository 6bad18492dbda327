"""Pure predicates over a process's phase: what may happen now (people's rights come from accounts)."""

from __future__ import annotations

from tenant_apps.budgets.models import BudgetProcess
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
