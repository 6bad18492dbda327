"""Demo budgets for `make run`: idempotent (a second run changes nothing).

* demo: one process in voting (approval, 8 projects, a few ballots) and one with results computed by MES
  from synthetic ballots (fixed random seed, so every run produces the same file). Their proposals carry
  a few supports and comments from the demo residents of accounts, and the funded projects of the
  process with results have a follow-up status and a timeline of milestones;
* region: a process with 3 districts, each with its own budget, plus a city-wide pot.

Demo ballots are keyed as paper sheets (``paper_ref``): they need no resident account, and the sheet
number makes them idempotent. Supports and comments are written as they stood when the proposals phase
closed (the processes are past it, so the services, which check the phase, would refuse them); they are
found again by their author and text, and the counters are recounted from the rows.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenant_apps.budgets import selectors, services
from tenant_apps.budgets.models import (
    Ballot,
    BallotChoice,
    BudgetProcess,
    Channel,
    District,
    FollowUpStatus,
    Project,
    ProjectComment,
    ProjectMilestone,
    ProjectStatus,
    ProjectSupport,
)
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.services.ballots import new_receipt
from tenants.context import CityRef

VOTING_TITLE = "Budget participatif 2026"
RESULTS_TITLE = "Budget participatif 2025"
REGION_TITLE = "Budget des quartiers 2026"

PROJECTS = (  # title, cost in euros, description
    ("Jardin partagé rue des Lilas", 45_000, "Un potager collectif avec bacs surélevés accessibles."),
    ("Pistes cyclables sécurisées", 120_000, "Séparer les vélos de la circulation sur l'avenue centrale."),
    ("Aire de jeux inclusive", 80_000, "Jeux accessibles aux enfants en situation de handicap."),
    ("Fontaines à eau", 25_000, "Six fontaines d'eau potable dans les parcs."),
    ("Bibliothèque de rue", 8_000, "Boîtes à livres dans chaque quartier."),
    ("Éclairage LED du parc", 60_000, "Un éclairage économe et plus sûr le soir."),
    ("Bancs et ombrages place du Marché", 30_000, "Plus de bancs et d'arbres pour l'été."),
    ("Skatepark rénové", 95_000, "Rénovation complète du skatepark municipal."),
)


# Residents seeded by accounts' demo (it runs first: settings order), as ``<name>@<city>.fluicity.example``.
DEMO_RESIDENTS = ("alice", "bruno", "chloe", "david")

# (project title, supporters among DEMO_RESIDENTS)
SUPPORTS = (
    ("Jardin partagé rue des Lilas", ("alice", "bruno", "chloe")),
    ("Aire de jeux inclusive", ("alice", "david")),
    ("Fontaines à eau", ("bruno", "chloe", "david")),
    ("Bibliothèque de rue", ("chloe",)),
)
# (project title, author, text, reply author, reply text)
COMMENTS = (
    (
        "Jardin partagé rue des Lilas",
        "bruno",
        "Excellente idée ! Pourrait-on prévoir un récupérateur d'eau de pluie ?",
        "alice",
        "Oui, et un composteur partagé pour tout le quartier.",
    ),
    (
        "Pistes cyclables sécurisées",
        "david",
        "Attention aux livraisons des commerces de l'avenue : il faut garder des places.",
        "chloe",
        "Des aires de livraison aux carrefours pourraient suffire.",
    ),
    (
        "Aire de jeux inclusive",
        "chloe",
        "Un sol souple partout, s'il vous plaît : nos enfants en fauteuil en ont besoin.",
        "",
        "",
    ),
)
# (status, public note, milestones as (title, description, planned, done)): given in turn to funded projects.
FOLLOW_UPS = (
    (
        FollowUpStatus.DONE,
        "Inauguré avec les habitants du quartier.",
        (
            (
                "Étude et devis",
                "Choix de l'entreprise après appel d'offres.",
                datetime.date(2025, 9, 15),
                datetime.date(2025, 9, 30),
            ),
            ("Travaux", "", datetime.date(2026, 3, 1), datetime.date(2026, 3, 20)),
            ("Inauguration", "", datetime.date(2026, 4, 11), datetime.date(2026, 4, 11)),
        ),
    ),
    (
        FollowUpStatus.IN_PROGRESS,
        "Les travaux ont commencé ; fin prévue au printemps.",
        (
            ("Étude et devis", "", datetime.date(2025, 10, 1), datetime.date(2025, 10, 20)),
            ("Travaux", "Trois semaines de chantier, circulation maintenue.", datetime.date(2027, 3, 1), None),
        ),
    ),
    (
        FollowUpStatus.PLANNED,
        "",
        (
            ("Concertation avec les riverains", "", datetime.date(2027, 1, 15), None),
            ("Travaux", "", datetime.date(2027, 5, 3), None),
        ),
    ),
)


def seed(*, city: CityRef) -> None:
    if city.slug == "demo":
        people = _demo_residents(city)
        voting = _voting_process()
        results = _results_process()
        for process in (voting, results):
            _supports_and_comments(process, people)
        _follow_up(results)
    elif city.slug == "region":
        _region_process()


def _demo_residents(city: CityRef) -> dict[str, Any]:
    """accounts' demo residents that exist (none when accounts seeded nothing: then no supports)."""
    emails = {f"{name}@{city.slug}.fluicity.example": name for name in DEMO_RESIDENTS}
    return {emails[user.email]: user for user in get_user_model().objects.filter(email__in=list(emails))}


