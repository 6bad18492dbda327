"""Processes: creation, ballot and result rules (frozen once voting opens), phase changes, and the
schedule that changes phases on their planned dates."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenant_apps.budgets import permissions
from tenant_apps.budgets.models import RULE_FIELDS, BallotKind, BudgetProcess, District, ProcessEvent, ResultRule
from tenant_apps.budgets.phases import START_FIELDS, Phase, can_transition, planned_phase
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
def process_advance_phase(*, process_id: int, to: str, actor: Any = None, scheduled: bool = False) -> BudgetProcess:
    """Move the process to phase ``to``; entering voting freezes the rules.

    ``scheduled`` marks a change made by the schedule (:func:`processes_schedule_apply`) in the audit trail.
    """
    process = BudgetProcess.objects.select_for_update().get(pk=process_id)
    if to not in Phase.values or not can_transition(process.phase, to):
        raise ApplicationError(
            _("A process cannot go from %(from)s to %(to)s.") % {"from": process.phase, "to": to},
            code="invalid_transition",
            status_code=409,
        )
    if to == Phase.VOTING:
        _check_ballot_ready(process)
        process.rules_frozen_at = timezone.now()
    previous = process.phase
    process.phase = to
    process.save(update_fields=["phase", "rules_frozen_at"])
    payload: dict[str, Any] = {"from": previous, "to": to}
    if scheduled:
        payload["scheduled"] = True
    ProcessEvent.objects.create(process=process, kind="phase_changed", actor=_actor(actor), payload=payload)
    return process


def _check_ballot_ready(process: BudgetProcess) -> None:
    from tenant_apps.budgets.models import ProjectStatus

    if not process.projects.filter(status=ProjectStatus.SELECTED_FOR_BALLOT).exists():
        raise ApplicationError(_("Put at least one project on the ballot before voting opens."), code="empty_ballot")


# --- The schedule ---------------------------------------------------------------------------------

_ORDER = {phase: position for position, phase in enumerate(Phase.values)}
SCHEDULE_REFUSED = "schedule_refused"


def processes_schedule_apply(*, now: datetime.datetime | None = None) -> int:
    """Move every process of the active city forward to the phase its planned dates say; returns how
    many phase changes it made.

    Dates are the city's calendar days (a phase starts at local midnight, see ``phases``). Each change is
    one allowed step made through :func:`process_advance_phase`, the service staff use, so rules freeze
    when voting opens and every check applies; a process two phases behind takes both steps. Nothing
    moves backwards. A refused step (an empty ballot, say) is logged and recorded once in the process's
    audit trail, and the other processes still move (so they do when one fails unexpectedly: logged with
    its traceback); it is tried again at the next run.

    Staff keep the last word on one thing: a process they sent back from review to proposals (a second
    call for ideas) stays in proposals until they move it to review again.

    Safe to run twice and concurrently: each step re-reads the process under its row lock.
    """
    now = now or timezone.now()
    dated = Q()
    for field in START_FIELDS.values():
        dated |= Q(**{f"{field}__isnull": False})
    candidates = (
        BudgetProcess.objects.filter(dated).exclude(phase=Phase.FOLLOW_UP).order_by("pk").values_list("pk", flat=True)
    )
    return sum(_schedule_apply_one(process_id, now) for process_id in list(candidates))


def _schedule_apply_one(process_id: int, now: datetime.datetime) -> int:
    moved = 0
    for _step in range(len(Phase.values)):  # each round moves one phase forward, or stops
        target: str | None = None
        try:
            with transaction.atomic():
                process = BudgetProcess.objects.select_for_update().filter(pk=process_id).first()
                target = _scheduled_step(process, now) if process is not None else None
                if target is None:
                    return moved
                process_advance_phase(process_id=process_id, to=target, scheduled=True)
        except ApplicationError as exc:
            logger.warning(
                "budgets: process %s not moved to %s on schedule: %s (%s)", process_id, target, exc.message, exc.code
            )
            _record_schedule_refusal(process_id, target or "", exc)
            return moved
        except Exception:
            # A bug or bad row in one process must not keep every other process of the city from moving.
            logger.exception("budgets: scheduling process %s failed", process_id)
            return moved
        moved += 1
    return moved


def _scheduled_step(process: BudgetProcess, now: datetime.datetime) -> str | None:
    """The next phase the plan wants ``process`` to enter now, or None."""
    dates = {phase: getattr(process, field) for phase, field in START_FIELDS.items()}
    planned = planned_phase(dates, now=now)
    if planned is None or _ORDER[planned] <= _ORDER[process.phase]:
        return None
    step = Phase.values[_ORDER[process.phase] + 1]
    if step == Phase.REVIEW and _reopened_by_staff(process):
        return None
    return step


def _reopened_by_staff(process: BudgetProcess) -> bool:
    last = ProcessEvent.objects.filter(process=process, kind="phase_changed").order_by("-pk").first()
    return last is not None and last.payload.get("from") == Phase.REVIEW and last.payload.get("to") == Phase.PROPOSALS


def _record_schedule_refusal(process_id: int, target: str, exc: ApplicationError) -> None:
    # Once per distinct refusal: the beat runs every few minutes and the audit trail must stay readable.
    payload = {"to": target, "code": exc.code, "message": exc.message}
    last = ProcessEvent.objects.filter(process_id=process_id).order_by("-pk").first()
    if last is not None and last.kind == SCHEDULE_REFUSED and last.payload == payload:
        return
    ProcessEvent.objects.create(process_id=process_id, kind=SCHEDULE_REFUSED, payload=payload)


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
