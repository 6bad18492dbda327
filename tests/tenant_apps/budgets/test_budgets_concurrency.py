"""Real concurrency on committed data: 50 simultaneous submissions of one resident give one ballot."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

from tenant_apps.budgets import services
from tenant_apps.budgets.models import Ballot, BudgetProcess
from tenant_apps.budgets.services import Choice
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process


@pytest.fixture
def committed_vote(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[City, BudgetProcess, Any]]:
    with django_db_blocker.unblock():
        city = City.objects.get(slug="alpha")
        with in_city(city_id=city.id, city=city):
            process = make_process(costs={"A": 10, "B": 10})
            voter = make_user()
        try:
            yield city, process, voter
        finally:
            with in_city(city_id=city.id, city=city):
                Ballot.objects.filter(process=process).delete()
                process.delete()
                from django.apps import apps

                apps.get_model("accounts", "Participation").objects.filter(user_id=voter.pk).delete()
                apps.get_model("accounts", "Profile").objects.filter(user_id=voter.pk).delete()
                voter.delete()
            connection.set_schema_to_public()


def test_fifty_concurrent_submissions_make_one_ballot(
    committed_vote: tuple[City, BudgetProcess, Any], django_db_blocker: Any
) -> None:
    city, process, voter = committed_vote
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        p = ids(process)  # project ids by title
    barrier = threading.Barrier(50, timeout=30)
    receipts: list[str] = []
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
                barrier.wait()
                pick = p["A"] if n % 2 else p["B"]
                receipts.append(
                    services.ballot_cast(process_id=process.pk, voter=voter, choices=[Choice(pick)]).receipt
                )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors[:3]
    assert len(receipts) == 50
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        ballots = list(Ballot.objects.filter(process=process))
        assert len(ballots) == 1
        assert ballots[0].receipt in receipts and ballots[0].choices.count() == 1
