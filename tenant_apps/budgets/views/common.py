"""Reads and helpers shared by the budgets pages and API: money display, ballot parsing, results views.

The "what if" comparison runs the rules engine on the stored ballots at read time; it writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenant_apps.budgets import accounts_adapter, rules, selectors
from tenant_apps.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    BudgetProcess,
    District,
    FollowUpStatus,
    Project,
    ProjectStatus,
    Result,
    ResultRule,
    ResultStatus,
)
from tenant_apps.budgets.phases import START_FIELDS, Phase
from tenant_apps.budgets.services.ballots import Choice, pot_budget, voter_token
from tenant_apps.budgets.services.results import build_instance, pots, project_key


def money(amount: int | None, currency: str) -> str:
    """Minor units shown in major units, localised (``1 250,00 EUR``)."""
    if amount is None:
        return ""
    return f"{number_format(Decimal(amount) / 100, 2, use_l10n=True, force_grouping=True)} {currency}"


def to_minor(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def phase_dates(process: BudgetProcess) -> list[tuple[str, Any, bool]]:
    """(label, planned start date, is current) for every phase; dates are the city's calendar days."""
    return [
        (str(label), getattr(process, START_FIELDS[value]), value == process.phase) for value, label in Phase.choices
    ]


def map_url(project: Project) -> str:
    """A link to the project's point on OpenStreetMap ("" without a location)."""
    if project.latitude is None or project.longitude is None:
        return ""
    lat, lon = project.latitude, project.longitude
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def follow_up_label(status: str) -> str:
    """The follow-up status as residents read it ("No news yet" before staff set one)."""
    return str(FollowUpStatus(status).label) if status in FollowUpStatus.values else _("No news yet")


def follow_up_view(process: BudgetProcess) -> list[dict[str, Any]]:
    """Each funded project with its status and milestones timeline, for the process page."""
    return [
        {
            "project": project,
            "status": project.follow_up_status,
            "label": follow_up_label(project.follow_up_status),
            "milestones": list(project.milestones.all()),
        }
        for project in selectors.funded_projects_with_milestones(process=process)
    ]


def public_projects(process: BudgetProcess, *, user: Any = None) -> list[Project]:
    """Projects residents may see: reviewed ones, plus the viewer's own pending proposals."""
    return list(selectors.project_list_public(process=process, user=user))


def my_ballot(process: BudgetProcess, user: Any) -> Ballot | None:
    if not getattr(user, "is_authenticated", False):
        return None
    token = voter_token(process=process, user_id=user.pk)
    return Ballot.objects.filter(process=process, voter_token=token).prefetch_related("choices").first()


def voter_district(process: BudgetProcess, user: Any) -> District | None:
    if not getattr(user, "is_authenticated", False) or not process.districts.exists():
        return None
    code = accounts_adapter.verified_district(user_id=user.pk)
    return District.objects.filter(process=process, code=code).first() if code else None


def ballot_projects(process: BudgetProcess, district: District | None) -> list[Project]:
    """The projects a voter of ``district`` sees on the ballot: the city-wide ones and their district's."""
    projects = Project.objects.filter(process=process, status=ProjectStatus.SELECTED_FOR_BALLOT).select_related(
        "district", "category"
    )
    return [p for p in projects.order_by("id") if p.district_id is None or (district and p.district_id == district.pk)]


@dataclass
class ParsedBallot:
    choices: list[Choice] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


def parse_ballot(process: BudgetProcess, data: Mapping[str, Any], projects: list[Project]) -> ParsedBallot:
    """Read the booth's inputs (checkboxes ``project``, ``points-<id>`` or ``rank-<id>``) into choices."""
    parsed = ParsedBallot()
    kind = process.ballot_kind
    if kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK):
        getlist = getattr(data, "getlist", None)
        raw = getlist("project") if getlist else data.get("project", [])
        wanted = {str(v) for v in (raw if isinstance(raw, list) else [raw])}
        parsed.choices = [Choice(project_id=p.pk) for p in projects if str(p.pk) in wanted]
        return parsed
    for project in projects:
        name = f"{'points' if kind == BallotKind.CUMULATIVE else 'rank'}-{project.pk}"
        value = str(data.get(name, "") or "").strip()
        if not value or value == "0":
            continue
        if not value.isdigit():
            parsed.errors[name] = [_("Enter a whole number for “%(title)s”.") % {"title": project.title}]
            continue
        if kind == BallotKind.CUMULATIVE:
            parsed.choices.append(Choice(project_id=project.pk, points=int(value)))
        else:
            parsed.choices.append(Choice(project_id=project.pk, rank=int(value)))
    return parsed


def ballot_values(process: BudgetProcess, choices: list[Choice]) -> dict[int, int]:
    """What each project input holds (1 for a ticked box, its points, or its rank)."""
    if process.ballot_kind == BallotKind.RANKED:
        return {c.project_id: c.rank or 0 for c in choices}
    return {c.project_id: c.points for c in choices}


def running_total(process: BudgetProcess, district: District | None, choices: list[Choice]) -> dict[str, Any]:
    """The booth's running total: money against the pots, points against the allowance, ranks used."""
    costs = {p.pk: p for p in ballot_projects(process, district)}
    spent = sum(costs[c.project_id].cost for c in choices if c.project_id in costs)
    budget = pot_budget(process, district) + (pot_budget(process, None) if district else 0)
    total: dict[str, Any] = {
        "spent": spent,
        "budget": budget,
        "spent_display": money(spent, process.currency),
        "budget_display": money(budget, process.currency),
        "over": spent > budget,
        "count": len(choices),
    }
    if process.ballot_kind == BallotKind.CUMULATIVE:
        total["points"] = sum(c.points for c in choices)
        total["points_total"] = process.points_total
    return total


