"""Demo budgets for `make run`: idempotent (a second run changes nothing).

* demo: one process in voting (approval, 8 projects, a few ballots) and one with results computed by MES
  from synthetic ballots (fixed random seed, so every run produces the same file);
* region: a process with 3 districts, each with its own budget, plus a city-wide pot.

Demo ballots are keyed as paper sheets (``paper_ref``): they need no resident account, and the sheet
number makes them idempotent.
"""

from __future__ import annotations

import random

from django.db import transaction

from tenant_apps.budgets import services
from tenant_apps.budgets.models import Ballot, BallotChoice, BudgetProcess, Channel, District, Project, ProjectStatus
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


def seed(*, city: CityRef) -> None:
    if city.slug == "demo":
        _voting_process()
        _results_process()
    elif city.slug == "region":
        _region_process()


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
def _voting_process() -> None:
    _approval_process_in_voting(
        title=VOTING_TITLE,
        description="Proposez, puis votez pour les projets qui changeront votre ville.",
        budget_euros=250_000,
        ballots=12,
        seed=2026,
    )


@transaction.atomic
def _results_process() -> None:
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
