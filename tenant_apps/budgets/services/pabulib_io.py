"""Pabulib export (anonymised: voters numbered 1..n, no token, no receipt) and import of a .pb file.

Files carry money in major units (e.g. euros); the database keeps minor units (cents, exponent 2).

META follows https://pabulib.org/format: ``description``, ``country``, ``unit`` (the city), ``subunit``
(the district of a district pot), ``instance`` (the year), the counts, ``budget``, ``vote_type``,
``rule``, ``date_begin`` / ``date_end`` (the voting days, ``DD.MM.YYYY``), the ballot limits
(``min_length``, ``max_length``, ``min_sum_cost``, ``max_sum_cost``, ``max_points``, ``max_sum_points``),
``language`` and ``currency``.

``rule`` names the rule family in Pabulib's vocabulary (``greedy``, ``equalshares``,
``equalshares/add1``, ``unknown``), which cannot say everything our settings say (utility, the add1
stopping variant, greedy completion, tie-break, greedy without skipping). The exact settings travel in
extra keys prefixed ``fluicity_`` (Pabulib allows extra keys; the prefix keeps them apart from any key
Pabulib may add), and an import reads them back, so export -> import -> compute gives the same result.
A file without them (one from pabulib.org) is imported with the settings its ``rule`` names.

``country`` is the city's ISO 3166 code: Pabulib's own files spell the English name, which the
platform does not store. An imported process keeps its file's META (``source_meta``), so a re-export
describes the original election (country, unit, dates...) rather than the city that imported it.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenant_apps.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    BudgetProcess,
    Channel,
    District,
    ProcessEvent,
    Project,
    ProjectStatus,
    ResultRule,
)
from tenant_apps.budgets.pabulib import PabulibError, format_pabulib, parse_pabulib_text
from tenant_apps.budgets.phases import Phase, city_zone
from tenant_apps.budgets.rules import COMPLETIONS, TIE_BREAKS, UTILITIES
from tenant_apps.budgets.rules.model import Number, normalise_number, number_to_text
from tenant_apps.budgets.services.ballots import new_receipt
from tenant_apps.budgets.services.results import build_instance
from tenants.context import current_city

MINOR_UNITS = 100
KINDS = {"approval": BallotKind.APPROVAL, "cumulative": BallotKind.CUMULATIVE, "ordinal": BallotKind.RANKED}
OWN = "fluicity_"
"""Prefix of our own META keys."""

# Keys this module writes from the process; an imported file's other keys are passed through.
_WRITTEN = frozenset(
    {
        "description",
        "country",
        "unit",
        "district",
        "subunit",
        "instance",
        "num_projects",
        "num_votes",
        "budget",
        "vote_type",
        "rule",
        "date_begin",
        "date_end",
        "min_length",
        "max_length",
        "min_sum_cost",
        "max_sum_cost",
        "max_points",
        "max_sum_points",
        "language",
        "currency",
        "ballot_kind",  # our key before the prefix
    }
)

# What a file without our keys means by its ``rule`` (anything else, e.g. ``unknown``: equal shares).
RULES_FROM_PABULIB: dict[str, dict[str, str]] = {
    "greedy": {"results_rule": ResultRule.GREEDY},
    "equalshares": {"results_rule": ResultRule.EQUAL_SHARES, "completion": "none"},
    "equalshares/add1": {"results_rule": ResultRule.EQUAL_SHARES, "completion": "add1"},
    # Files we exported before the fluicity_* keys named the rule in our own words.
    "greedy-no-skip": {"results_rule": ResultRule.GREEDY_NO_SKIP},
    "equal-shares": {"results_rule": ResultRule.EQUAL_SHARES},
}


def pabulib_rule(*, rule: str, completion: str) -> str:
    """The Pabulib name of the rule family (its ``rule`` META key)."""
    if rule == ResultRule.GREEDY:
        return "greedy"
    if rule == ResultRule.EQUAL_SHARES:
        # add1 and add1-nostop are both Pabulib's add1 completion; they differ in when they stop.
        return "equalshares" if completion == "none" else "equalshares/add1"
    return "unknown"  # greedy without skipping has no name in Pabulib's vocabulary


def process_export_pabulib(*, process_id: int, district_id: int | None = None) -> str:
    """The anonymised ballots of one pot of the process as a Pabulib file."""
    process = BudgetProcess.objects.get(pk=process_id)
    district = District.objects.get(process=process, pk=district_id) if district_id else None
    instance = build_instance(process, district)
    budget = normalise_number(Fraction(instance.budget, MINOR_UNITS))
    major = dataclasses.replace(
        instance,
        budget=budget,
        projects=tuple(
            dataclasses.replace(p, cost=normalise_number(Fraction(p.cost, MINOR_UNITS))) for p in instance.projects
        ),
        meta=tuple(_export_meta(process, district, budget)),
    )
    return format_pabulib(major)


def _export_meta(process: BudgetProcess, district: District | None, budget: Number) -> list[tuple[str, str]]:
    source = [(str(key), str(value)) for key, value in process.source_meta]
    described = dict(source) if source else _description(process, district)

    def described_as(*keys: str) -> list[tuple[str, str]]:
        return [(key, described[key]) for key in keys if described.get(key)]

    meta = [("description", process.title), *described_as("country", "unit", "district", "subunit", "instance")]
    # Placeholders: the writer puts the authoritative counts, budget and vote type here, in Pabulib's order.
    meta += [("num_projects", ""), ("num_votes", ""), ("budget", ""), ("vote_type", "")]
    meta.append(("rule", pabulib_rule(rule=process.results_rule, completion=process.completion)))
    meta += described_as("date_begin", "date_end")
    meta += _limits(process, budget)
    meta += described_as("language")
    meta.append(("currency", process.currency))
    meta += [(key, value) for key, value in source if key not in _WRITTEN and not key.startswith(OWN)]
    meta += [(OWN + key, value) for key, value in _own_settings(process)]
    return meta


def _description(process: BudgetProcess, district: District | None) -> dict[str, str]:
    city = current_city()
    begin, end = _voting_days(process)
    year = (begin or timezone.localtime(process.created_at, city_zone()).date()).year
    return {
        "country": city.country,
        "unit": city.name,
        "subunit": district.name if district else "",
        "instance": str(year),
        "date_begin": f"{begin:%d.%m.%Y}" if begin else "",
        "date_end": f"{end:%d.%m.%Y}" if end else "",
        "language": city.default_language[:2],
    }


def _voting_days(process: BudgetProcess) -> tuple[datetime.date | None, datetime.date | None]:
    """First and last day of voting, in the city: when it really opened and closed, else as planned."""
    zone = city_zone()
    changes = ProcessEvent.objects.filter(
        process=process, kind="phase_changed", payload__to__in=[Phase.VOTING, Phase.RESULTS]
    ).order_by("-pk")
    happened = {event.payload["to"]: timezone.localtime(event.created_at, zone).date() for event in changes}
    begin = happened.get(Phase.VOTING, process.voting_start)
    planned_end = process.results_start - datetime.timedelta(days=1) if process.results_start else None
    return begin, happened.get(Phase.RESULTS, planned_end)


def _limits(process: BudgetProcess, budget: Number) -> list[tuple[str, str]]:
    limits = []
    kind = process.ballot_kind
    if process.min_projects:
        limits.append(("min_length", str(process.min_projects)))
    longest = [n for n in (process.max_projects, process.ranks if kind == BallotKind.RANKED else None) if n]
    if longest:
        limits.append(("max_length", str(min(longest))))
    if kind == BallotKind.KNAPSACK:
        share = Fraction(str(process.min_share_spent))
        if share:
            limits.append(("min_sum_cost", number_to_text(normalise_number(share * budget))))
        limits.append(("max_sum_cost", number_to_text(budget)))
    if kind == BallotKind.CUMULATIVE:
        if process.max_points_per_project:
            limits.append(("max_points", str(process.max_points_per_project)))
        if process.points_total:
            limits.append(("max_sum_points", str(process.points_total)))
    return limits


def _own_settings(process: BudgetProcess) -> list[tuple[str, str]]:
    settings = [
        ("ballot_kind", process.ballot_kind),
        ("rule", process.results_rule),
        ("utility", process.utility),
        ("completion", process.completion),
        ("increment", process.increment),
        ("then_greedy", "1" if process.then_greedy else "0"),
        ("tie_break", process.tie_break),
    ]
    if process.ballot_kind == BallotKind.KNAPSACK:
        settings.append(("min_share_spent", str(process.min_share_spent)))
    if process.ballot_kind == BallotKind.RANKED and process.ranks:
        settings.append(("ranks", str(process.ranks)))
    return settings


def _minor(value: Number, what: str) -> int:
    amount = Fraction(value) * MINOR_UNITS
    if amount.denominator != 1:
        raise ApplicationError(_("%(what)s has more than two decimals.") % {"what": what}, code="pabulib_invalid")
    return amount.numerator


def _whole(meta: dict[str, str], key: str) -> int | None:
    value = meta.get(key, "").strip()
    return int(value) if value.isdigit() else None


def _result_settings(meta: dict[str, str]) -> dict[str, Any]:
    """The results rule and its settings: our keys when present, else what Pabulib's ``rule`` names."""
    named = RULES_FROM_PABULIB.get(meta.get("rule", ""), {"results_rule": ResultRule.EQUAL_SHARES})
    chosen: dict[str, Any] = {
        "results_rule": meta.get(OWN + "rule") or named["results_rule"],
        "utility": meta.get(OWN + "utility") or "cost",
        "completion": meta.get(OWN + "completion") or named.get("completion", "none"),
        "increment": meta.get(OWN + "increment") or "1",
        "then_greedy": meta.get(OWN + "then_greedy", "0").strip().lower() in ("1", "true"),
        "tie_break": meta.get(OWN + "tie_break") or "cost-votes-id",
    }
    errors: dict[str, list[str]] = {}
    allowed = {
        "results_rule": tuple(ResultRule.values),
        "utility": UTILITIES,
        "completion": COMPLETIONS,
        "tie_break": TIE_BREAKS,
    }
    for name, values in allowed.items():
        if chosen[name] not in values:
            errors[name] = [_("Expected one of %(values)s.") % {"values": ", ".join(values)}]
    try:
        positive = Fraction(chosen["increment"]) > 0
    except (ValueError, ZeroDivisionError):
        positive = False
    if not positive:
        errors["increment"] = [_("Expected a positive number.")]
    if chosen["results_rule"] != ResultRule.EQUAL_SHARES and (chosen["completion"] != "none" or chosen["then_greedy"]):
        errors["completion"] = [_("Completion only applies to equal shares.")]
    if errors:
        raise ApplicationError(_("The file's rule settings cannot be used."), code="pabulib_invalid", fields=errors)
    return chosen


