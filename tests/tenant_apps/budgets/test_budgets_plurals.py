"""Messages with a number read right in the singular and the plural (ngettext / blocktranslate count)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from core.exceptions import ApplicationError
from tenant_apps.budgets import services
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.services import Choice
from tenants.models import City
from tests.tenant_apps.budgets.conftest import ids, make_process


def messages_for(process: Any, voter: Any, *choices: Choice) -> list[str]:
    with pytest.raises(ApplicationError) as error:
        services.ballot_cast(process_id=process.pk, voter=voter, choices=list(choices))
    return [message for field_messages in error.value.fields.values() for message in field_messages]


@pytest.mark.parametrize(("limit", "expected"), [(1, "Choose at most 1 project."), (2, "Choose at most 2 projects.")])
def test_maximum_number_of_projects(in_alpha: City, resident: Any, limit: int, expected: str) -> None:
    process = make_process(costs={"A": 1, "B": 1, "C": 1}, max_projects=limit)
    assert expected in messages_for(process, resident, *(Choice(i) for i in ids(process).values()))


@pytest.mark.parametrize(("limit", "expected"), [(1, "Choose at least 1 project."), (2, "Choose at least 2 projects.")])
def test_minimum_number_of_projects(in_alpha: City, resident: Any, limit: int, expected: str) -> None:
    process = make_process(costs={"A": 1, "B": 1}, min_projects=limit)
    assert expected in messages_for(process, resident)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (1, ["Spread at most 1 point (got 2).", "At most 1 point per project."]),
        (3, ["Spread at most 3 points (got 4).", "At most 3 points per project."]),
    ],
)
def test_points(in_alpha: City, resident: Any, points: int, expected: list[str]) -> None:
    process = make_process(
        costs={"A": 1, "B": 1}, ballot_kind="cumulative", points_total=points, max_points_per_project=points
    )
    p = ids(process)
    assert messages_for(process, resident, Choice(p["A"], points=points + 1)) == expected


@pytest.mark.parametrize(("ranks", "expected"), [(1, "Rank at most 1 project."), (2, "Rank at most 2 projects.")])
def test_ranks(in_alpha: City, resident: Any, ranks: int, expected: str) -> None:
    process = make_process(costs={"A": 1, "B": 1, "C": 1}, ballot_kind="ranked", ranks=ranks)
    choices = [Choice(pk, rank=position) for position, pk in enumerate(ids(process).values(), start=1)]
    assert expected in messages_for(process, resident, *choices)


def test_booth_rules_in_the_singular(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = make_process(
        costs={"A": 1, "B": 1},
        ballot_kind="cumulative",
        points_total=1,
        max_points_per_project=1,
        min_projects=1,
        max_projects=1,
    )
    alpha_client.force_login(resident)
    body = alpha_client.get(f"/budgets/{process.pk}/vote/").content.decode()
    for text in (
        "Spread up to 1 point between the projects",
        "At most 1 point per project.",
        "Choose at least 1 project.",
        "Choose at most 1 project.",
        "0 of 1 point used",
    ):
        assert text in body, text
    assert "1 points" not in body and "1 projects" not in body


def test_booth_rules_in_the_plural(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = make_process(costs={"A": 1, "B": 1, "C": 1}, ballot_kind="ranked", ranks=3, min_projects=2)
    alpha_client.force_login(resident)
    body = alpha_client.get(f"/budgets/{process.pk}/vote/").content.decode()
    assert "up to 3 projects" in body and "Choose at least 2 projects." in body


@pytest.mark.parametrize(("ballots", "expected"), [(1, "from 1 ballot."), (2, "from 2 ballots.")])
def test_results_count_the_ballots(in_alpha: City, alpha_client: Client, ballots: int, expected: str) -> None:
    from tests.tenant_apps.accounts.conftest import make_user

    process = make_process(costs={"A": 1})
    for _voter in range(ballots):
        services.ballot_cast(process_id=process.pk, voter=make_user(), choices=[Choice(ids(process)["A"])])
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    services.results_compute(process_id=process.pk)
    assert expected in alpha_client.get(f"/budgets/{process.pk}/results/").content.decode()
