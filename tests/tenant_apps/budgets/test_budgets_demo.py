"""The demo seeder is idempotent and gives each demo city its budgets."""

from __future__ import annotations

from dataclasses import replace

from tenant_apps.budgets import demo
from tenant_apps.budgets.models import Ballot, BudgetProcess, Project, Result
from tenant_apps.budgets.phases import Phase
from tenants.context import current_city
from tenants.models import City


def counts() -> tuple[int, int, int, int]:
    return (BudgetProcess.objects.count(), Project.objects.count(), Ballot.objects.count(), Result.objects.count())


def test_demo_seed_twice_changes_nothing(in_alpha: City) -> None:
    city = replace(current_city(), slug="demo")
    demo.seed(city=city)
    first = counts()
    demo.seed(city=city)
    assert counts() == first
    voting = BudgetProcess.objects.get(title=demo.VOTING_TITLE)
    assert voting.phase == Phase.VOTING and voting.projects.count() == 8 and voting.ballots.count() > 0
    results = BudgetProcess.objects.get(title=demo.RESULTS_TITLE)
    result = Result.objects.get(process=results)
    assert results.phase == Phase.RESULTS and result.status == "done" and result.rule == "equal-shares"
    assert result.selected


def test_region_seed_has_districts_and_a_citywide_pot(in_alpha: City) -> None:
    city = replace(current_city(), slug="region")
    demo.seed(city=city)
    demo.seed(city=city)
    process = BudgetProcess.objects.get(title=demo.REGION_TITLE)
    assert process.districts.count() == 3 and process.citywide_budget
    assert process.projects.filter(district__isnull=True).count() == 1
    assert BudgetProcess.objects.count() == 1