def _ballot_kind(vote_type: str, meta: dict[str, str]) -> BallotKind:
    stated = meta.get(OWN + "ballot_kind") or meta.get("ballot_kind")
    if stated in BallotKind.values:
        return BallotKind(stated)
    kind = KINDS.get(vote_type)
    if kind is None:
        raise ApplicationError(_("Unsupported vote type %(type)s.") % {"type": vote_type}, code="pabulib_invalid")
    # Approval within a cost limit is what we call a knapsack ballot.
    return BallotKind.KNAPSACK if kind == BallotKind.APPROVAL and meta.get("max_sum_cost") else kind


def _min_share(meta: dict[str, str], budget: Number) -> Decimal:
    try:
        if OWN + "min_share_spent" in meta:
            share = Decimal(meta[OWN + "min_share_spent"])
        elif meta.get("min_sum_cost") and budget:
            ratio = Fraction(meta["min_sum_cost"].replace(",", ".")) / Fraction(budget)
            share = (Decimal(ratio.numerator) / Decimal(ratio.denominator)).quantize(Decimal("0.001"), ROUND_DOWN)
        else:
            return Decimal(0)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise ApplicationError(_("The minimum cost of a ballot is not a number."), code="pabulib_invalid") from None
    return min(max(share, Decimal(0)), Decimal(1))


