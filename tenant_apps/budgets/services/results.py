"""Results: the process's ballots handed to the pure rules engine, stored with digest and step log."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from tenant_apps.budgets import rules
from tenant_apps.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    BudgetProcess,
    District,
    Project,
    ProjectStatus,
    Result,
    ResultStatus,
)
from tenant_apps.budgets.rules.model import Instance, VoteType

VOTE_TYPES: dict[str, VoteType] = {
    BallotKind.APPROVAL: "approval",
    BallotKind.KNAPSACK: "approval",
    BallotKind.CUMULATIVE: "cumulative",
    BallotKind.RANKED: "ordinal",
}


def project_key(project: Project) -> str:
    """The id a project has in the rules engine and in Pabulib files (the imported id when there is one)."""
    return project.external_id or str(project.pk)


def pots(process: BudgetProcess) -> list[District | None]:
    """The separate envelopes of money: each district, plus the city-wide pot (the only one without districts)."""
    districts: list[District | None] = list(process.districts.order_by("id"))
    if not districts or process.citywide_budget:
        districts.append(None)
    return districts


def build_instance(process: BudgetProcess, district: District | None) -> Instance:
    """The anonymous election of one pot: its budget, its ballot projects, every ballot's choices in it."""
    from tenant_apps.budgets.services.ballots import pot_budget

    projects = list(
        Project.objects.filter(process=process, status=ProjectStatus.SELECTED_FOR_BALLOT, district=district).order_by(
            "id"
        )
    )
    keys = {p.pk: project_key(p) for p in projects}
    ballots = Ballot.objects.filter(process=process)
    if district is not None:
        ballots = ballots.filter(district=district)
    by_ballot: dict[int, list[tuple[str, int, int]]] = {
        b: [] for b in ballots.order_by("id").values_list("id", flat=True)
    }
    rows = BallotChoice.objects.filter(ballot__in=ballots, project_id__in=keys).values_list(
        "ballot_id", "project_id", "points", "rank"
    )
    for ballot_id, project_id, points, rank in rows.iterator(chunk_size=10_000):
        by_ballot[ballot_id].append((keys[project_id], points, rank or 0))
    vote_type = VOTE_TYPES[process.ballot_kind]
    ordered = [
        sorted(items, key=lambda item: item[2]) if vote_type == "ordinal" else items for items in by_ballot.values()
    ]
    return Instance(
        budget=pot_budget(process, district),
        projects=tuple(rules.Project(id=keys[p.pk], cost=p.cost, name=p.title) for p in projects),
        ballots=tuple(tuple(item[0] for item in items) for items in ordered),
        vote_type=vote_type,
        points=tuple(tuple(item[1] for item in items) for items in ordered) if vote_type == "cumulative" else None,
        meta=(("currency", process.currency), ("description", process.title)),
    )


def _jsonable(value: Any) -> Any:
    def default(obj: Any) -> Any:
        if isinstance(obj, Fraction):
            return str(obj)
        if isinstance(obj, (tuple, set, frozenset)):
            return list(obj)
        return str(obj)

    return json.loads(json.dumps(value, default=default))


def results_compute(*, process_id: int) -> list[Result]:
    """Compute (or recompute: idempotent) the result of every pot of the process."""
    process = BudgetProcess.objects.get(pk=process_id)
    if process.phase not in ("results", "follow_up"):
        raise ApplicationError("Results are computed once voting closed.", code="voting_not_closed", status_code=409)
    stored = []
    targets = pots(process)
    for position, district in enumerate(targets):
        with transaction.atomic():
            result, _ = Result.objects.select_for_update().get_or_create(process=process, district=district)
            result.status = ResultStatus.RUNNING
            result.save(update_fields=["status"])
            instance = build_instance(process, district)
            try:
                outcome = rules.compute(
                    instance,
                    rule=cast(Any, process.results_rule),
                    utility=cast(Any, process.utility),
                    completion=cast(Any, process.completion),
                    increment=process.increment,
                    then_greedy=process.then_greedy,
                    tie_break=cast(Any, process.tie_break),
                )
            except ValueError as exc:
                result.status, result.error = ResultStatus.FAILED, str(exc)
                result.save(update_fields=["status", "error"])
                raise ApplicationError(f"The result could not be computed: {exc}", code="results_failed") from exc
            result.rule = outcome.rule
            result.rule_version = outcome.rule_version
            result.params = _jsonable(dict(outcome.params))
            result.budget = int(instance.budget)
            result.ballot_count = len(instance.ballots)
            result.ballots_digest = outcome.ballots_digest
            result.selected = list(outcome.selected)
            result.money_used = int(outcome.cost_used)
            result.step_log = _jsonable([dict(step) for step in outcome.steps])
            result.status = ResultStatus.DONE
            result.error = ""
            result.progress = round(100 * (position + 1) / len(targets))
            result.computed_at = timezone.now()
            result.save()
            stored.append(result)
    return stored
