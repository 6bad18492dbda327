"""Writes of the budgets app (keyword-only, typed, atomic)."""

from tenant_apps.budgets.services.ballots import Choice, ballot_cast, paper_ballot_enter, validate_choices
from tenant_apps.budgets.services.follow_up import (
    milestone_create,
    milestone_delete,
    milestone_update,
    project_follow_up_set,
)
from tenant_apps.budgets.services.pabulib_io import process_export_pabulib, process_import_pabulib
from tenant_apps.budgets.services.paper import paper_conflict_resolve
from tenant_apps.budgets.services.processes import (
    process_advance_phase,
    process_create,
    process_set_rules,
    processes_schedule_apply,
)
from tenant_apps.budgets.services.projects import project_review, project_submit
from tenant_apps.budgets.services.results import results_compute
from tenant_apps.budgets.services.social import (
    SupportState,
    comment_create,
    comment_hide,
    project_support,
    project_unsupport,
)

__all__ = [
    "Choice",
    "SupportState",
    "ballot_cast",
    "comment_create",
    "comment_hide",
    "milestone_create",
    "milestone_delete",
    "milestone_update",
    "paper_ballot_enter",
    "paper_conflict_resolve",
    "process_advance_phase",
    "process_create",
    "process_export_pabulib",
    "process_import_pabulib",
    "process_set_rules",
    "processes_schedule_apply",
    "project_follow_up_set",
    "project_review",
    "project_submit",
    "project_support",
    "project_unsupport",
    "results_compute",
    "validate_choices",
]