# --- results -------------------------------------------------------------------------------------

RULE_EXPLANATIONS: dict[str, Any] = {
    ResultRule.GREEDY: gettext_lazy(
        "Projects are ranked by their number of votes. Starting from the most popular, each project is funded "
        "if the money left covers it; a project too expensive for what is left is skipped and the next one "
        "is considered."
    ),
    ResultRule.GREEDY_NO_SKIP: gettext_lazy(
        "Projects are ranked by their number of votes and funded in that order until the first project that "
        "the money left cannot cover: counting stops there."
    ),
    ResultRule.EQUAL_SHARES: gettext_lazy(
        "Method of Equal Shares: the budget is split equally between all voters. A project is funded when its "
        "supporters can pay for it together from their shares, choosing each time the project that costs its "
        "supporters the least per vote. Groups of voters thus get projects in proportion to their size."
    ),
}


def rule_explanation(rule: str) -> str:
    return str(RULE_EXPLANATIONS.get(rule, RULE_EXPLANATIONS[ResultRule.EQUAL_SHARES]))


def pot_label(district: District | None) -> str:
    return district.name if district is not None else _("City-wide")


def votes_per_project(process: BudgetProcess) -> dict[int, int]:
    """Votes (approvals, rankings) or points (cumulative) per project, over every counted ballot."""
    rows = BallotChoice.objects.filter(ballot__process=process).values("project_id")
    if process.ballot_kind == BallotKind.CUMULATIVE:
        return {r["project_id"]: r["n"] for r in rows.annotate(n=Sum("points"))}
    return {r["project_id"]: r["n"] for r in rows.annotate(n=Count("id"))}


def what_if(process: BudgetProcess, district: District | None) -> dict[str, list[str]]:
    """The projects greedy and equal shares would fund on this pot's stored ballots (computed now)."""
    instance = build_instance(process, district)
    names = {p.id: p.name for p in instance.projects}
    outcome: dict[str, list[str]] = {}
    for rule in (ResultRule.GREEDY, ResultRule.EQUAL_SHARES):
        computed = rules.compute(
            instance,
            rule=cast(Any, str(rule)),
            utility=cast(Any, process.utility),
            tie_break=cast(Any, process.tie_break),
        )
        outcome[str(rule)] = [names.get(key, key) for key in computed.selected]
    return outcome


def results_view(process: BudgetProcess, *, with_what_if: bool = True) -> list[dict[str, Any]]:
    """One entry per pot: the stored result (if any), its funded projects, votes, and the what-if."""
    stored = {r.district_id: r for r in Result.objects.filter(process=process)}
    votes = votes_per_project(process)
    projects = list(Project.objects.filter(process=process, status=ProjectStatus.SELECTED_FOR_BALLOT).order_by("id"))
    by_key = {project_key(p): p for p in projects}
    unit = _("points") if process.ballot_kind == BallotKind.CUMULATIVE else _("votes")
    sections = []
    for district in pots(process):
        result = stored.get(district.pk if district else None)
        pot_projects = [p for p in projects if p.district_id == (district.pk if district else None)]
        funded_keys = list(result.selected) if result and result.status == ResultStatus.DONE else []
        funded_ids = {by_key[k].pk for k in funded_keys if k in by_key}
        top = max([votes.get(p.pk, 0) for p in pot_projects] + [1])
        rows: list[dict[str, Any]] = [
            {
                "project": p,
                "votes": votes.get(p.pk, 0),
                "percent": round(100 * votes.get(p.pk, 0) / top),
                "funded": p.pk in funded_ids,
                "cost": money(p.cost, process.currency),
            }
            for p in pot_projects
        ]
        bars = sorted(rows, key=lambda bar: (-bar["votes"], bar["project"].pk))
        comparison = what_if(process, district) if with_what_if and pot_projects else {}
        sections.append(
            {
                "district": district,
                "key": str(district.pk) if district else "city",
                "label": pot_label(district),
                "result": result,
                "budget": money(pot_budget(process, district), process.currency),
                "money_used": money(result.money_used, process.currency) if result else "",
                "funded": [by_key[k] for k in funded_keys if k in by_key],
                "bars": bars,
                "unit": unit,
                "what_if": comparison,
                "what_if_rows": _side_by_side(comparison),
            }
        )
    return sections


def _side_by_side(comparison: dict[str, list[str]]) -> list[tuple[str, str]]:
    greedy = comparison.get(ResultRule.GREEDY, [])
    mes = comparison.get(ResultRule.EQUAL_SHARES, [])
    size = max(len(greedy), len(mes))
    return [(greedy[i] if i < len(greedy) else "", mes[i] if i < len(mes) else "") for i in range(size)]


def results_published(process: BudgetProcess) -> bool:
    return process.phase in (Phase.RESULTS, Phase.FOLLOW_UP)


def digest_text(process: BudgetProcess) -> str:
    """Everything needed to recount: the rule and its parameters, each pot's ballots digest and outcome."""
    lines = [f"process: {process.title}", f"rule: {process.results_rule}", f"ballot_kind: {process.ballot_kind}"]
    for result in Result.objects.filter(process=process).select_related("district").order_by("district_id"):
        lines += [
            "",
            f"pot: {result.district.code if result.district else 'city'}",
            f"status: {result.status}",
            f"rule: {result.rule} ({result.rule_version})",
            f"params: {result.params}",
            f"budget: {result.budget}",
            f"ballots: {result.ballot_count}",
            f"ballots_digest: {result.ballots_digest}",
            f"selected: {', '.join(result.selected)}",
            f"money_used: {result.money_used}",
        ]
    return "\n".join(lines) + "\n"
