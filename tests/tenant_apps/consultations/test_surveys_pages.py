"""Survey pages over HTTP: the resident's form (without JavaScript), submitting, thanks, already answered,
closed and anonymous states, results visibility and escaping, and the staff builder."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tenant_apps.consultations.models import Consultation, Question, QuestionKind, Survey, SurveyResponse
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import surveys as services
from tests.tenant_apps.consultations.conftest import make_consultation, make_user
from tests.tenant_apps.consultations.test_surveys_helpers import Built, build_survey


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def built(consultation: Consultation) -> Built:
    return build_survey(consultation)


def url(built: Built, suffix: str = "") -> str:
    return f"/consultations/{built.survey.consultation.slug}/surveys/{built.survey.pk}/{suffix}"


def manage_url(consultation: Consultation, suffix: str = "") -> str:
    return f"/manage/consultations/{consultation.slug}/surveys/{suffix}"


def post_data(built: Built, **values: Any) -> dict[str, Any]:
    """The form fields a browser would post for these answers (labels turned into ids)."""
    data: dict[str, Any] = {}
    for name, value in built.answers(**values).items():
        question = Question.objects.get(pk=name)
        if question.kind == QuestionKind.RANKING:
            data.update({f"q-{name}-r{rank}": pk for rank, pk in enumerate(value, start=1)})
        else:
            data[f"q-{name}"] = value
    return data


# --- the resident's form ----------------------------------------------------------------------------------


def test_form_shows_every_question_with_the_condition_notes(built: Built, alpha_client: Client, resident: Any) -> None:
    page = logged_in(alpha_client, resident).get(url(built))
    body = page.content.decode()
    assert page.status_code == 200
    for question in (built.transport, built.lines, built.crowded, built.priorities, built.comment):
        assert f'id="question-{question.pk}"' in body and question.label in body
    # without JavaScript every question is there, conditional ones say when to answer them
    assert "Answer only if you chose “Bus” in question 1." in body
    assert "Answer only if you chose “2” in question 2." in body
    assert f'data-show-if-question="{built.transport.pk}"' in body
    assert f'name="q-{built.priorities.pk}-r2"' in body and f'name="q-{built.priorities.pk}-r3"' not in body
    assert f'type="radio" name="q-{built.crowded.pk}"' in body
    assert "<p>Five minutes</p>" in body  # the sanitised introduction


def test_submit_thanks_and_already_answered(built: Built, alpha_client: Client, resident: Any) -> None:
    client = logged_in(alpha_client, resident)
    data = post_data(built, transport="Bus", lines=["2"], crowded="4", priorities=["Speed", "Safety"], comment="Hi")
    response = client.post(url(built), data)
    assert response.status_code == 302 and response["Location"] == url(built, "thanks/")
    thanks = client.get(url(built, "thanks/"))
    assert thanks.status_code == 200 and "Thank you for your answers" in thanks.content.decode()
    saved = SurveyResponse.objects.get(survey=built.survey, respondent=resident)
    ranked = list(saved.answers.filter(question=built.priorities).order_by("rank").values_list("choice_id", flat=True))
    assert ranked == [built.choice(built.priorities, "Speed"), built.choice(built.priorities, "Safety")]
    again = client.get(url(built))
    assert "You already answered this survey" in again.content.decode()
    assert 'id="survey-form"' not in again.content.decode()
    twice = client.post(url(built), data)
    assert twice.status_code == 409 and SurveyResponse.objects.filter(survey=built.survey).count() == 1


def test_errors_are_shown_next_to_their_question_and_answers_kept(
    built: Built, alpha_client: Client, resident: Any
) -> None:
    client = logged_in(alpha_client, resident)
    data = post_data(built, transport="Bus", priorities=["Speed", "Speed"], comment="Keep <me>")
    page = client.post(url(built), data)
    body = page.content.decode()
    assert page.status_code == 200 and 'id="error-summary"' in body
    assert f'href="#question-{built.lines.pk}"' in body and "This question requires an answer." in body
    assert f'href="#question-{built.priorities.pk}"' in body and "Rank each option only once." in body
    bus = built.choice(built.transport, "Bus")
    assert re.search(rf'value="{bus}"\s+checked', body)
    assert "Keep &lt;me&gt;</textarea>" in body
    assert not SurveyResponse.objects.filter(survey=built.survey).exists()


def test_answers_to_hidden_questions_posted_without_javascript_are_ignored(
    built: Built, alpha_client: Client, resident: Any
) -> None:
    data = post_data(built, transport="Car", lines=["1"], crowded="9")
    assert logged_in(alpha_client, resident).post(url(built), data).status_code == 302
    response = SurveyResponse.objects.get(survey=built.survey)
    assert list(response.answers.values_list("question_id", flat=True)) == [built.transport.pk]


def test_anonymous_visitors_get_a_sign_in_link(built: Built, alpha_client: Client) -> None:
    body = alpha_client.get(url(built)).content.decode()
    assert "Sign in to answer this survey." in body and "/account/login/?next=" in body
    assert 'id="survey-form"' not in body
    posted = alpha_client.post(url(built), post_data(built, transport="Car"))
    assert posted.status_code == 302 and "/login/" in posted["Location"]
    assert not SurveyResponse.objects.exists()


def test_a_closed_consultation_shows_a_read_only_message(in_alpha: Any, alpha_client: Client, resident: Any) -> None:
    built = build_survey(make_consultation(phase=Phase.CLOSED))
    client = logged_in(alpha_client, resident)
    body = client.get(url(built)).content.decode()
    assert "This survey is closed." in body and 'id="survey-form"' not in body
    refused = client.post(url(built), post_data(built, transport="Car"))
    assert refused.status_code == 409 and not SurveyResponse.objects.exists()


def test_draft_consultations_and_other_consultations_surveys_are_not_found(
    in_alpha: Any, alpha_client: Client, resident: Any, built: Built
) -> None:
    draft = build_survey(make_consultation(phase=Phase.DRAFT))
    client = logged_in(alpha_client, resident)
    assert client.get(url(draft)).status_code == 404
    other = make_consultation()
    assert client.get(f"/consultations/{other.slug}/surveys/{built.survey.pk}/").status_code == 404


def test_survey_list(built: Built, alpha_client: Client, resident: Any) -> None:
    services.response_submit(survey=built.survey, respondent=resident, answers=built.answers(transport="Car"))
    body = logged_in(alpha_client, resident).get(f"/consultations/{built.survey.consultation.slug}/surveys/")
    assert built.survey.title in body.content.decode() and "You answered it." in body.content.decode()


# --- results ----------------------------------------------------------------------------------------------


def _answered(built: Built) -> None:
    for values in (
        {"transport": "Bus", "lines": ["2"], "crowded": 4, "comment": "<script>alert(1)</script>"},
        {"transport": "Car", "priorities": ["Safety"]},
    ):
        services.response_submit(survey=built.survey, respondent=make_user(), answers=built.answers(**values))


@pytest.mark.parametrize(
    ("phase", "role", "visible"),
    [
        (Phase.OPEN, "anonymous", False),
        (Phase.OPEN, "resident", False),
        (Phase.OPEN, "staff", True),
        (Phase.CLOSED, "resident", False),
        (Phase.RESULTS, "anonymous", True),
        (Phase.RESULTS, "resident", True),
    ],
)
def test_results_visibility(built: Built, alpha_client: Client, phase: str, role: str, visible: bool) -> None:
    _answered(built)
    Consultation.objects.filter(pk=built.survey.consultation_id).update(phase=phase)
    if role != "anonymous":
        logged_in(alpha_client, make_user(role="city_admin" if role == "staff" else "resident"))
    page = alpha_client.get(url(built, "results/"))
    assert page.status_code == (200 if visible else 404)


def test_results_page_has_figures_in_tables_and_escapes_texts(built: Built, alpha_client: Client, staff: Any) -> None:
    _answered(built)
    body = logged_in(alpha_client, staff).get(url(built, "results/")).content.decode()
    assert "2 responses." in body
    assert '<table class="chart">' in body and "<caption" in body
    assert re.search(r'<th scope="row">Bus</th><td class="num">1</td><td class="num">50[.,]0 %</td>', body)
    assert 'aria-hidden="true"><div class="bar-track"><div class="bar" style="width: 50.0%"' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert "Average: 4" in body


# --- the staff builder ------------------------------------------------------------------------------------


def test_builder_is_staff_only(built: Built, alpha_client: Client, resident: Any) -> None:
    consultation = built.survey.consultation
    anonymous = alpha_client.get(manage_url(consultation))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client = logged_in(alpha_client, resident)
    # The same refusal as every consultations back-office page: a 403 page saying it is for staff.
    assert client.get(manage_url(consultation)).status_code == 403
    assert client.get(manage_url(consultation, f"{built.survey.pk}/")).status_code == 403
    assert client.post(manage_url(consultation), {"title": "Mine"}).status_code == 403
    assert not Survey.objects.filter(title="Mine").exists()


def test_staff_build_a_survey_through_the_pages(consultation: Consultation, alpha_client: Client, staff: Any) -> None:
    client = logged_in(alpha_client, staff)
    created = client.post(manage_url(consultation), {"title": "Parks", "introduction": "<p onclick='x'>Hi</p>"})
    survey = Survey.objects.get(consultation=consultation, title="Parks")
    assert created.status_code == 302 and created["Location"] == manage_url(consultation, f"{survey.pk}/")
    assert survey.introduction == "<p>Hi</p>"
    new = manage_url(consultation, f"{survey.pk}/questions/new/")
    bad = client.post(new, {"kind": "single", "label": "Which park?", "choices": "Only one"})
    assert bad.status_code == 200 and "Give at least two options." in bad.content.decode()
    ok = client.post(new, {"kind": "single", "label": "Which park?", "choices": "North\nSouth\n", "required": "on"})
    assert ok.status_code == 302
    park = Question.objects.get(survey=survey, label="Which park?")
    south = park.choices.get(label="South")
    form = client.get(new).content.decode()
    assert f'value="{park.pk}:{south.pk}"' in form  # offered as a condition
    client.post(
        new,
        {
            "kind": "scale",
            "label": "How clean is it?",
            "scale_min": "0",
            "scale_max": "10",
            "condition": f"{park.pk}:{south.pk}",
        },
    )
    clean = Question.objects.get(survey=survey, label="How clean is it?")
    assert (clean.scale_min, clean.scale_max, clean.show_if_choice_id) == (0, 10, south.pk)
    builder = client.get(manage_url(consultation, f"{survey.pk}/")).content.decode()
    assert "Shown only when “South” is chosen in question 1." in builder
    # the dependent question cannot move above its condition
    moved = client.post(
        manage_url(consultation, f"{survey.pk}/questions/{clean.pk}/move/"), {"direction": "up"}, follow=True
    )
    assert "must stay after the question it depends on" in moved.content.decode()
    edit = manage_url(consultation, f"{survey.pk}/questions/{park.pk}/")
    assert (
        client.post(
            edit, {"kind": "single", "label": "Which park do you visit?", "choices": "North\nSouth\nEast"}
        ).status_code
        == 302
    )
    assert [c.label for c in park.choices.all()] == ["North", "South", "East"]
    rename = manage_url(consultation, f"{survey.pk}/questions/{park.pk}/choices/{south.pk}/")
    client.post(rename, {"label": "South park"})
    south.refresh_from_db()
    assert south.label == "South park"
    deleted = client.post(manage_url(consultation, f"{survey.pk}/questions/{clean.pk}/delete/"))
    assert deleted.status_code == 302 and not Question.objects.filter(pk=clean.pk).exists()
    assert client.get(manage_url(consultation, f"{survey.pk}/results/")).status_code == 200


def test_builder_refuses_breaking_changes_once_answered(built: Built, alpha_client: Client, staff: Any) -> None:
    services.response_submit(survey=built.survey, respondent=make_user(), answers=built.answers(transport="Car"))
    consultation = built.survey.consultation
    client = logged_in(alpha_client, staff)
    page = client.post(manage_url(consultation, f"{built.survey.pk}/questions/{built.comment.pk}/delete/"), follow=True)
    assert "People have already answered this survey" in page.content.decode()
    assert Question.objects.filter(pk=built.comment.pk).exists()
    edit = manage_url(consultation, f"{built.survey.pk}/questions/{built.priorities.pk}/")
    refused = client.post(edit, {"kind": "ranking", "label": "Rank", "choices": "Safety\nSpeed", "max_choices": "2"})
    assert refused.status_code == 200 and "Options cannot be removed once people answered" in refused.content.decode()
    deleted = client.post(manage_url(consultation, f"{built.survey.pk}/delete/"), follow=True)
    assert Survey.objects.filter(pk=built.survey.pk).exists() and "break their answers" in deleted.content.decode()
