"""The fast seeding code (COPY): counters equal rows, unique reactions, search vectors, consistent surveys."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from core.models import User
from tenant_apps.consultations.models import (
    Answer,
    Comment,
    Consultation,
    Contribution,
    ContributionStatus,
    OfficialAnswer,
    Question,
    QuestionKind,
    Reaction,
    ReactionMode,
    Survey,
    SurveyResponse,
)
from tenant_apps.consultations.seeding import (
    SeedSpec,
    consultation_ensure,
    lexicon_for,
    seed_consultation,
    standard_questions,
)
from tenant_apps.consultations.seeding.fill import counters_refresh
from tenant_apps.consultations.services.consultations import ICON_NAMES
from tenant_apps.consultations.services.surveys import validate_answers
from tenants.context import in_city
from tenants.db import connection
from tenants.models import City

SMALL = SeedSpec(
    contributions=240,
    comments=90,
    reactions=700,
    survey_responses=30,
    users=40,
    batch_size=70,  # several batches, the last one partial
    answered_share=0.1,
    pending_share=0.05,
    hidden_share=0.05,
)


def fr_consultation(**fields: Any) -> Consultation:
    return consultation_ensure(slug=fields.pop("slug", "seeded"), lexicon=lexicon_for("fr"), **fields)


def assert_counters_equal_rows(consultation: Consultation) -> None:
    rows = Contribution.objects.filter(consultation=consultation).annotate(
        supports=Count("reactions", filter=Q(reactions__kind="support"), distinct=True),
        agrees=Count("reactions", filter=Q(reactions__kind="agree"), distinct=True),
        disagrees=Count("reactions", filter=Q(reactions__kind="disagree"), distinct=True),
        passes=Count("reactions", filter=Q(reactions__kind="pass"), distinct=True),
        comments_n=Count("comments", filter=Q(comments__status="published"), distinct=True),
    )
    wrong = [
        c.pk
        for c in rows
        if (c.support_count, c.agree_count, c.disagree_count, c.pass_count, c.comment_count)
        != (c.supports, c.agrees, c.disagrees, c.passes, c.comments_n)
    ]
    assert wrong == []


def raw_answers(response: SurveyResponse) -> dict[int, Any]:
    """A stored response turned back into what a resident submits (question id -> value)."""
    by_question: dict[int, list[Answer]] = defaultdict(list)
    for answer in response.answers.select_related("question").order_by("rank", "id"):
        by_question[answer.question_id].append(answer)
    raw: dict[int, Any] = {}
    for question_id, answers in by_question.items():
        kind = answers[0].question.kind
        if kind == QuestionKind.SINGLE:
            assert len(answers) == 1
            raw[question_id] = answers[0].choice_id
        elif kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
            raw[question_id] = [a.choice_id for a in answers]
        elif kind == QuestionKind.SCALE:
            assert len(answers) == 1
            raw[question_id] = answers[0].number
        else:
            assert len(answers) == 1
            raw[question_id] = answers[0].text
    return raw


def assert_survey_consistent(survey: Survey) -> None:
    """Every stored response is exactly what response_submit would have stored: it validates, and
    validation keeps every row (an answer to a hidden conditional question would be dropped)."""
    questions = list(Question.objects.filter(survey=survey).prefetch_related("choices").order_by("position", "id"))
    for response in survey.responses.all():
        stored = response.answers.count()
        kept = validate_answers(questions=questions, answers=raw_answers(response))
        assert len(kept) == stored, f"response {response.pk}: {stored} rows stored, {len(kept)} valid"
        ranks = list(
            response.answers.filter(question__kind=QuestionKind.RANKING).values_list("question_id", "rank", "choice_id")
        )
        for question_id in {q for q, _r, _c in ranks}:
            mine = [r for q, r, _c in ranks if q == question_id]
            assert None not in mine
            assert sorted(r or 0 for r in mine) == list(range(1, len(mine) + 1))


def test_counters_equal_rows_and_everything_is_consistent(in_alpha: City) -> None:
    consultation = fr_consultation()
    report = seed_consultation(consultation=consultation, spec=SMALL)

    assert (report.contributions, report.comments, report.reactions) == (240, 90, 700)
    contributions = Contribution.objects.filter(consultation=consultation)
    assert contributions.count() == 240
    assert Comment.objects.filter(contribution__consultation=consultation).count() == 90
    reactions = Reaction.objects.filter(contribution__consultation=consultation)
    assert reactions.count() == 700
    assert_counters_equal_rows(consultation)
    # Unique per (contribution, person) and never on one's own contribution or a non-published one.
    assert reactions.values("contribution_id", "user_id").distinct().count() == 700
    assert not reactions.filter(user_id=F("contribution__author_id")).exists()
    assert not reactions.exclude(contribution__status=ContributionStatus.PUBLISHED).exists()
    # Some pending and hidden contributions, the hidden ones with a reason.
    assert contributions.filter(status=ContributionStatus.PENDING).exists()
    assert not contributions.filter(status=ContributionStatus.HIDDEN, moderation_reason="").exists()
    # answer_status mirrors the official answer.
    answered = contributions.exclude(answer_status="")
    assert (
        answered.count()
        == report.official_answers
        == OfficialAnswer.objects.filter(contribution__consultation=consultation).count()
    )
    assert not answered.exclude(answer_status=F("official_answer__status")).exists()
    # Themes: the five plus "other", unevenly.
    per_theme = dict(contributions.values_list("theme__name").annotate(n=Count("id")).values_list("theme__name", "n"))
    assert len(per_theme) == 6 and None in per_theme
    # Themes as the theme services would accept them (icons from the design system's list).
    assert set(consultation.themes.values_list("icon", flat=True)) <= ICON_NAMES
    assert per_theme["Économie et emploi"] > per_theme["Santé et social"]
    # Search vectors come from the trigger, in French (stemmed: "pistes" finds "piste").
    assert not contributions.filter(search_vector__isnull=True).exists()
    assert contributions.filter(search_vector=SearchQuery("piste", config="french")).exists()
    # Survey: 30 responses from 30 different people, each one valid.
    assert report.survey_id is not None
    survey = Survey.objects.get(pk=report.survey_id)
    assert survey.responses.count() == report.survey_responses == 30
    assert survey.responses.values("respondent_id").distinct().count() == 30
    assert Answer.objects.filter(response__survey=survey).count() == report.survey_answers
    assert_survey_consistent(survey)


def test_dates_threads_and_residents_are_plausible(in_alpha: City) -> None:
    now = timezone.now()
    opens_at = now - datetime.timedelta(days=20)
    consultation = fr_consultation(opens_at=opens_at, closes_at=opens_at + datetime.timedelta(weeks=5))
    seed_consultation(consultation=consultation, spec=SMALL)
    contributions = Contribution.objects.filter(consultation=consultation)
    window = contributions.aggregate(first=Count("id", filter=Q(created_at__lt=opens_at)))
    assert window["first"] == 0 and not contributions.filter(created_at__gt=timezone.now()).exists()
    # Ids follow dates (as in production).
    ordered = list(contributions.order_by("id").values_list("created_at", flat=True))
    assert ordered == sorted(ordered)
    comments = Comment.objects.filter(contribution__consultation=consultation)
    assert not comments.filter(created_at__lt=F("contribution__created_at")).exists()
    assert comments.filter(parent__isnull=False).exists()
    assert not comments.filter(parent__isnull=False).exclude(depth=F("parent__depth") + 1).exists()
    assert not comments.filter(parent__isnull=False).exclude(contribution_id=F("parent__contribution_id")).exists()
    assert not comments.filter(depth__gte=Comment.MAX_DEPTH).exists()
    residents = User.objects.filter(email__endswith="@seed.example")
    assert residents.count() == 40
    assert not any(u.has_usable_password() for u in residents)
    assert not residents.filter(display_name="").exists()
    profile_roles = set(residents.values_list("profile__role", flat=True))
    assert profile_roles == {"resident"}


def test_agreement_mode_counts_each_kind(in_alpha: City) -> None:
    consultation = fr_consultation(reaction_mode=ReactionMode.AGREEMENT)
    seed_consultation(consultation=consultation, spec=SeedSpec(contributions=60, reactions=400, users=25))
    kinds = set(Reaction.objects.filter(contribution__consultation=consultation).values_list("kind", flat=True))
    assert kinds == {"agree", "disagree", "pass"}
    assert_counters_equal_rows(consultation)
    assert not Contribution.objects.filter(consultation=consultation, support_count__gt=0).exists()


def test_a_second_run_adds_to_the_same_consultation(in_alpha: City) -> None:
    consultation = fr_consultation()
    first = seed_consultation(consultation=consultation, spec=SMALL)
    second = seed_consultation(consultation=consultation, spec=SMALL)
    assert Contribution.objects.filter(consultation=consultation).count() == 480
    assert Reaction.objects.filter(contribution__consultation=consultation).count() == 1400
    assert first.survey_id is not None and second.survey_id == first.survey_id  # the seeded survey is reused...
    assert SurveyResponse.objects.filter(survey_id=first.survey_id).count() == 60  # ...by new people
    assert User.objects.filter(email__endswith="@seed.example").count() == 80
    # Different texts the second time (the generator depends on what is there).
    titles = Contribution.objects.filter(consultation=consultation).order_by("id").values_list("body", flat=True)
    assert list(titles[:240]) != list(titles[240:])
    assert_counters_equal_rows(consultation)


def test_reusing_residents_skips_those_who_answered(in_alpha: City) -> None:
    consultation = fr_consultation()
    seed_consultation(consultation=consultation, spec=SeedSpec(contributions=10, survey_responses=15, users=15))
    # users=0: the city's residents write; all 15 seeded people answered already, so only others may.
    residents = User.objects.filter(profile__role="resident", profile__deleted_at__isnull=True).count()
    report = seed_consultation(
        consultation=consultation, spec=SeedSpec(contributions=10, survey_responses=10_000, users=0)
    )
    assert report.residents == 0 and report.survey_id is not None
    assert report.survey_responses == residents - 15
    assert SurveyResponse.objects.filter(survey_id=report.survey_id).values("respondent_id").distinct().count() == (
        residents
    )


def test_counters_refresh_repairs_counters(in_alpha: City) -> None:
    consultation = fr_consultation()
    seed_consultation(consultation=consultation, spec=SeedSpec(contributions=30, comments=20, reactions=90, users=12))
    Contribution.objects.filter(consultation=consultation).update(support_count=99, comment_count=-1)
    assert counters_refresh(consultation_id=consultation.pk) == 30
    assert_counters_equal_rows(consultation)
    assert counters_refresh(consultation_id=consultation.pk) == 0


def test_standard_questionnaire_has_every_kind_and_a_condition() -> None:
    lexicon = lexicon_for("fr")
    names = [t.name for t in lexicon.themes]
    full = standard_questions(lexicon, names)
    assert len(full) == 34
    short = standard_questions(lexicon, names, count=10)
    assert len(short) == 10
    assert {q.kind for q in short} == set(QuestionKind.values)
    conditional = [q for q in short if q.show_if]
    assert conditional and all(q.show_if and q.show_if[0] < short.index(q) for q in conditional)


def test_unsupported_language_is_refused(in_alpha: City) -> None:
    consultation = fr_consultation()
    consultation.language = "nl"
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        seed_consultation(consultation=consultation, spec=SeedSpec(contributions=1))
    assert caught.value.code == "unsupported_language"


@pytest.mark.parametrize("slug", ["moderation", "Not A Slug", ""])
def test_refuses_a_reserved_or_malformed_address(in_alpha: City, slug: str) -> None:
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        fr_consultation(slug=slug)
    assert caught.value.code == "invalid_slug"
    assert not Consultation.objects.filter(slug=slug).exists()


def test_command_fills_the_city(alpha: City) -> None:
    call_command(
        "consultations_seed",
        "--city",
        "alpha",
        "--contributions",
        "50",
        "--survey-responses",
        "5",
        "--consultation",
        "cmd-seeded",
        "--users",
        "20",
    )
    with in_city(city_id=alpha.id, city=alpha):
        consultation = Consultation.objects.get(slug="cmd-seeded")
        assert consultation.language == "fr" and consultation.themes.count() == 5
        assert Contribution.objects.filter(consultation=consultation).count() == 50
        # Defaults: 30% comments, 2 reactions per contribution.
        assert Comment.objects.filter(contribution__consultation=consultation).count() == 15
        assert Reaction.objects.filter(contribution__consultation=consultation).count() == 100
        assert SurveyResponse.objects.filter(survey__consultation=consultation).count() == 5
        assert_counters_equal_rows(consultation)


def test_command_refuses_an_unknown_city(db: None) -> None:
    with pytest.raises(CommandError, match="No city"):
        call_command("consultations_seed", "--city", "nowhere", "--contributions", "1")


# --- Parallel writers on committed data -----------------------------------------------------------------


@pytest.fixture
def committed_city(django_db_setup: None, django_db_blocker: Any) -> Iterator[City]:
    with django_db_blocker.unblock():
        city = City.objects.get(slug="alpha")
        try:
            yield city
        finally:
            with in_city(city_id=city.id, city=city):
                seeded = list(User.objects.filter(email__endswith="@threads.example").values_list("pk", flat=True))
                Consultation.objects.filter(slug="threaded").delete()
                from django.apps import apps

                apps.get_model("accounts", "Participation").objects.filter(user_id__in=seeded).delete()
                apps.get_model("accounts", "Profile").objects.filter(user_id__in=seeded).delete()
                User.objects.filter(pk__in=seeded).delete()
            connection.set_schema_to_public()


def test_two_writer_threads_commit_whole_batches(committed_city: City, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), in_city(city_id=committed_city.id, city=committed_city):
        consultation = fr_consultation(slug="threaded")
        spec = SeedSpec(
            contributions=120,
            comments=40,
            reactions=300,
            users=30,
            batch_size=15,
            workers=2,
            email_domain="threads.example",
        )
        messages: list[str] = []
        report = seed_consultation(consultation=consultation, spec=spec, progress=messages.append)
        assert not any("one connection" in m for m in messages)  # the threads wrote, not this connection
        assert (report.contributions, report.comments, report.reactions) == (120, 40, 300)
        assert Contribution.objects.filter(consultation=consultation).count() == 120
        assert_counters_equal_rows(consultation)