@transaction.atomic
def _supports_and_comments(process: BudgetProcess, people: dict[str, Any]) -> None:
    if not people:
        return
    projects = {p.title: p for p in process.projects.all()}
    for title, supporters in SUPPORTS:
        if title not in projects:
            continue
        for name in supporters:
            if name in people:
                ProjectSupport.objects.get_or_create(project=projects[title], user=people[name])
    for title, author, text, reply_author, reply_text in COMMENTS:
        if title not in projects or author not in people:
            continue
        comment, _created = ProjectComment.objects.get_or_create(
            project=projects[title], author=people[author], body=text, parent=None
        )
        if reply_author in people:
            ProjectComment.objects.get_or_create(
                project=projects[title], author=people[reply_author], body=reply_text, parent=comment
            )
    _recount(process)


def _recount(process: BudgetProcess) -> None:
    """Counters recounted from the rows: the same numbers on every run."""

    def count_of(queryset: QuerySet[Any]) -> Coalesce:
        rows = queryset.filter(project=OuterRef("pk")).order_by().values("project").annotate(n=Count("pk"))
        return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), 0)

    process.projects.update(
        support_count=count_of(ProjectSupport.objects.all()),
        comment_count=count_of(ProjectComment.objects.filter(hidden_at__isnull=True, removed_at__isnull=True)),
    )


@transaction.atomic
def _follow_up(process: BudgetProcess) -> None:
    """A status and 2-3 milestones for each funded project without any yet (results or follow-up only)."""
    process.refresh_from_db(fields=["phase"])
    if process.phase not in (Phase.RESULTS, Phase.FOLLOW_UP):
        return
    funded = list(process.projects.filter(pk__in=selectors.funded_project_ids(process=process)).order_by("id"))
    for project, (status, note, milestones) in zip(funded, FOLLOW_UPS * len(funded), strict=False):
        if not project.follow_up_status:
            project.follow_up_status = status
            project.follow_up_note = note
            project.follow_up_updated_at = timezone.now()
            project.save(update_fields=["follow_up_status", "follow_up_note", "follow_up_updated_at"])
        if not project.milestones.exists():
            ProjectMilestone.objects.bulk_create(
                ProjectMilestone(
                    project=project,
                    title=title,
                    description=description,
                    planned_date=planned,
                    done_date=done,
                    position=position,
                )
                for position, (title, description, planned, done) in enumerate(milestones)
            )


