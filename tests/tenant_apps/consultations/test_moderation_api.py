"""Staff moderation API /api/v1/consultations/moderation/: access, queue filters and paging at a constant
query count, bulk decisions, settings, audit log, and isolation between cities."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tenant_apps.consultations.models import Consultation, Contribution, ModerationDecision, Notification
from tenant_apps.consultations.services import moderation
from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD
from tests.tenant_apps.consultations.conftest import make_consultation, make_user
from tests.tenant_apps.consultations.test_moderation_service import make_comment, make_contribution

API = "/api/v1/consultations/moderation/"
GETS = ["queue/", "settings/", "log/"]


@pytest.mark.parametrize("path", GETS)
@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 401), ("resident", 403), ("moderator", 200), ("city_admin", 200)]
)
def test_api_is_for_staff_only(in_alpha: City, alpha_api: APIClient, path: str, role: str, expected: int) -> None:
    if role != "anonymous":
        alpha_api.force_authenticate(make_user(role=role))
    response = alpha_api.get(API + path)
    assert response.status_code == expected
    if expected != 200:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_a_resident_cannot_decide_or_change_settings(
    in_alpha: City, alpha_api: APIClient, consultation: Consultation, resident: Any
) -> None:
    contribution = make_contribution(consultation, make_user())
    alpha_api.force_authenticate(resident)
    decision = alpha_api.post(
        API + "decisions/", {"action": "hide", "contribution_ids": [contribution.pk], "reason": "x"}, format="json"
    )
    settings = alpha_api.put(
        API + "settings/", {"auto_hide_threshold": 1, "word_lists": {}, "max_links": 0}, format="json"
    )
    assert decision.status_code == 403 and settings.status_code == 403
    assert decision.json()["error"]["code"] == "staff_only"
    contribution.refresh_from_db()
    assert contribution.status == "published" and moderation.settings_get().auto_hide_threshold == 5


def test_queue_with_a_token_lists_items_with_reports(
    in_alpha: City, alpha_api: APIClient, consultation: Consultation
) -> None:
    moderator = make_user(role="moderator")
    token = alpha_api.post("/api/v1/auth/token/", {"email": moderator.email, "password": PASSWORD}).json()["token"]
    alpha_api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    contribution = make_contribution(consultation, make_user(), title="Reported <idea>")
    moderation.report_create(target=contribution, reporter=make_user(), reason="personal_data", note="My address")
    data = alpha_api.get(API + "queue/").json()
    (item,) = data["results"]
    assert item["kind"] == "contribution" and item["id"] == contribution.pk and item["title"] == "Reported <idea>"
    assert item["consultation"] == {"id": consultation.pk, "slug": consultation.slug, "title": consultation.title}
    assert item["report_count"] == 1 and item["reports"][0]["reason"] == "personal_data"
    assert item["reports"][0]["note"] == "My address" and item["status"] == "published"
    assert data["next"] is None and data["previous"] is None and data["page"] == 1


def test_queue_filters_search_and_paging(
    in_alpha: City, alpha_api: APIClient, consultation: Consultation, moderator: Any
) -> None:
    alpha_api.force_authenticate(moderator)
    for i in range(3):
        make_contribution(consultation, make_user(), status="pending", title=f"Harbour {i}")
    comment = make_comment(make_contribution(consultation, make_user()), make_user(), status="hidden", body="Rude")
    first = alpha_api.get(API + "queue/", {"q": "harbour", "page_size": "2"}).json()
    assert len(first["results"]) == 2 and first["next"] and "page=2" in first["next"]
    second = alpha_api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None and "page=1" in second["previous"]
    titles = {i["title"] for i in first["results"] + second["results"]}
    assert titles == {"Harbour 0", "Harbour 1", "Harbour 2"}
    hidden = alpha_api.get(API + "queue/", {"kind": "comment", "status": "hidden"}).json()["results"]
    assert [(i["kind"], i["id"], i["body"]) for i in hidden] == [("comment", comment.pk, "Rude")]
    bad = alpha_api.get(API + "queue/", {"kind": "reaction"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_filter"
    assert "kind" in bad.json()["error"]["fields"]


def test_queue_costs_the_same_queries_for_2_or_40_items(
    in_alpha: City, alpha_api: APIClient, consultation: Consultation, moderator: Any
) -> None:
    alpha_api.force_authenticate(moderator)

    def queries_for(n: int) -> int:
        for _ in range(n):
            contribution = make_contribution(consultation, make_user(), status="pending")
            comment = make_comment(contribution, make_user(), status="pending")
            moderation.report_create(target=comment, reporter=make_user(), reason="spam")
        with CaptureQueriesContext(connection) as queries:
            response = alpha_api.get(API + "queue/", {"page_size": 100})
        assert response.status_code == 200
        return len(queries)

    alpha_api.get(API + "queue/")  # warm the per-process caches (city routing, content types)
    small = queries_for(1)  # 2 items
    assert queries_for(19) == small  # 40 items


def test_decisions_publish_and_hide_in_bulk(
    in_alpha: City, alpha_api: APIClient, consultation: Consultation, moderator: Any
) -> None:
    alpha_api.force_authenticate(moderator)
    author = make_user()
    contributions = [make_contribution(consultation, author, status="pending") for _ in range(2)]
    comment = make_comment(contributions[0], make_user(), status="pending")
    response = alpha_api.post(
        API + "decisions/",
        {"action": "publish", "contribution_ids": [c.pk for c in contributions], "comment_ids": [comment.pk]},
        format="json",
    )
    assert response.status_code == 200 and response.json() == {"changed": 3}
    assert set(Contribution.objects.filter(pk__in=[c.pk for c in contributions]).values_list("status", flat=True)) == {
        "published"
    }
    contributions[0].refresh_from_db()
    assert contributions[0].comment_count == 1
    assert ModerationDecision.objects.filter(action="publish", actor=moderator).count() == 3
    assert Notification.objects.filter(recipient=author, kind="moderation").count() == 2

    no_reason = alpha_api.post(
        API + "decisions/", {"action": "hide", "contribution_ids": [contributions[0].pk]}, format="json"
    )
    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "reason_required"
    unknown = alpha_api.post(API + "decisions/", {"action": "hide", "contribution_ids": [999999], "reason": "x"})
    assert unknown.status_code == 404 and "contribution_ids" in unknown.json()["error"]["fields"]
    bad_action = alpha_api.post(API + "decisions/", {"action": "delete", "contribution_ids": [1]}, format="json")
    assert bad_action.status_code == 400 and "action" in bad_action.json()["error"]["fields"]


def test_settings_get_and_put(in_alpha: City, alpha_api: APIClient, moderator: Any) -> None:
    alpha_api.force_authenticate(moderator)
    assert alpha_api.get(API + "settings/").json()["auto_hide_threshold"] == 5
    saved = alpha_api.put(
        API + "settings/",
        {"auto_hide_threshold": 3, "word_lists": {"fr": ["arnaque", "Arnaque"], "*": ["casino"]}, "max_links": 1},
        format="json",
    )
    assert saved.status_code == 200
    assert saved.json()["word_lists"] == {"fr": ["arnaque"], "*": ["casino"]} and saved.json()["max_links"] == 1
    refused = alpha_api.put(
        API + "settings/",
        {"auto_hide_threshold": 3, "word_lists": {"fr": [" "], "klingon": ["x"]}, "max_links": 1},
        format="json",
    )
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"word_lists.fr", "word_lists.klingon"}
    assert moderation.settings_get().word_lists == {"fr": ["arnaque"], "*": ["casino"]}


def test_audit_log_lists_decisions_filtered_by_consultation(
    in_alpha: City, alpha_api: APIClient, moderator: Any
) -> None:
    alpha_api.force_authenticate(moderator)
    moderation.settings_update(auto_hide_threshold=1, word_lists={}, max_links=2)
    first, second = make_consultation(), make_consultation()
    a = make_contribution(first, make_user())
    b = make_contribution(second, make_user())
    moderation.moderate(action="hide", contribution_ids=[a.pk], reason="Spam", actor_id=moderator.pk)
    comment = make_comment(b, make_user())
    moderation.report_create(target=comment, reporter=make_user(), reason="offensive")  # auto-hidden
    everything = alpha_api.get(API + "log/").json()["results"]
    assert [(d["action"], d["kind"], d["target_id"]) for d in everything] == [
        ("auto_hide", "comment", comment.pk),
        ("hide", "contribution", a.pk),
    ]
    assert everything[0]["actor_id"] is None and everything[1]["actor_id"] == moderator.pk
    assert everything[1]["consultation"]["id"] == first.pk and everything[1]["reason"] == "Spam"
    only_second = alpha_api.get(API + "log/", {"consultation": second.pk}).json()["results"]
    assert [d["target_id"] for d in only_second] == [comment.pk]
    assert alpha_api.get(API + "log/", {"action": "nope"}).status_code == 400


def test_beta_staff_see_none_of_alphas_queue_and_cannot_act_on_it(
    alpha: City, beta: City, alpha_api: APIClient, beta_api: APIClient
) -> None:
    with in_city(city_id=alpha.id, city=alpha):
        alpha_item = make_contribution(make_consultation(), make_user(), status="pending", title="Alpha only")
    with in_city(city_id=beta.id, city=beta):
        beta_api.force_authenticate(make_user(role="moderator"))
        listed = beta_api.get(API + "queue/").json()["results"]
        assert all(i["title"] != "Alpha only" for i in listed)
        acted = beta_api.post(
            API + "decisions/", {"action": "publish", "contribution_ids": [alpha_item.pk]}, format="json"
        )
        assert acted.status_code == 404
    with in_city(city_id=alpha.id, city=alpha):
        alpha_item.refresh_from_db()
        assert alpha_item.status == "pending"