@transaction.atomic
def process_import_pabulib(*, text: str, title: str = "") -> BudgetProcess:
    """Create a process (in the results phase, rules frozen) holding the file's projects and ballots."""
    try:
        instance = parse_pabulib_text(text)
    except PabulibError as exc:
        raise ApplicationError(
            _("Not a valid Pabulib file: %(reason)s") % {"reason": exc}, code="pabulib_invalid"
        ) from exc
    meta = dict(instance.meta)
    kind = _ballot_kind(instance.vote_type, meta)
    longest = max((len(b) for b in instance.ballots), default=0)
    ranks = (
        (_whole(meta, OWN + "ranks") or _whole(meta, "max_length") or longest) if kind == BallotKind.RANKED else None
    )
    process = BudgetProcess.objects.create(
        title=title or meta.get("description") or _("Imported budget"),
        total_budget=_minor(instance.budget, "budget"),
        currency=(meta.get("currency") or "EUR")[:3],
        phase=Phase.RESULTS,
        rules_frozen_at=timezone.now(),
        ballot_kind=kind,
        max_projects=_whole(meta, "max_length"),
        min_projects=_whole(meta, "min_length") or 0,
        min_share_spent=_min_share(meta, instance.budget) if kind == BallotKind.KNAPSACK else Decimal(0),
        points_total=_whole(meta, "max_sum_points"),
        max_points_per_project=_whole(meta, "max_points"),
        ranks=ranks,
        source_meta=[[key, value] for key, value in instance.meta],
        **_result_settings(meta),
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
        Ballot(process=process, receipt=new_receipt(), channel=Channel.IMPORTED) for _ballot in instance.ballots
    )
    choices = []
    for position, (ballot, ids) in enumerate(zip(ballots, instance.ballots, strict=True)):
        for rank, project_id in enumerate(ids, start=1):
            points = instance.points[position][rank - 1] if instance.points is not None else 1
            if Fraction(points).denominator != 1:
                raise ApplicationError(_("Points must be whole numbers."), code="pabulib_invalid")
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
