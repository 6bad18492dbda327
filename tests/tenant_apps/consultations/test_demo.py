"""Demo consultations: the small town in full, the region scaled down; a second run changes nothing."""

from __future__ import annotations

import dataclasses

from django.contrib.postgres.search import SearchQuery
from django.db.models import Count

from core.models import User
from tenant_apps.consultations import demo
from tenant_apps.consultations.models import (
    Answer,
    Comment,
    Consultation,
    Contribution,
    ContributionStatus,
    ModerationDecision,
    OfficialAnswer,
    Question,
    QuestionKind,
    Reaction,
    SurveyResponse,
    Theme,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services.consultations import ICON_NAMES
from tenants.context import CityRef
from tenants.models import City
from tests.tenant_apps.consultations.test_seed import assert_counters_equal_rows, assert_survey_consistent

MODELS = (Consultation, Theme, Contribution, Comment, Reaction, OfficialAnswer, SurveyResponse, Answer, User)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_town_demo_in_full_and_idempotent(in_alpha: City) -> None:
    ref = dataclasses.replace(CityRef.of(in_alpha), slug="demo")
    demo.seed(city=ref)
    consultation = Consultation.objects.get(slug=demo.TOWN_SLUG)
    assert consultation.phase == Phase.OPEN and consultation.language == "fr"
    assert list(consultation.themes.values_list("name", flat=True)) == [t.name for t in demo.TOWN_THEMES]
    assert set(consultation.themes.values_list("icon", flat=True)) <= ICON_NAMES
    contributions = Contribution.objects.filter(consultation=consultation)
    assert contributions.filter(status=ContributionStatus.PUBLISHED).count() == len(demo.IDEAS) == 40
    pending = contributions.get(status=ContributionStatus.PENDING)
    assert pending.moderation_reason and ModerationDecision.objects.filter(contribution=pending).exists()
    assert contributions.filter(theme__isnull=True).exists()  # "other"
    assert_counters_equal_rows(consultation)
    assert contributions.get(title=demo.IDEAS[22].title).support_count == demo.IDEAS[22].supports
    assert Comment.objects.filter(contribution__consultation=consultation, parent__isnull=False).exists()
    answered = dict(contributions.exclude(answer_status="").values_list("title", "answer_status"))
    assert answered == {demo.IDEAS[i].title: status.value for i, status, _text in demo.OFFICIAL}
    # Searchable in French.
    assert contributions.filter(search_vector=SearchQuery("arbre", config="french")).count() >= 2
    survey = consultation.surveys.get()
    questions = list(Question.objects.filter(survey=survey).order_by("position"))
    assert len(questions) == 5 and len({q.kind for q in questions}) == 5
    assert [q for q in questions if q.show_if_question_id] == [questions[4]]
    assert survey.responses.count() == demo.TOWN_SURVEY_RESPONSES
    assert_survey_consistent(survey)
    authors = User.objects.filter(pk__in=contributions.values("author_id"))
    assert all(u.email.endswith("@demo.example") for u in authors)
    assert {u.display_name for u in authors} <= set(demo.PEOPLE)

    before = counts()
    demo.seed(city=ref)
    assert counts() == before


def test_region_demo_scaled_down_and_idempotent(in_alpha: City) -> None:
    consultation = demo.seed_region(scale=0.02)
    assert consultation.phase == Phase.RESULTS and consultation.results_published_at is not None
    contributions = Contribution.objects.filter(consultation=consultation)
    assert contributions.count() == round(demo.REGION_CONTRIBUTIONS * 0.02)
    authors = contributions.values("author_id").distinct().count()
    assert authors == round(demo.REGION_RESIDENTS * 0.02)  # fewer people than contributions: all write
    assert consultation.themes.count() == 5 and contributions.filter(theme__isnull=True).exists()
    assert not contributions.filter(created_at__gt=consultation.closes_at).exists()
    assert_counters_equal_rows(consultation)
    survey = consultation.surveys.get()
    assert survey.questions.count() == demo.REGION_SURVEY_QUESTIONS
    kinds = dict(survey.questions.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    assert set(kinds) == set(QuestionKind.values)
    assert survey.responses.count() == round(demo.REGION_SURVEY_RESPONSES * 0.02)
    assert_survey_consistent(survey)

    before = counts()
    demo.seed_region(scale=0.02)
    demo.seed(city=dataclasses.replace(CityRef.of(in_alpha), slug="region"))
    assert counts() == before


def test_other_cities_get_no_demo_consultation(in_alpha: City) -> None:
    before = counts()
    demo.seed(city=CityRef.of(in_alpha))
    assert counts() == before
