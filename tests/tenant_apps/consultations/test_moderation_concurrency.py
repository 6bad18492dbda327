"""Real concurrency on committed data: simultaneous reports count right and hide the content once;
a double click reports once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connections

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import (
    Consultation,
    Contribution,
    ModerationDecision,
    ModerationSettings,
    Notification,
    Report,
)
from tenant_apps.consultations.services import moderation
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

REPORTERS = 10


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[City, Contribution, Any, list[Any]]]:
    with django_db_blocker.unblock():
        city = City.objects.get(slug="alpha")
        with in_city(city_id=city.id, city=city):
            moderation.settings_update(auto_hide_threshold=3, word_lists={}, max_links=2)
            consultation = make_consultation()
            author = make_user()
            contribution = Contribution.objects.create(
                consultation=consultation, author=author, title="Contested", body="Text"
            )
            reporters = [make_user() for _ in range(REPORTERS)]
        try:
            yield city, contribution, author, reporters
        finally:
            with in_city(city_id=city.id, city=city):
                Consultation.objects.filter(pk=consultation.pk).delete()  # cascades to reports, log, notices
                ModerationSettings.objects.filter(pk=1).delete()
                users = [author.pk, *(r.pk for r in reporters)]
                apps.get_model("accounts", "Profile").objects.filter(user_id__in=users).delete()
                apps.get_model("core", "User").objects.filter(pk__in=users).delete()


def run_together(n: int, city: City, blocker: Any, work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(n, timeout=30)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with blocker.unblock(), in_city(city_id=city.id, city=city):
                barrier.wait()
                work(i)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_simultaneous_reports_count_right_and_hide_once(
    committed: tuple[City, Contribution, Any, list[Any]], django_db_blocker: Any
) -> None:
    city, contribution, author, reporters = committed

    def report(i: int) -> None:
        moderation.report_create(target=contribution, reporter=reporters[i], reason="spam")

    assert run_together(REPORTERS, city, django_db_blocker, report) == []
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        contribution.refresh_from_db()
        assert contribution.status == "hidden" and contribution.report_count == REPORTERS
        assert ModerationDecision.objects.filter(contribution=contribution, action="auto_hide").count() == 1
        assert Notification.objects.filter(recipient=author, kind="moderation").count() == 1


def test_a_double_click_reports_once(
    committed: tuple[City, Contribution, Any, list[Any]], django_db_blocker: Any
) -> None:
    city, contribution, _author, reporters = committed

    def report(_i: int) -> None:
        moderation.report_create(target=contribution, reporter=reporters[0], reason="offensive")

    errors = run_together(5, city, django_db_blocker, report)
    assert len(errors) == 4 and all(isinstance(e, ApplicationError) and e.code == "already_reported" for e in errors)
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        contribution.refresh_from_db()
        assert Report.objects.filter(contribution=contribution).count() == 1 and contribution.report_count == 1
