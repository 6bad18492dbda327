"""API /api/v1/consultations/: consultations, phases, themes, follows, figures, and the API schema."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tenant_apps.consultations.models import Consultation, Contribution, Follow, Theme, Visibility
from tenant_apps.consultations.phases import Phase
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/consultations/"


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)


# --- Consultations ----------------------------------------------------------------------------------------


def test_residents_list_public_consultations_out_of_draft_and_staff_list_all(
    in_alpha: Any, alpha_api: APIClient, staff: Any
) -> None:
    shown = make_consultation(title="Open one")
    closed = make_consultation(title="Closed one", phase=Phase.CLOSED)
    draft = make_consultation(title="Draft one", phase=Phase.DRAFT)
    unlisted = make_consultation(title="Unlisted one", visibility=Visibility.UNLISTED)

    body = alpha_api.get(API).json()
    assert {c["slug"] for c in body["results"]} == {shown.slug, closed.slug}
    assert body["count"] == 2 and body["next"] is None
    first = next(c for c in body["results"] if c["slug"] == shown.slug)
    assert [t["name"] for t in first["themes"]] == ["Mobility", "Environment", "Housing"]
    assert first["reaction_kinds"] == ["support"] and first["phase"] == "open"

    alpha_api.force_authenticate(make_user())
    assert {c["slug"] for c in alpha_api.get(API).json()["results"]} == {shown.slug, closed.slug}
    alpha_api.force_authenticate(staff)
    everything = {c["slug"] for c in alpha_api.get(API).json()["results"]}
    assert everything == {shown.slug, closed.slug, draft.slug, unlisted.slug}


def test_consultation_list_is_paginated(in_alpha: Any, alpha_api: APIClient) -> None:
    for n in range(3):
        make_consultation(title=f"C{n}")
    page = alpha_api.get(API, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    rest = alpha_api.get(page["next"]).json()
    assert len(rest["results"]) == 1
    assert not {c["id"] for c in page["results"]} & {c["id"] for c in rest["results"]}


def test_detail_shows_unlisted_to_anyone_and_drafts_to_staff_only(
    in_alpha: Any, alpha_api: APIClient, staff: Any
) -> None:
    unlisted = make_consultation(visibility=Visibility.UNLISTED)
    draft = make_consultation(phase=Phase.DRAFT)
    assert alpha_api.get(f"{API}{unlisted.slug}/").json()["visibility"] == "unlisted"
    assert_error(alpha_api.get(f"{API}{draft.slug}/"), 404, "not_found")
    assert_error(alpha_api.get(f"{API}no-such-thing/"), 404)
    alpha_api.force_authenticate(staff)
    assert alpha_api.get(f"{API}{draft.slug}/").json()["phase"] == "draft"


def test_staff_create_a_consultation_with_themes(in_alpha: Any, alpha_api: APIClient, staff: Any) -> None:
    alpha_api.force_authenticate(staff)
    payload = {
        "title": "Cycling plan",
        "slug": "cycling-plan",
        "description": "<p>Tell us <script>alert(1)</script><strong>where</strong></p>",
        "themes": [{"name": "Lanes", "colour": "#112233"}, {"name": "Parking"}],
        "reaction_mode": "agreement",
    }
    response = alpha_api.post(API, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "cycling-plan" and body["phase"] == "draft"
    assert body["reaction_kinds"] == ["agree", "disagree", "pass"]
    assert [(t["name"], t["colour"]) for t in body["themes"]] == [("Lanes", "#112233"), ("Parking", "#3355aa")]
    assert "<script>" not in body["description"] and "<strong>where</strong>" in body["description"]
    created = Consultation.objects.get(slug="cycling-plan")
    assert created.created_by_id == staff.pk


def test_creating_a_consultation_refuses_bad_input_residents_and_anonymous(
    in_alpha: Any, alpha_api: APIClient, staff: Any, resident: Any
) -> None:
    assert alpha_api.post(API, {"title": "X"}, format="json").status_code == 401
    alpha_api.force_authenticate(resident)
    assert_error(alpha_api.post(API, {"title": "X"}, format="json"), 403, "staff_only")
    alpha_api.force_authenticate(staff)
    error = assert_error(
        alpha_api.post(
            API, {"title": "", "participation": "everyone", "themes": [{"name": "T", "colour": "red"}]}, format="json"
        ),
        400,
        "invalid",
    )
    assert {"title", "participation", "themes.0.colour"} <= set(error["fields"])
    assert not Consultation.objects.exists()


def test_staff_edit_a_consultation_and_residents_cannot(
    in_alpha: Any, alpha_api: APIClient, staff: Any, resident: Any, consultation: Consultation
) -> None:
    url = f"{API}{consultation.slug}/"
    alpha_api.force_authenticate(resident)
    assert_error(alpha_api.patch(url, {"title": "Mine now"}, format="json"), 403)
    alpha_api.force_authenticate(staff)
    response = alpha_api.patch(url, {"summary": "Short", "premoderation": True}, format="json")
    assert response.status_code == 200 and response.json()["summary"] == "Short"
    consultation.refresh_from_db()
    assert consultation.premoderation and consultation.title == "Our city in 2030"
    error = assert_error(alpha_api.patch(url, {"visibility": "secret"}, format="json"), 400)
    assert set(error["fields"]) == {"visibility"}


def test_phase_transitions_through_the_api(in_alpha: Any, alpha_api: APIClient, staff: Any, resident: Any) -> None:
    consultation = make_consultation(phase=Phase.DRAFT)
    url = f"{API}{consultation.slug}/phase/"
    alpha_api.force_authenticate(resident)
    assert_error(alpha_api.post(url, {"to": "open"}, format="json"), 403, "staff_only")
    alpha_api.force_authenticate(staff)
    assert alpha_api.post(url, {"to": "open"}, format="json").json()["phase"] == "open"
    assert_error(alpha_api.post(url, {"to": "draft"}, format="json"), 409, "invalid_transition")
    consultation.refresh_from_db()
    assert consultation.phase == Phase.OPEN
    assert set(assert_error(alpha_api.post(url, {"to": "later"}, format="json"), 400, "invalid")["fields"]) == {"to"}


# --- Themes -----------------------------------------------------------------------------------------------


def test_themes_list_create_edit_delete_and_reorder(
    in_alpha: Any, alpha_api: APIClient, staff: Any, consultation: Consultation
) -> None:
    url = f"{API}{consultation.slug}/themes/"
    names = [t["name"] for t in alpha_api.get(url).json()]
    assert names == ["Mobility", "Environment", "Housing"]
    assert alpha_api.post(url, {"name": "Culture"}, format="json").status_code == 401

    alpha_api.force_authenticate(staff)
    created = alpha_api.post(url, {"name": "Culture", "colour": "#abcdef"}, format="json")
    assert created.status_code == 201 and created.json()["colour"] == "#abcdef"
    culture = created.json()["id"]
    assert_error(alpha_api.post(url, {"name": "Bad", "colour": "blue"}, format="json"), 400)

    edited = alpha_api.patch(f"{url}{culture}/", {"name": "Culture and sport"}, format="json")
    assert edited.status_code == 200 and edited.json()["name"] == "Culture and sport"

    ids = [t["id"] for t in alpha_api.get(url).json()]
    reordered = alpha_api.post(f"{url}order/", {"theme_ids": list(reversed(ids))}, format="json")
    assert reordered.status_code == 200
    assert [t["id"] for t in reordered.json()] == list(reversed(ids))
    assert [t["id"] for t in alpha_api.get(url).json()] == list(reversed(ids))
    error = assert_error(alpha_api.post(f"{url}order/", {"theme_ids": ids[:2]}, format="json"), 400)
    assert set(error["fields"]) == {"theme_ids"}

    assert alpha_api.delete(f"{url}{culture}/").status_code == 204
    assert not Theme.objects.filter(pk=culture).exists()
    assert_error(alpha_api.delete(f"{url}{culture}/"), 404)


def test_theme_of_another_consultation_is_not_found(
    in_alpha: Any, alpha_api: APIClient, staff: Any, consultation: Consultation
) -> None:
    other = make_consultation()
    theme = other.themes.first()
    assert theme is not None
    alpha_api.force_authenticate(staff)
    assert_error(alpha_api.patch(f"{API}{consultation.slug}/themes/{theme.pk}/", {"name": "X"}, format="json"), 404)
    assert_error(alpha_api.delete(f"{API}{consultation.slug}/themes/{theme.pk}/"), 404)
    assert Theme.objects.filter(pk=theme.pk).exists()


def test_residents_cannot_manage_themes(
    in_alpha: Any, alpha_api: APIClient, resident: Any, consultation: Consultation
) -> None:
    theme = consultation.themes.first()
    assert theme is not None
    alpha_api.force_authenticate(resident)
    url = f"{API}{consultation.slug}/themes/"
    assert_error(alpha_api.post(url, {"name": "Mine"}, format="json"), 403)
    assert_error(alpha_api.patch(f"{url}{theme.pk}/", {"name": "Mine"}, format="json"), 403)
    assert_error(alpha_api.delete(f"{url}{theme.pk}/"), 403)
    assert_error(alpha_api.post(f"{url}order/", {"theme_ids": [theme.pk]}, format="json"), 403)


# --- Follows ----------------------------------------------------------------------------------------------


def test_follow_set_change_and_remove(
    in_alpha: Any, alpha_api: APIClient, resident: Any, consultation: Consultation
) -> None:
    url = f"{API}{consultation.slug}/follow/"
    assert alpha_api.put(url, {}, format="json").status_code == 401
    alpha_api.force_authenticate(resident)
    assert alpha_api.get(url).json() == {"following": False, "frequency": None}
    assert alpha_api.put(url, {}, format="json").json() == {"following": True, "frequency": "immediate"}
    assert alpha_api.put(url, {"frequency": "daily"}, format="json").json()["frequency"] == "daily"
    assert Follow.objects.get(consultation=consultation, user=resident).frequency == "daily"
    assert set(assert_error(alpha_api.put(url, {"frequency": "hourly"}, format="json"), 400)["fields"]) == {"frequency"}
    assert alpha_api.delete(url).json() == {"following": False, "frequency": None}
    assert not Follow.objects.filter(consultation=consultation).exists()


# --- Figures ----------------------------------------------------------------------------------------------


def test_figures_once_closed_or_for_staff(in_alpha: Any, alpha_api: APIClient, staff: Any) -> None:
    consultation = make_consultation()
    theme = consultation.themes.get(name="Mobility")
    people = [make_user(), make_user()]
    for n, author in enumerate([people[0], people[0], people[1]]):
        Contribution.objects.create(
            consultation=consultation, author=author, title=f"t{n}", body="b", theme=theme if n else None
        )
    url = f"{API}{consultation.slug}/figures/"
    assert_error(alpha_api.get(url), 409, "figures_not_available")
    alpha_api.force_authenticate(staff)
    figures = alpha_api.get(url).json()
    assert figures["contributions"] == 3 and figures["contributors"] == 2
    per_theme = {row["name"]: row["count"] for row in figures["per_theme"]}
    assert per_theme["Mobility"] == 2 and per_theme["Housing"] == 0 and sum(per_theme.values()) == 3
    assert sum(day["count"] for day in figures["per_day"]) == 3

    Consultation.objects.filter(pk=consultation.pk).update(phase=Phase.CLOSED)
    alpha_api.force_authenticate(None)
    assert alpha_api.get(url).json()["contributions"] == 3


# --- Schema -----------------------------------------------------------------------------------------------


def test_api_schema_documents_the_consultation_endpoints(alpha: Any, alpha_api: APIClient) -> None:
    response = alpha_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    prefix = "/api/v1/consultations/"
    expected = {
        "": {"get", "post"},
        "{slug}/": {"get", "patch"},
        "{slug}/phase/": {"post"},
        "{slug}/themes/": {"get", "post"},
        "{slug}/themes/{theme_id}/": {"patch", "delete"},
        "{slug}/themes/order/": {"post"},
        "{slug}/contributions/": {"get", "post"},
        "{slug}/contributions/{contribution_id}/": {"get", "patch"},
        "{slug}/contributions/{contribution_id}/merge/": {"post"},
        "{slug}/contributions/{contribution_id}/comments/": {"get", "post"},
        "{slug}/contributions/{contribution_id}/reaction/": {"put", "delete"},
        "{slug}/contributions/{contribution_id}/answer/": {"put"},
        "{slug}/contributions/{contribution_id}/report/": {"post"},
        "{slug}/comments/{comment_id}/report/": {"post"},
        "{slug}/follow/": {"get", "put", "delete"},
        "{slug}/figures/": {"get"},
    }
    for path, methods in expected.items():
        assert prefix + path in paths, path
        assert methods <= set(paths[prefix + path]), (path, set(paths[prefix + path]))
    create = paths[prefix + "{slug}/contributions/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(create)
    listing = paths[prefix + "{slug}/contributions/"]["get"]
    assert {"theme", "district", "answered", "q", "sort", "page_size", "cursor"} <= {
        p["name"] for p in listing["parameters"]
    }
