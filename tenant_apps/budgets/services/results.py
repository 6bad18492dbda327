"""Results: the process's ballots handed to the pure rules engine, stored with digest and step log."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any, cast

from django.db import connection, transaction
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
    vote_type = VOTE_TYPES[process.ballot_kind]
    ordered = _ballot_rows(process=process, district=district, project_ids=list(keys))
    return Instance(
        budget=pot_budget(process, district),
        projects=tuple(rules.Project(id=keys[p.pk], cost=p.cost, name=p.title) for p in projects),
        ballots=tuple(tuple(keys[project_id] for project_id in chosen) for chosen, _points in ordered),
        vote_type=vote_type,
        points=tuple(tuple(points) for _chosen, points in ordered) if vote_type == "cumulative" else None,
        meta=(("currency", process.currency), ("description", process.title)),
    )


def _ballot_rows(
    *, process: BudgetProcess, district: District | None, project_ids: list[int]
) -> list[tuple[list[int], list[int]]]:
    """Every ballot of the pot, in ballot id order, as (project ids, points), projects in rank order then id.

    One row per ballot aggregated by PostgreSQL (``array_agg``), read through a server-side cursor: a
    million ballots are a million small rows instead of one row per choice grouped in Python. Ballots with
    no choice in this pot's projects stay (as empty ballots): they count as voters."""
    ballot_table, choice_table = Ballot._meta.db_table, BallotChoice._meta.db_table
    sql = f"""
        SELECT b.id,
               coalesce(array_agg(c.project_id ORDER BY c.rank NULLS LAST, c.project_id)
                        FILTER (WHERE c.project_id IS NOT NULL), '{{}}'),
               coalesce(array_agg(c.points ORDER BY c.rank NULLS LAST, c.project_id)
                        FILTER (WHERE c.project_id IS NOT NULL), '{{}}')
        FROM {ballot_table} b
        LEFT JOIN {choice_table} c ON c.ballot_id = b.id AND c.project_id = ANY(%s)
        WHERE b.process_id = %s AND {"b.district_id = %s" if district is not None else "TRUE"}
        GROUP BY b.id
        ORDER BY b.id
    """  # table names come from the models; values are parameters
    params: list[Any] = [project_ids, process.pk] + ([district.pk] if district is not None else [])
    rows: list[tuple[list[int], list[int]]] = []
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(20_000):
            rows.extend((chosen, points) for _id, chosen, points in chunk)
    return rows


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
