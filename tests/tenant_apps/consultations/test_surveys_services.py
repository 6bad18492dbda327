"""Survey services: building rules, conditional logic, validation per kind, one response per person,
what changes are refused once people answered, results on a hand-checked case."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import Answer, Consultation, Question, QuestionKind, SurveyResponse
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import surveys as services
from tests.tenant_apps.consultations.conftest import make_consultation, make_user
from tests.tenant_apps.consultations.test_surveys_helpers import Built, build_survey


@pytest.fixture
def built(consultation: Consultation) -> Built:
    return build_survey(consultation)


def submit(built: Built, user: Any = None, **values: Any) -> SurveyResponse:
    return services.response_submit(
        survey=built.survey, respondent=user or make_user(), answers=built.answers(**values)
    )


def errors_of(built: Built, user: Any = None, **values: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        submit(built, user, **values)
    return caught.value


def stored(response: SurveyResponse) -> dict[int, list[tuple[Any, ...]]]:
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in Answer.objects.filter(response=response).order_by("id"):
        out.setdefault(row.question_id, []).append((row.choice_id, row.rank, row.number, row.text))
    return out


# --- building ---------------------------------------------------------------------------------------------


def add(built: Built, **fields: Any) -> Question:
    fields.setdefault("label", "Another question")
    return services.question_add(survey_id=built.survey.pk, **fields)


def add_error(built: Built, **fields: Any) -> dict[str, list[str]]:
    with pytest.raises(ApplicationError) as caught:
        add(built, **fields)
    assert caught.value.code == "invalid_question"
    return caught.value.fields


def test_builds_the_survey_in_order_with_conditions(built: Built) -> None:
    questions = list(Question.objects.filter(survey=built.survey).order_by("position"))
    assert [q.pk for q in questions] == [
        built.transport.pk,
        built.lines.pk,
        built.crowded.pk,
        built.priorities.pk,
        built.comment.pk,
    ]
    assert [c.label for c in built.transport.choices.all()] == ["Car", "Bus", "Bike"]
    assert built.lines.show_if_question_id == built.transport.pk
    assert built.lines.show_if_choice_id == built.choice(built.transport, "Bus")
    assert built.survey.introduction == "<p>Five minutes</p>"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": QuestionKind.SINGLE, "choices": ["Only one"]}, "choices"),
        ({"kind": QuestionKind.MULTIPLE, "choices": []}, "choices"),
        ({"kind": QuestionKind.RANKING, "choices": ["A", "a "]}, "choices"),
        ({"kind": QuestionKind.TEXT, "choices": ["A", "B"]}, "choices"),
        ({"kind": QuestionKind.SCALE, "scale_min": 5, "scale_max": 5}, "scale_max"),
        ({"kind": QuestionKind.SCALE, "scale_min": 0, "scale_max": 11}, "scale_max"),
        ({"kind": QuestionKind.SINGLE, "choices": ["A", "B"], "max_choices": 1}, "max_choices"),
        ({"kind": QuestionKind.MULTIPLE, "choices": ["A", "B"], "max_choices": 3}, "max_choices"),
        ({"kind": "essay"}, "kind"),
        ({"kind": QuestionKind.TEXT, "label": "  "}, "label"),
    ],
)
def test_question_add_refuses_invalid_definitions(built: Built, fields: dict[str, Any], field: str) -> None:
    assert field in add_error(built, **fields)


def test_scale_of_ten_steps_is_accepted(built: Built) -> None:
    question = add(built, kind=QuestionKind.SCALE, scale_min=0, scale_max=10)
    assert (question.scale_min, question.scale_max) == (0, 10)


def test_conditions_need_an_earlier_choice_question_of_the_same_survey(built: Built, consultation: Any) -> None:
    text = {"kind": QuestionKind.TEXT}
    # a text question cannot be a condition
    assert "show_if_question" in add_error(
        built, **text, show_if_question_id=built.comment.pk, show_if_choice_id=built.choice(built.transport, "Bus")
    )
    # the option must belong to the condition's question
    assert "show_if_choice" in add_error(
        built,
        **text,
        show_if_question_id=built.transport.pk,
        show_if_choice_id=built.choice(built.lines, "1"),
    )
    # both halves are needed
    assert "show_if_choice" in add_error(built, **text, show_if_question_id=built.transport.pk)
    # a question of another survey
    other = build_survey(consultation, title="Other")
    assert "show_if_question" in add_error(
        built,
        **text,
        show_if_question_id=other.transport.pk,
        show_if_choice_id=other.choice(other.transport, "Bus"),
    )
    # an update cannot make a question depend on a later one
    with pytest.raises(ApplicationError) as caught:
        services.question_update(
            question_id=built.transport.pk,
            show_if_question_id=built.lines.pk,
            show_if_choice_id=built.choice(built.lines, "1"),
        )
    assert "show_if_question" in caught.value.fields


def test_reorder_keeps_conditions_after_their_question(built: Built) -> None:
    b = built
    with pytest.raises(ApplicationError) as caught:
        services.questions_reorder(
            survey_id=b.survey.pk,
            question_ids=[b.lines.pk, b.transport.pk, b.crowded.pk, b.priorities.pk, b.comment.pk],
        )
    assert caught.value.code == "invalid_order" and "Which bus lines?" in caught.value.message
    with pytest.raises(ApplicationError):
        services.questions_reorder(survey_id=b.survey.pk, question_ids=[b.transport.pk])
    order = [b.comment.pk, b.transport.pk, b.priorities.pk, b.lines.pk, b.crowded.pk]
    services.questions_reorder(survey_id=b.survey.pk, question_ids=order)
    assert list(Question.objects.filter(survey=b.survey).order_by("position").values_list("pk", flat=True)) == order


def test_a_question_others_depend_on_cannot_lose_what_they_depend_on(built: Built) -> None:
    with pytest.raises(ApplicationError) as caught:
        services.question_delete(question_id=built.transport.pk)
    assert caught.value.code == "question_in_use" and "Which bus lines?" in caught.value.message
    with pytest.raises(ApplicationError) as caught:
        services.question_update(question_id=built.transport.pk, choices=["Car", "Bike"])
    assert "Bus" in caught.value.fields["choices"][0]
    with pytest.raises(ApplicationError) as caught:
        services.question_update(question_id=built.transport.pk, kind=QuestionKind.RANKING)
    assert "kind" in caught.value.fields


def test_update_before_answers_syncs_options_by_label(built: Built) -> None:
    bus = built.choice(built.transport, "Bus")
    services.question_update(question_id=built.transport.pk, choices=["Bus", "Walk", "Car"], label="Commute?")
    built.transport.refresh_from_db()
    assert built.transport.label == "Commute?"
    assert [c.label for c in built.transport.choices.all()] == ["Bus", "Walk", "Car"]
    assert built.choice(built.transport, "Bus") == bus  # kept: the condition on it still holds
    services.question_update(question_id=built.comment.pk, kind=QuestionKind.SCALE, scale_min=0, scale_max=3)
    built.comment.refresh_from_db()
    assert (built.comment.kind, built.comment.scale_max) == (QuestionKind.SCALE, 3)
    services.question_delete(question_id=built.comment.pk)
    assert not Question.objects.filter(pk=built.comment.pk).exists()


def test_once_answered_changes_that_break_answers_are_refused(built: Built) -> None:
    submit(built, transport="Car")
    b = built
    refused = [
        lambda: services.question_delete(question_id=b.comment.pk),
        lambda: services.survey_delete(survey_id=b.survey.pk),
        lambda: services.question_update(question_id=b.comment.pk, kind=QuestionKind.SCALE),
        lambda: services.question_update(question_id=b.priorities.pk, choices=["Safety", "Speed"]),
        lambda: services.question_update(question_id=b.crowded.pk, scale_max=4),
        lambda: services.question_update(question_id=b.comment.pk, required=True),
        lambda: services.question_update(question_id=b.priorities.pk, max_choices=1),
        lambda: services.question_add(survey_id=b.survey.pk, kind=QuestionKind.TEXT, label="New", required=True),
    ]
    for attempt in refused:
        with pytest.raises(ApplicationError) as caught:
            attempt()
        assert caught.value.code == "survey_has_responses" and caught.value.status_code == 409
    # still allowed: labels, options added, optional questions, a higher maximum, making a question optional
    services.question_update(
        question_id=b.priorities.pk, label="Rank them", choices=["Safety", "Speed", "Price", "Fun"]
    )
    services.question_update(question_id=b.priorities.pk, max_choices=3)
    services.question_update(question_id=b.transport.pk, required=False)
    services.choice_update(choice_id=b.choice(b.transport, "Car"), label="Car (or van)")
    services.survey_update(survey_id=b.survey.pk, title="Mobility 2030")
    extra = services.question_add(survey_id=b.survey.pk, kind=QuestionKind.TEXT, label="New, optional")
    assert extra.position == 5
    assert [c.label for c in b.priorities.choices.all()] == ["Safety", "Speed", "Price", "Fun"]


# --- answering: conditional logic -------------------------------------------------------------------------


def test_answers_to_hidden_questions_are_ignored_and_not_stored(built: Built) -> None:
    response = submit(built, transport="Car", lines=["1"], crowded=5, comment="  Fine  ")
    rows = stored(response)
    assert set(rows) == {built.transport.pk, built.comment.pk}
    assert rows[built.comment.pk] == [(None, None, None, "Fine")]


def test_required_applies_only_when_shown(built: Built) -> None:
    # hidden (transport is not Bus): no answer needed
    submit(built, transport="Bike")
    # shown: required
    error = errors_of(built, transport="Bus")
    assert error.code == "invalid_answers" and error.status_code == 400
    assert list(error.fields) == [str(built.lines.pk)]
    assert "Which bus lines?" in error.message


def test_chains_hide_what_depends_on_a_hidden_question(built: Built) -> None:
    # crowded depends on lines = 2, lines depends on transport = Bus
    shown = submit(built, transport="Bus", lines=["2", "3"], crowded=4)
    assert stored(shown)[built.crowded.pk] == [(None, None, 4, "")]
    other_line = submit(built, transport="Bus", lines=["1"], crowded=4)
    assert built.crowded.pk not in stored(other_line)
    # lines is hidden, so its answer "2" does not show crowded either
    hidden_chain = submit(built, transport="Car", lines=["2"], crowded=4)
    assert set(stored(hidden_chain)) == {built.transport.pk}
    # a hidden question's invalid answer is not an error either
    submit(built, transport="Car", crowded=99)


# --- answering: validation per kind -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "value", "needle"),
    [
        ("transport", lambda b: b.choice(b.lines, "1"), "Choose one of the options"),
        ("transport", lambda b: [b.choice(b.transport, "Car")], "Choose one of the options"),
        ("transport", lambda b: True, "Choose one of the options"),
        ("lines", lambda b: b.choice(b.lines, "1"), "Choose among the options"),
        ("lines", lambda b: [b.choice(b.transport, "Car")], "Choose among the options"),
        ("priorities", lambda b: [b.choice(b.priorities, "Speed")] * 2, "only once"),
        ("priorities", lambda b: [b.choice(b.priorities, x) for x in ("Safety", "Speed", "Price")], "at most 2"),
        ("priorities", lambda b: ["abc"], "Choose among the options"),
        ("crowded", lambda b: 6, "from 1 to 5"),
        ("crowded", lambda b: "three", "from 1 to 5"),
        ("crowded", lambda b: 2.5, "from 1 to 5"),
        ("comment", lambda b: "x" * 5001, "5000"),
        ("comment", lambda b: ["a list"], "text"),
    ],
)
def test_each_kind_is_validated_and_the_error_names_the_question(
    built: Built, question: str, value: Any, needle: str
) -> None:
    target: Question = getattr(built, question)
    answers = built.answers(transport="Bus", lines=["2"])
    answers[target.pk] = value(built)
    with pytest.raises(ApplicationError) as caught:
        services.response_submit(survey=built.survey, respondent=make_user(), answers=answers)
    assert caught.value.code == "invalid_answers"
    assert list(caught.value.fields) == [str(target.pk)]
    assert needle in caught.value.fields[str(target.pk)][0]
    assert target.label in caught.value.message
    assert not SurveyResponse.objects.filter(survey=built.survey).exists()


def test_unknown_questions_are_refused(built: Built, consultation: Consultation) -> None:
    other = build_survey(consultation, title="Other")
    answers: dict[Any, Any] = {**built.answers(transport="Car"), other.comment.pk: "hi", "nope": 1}
    with pytest.raises(ApplicationError) as caught:
        services.response_submit(survey=built.survey, respondent=make_user(), answers=answers)
    assert set(caught.value.fields) == {str(other.comment.pk), "nope"}


def test_answers_are_stored_one_row_per_choice_with_ranks(built: Built) -> None:
    response = submit(
        built,
        transport="Bus",
        lines=["3", "1", "3"],
        crowded="2",
        priorities=["Price", "Safety"],
        comment="\x00 ok ",
    )
    rows = stored(response)
    c = built.choice
    assert rows[built.transport.pk] == [(c(built.transport, "Bus"), None, None, "")]
    assert rows[built.lines.pk] == [(c(built.lines, "3"), None, None, ""), (c(built.lines, "1"), None, None, "")]
    assert built.crowded.pk not in rows  # line 2 not chosen
    assert rows[built.priorities.pk] == [
        (c(built.priorities, "Price"), 1, None, ""),
        (c(built.priorities, "Safety"), 2, None, ""),
    ]
    assert rows[built.comment.pk] == [(None, None, None, "ok")]


# --- answering: who and when ------------------------------------------------------------------------------


def test_one_response_per_person(built: Built, resident: Any) -> None:
    submit(built, resident, transport="Car")
    error = errors_of(built, resident, transport="Bike")
    assert (error.code, error.status_code) == ("already_answered", 409)
    assert SurveyResponse.objects.filter(survey=built.survey, respondent=resident).count() == 1
    assert services.has_answered(survey=built.survey, user=resident)


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CLOSED, Phase.RESULTS])
def test_only_while_the_consultation_is_open(in_alpha: Any, phase: str) -> None:
    built = build_survey(make_consultation(phase=phase))
    error = errors_of(built, transport="Car")
    assert (error.code, error.status_code) == ("not_open", 409)


def test_unverified_email_cannot_answer(built: Built) -> None:
    error = errors_of(built, make_user(verified=False), transport="Car")
    assert error.status_code == 403 and error.code != "already_answered"
    assert not SurveyResponse.objects.exists()


def test_empty_responses_and_empty_surveys_are_refused(built: Built, consultation: Consultation) -> None:
    # every question optional: nothing answered is still refused
    services.question_update(question_id=built.transport.pk, required=False)
    assert errors_of(built).code == "empty_response"
    empty = services.survey_create(consultation_id=consultation.pk, title="Empty")
    with pytest.raises(ApplicationError) as caught:
        services.response_submit(survey=empty, respondent=make_user(), answers={})
    assert caught.value.code == "empty_survey"
    assert not SurveyResponse.objects.exists()


# --- results ----------------------------------------------------------------------------------------------


def _hand_checked(built: Built) -> None:
    submit(built, transport="Car", priorities=["Safety", "Speed"], comment="hello")
    submit(built, transport="Bus", lines=["1", "2"], crowded=5, priorities=["Speed", "Safety"], comment="<b>hi</b>")
    submit(built, transport="Bus", lines=["2"], crowded=3, priorities=["Safety"])
    submit(built, transport="Car", lines=["3"], crowded=1, comment="third")  # lines hidden: ignored


def test_results_on_a_hand_checked_case(built: Built) -> None:
    _hand_checked(built)
    results = {r["id"]: r for r in services.survey_results(survey=built.survey)}
    transport = results[built.transport.pk]
    assert (transport["number"], transport["answered"], transport["responses"]) == (1, 4, 4)
    assert [(c["label"], c["count"], c["percent"]) for c in transport["choices"]] == [
        ("Car", 2, 50.0),
        ("Bus", 2, 50.0),
        ("Bike", 0, 0.0),
    ]
    lines = results[built.lines.pk]
    assert lines["answered"] == 2
    assert [(c["label"], c["count"], c["percent"]) for c in lines["choices"]] == [
        ("1", 1, 50.0),
        ("2", 2, 100.0),
        ("3", 0, 0.0),
    ]
    crowded = results[built.crowded.pk]
    assert (crowded["count"], crowded["mean"]) == (2, 4.0)
    assert [(h["value"], h["count"]) for h in crowded["histogram"]] == [(1, 0), (2, 0), (3, 1), (4, 0), (5, 1)]
    assert crowded["histogram"][2]["percent"] == 50.0
    priorities = results[built.priorities.pk]
    assert priorities["ranks"] == 2 and priorities["answered"] == 3
    by_label = {c["label"]: c for c in priorities["choices"]}
    # Safety: 1st, 2nd, 1st -> counts [2, 1], average 4/3, Borda 2+1+2 = 5; Speed: 2nd, 1st -> 3
    assert (by_label["Safety"]["counts"], by_label["Safety"]["average_rank"], by_label["Safety"]["score"]) == (
        [2, 1],
        1.33,
        5,
    )
    assert (by_label["Speed"]["counts"], by_label["Speed"]["average_rank"], by_label["Speed"]["score"]) == (
        [1, 1],
        1.5,
        3,
    )
    assert (by_label["Price"]["counts"], by_label["Price"]["average_rank"], by_label["Price"]["score"]) == (
        [0, 0],
        None,
        0,
    )
    comment = results[built.comment.pk]
    assert comment["answered"] == 3 and comment["texts"] == ["third", "<b>hi</b>", "hello"]


def test_results_cost_a_fixed_number_of_queries(built: Built) -> None:
    _hand_checked(built)
    with CaptureQueriesContext(connection) as few:
        services.survey_results(survey=built.survey)
    for n in range(6):
        submit(built, transport="Bus", lines=["2"], crowded=n % 5 + 1, priorities=["Price"], comment=f"n{n}")
    with CaptureQueriesContext(connection) as more:
        results = services.survey_results(survey=built.survey)
    assert len(few) == len(more) <= 6
    assert results[0]["answered"] == 10


def test_latest_texts_are_capped_at_fifty(built: Built) -> None:
    for n in range(53):
        Answer.objects.create(
            response=SurveyResponse.objects.create(survey=built.survey), question=built.comment, text=f"t{n}"
        )
    comment = next(r for r in services.survey_results(survey=built.survey) if r["id"] == built.comment.pk)
    assert comment["answered"] == 53 and len(comment["texts"]) == 50
    assert comment["texts"][0] == "t52" and comment["texts"][-1] == "t3"
