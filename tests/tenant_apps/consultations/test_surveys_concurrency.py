"""Real concurrency on committed data (separate connections): simultaneous submissions of one person give one
response; a question deleted while a response is being recorded either waits for it (and is refused) or wins
(and the response is refused), never a half-stored response."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, connections

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import Answer, Consultation, Question, SurveyResponse
from tenant_apps.consultations.services import surveys as services
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user
from tests.tenant_apps.consultations.test_surveys_helpers import Built, build_survey


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[City, Built, list[Any]]]:
    with django_db_blocker.unblock():
        city = City.objects.get(slug="alpha")
        with in_city(city_id=city.id, city=city):
            built = build_survey(make_consultation())
            people = [make_user(), make_user()]
        try:
            yield city, built, people
        finally:
            with in_city(city_id=city.id, city=city):
                consultation = Consultation.objects.get(pk=built.survey.consultation_id)
                keys = [survey.process_key for survey in consultation.surveys.all()]
                consultation.delete()
                apps.get_model("accounts", "Participation").objects.filter(process_key__in=keys).delete()
                for person in people:
                    apps.get_model("accounts", "Profile").objects.filter(user_id=person.pk).delete()
                    person.delete()
            connection.set_schema_to_public()


def run_together(city: City, blocker: Any, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run ``jobs`` at the same instant, each on its own connection; their results or exceptions."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    outcomes: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            with blocker.unblock(), in_city(city_id=city.id, city=city):
                barrier.wait()
                outcomes[index] = jobs[index]()
        except BaseException as exc:  # noqa: BLE001
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_concurrent_submissions_of_one_person_make_one_response(
    committed: tuple[City, Built, list[Any]], django_db_blocker: Any
) -> None:
    city, built, (person, _other) = committed
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        answers = [built.answers(transport=label) for label in ("Car", "Bike") * 5]

    def submit(values: dict[int, Any]) -> Callable[[], Any]:
        return lambda: services.response_submit(survey=built.survey, respondent=person, answers=values).pk

    outcomes = run_together(city, django_db_blocker, [submit(values) for values in answers])
    saved = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, ApplicationError)]
    assert len(saved) == 1 and len(refused) == 9, outcomes
    assert {(e.code, e.status_code) for e in refused} == {("already_answered", 409)}
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        responses = list(SurveyResponse.objects.filter(survey=built.survey))
        assert [r.pk for r in responses] == saved
        assert Answer.objects.filter(response=responses[0]).count() == 1


def test_a_question_deleted_during_a_submission_never_leaves_half_a_response(
    committed: tuple[City, Built, list[Any]], django_db_blocker: Any
) -> None:
    city, built, (person, _other) = committed
    for _round in range(6):  # the race is decided by timing: a few rounds to meet both orders
        with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
            survey = build_survey(built.survey.consultation, title="Race")
            answers = survey.answers(transport="Car", comment="Before the delete?")
        submitted, deleted = run_together(
            city,
            django_db_blocker,
            [
                partial(services.response_submit, survey=survey.survey, respondent=person, answers=answers),
                partial(services.question_delete, question_id=survey.comment.pk),
            ],
        )
        with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
            question_exists = Question.objects.filter(pk=survey.comment.pk).exists()
            responses = SurveyResponse.objects.filter(survey=survey.survey).count()
            texts = list(
                Answer.objects.filter(response__survey=survey.survey).exclude(text="").values_list("text", flat=True)
            )
        if isinstance(submitted, SurveyResponse):
            # the response came first: the delete waited for it and was refused
            assert isinstance(deleted, ApplicationError) and deleted.code == "survey_has_responses", deleted
            assert question_exists and responses == 1 and texts == ["Before the delete?"]
        else:
            # the delete came first: the response, answering a question that is gone, was refused whole
            assert deleted is None and not question_exists, deleted
            assert isinstance(submitted, ApplicationError) and submitted.code == "invalid_answers", submitted
            assert responses == 0 and texts == []
