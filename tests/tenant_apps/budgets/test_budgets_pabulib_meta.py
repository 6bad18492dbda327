"""The META section of exported Pabulib files (https://pabulib.org/format) and what an import reads back."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from tenant_apps.budgets import services
from tenant_apps.budgets.models import BudgetProcess, Project, ProjectStatus
from tenant_apps.budgets.phases import Phase, city_zone
from tenant_apps.budgets.services import Choice
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process
from tests.tenant_apps.budgets.rules.paths import DATA_DIR

# Pabulib's order of the keys we write (its META_FIELDS_ORDER), then our own.
PABULIB_ORDER = [
    "description",
    "country",
    "unit",
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
]


def meta_of(text: str) -> list[tuple[str, str]]:
    lines = text.split("\nPROJECTS\n")[0].splitlines()
    assert lines[:2] == ["META", "key;value"]
    return [tuple(line.split(";", 1)) for line in lines[2:]]  # type: ignore[misc]


def test_meta_has_pabulib_keys_in_pabulib_order(in_alpha: City) -> None:
    process = make_process(costs={"A": 1050, "B": 20}, budget=5000, min_projects=1, max_projects=2)
    services.ballot_cast(process_id=process.pk, voter=make_user(), choices=[Choice(ids(process)["A"])])
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    today = timezone.localtime(timezone.now(), city_zone()).date()
    pairs = meta_of(services.process_export_pabulib(process_id=process.pk))
    meta = dict(pairs)
    assert meta["description"] == "PB" and meta["country"] == "FR" and meta["unit"] == "Alphaville"
    assert meta["instance"] == str(today.year) and meta["language"] == "fr" and meta["currency"] == "EUR"
    assert (meta["num_projects"], meta["num_votes"], meta["budget"], meta["vote_type"]) == ("2", "1", "50", "approval")
    assert meta["date_begin"] == meta["date_end"] == f"{today:%d.%m.%Y}"  # opened and closed today, in the city
    assert (meta["min_length"], meta["max_length"], meta["rule"]) == ("1", "2", "equalshares")
    assert "subunit" not in meta
    pabulib_keys = [key for key, _value in pairs if not key.startswith("fluicity_")]
    assert pabulib_keys == [key for key in PABULIB_ORDER if key in meta]
    assert [key for key, _value in pairs][len(pabulib_keys) :] == [
        "fluicity_ballot_kind",
        "fluicity_rule",
        "fluicity_utility",
        "fluicity_completion",
        "fluicity_increment",
        "fluicity_then_greedy",
        "fluicity_tie_break",
    ]


def test_planned_dates_and_district_pot(in_alpha: City) -> None:
    process = services.process_create(
        title="Districts", total_budget=300, citywide_budget=100, districts=[("n", "North", 200)]
    )
    BudgetProcess.objects.filter(pk=process.pk).update(
        voting_start=datetime.date(2027, 3, 1), results_start=datetime.date(2027, 3, 21)
    )
    north = process.districts.get()
    Project.objects.create(
        process=process, title="A", estimated_cost=10, district=north, status=ProjectStatus.SELECTED_FOR_BALLOT
    )
    meta = dict(meta_of(services.process_export_pabulib(process_id=process.pk, district_id=north.pk)))
    assert (meta["unit"], meta["subunit"], meta["budget"]) == ("Alphaville", "North", "2")
    assert (meta["date_begin"], meta["date_end"], meta["instance"]) == ("01.03.2027", "20.03.2027", "2027")


@pytest.mark.parametrize(
    ("rules", "costs", "ballots", "expected_meta", "restored"),
    [
        (
            {"ballot_kind": "knapsack", "min_share_spent": "0.5"},
            {"A": 60, "B": 50, "C": 40},
            [["A"], ["B", "C"]],
            {"min_sum_cost": "0.5", "max_sum_cost": "1", "fluicity_min_share_spent": "0.500"},
            {"ballot_kind": "knapsack", "min_share_spent": "0.500"},
        ),
        (
            {"ballot_kind": "cumulative", "points_total": 5, "max_points_per_project": 3},
            {"A": 60, "B": 50},
            [["A", "B"]],
            {"vote_type": "cumulative", "max_points": "3", "max_sum_points": "5"},
            {"ballot_kind": "cumulative", "points_total": "5", "max_points_per_project": "3"},
        ),
        (
            {"ballot_kind": "ranked", "ranks": 3},
            {"A": 60, "B": 50, "C": 40},
            [["B", "A"]],
            {"vote_type": "ordinal", "max_length": "3", "fluicity_ranks": "3"},
            {"ballot_kind": "ranked", "ranks": "3"},
        ),
    ],
    ids=["knapsack", "cumulative", "ranked"],
)
def test_ballot_limits_are_exported_and_read_back(
    in_alpha: City,
    rules: dict[str, Any],
    costs: dict[str, int],
    ballots: list[list[str]],
    expected_meta: dict[str, str],
    restored: dict[str, str],
) -> None:
    process = make_process(costs=costs, **rules)
    p = ids(process)
    kind = rules["ballot_kind"]
    for picks in ballots:
        choices = [
            Choice(p[name], points=2 if kind == "cumulative" else 1, rank=position if kind == "ranked" else None)
            for position, name in enumerate(picks, start=1)
        ]
        services.ballot_cast(process_id=process.pk, voter=make_user(), choices=choices)
    text = services.process_export_pabulib(process_id=process.pk)
    meta = dict(meta_of(text))
    assert {key: meta.get(key) for key in expected_meta} == expected_meta
    imported = services.process_import_pabulib(text=text)
    assert {name: str(getattr(imported, name)) for name in restored} == restored
    assert services.process_export_pabulib(process_id=imported.pk) == text


@pytest.mark.parametrize(
    ("rule", "settings"),
    [
        ("greedy", ("greedy", "none")),
        ("equalshares", ("equal-shares", "none")),
        ("equalshares/add1", ("equal-shares", "add1")),
        ("unknown", ("equal-shares", "none")),
    ],
)
def test_a_pabulib_org_file_is_read_by_its_rule_name(in_alpha: City, rule: str, settings: tuple[str, str]) -> None:
    text = (
        f"META\nkey;value\ndescription;Tiny\ncountry;Poland\nunit;Gdańsk\ninstance;2020\nbudget;100\n"
        f"vote_type;approval\nrule;{rule}\ndate_begin;01.06.2020\ndate_end;15.06.2020\n"
        "PROJECTS\nproject_id;cost;name\n1;60;Park\n2;50;Pool\nVOTES\nvoter_id;vote\n1;1\n2;1,2\n"
    )
    imported = services.process_import_pabulib(text=text)
    assert (imported.results_rule, imported.completion) == settings
    assert (imported.utility, imported.increment, imported.then_greedy, imported.tie_break) == (
        "cost",
        "1",
        False,
        "cost-votes-id",
    )
    meta = dict(meta_of(services.process_export_pabulib(process_id=imported.pk)))
    # The re-export describes the original election, not the city that imported it.
    assert (meta["country"], meta["unit"], meta["instance"]) == ("Poland", "Gdańsk", "2020")
    assert (meta["date_begin"], meta["date_end"]) == ("01.06.2020", "15.06.2020")


def test_a_real_file_keeps_its_description_through_a_re_export(in_alpha: City) -> None:
    text = (DATA_DIR / "Netherlands_Assen_2024.pb").read_text(encoding="utf-8-sig")
    imported = services.process_import_pabulib(text=text)
    assert (imported.results_rule, imported.completion, imported.min_projects) == ("equal-shares", "add1", 2)
    meta = dict(meta_of(services.process_export_pabulib(process_id=imported.pk)))
    original = dict(meta_of(text))
    for key in ("description", "country", "unit", "instance", "rule", "date_begin", "date_end", "min_length"):
        assert meta[key] == original[key], key
    assert meta["comment"] == original["comment"] and meta["language"] == "nl"


def test_inconsistent_settings_are_refused_naming_them(in_alpha: City) -> None:
    text = (
        "META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy\nfluicity_rule;greedy\n"
        "fluicity_completion;add1\nfluicity_utility;happiness\nfluicity_increment;0\n"
        "PROJECTS\nproject_id;cost\n1;60\nVOTES\nvoter_id;vote\n1;1\n"
    )
    before = BudgetProcess.objects.count()
    with pytest.raises(ApplicationError) as error:
        services.process_import_pabulib(text=text)
    assert error.value.code == "pabulib_invalid"
    assert set(error.value.fields) == {"utility", "increment", "completion"}
    assert BudgetProcess.objects.count() == before