def _projects(process: BudgetProcess, rows: tuple[tuple[str, int, str], ...], district: District | None = None) -> None:
    for title, euros, description in rows:
        Project.objects.get_or_create(
            process=process,
            title=title,
            defaults={
                "estimated_cost": euros * 100,
                "description": description,
                "district": district,
                "status": ProjectStatus.SELECTED_FOR_BALLOT,
            },
        )


def _synthetic_ballots(process: BudgetProcess, *, count: int, seed: int) -> None:
    """Sheets ``demo-1..count``: voters favour cheap and green projects, with a fixed random seed."""
    if Ballot.objects.filter(process=process, paper_ref__startswith="demo-").exists():
        return
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    projects = list(process.projects.order_by("id"))
    weights = [0.8 if p.cost < 5_000_000 else 0.35 for p in projects]
    for number in range(1, count + 1):
        picks = [p for p, w in zip(projects, weights, strict=True) if rng.random() < w] or [rng.choice(projects)]
        ballot = Ballot.objects.create(
            process=process, receipt=new_receipt(), channel=Channel.PAPER, paper_ref=f"demo-{number}"
        )
        BallotChoice.objects.bulk_create(BallotChoice(ballot=ballot, project=p) for p in picks)


def _approval_process_in_voting(
    *, title: str, description: str, budget_euros: int, ballots: int, seed: int
) -> BudgetProcess:
    """The demo's approval process with its projects, taken to the voting phase with ``ballots`` paper
    sheets the first time; found again (and left as it is) afterwards."""
    process = BudgetProcess.objects.filter(title=title).first()
    if process is None:
        process = services.process_create(
            title=title,
            description=description,
            total_budget=budget_euros * 100,
            ballot_kind="approval",
            results_rule="equal-shares",
        )
    _projects(process, PROJECTS)
    if process.phase == Phase.PROPOSALS:
        services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW)
        services.process_advance_phase(process_id=process.pk, to=Phase.VOTING)
        _synthetic_ballots(process, count=ballots, seed=seed)
        process.refresh_from_db()
    return process


@transaction.atomic
def _voting_process() -> BudgetProcess:
    return _approval_process_in_voting(
        title=VOTING_TITLE,
        description="Proposez, puis votez pour les projets qui changeront votre ville.",
        budget_euros=250_000,
        ballots=12,
        seed=2026,
    )


@transaction.atomic
def _results_process() -> BudgetProcess:
    process = _approval_process_in_voting(
        title=RESULTS_TITLE,
        description="Les résultats de l'an dernier, calculés par la méthode des parts égales.",
        budget_euros=200_000,
        ballots=150,
        seed=2025,
    )
    if process.phase == Phase.VOTING:
        services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    if not process.results.filter(status="done").exists():
        services.results_compute(process_id=process.pk)
    return process


@transaction.atomic
def _region_process() -> None:
    if BudgetProcess.objects.filter(title=REGION_TITLE).exists():
        return
    process = services.process_create(
        title=REGION_TITLE,
        description="Chaque quartier a son enveloppe ; une enveloppe commune finance les projets régionaux.",
        total_budget=400_000 * 100,
        citywide_budget=100_000 * 100,
        districts=[("Centre", "Centre", 120_000 * 100), ("Nord", "Nord", 90_000 * 100), ("Sud", "Sud", 90_000 * 100)],
    )
    for district in process.districts.order_by("id"):
        _projects(
            process,
            (
                (f"Verger partagé ({district.name})", 30_000, "Arbres fruitiers et ateliers."),
                (f"Rénovation de la salle de quartier ({district.name})", 70_000, "Isolation et accessibilité."),
            ),
            district,
        )
    _projects(process, (("Navette régionale le dimanche", 80_000, "Une navette entre les trois quartiers."),))
