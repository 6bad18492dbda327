"""Processes: creation, ballot and result rules (frozen once voting opens), phase changes."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from tenant_apps.budgets import permissions
from tenant_apps.budgets.models import RULE_FIELDS, BallotKind, BudgetProcess, District, ProcessEvent, ResultRule
from tenant_apps.budgets.phases import Phase, can_transition
from tenant_apps.budgets.rules import COMPLETIONS, TIE_BREAKS, UTILITIES

logger = logging.getLogger(__name__)


@transaction.atomic
def process_create(
    *,
    title: str,
    total_budget: int,
    description: str = "",
    currency: str = "EUR",
    citywide_budget: int | None = None,
    districts: list[tuple[str, str, int]] | None = None,
    actor: Any = None,
    **rules: Any,
) -> BudgetProcess:
    """Create a process in the proposals phase; ``districts`` are ``(code, name, budget)`` triples."""
    if total_budget < 0:
        raise ApplicationError("The budget cannot be negative.", code="invalid", fields={"total_budget": ["< 0"]})
    process = BudgetProcess(
        title=title,
        description=description,
        total_budget=total_budget,
        currency=currency,
        citywide_budget=citywide_budget,
    )
    _apply_rules(process, rules)
    process.save()
    for code, name, budget in districts or []:
        District.objects.create(process=process, code=code, name=name, budget=budget)
    ProcessEvent.objects.create(process=process, kind="created", actor=_actor(actor), payload=process.rules_dict())
    return process


def process_set_rules(*, process_id: int, actor: Any = None, **rules: Any) -> BudgetProcess:
    """Change the ballot and result rules. Refused (code ``rules_frozen``) once voting opened.

    A refused attempt is recorded in the process's audit trail in its own transaction, so the record
    survives the error.
    """
    with transaction.atomic():
        # FOR UPDATE: a concurrent phase change to voting cannot slip in between the check and the write.
        process = BudgetProcess.objects.select_for_update().get(pk=process_id)
        if permissions.can_change_rules(process):
            before = process.rules_dict()
            _apply_rules(process, rules)
            process.save()
            ProcessEvent.objects.create(
                process=process,
                kind="rules_changed",
                actor=_actor(actor),
                payload={"before": before, "after": process.rules_dict()},
            )
            return process
    ProcessEvent.objects.create(
        process_id=process_id,
        kind="rules_change_refused",
        actor=_actor(actor),
        payload={"attempted": {key: str(value) for key, value in rules.items()}},
    )
    logger.warning("budgets: refused rule change on frozen process %s", process_id)
    raise ApplicationError("The voting rules are frozen: voting has opened.", code="rules_frozen", status_code=409)


@transaction.atomic
def process_advance_phase(*, process_id: int, to: str, actor: Any = None) -> BudgetProcess:
    """Move the process to phase ``to``; entering voting freezes the rules."""
    process = BudgetProcess.objects.select_for_update().get(pk=process_id)
    if to not in Phase.values or not can_transition(process.phase, to):
        raise ApplicationError(
            f"A process cannot go from {process.phase} to {to}.", code="invalid_transition", status_code=409
        )
    if to == Phase.VOTING:
        _check_ballot_ready(process)
        process.rules_frozen_at = timezone.now()
    previous = process.phase
    process.phase = to
    process.save(update_fields=["phase", "rules_frozen_at"])
    ProcessEvent.objects.create(
        process=process, kind="phase_changed", actor=_actor(actor), payload={"from": previous, "to": to}
    )
    return process


def _check_ballot_ready(process: BudgetProcess) -> None:
    from tenant_apps.budgets.models import ProjectStatus

    if not process.projects.filter(status=ProjectStatus.SELECTED_FOR_BALLOT).exists():
        raise ApplicationError("Put at least one project on the ballot before voting opens.", code="empty_ballot")


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _apply_rules(process: BudgetProcess, rules: dict[str, Any]) -> None:
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown rule fields {sorted(unknown)}")
    for name, value in rules.items():
        setattr(process, name, Decimal(str(value)) if name == "min_share_spent" else value)
    errors: dict[str, list[str]] = {}
    choices = {
        "ballot_kind": BallotKind.values,
        "results_rule": ResultRule.values,
        "utility": UTILITIES,
        "completion": COMPLETIONS,
        "tie_break": TIE_BREAKS,
    }
    for name, allowed in choices.items():
        if getattr(process, name) not in allowed:
            errors.setdefault(name, []).append(f"Expected one of {', '.join(allowed)}.")
    if process.max_projects is not None and process.max_projects < process.min_projects:
        errors.setdefault("max_projects", []).append("Must be at least the minimum.")
    if not Decimal(0) <= Decimal(process.min_share_spent) <= Decimal(1):
        errors.setdefault("min_share_spent", []).append("Must be between 0 and 1.")
    if process.ballot_kind == BallotKind.CUMULATIVE and not process.points_total:
        errors.setdefault("points_total", []).append("Cumulative ballots need a number of points.")
    if process.ballot_kind == BallotKind.RANKED and not process.ranks:
        errors.setdefault("ranks", []).append("Ranked ballots need a number of ranks.")
    if process.results_rule != ResultRule.EQUAL_SHARES and (process.completion != "none" or process.then_greedy):
        errors.setdefault("completion", []).append("Completion only applies to equal shares.")
    if errors:
        raise ApplicationError("The rules are not consistent.", code="invalid_rules", fields=errors)
