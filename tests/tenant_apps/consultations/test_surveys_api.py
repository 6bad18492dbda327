"""API /api/v1/consultations/<slug>/surveys/: reading, answering, results visibility, staff building, errors in
the one body shape, and isolation between cities (alpha's surveys are 404 on beta's host)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tenant_apps.consultations.models import Consultation, Question, Survey, SurveyResponse
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import surveys as services
from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD
from tests.tenant_apps.consultations.conftest import make_consultation, make_user
from tests.tenant_apps.consultations.test_surveys_helpers import Built, build_survey


@pytest.fixture
def built(consultation: Consultation) -> Built:
    return build_survey(consultation)


def base(built: Built) -> str:
    return f"/api/v1/consultations/{built.survey.consultation.slug}/surveys/"


def payload(built: Built, **values: Any) -> dict[str, Any]:
    return {"answers": {str(k): v for k, v in built.answers(**values).items()}}


def test_list_and_detail_with_questions_options_and_conditions(built: Built, alpha_api: APIClient) -> None:
    listed = alpha_api.get(base(built))
    assert listed.status_code == 200
    assert [(s["id"], s["title"]) for s in listed.json()] == [(built.survey.pk, "Mobility habits")]
    detail = alpha_api.get(f"{base(built)}{built.survey.pk}/").json()
    assert detail["answered"] is False and detail["results_published"] is False
    questions = detail["questions"]
    assert [q["id"] for q in questions] == [
        built.transport.pk,
        built.lines.pk,
        built.crowded.pk,
        built.priorities.pk,
        built.comment.pk,
    ]
    lines = questions[1]
    assert lines["kind"] == "multiple" and lines["required"] is True
    assert (lines["show_if_question"], lines["show_if_choice"]) == (
        built.transport.pk,
        built.choice(built.transport, "Bus"),
    )
    assert [c["label"] for c in lines["choices"]] == ["1", "2", "3"]
    assert questions[2]["scale_max_label"] == "Packed" and questions[3]["max_choices"] == 2


def test_answer_once_with_a_token(built: Built, alpha_api: APIClient) -> None:
    user = make_user()
    token = alpha_api.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}).json()["token"]
    alpha_api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"{base(built)}{built.survey.pk}/responses/"
    created = alpha_api.post(url, payload(built, transport="Bus", lines=["2"], crowded=3), format="json")
    assert created.status_code == 201
    assert created.json()["survey"] == built.survey.pk and created.json()["submitted_at"]
    assert SurveyResponse.objects.get(pk=created.json()["id"]).respondent_id == user.pk
    again = alpha_api.post(url, payload(built, transport="Car"), format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_answered" and again.json()["error"]["message"]
    assert alpha_api.get(f"{base(built)}{built.survey.pk}/").json()["answered"] is True


def test_invalid_answers_are_keyed_by_question_id(built: Built, alpha_api: APIClient) -> None:
    alpha_api.force_authenticate(make_user())
    body = payload(built, transport="Bus", crowded=3)
    body["answers"][str(built.priorities.pk)] = "not a list"
    response = alpha_api.post(f"{base(built)}{built.survey.pk}/responses/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_answers"
    assert set(error["fields"]) == {str(built.lines.pk), str(built.priorities.pk)}
    assert "Which bus lines?" in error["message"]
    malformed = alpha_api.post(f"{base(built)}{built.survey.pk}/responses/", {"answers": [1]}, format="json")
    assert malformed.status_code == 400 and "answers" in malformed.json()["error"]["fields"]


def test_anonymous_cannot_answer_and_closed_consultations_refuse(
    in_alpha: City, built: Built, alpha_api: APIClient
) -> None:
    url = f"{base(built)}{built.survey.pk}/responses/"
    assert alpha_api.post(url, payload(built, transport="Car"), format="json").status_code in (401, 403)
    closed = build_survey(make_consultation(phase=Phase.CLOSED))
    alpha_api.force_authenticate(make_user())
    refused = alpha_api.post(
        f"{base(closed)}{closed.survey.pk}/responses/", payload(closed, transport="Car"), format="json"
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_open"
    assert not SurveyResponse.objects.exists()


def test_results_for_staff_then_for_everybody_once_published(built: Built, alpha_api: APIClient) -> None:
    services.response_submit(
        survey=built.survey, respondent=make_user(), answers=built.answers(transport="Bus", lines=["2"], crowded=4)
    )
    url = f"{base(built)}{built.survey.pk}/results/"
    hidden = alpha_api.get(url)
    assert hidden.status_code == 409 and hidden.json()["error"]["code"] == "results_not_published"
    alpha_api.force_authenticate(make_user(role="moderator"))
    results = alpha_api.get(url).json()
    assert [r["id"] for r in results][:2] == [built.transport.pk, built.lines.pk]
    assert [(c["label"], c["count"]) for c in results[0]["choices"]] == [("Car", 0), ("Bus", 1), ("Bike", 0)]
    assert results[2]["mean"] == 4.0 and [h["count"] for h in results[2]["histogram"]] == [0, 0, 0, 1, 0]
    assert results[3]["ranks"] == 2 and results[4]["texts"] == []
    alpha_api.force_authenticate(None)
    Consultation.objects.filter(pk=built.survey.consultation_id).update(phase=Phase.RESULTS)
    assert alpha_api.get(url).status_code == 200


def test_staff_build_through_the_api(consultation: Consultation, alpha_api: APIClient) -> None:
    alpha_api.force_authenticate(make_user())
    slug_base = f"/api/v1/consultations/{consultation.slug}/surveys/"
    refused = alpha_api.post(slug_base, {"title": "Mine"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    alpha_api.force_authenticate(make_user(role="city_admin"))
    survey = alpha_api.post(slug_base, {"title": "Parks", "introduction": "<script>x</script><p>Hi</p>"}, format="json")
    assert survey.status_code == 201 and survey.json()["introduction"] == "<p>Hi</p>"
    questions = f"{slug_base}{survey.json()['id']}/questions/"
    park = alpha_api.post(
        questions, {"kind": "single", "label": "Which park?", "choices": ["North", "South"]}, format="json"
    )
    assert park.status_code == 201 and [c["label"] for c in park.json()["choices"]] == ["North", "South"]
    south = park.json()["choices"][1]["id"]
    bad = alpha_api.post(questions, {"kind": "scale", "label": "Rate", "scale_min": 3, "scale_max": 2}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"scale_max"}
    rate = alpha_api.post(
        questions,
        {"kind": "scale", "label": "Rate", "show_if_question": park.json()["id"], "show_if_choice": south},
        format="json",
    ).json()
    assert rate["show_if_choice"] == south
    patched = alpha_api.patch(f"{questions}{rate['id']}/", {"label": "Rate it", "required": True}, format="json")
    assert patched.status_code == 200 and patched.json()["label"] == "Rate it" and patched.json()["required"]
    order = alpha_api.put(f"{questions}order/", {"question_ids": [rate["id"], park.json()["id"]]}, format="json")
    assert order.status_code == 400 and order.json()["error"]["code"] == "invalid_order"
    renamed = alpha_api.patch(
        f"{questions}{park.json()['id']}/choices/{south}/", {"label": "South park"}, format="json"
    )
    assert renamed.status_code == 200 and renamed.json()["label"] == "South park"
    assert alpha_api.delete(f"{questions}{rate['id']}/").status_code == 204
    assert (
        alpha_api.patch(f"{slug_base}{survey.json()['id']}/", {"title": "Green"}, format="json").json()["title"]
        == "Green"
    )
    assert alpha_api.delete(f"{slug_base}{survey.json()['id']}/").status_code == 204
    assert not Survey.objects.filter(pk=survey.json()["id"]).exists()


def test_a_question_of_another_survey_is_not_found(
    built: Built, consultation: Consultation, alpha_api: APIClient
) -> None:
    other = build_survey(consultation, title="Other")
    alpha_api.force_authenticate(make_user(role="city_admin"))
    response = alpha_api.patch(
        f"{base(built)}{built.survey.pk}/questions/{other.comment.pk}/", {"label": "Hijack"}, format="json"
    )
    assert response.status_code == 404
    assert Question.objects.get(pk=other.comment.pk).label == "Anything else?"


def test_draft_surveys_are_hidden_from_residents(in_alpha: City, alpha_api: APIClient) -> None:
    draft = build_survey(make_consultation(phase=Phase.DRAFT))
    assert alpha_api.get(f"{base(draft)}{draft.survey.pk}/").status_code == 404
    alpha_api.force_authenticate(make_user(role="city_admin"))
    assert alpha_api.get(f"{base(draft)}{draft.survey.pk}/").status_code == 200


# --- isolation --------------------------------------------------------------------------------------------


def test_alpha_surveys_are_not_found_on_beta(
    alpha: City, beta: City, alpha_api: APIClient, beta_api: APIClient
) -> None:
    with in_city(city_id=alpha.id, city=alpha):
        built = build_survey(make_consultation(slug="shared-slug"))
        services.response_submit(survey=built.survey, respondent=make_user(), answers=built.answers(transport="Car"))
        Consultation.objects.filter(pk=built.survey.consultation_id).update(phase=Phase.RESULTS)
        answers = payload(built, transport="Car")
    survey_url = f"/api/v1/consultations/shared-slug/surveys/{built.survey.pk}/"
    assert alpha_api.get(survey_url).status_code == 200
    # beta has no consultation at that address...
    assert beta_api.get(survey_url).status_code == 404
    with in_city(city_id=beta.id, city=beta):
        make_consultation(slug="shared-slug", phase=Phase.RESULTS)
        beta_staff = make_user(role="city_admin")
        assert not Survey.objects.filter(pk=built.survey.pk).exists()
    # ...and once it has one, alpha's survey id still leads nowhere, even for beta's staff
    beta_api.force_authenticate(beta_staff)
    assert beta_api.get("/api/v1/consultations/shared-slug/surveys/").json() == []
    for path in ("", "results/"):
        assert beta_api.get(f"{survey_url}{path}").status_code == 404
    assert beta_api.post(f"{survey_url}responses/", answers, format="json").status_code == 404
    assert beta_api.delete(survey_url).status_code == 404
    with in_city(city_id=alpha.id, city=alpha):
        assert SurveyResponse.objects.filter(survey_id=built.survey.pk).count() == 1
        assert Survey.objects.filter(pk=built.survey.pk).exists()
