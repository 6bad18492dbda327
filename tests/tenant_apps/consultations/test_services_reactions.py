"""Reactions: one per person, kinds of the consultation's mode, exact counters, also under real concurrency
(committed data, one database connection per thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import Consultation, Contribution, Reaction
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services.reactions import reaction_remove, reaction_set
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

COUNTERS = ("support_count", "agree_count", "disagree_count", "pass_count")


def counters(contribution: Contribution) -> dict[str, int]:
    fresh = Contribution.objects.get(pk=contribution.pk)
    return {name: getattr(fresh, name) for name in COUNTERS if getattr(fresh, name)}


def contribution_in(consultation: Consultation, **fields: Any) -> Contribution:
    return Contribution.objects.create(consultation=consultation, author=None, title="Idea", body="b", **fields)


def refused(call: Callable[..., Any], **kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(**kwargs)
    return caught.value


@pytest.mark.django_db
def test_support_then_remove(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    contribution = contribution_in(consultation)
    reaction = reaction_set(contribution=contribution, user=resident, kind="support")
    again = reaction_set(contribution=contribution, user=resident, kind="support")
    assert again.pk == reaction.pk and Reaction.objects.count() == 1
    assert counters(contribution) == {"support_count": 1}
    reaction_remove(contribution=contribution, user=resident)
    reaction_remove(contribution=contribution, user=resident)  # idempotent
    assert not Reaction.objects.exists() and counters(contribution) == {}


@pytest.mark.django_db
def test_agreement_mode_changes_the_kind_and_moves_the_count(in_alpha: City, resident: Any) -> None:
    contribution = contribution_in(make_consultation(reaction_mode="agreement"))
    reaction_set(contribution=contribution, user=resident, kind="agree")
    reaction_set(contribution=contribution, user=make_user(), kind="agree")
    changed = reaction_set(contribution=contribution, user=resident, kind="disagree")
    assert changed.kind == "disagree"
    assert counters(contribution) == {"agree_count": 1, "disagree_count": 1}
    reaction_set(contribution=contribution, user=resident, kind="pass")
    assert counters(contribution) == {"agree_count": 1, "pass_count": 1}
    error = refused(reaction_set, contribution=contribution, user=resident, kind="support")
    assert "kind" in error.fields


@pytest.mark.django_db
def test_kinds_of_the_support_mode(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    contribution = contribution_in(consultation)
    for kind in ("agree", "disagree", "pass", "love"):
        assert refused(reaction_set, contribution=contribution, user=resident, kind=kind).code == "invalid_reaction"
    assert not Reaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CLOSED, Phase.RESULTS])
def test_no_reaction_outside_the_open_phase(in_alpha: City, resident: Any, phase: str) -> None:
    consultation = make_consultation()
    contribution = contribution_in(consultation)
    reaction_set(contribution=contribution, user=resident, kind="support")
    Consultation.objects.filter(pk=consultation.pk).update(phase=phase)
    error = refused(reaction_set, contribution=contribution, user=make_user(), kind="support")
    assert (error.code, error.status_code) == ("not_open", 409)
    assert refused(reaction_remove, contribution=contribution, user=resident).code == "not_open"
    assert Reaction.objects.count() == 1 and counters(contribution) == {"support_count": 1}


@pytest.mark.django_db
def test_only_published_contributions_take_reactions(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    for status in ("pending", "hidden"):
        contribution = contribution_in(consultation, status=status)
        error = refused(reaction_set, contribution=contribution, user=resident, kind="support")
        assert (error.code, error.status_code) == ("not_published", 409)


@pytest.mark.django_db
def test_verified_only_consultation_refuses_unverified_reactions(in_alpha: City, resident: Any) -> None:
    contribution = contribution_in(make_consultation(participation="verified"))
    error = refused(reaction_set, contribution=contribution, user=resident, kind="support")
    assert (error.code, error.status_code) == ("verification_required", 403)


# --- Real concurrency -------------------------------------------------------------------------------------

THREADS = 20


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """An open consultation in alpha with one contribution and 20 residents, committed (each thread has
    its own connection and must see them); everything is deleted afterwards."""
    with django_db_blocker.unblock():
        city = City.objects.get(slug="alpha")
        with in_city(city_id=city.id, city=city):
            support = make_consultation(title="Concurrency (support)")
            agreement = make_consultation(title="Concurrency (agreement)", reaction_mode="agreement")
            data = {
                "city": city,
                "support": contribution_in(support),
                "agreement": contribution_in(agreement),
                "people": [make_user() for _n in range(THREADS)],
            }
        try:
            yield data
        finally:
            with in_city(city_id=city.id, city=city):
                Consultation.objects.filter(pk__in=[support.pk, agreement.pk]).delete()
                for person in data["people"]:
                    person.delete()
            connection.set_schema_to_public()


def run_together(city: City, django_db_blocker: Any, work: Callable[[int], Any]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS, timeout=30)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
                barrier.wait()
                work(n)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_one_person_clicking_twenty_times_at_once_makes_one_reaction(
    committed: dict[str, Any], django_db_blocker: Any
) -> None:
    contribution, person = committed["support"], committed["people"][0]
    errors = run_together(
        committed["city"],
        django_db_blocker,
        lambda n: reaction_set(contribution=contribution, user=person, kind="support"),
    )
    assert not errors, errors[:3]
    with django_db_blocker.unblock(), in_city(city_id=committed["city"].id, city=committed["city"]):
        assert Reaction.objects.filter(contribution=contribution).count() == 1
        assert counters(contribution) == {"support_count": 1}


def test_twenty_people_at_once_count_twenty(committed: dict[str, Any], django_db_blocker: Any) -> None:
    contribution, people = committed["support"], committed["people"]
    errors = run_together(
        committed["city"],
        django_db_blocker,
        lambda n: reaction_set(contribution=contribution, user=people[n], kind="support"),
    )
    assert not errors, errors[:3]
    with django_db_blocker.unblock(), in_city(city_id=committed["city"].id, city=committed["city"]):
        assert Reaction.objects.filter(contribution=contribution).count() == THREADS
        assert counters(contribution) == {"support_count": THREADS}


def test_one_person_switching_kinds_concurrently_keeps_counters_exact(
    committed: dict[str, Any], django_db_blocker: Any
) -> None:
    contribution, person = committed["agreement"], committed["people"][0]
    kinds = ("agree", "disagree", "pass")
    errors = run_together(
        committed["city"],
        django_db_blocker,
        lambda n: (
            reaction_remove(contribution=contribution, user=person)
            if n % 5 == 4
            else reaction_set(contribution=contribution, user=person, kind=kinds[n % 3])
        ),
    )
    assert not errors, errors[:3]
    with django_db_blocker.unblock(), in_city(city_id=committed["city"].id, city=committed["city"]):
        rows = list(Reaction.objects.filter(contribution=contribution).values_list("kind", flat=True))
        assert len(rows) <= 1
        assert counters(contribution) == ({f"{rows[0]}_count": 1} if rows else {})
