"""Pabulib export (anonymised: voters numbered 1..n, no token, no receipt) and import of a .pb file.

Files carry money in major units (e.g. euros); the database keeps minor units (cents, exponent 2).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from tenant_apps.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    BudgetProcess,
    Channel,
    District,
    Project,
    ProjectStatus,
)
from tenant_apps.budgets.pabulib import PabulibError, format_pabulib, parse_pabulib_text
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.rules.model import Number, normalise_number
from tenant_apps.budgets.services.ballots import new_receipt
from tenant_apps.budgets.services.results import build_instance

MINOR_UNITS = 100
KINDS = {"approval": BallotKind.APPROVAL, "cumulative": BallotKind.CUMULATIVE, "ordinal": BallotKind.RANKED}


def process_export_pabulib(*, process_id: int, district_id: int | None = None) -> str:
    """The anonymised ballots of one pot of the process as a Pabulib file."""
    process = BudgetProcess.objects.get(pk=process_id)
    district = District.objects.get(process=process, pk=district_id) if district_id else None
    instance = build_instance(process, district)
    meta = [
        ("description", process.title),
        ("country", ""),
        ("unit", district.name if district else "city"),
        ("currency", process.currency),
        ("rule", process.results_rule),
        ("ballot_kind", process.ballot_kind),
    ]
    if process.max_projects is not None:
        meta.append(("max_length", str(process.max_projects)))
    if process.min_projects:
        meta.append(("min_length", str(process.min_projects)))
    if process.ballot_kind == BallotKind.CUMULATIVE and process.points_total:
        meta.append(("max_sum_points", str(process.points_total)))
    major = dataclasses.replace(
        instance,
        budget=normalise_number(Fraction(instance.budget, MINOR_UNITS)),
        projects=tuple(
            dataclasses.replace(p, cost=normalise_number(Fraction(p.cost, MINOR_UNITS))) for p in instance.projects
        ),
        meta=tuple(meta),
    )
    return format_pabulib(major)


def _minor(value: Number, what: str) -> int:
    amount = Fraction(value) * MINOR_UNITS
    if amount.denominator != 1:
        raise ApplicationError(f"{what} has more than two decimals.", code="pabulib_invalid")
    return amount.numerator


@transaction.atomic
def process_import_pabulib(*, text: str, title: str = "") -> BudgetProcess:
    """Create a process (in the results phase, rules frozen) holding the file's projects and ballots."""
    try:
        instance = parse_pabulib_text(text)
    except PabulibError as exc:
        raise ApplicationError(f"Not a valid Pabulib file: {exc}", code="pabulib_invalid") from exc
    kind = KINDS.get(instance.vote_type)
    if kind is None:
        raise ApplicationError(f"Unsupported vote type {instance.vote_type}.", code="pabulib_invalid")
    meta = dict(instance.meta)
    kind = BallotKind(meta.get("ballot_kind", kind)) if meta.get("ballot_kind") in BallotKind.values else kind
    rule_name = meta.get("rule") or ""
    if rule_name not in ("greedy", "greedy-no-skip", "equal-shares"):
        rule_name = "equal-shares"
    longest = max((len(b) for b in instance.ballots), default=0)
    process = BudgetProcess.objects.create(
        title=title or meta.get("description") or "Imported budget",
        total_budget=_minor(instance.budget, "budget"),
        currency=(meta.get("currency") or "EUR")[:3],
        phase=Phase.RESULTS,
        rules_frozen_at=timezone.now(),
        ballot_kind=kind,
        max_projects=int(meta["max_length"]) if meta.get("max_length", "").isdigit() else None,
        min_projects=int(meta["min_length"]) if meta.get("min_length", "").isdigit() else 0,
        points_total=int(meta["max_sum_points"]) if meta.get("max_sum_points", "").isdigit() else None,
        ranks=longest if kind == BallotKind.RANKED else None,
        results_rule=rule_name,
    )
    projects = {
        p.id: Project.objects.create(
            process=process,
            title=p.name or p.id,
            estimated_cost=_minor(p.cost, f"cost of {p.id}"),
            status=ProjectStatus.SELECTED_FOR_BALLOT,
            external_id=p.id,
        )
        for p in instance.projects
    }
    ballots = Ballot.objects.bulk_create(
        Ballot(process=process, receipt=new_receipt(), channel=Channel.IMPORTED) for _ in instance.ballots
    )
    choices = []
    for position, (ballot, ids) in enumerate(zip(ballots, instance.ballots, strict=True)):
        for rank, project_id in enumerate(ids, start=1):
            points = instance.points[position][rank - 1] if instance.points is not None else 1
            if Fraction(points).denominator != 1:
                raise ApplicationError("Points must be whole numbers.", code="pabulib_invalid")
            choices.append(
                BallotChoice(
                    ballot=ballot,
                    project=projects[project_id],
                    points=int(points),
                    rank=rank if kind == BallotKind.RANKED else None,
                )
            )
    BallotChoice.objects.bulk_create(choices, batch_size=5000)
    return process
