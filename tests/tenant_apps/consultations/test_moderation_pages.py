"""Moderation back-office pages: staff only, the queue (search, filters, escaping, bulk decisions with
CSRF), the settings form, the audit log, and no city ever sees another's content."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tenant_apps.consultations.models import Consultation, Contribution, ModerationDecision, Notification
from tenant_apps.consultations.services import moderation
from tenants.context import in_city
from tenants.models import City
from tests.conftest import city_host
from tests.tenant_apps.consultations.conftest import make_consultation, make_user
from tests.tenant_apps.consultations.test_moderation_service import make_comment, make_contribution

QUEUE = "/manage/consultations/moderation/"
PAGES = [QUEUE, f"{QUEUE}settings/", f"{QUEUE}log/"]


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 302), ("resident", 403), ("moderator", 200), ("city_admin", 200)]
)
def test_pages_are_for_staff_only(in_alpha: City, alpha_client: Client, url: str, role: str, expected: int) -> None:
    if role != "anonymous":
        logged_in(alpha_client, make_user(role=role))
    response = alpha_client.get(url)
    assert response.status_code == expected
    if role == "anonymous":
        assert "/account/login/" in response["Location"] and "next=" in response["Location"]
    if role == "resident":
        assert "This page is for the city&#x27;s staff only." in response.content.decode()


def test_a_resident_cannot_post_a_decision(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    contribution = make_contribution(consultation, make_user())
    logged_in(alpha_client, make_user())
    response = alpha_client.post(f"{QUEUE}decide/", {"action": "hide", "reason": "x", "contribution": contribution.pk})
    contribution.refresh_from_db()
    assert response.status_code == 403 and contribution.status == "published"


def test_queue_shows_escaped_content_reports_and_author_names(
    in_alpha: City, alpha_client: Client, consultation: Consultation, moderator: Any
) -> None:
    author = make_user(email="writer@people.example")
    author.display_name = "Camille D."
    author.save(update_fields=["display_name"])
    contribution = make_contribution(
        consultation, author, title="<b>Bold</b> idea", body="<script>alert(1)</script>\nsecond line"
    )
    moderation.report_create(target=contribution, reporter=make_user(), reason="spam", note="<i>ads</i>")
    body = logged_in(alpha_client, moderator).get(QUEUE).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in body
    assert "&lt;b&gt;Bold&lt;/b&gt; idea" in body and "&lt;i&gt;ads&lt;/i&gt;" in body
    assert "Camille D." in body and "Spam or advertising × 1" in body
    assert f'name="contribution" value="{contribution.pk}"' in body


def test_queue_search_finds_by_text_and_filters_by_kind(
    in_alpha: City, alpha_client: Client, consultation: Consultation, moderator: Any
) -> None:
    make_contribution(consultation, make_user(), status="pending", title="Tram to the harbour", body="Rails")
    make_contribution(consultation, make_user(), status="pending", title="Benches", body="Wooden ones")
    comment = make_comment(
        make_contribution(consultation, make_user()), make_user(), status="pending", body="The harbour smells"
    )
    logged_in(alpha_client, moderator)
    found = alpha_client.get(QUEUE, {"q": "harbour"}).content.decode()
    assert "Tram to the harbour" in found and "The harbour smells" in found and "Benches" not in found
    comments_only = alpha_client.get(QUEUE, {"q": "harbour", "kind": "comment"}).content.decode()
    assert "The harbour smells" in comments_only and "Tram to the harbour" not in comments_only
    assert f'name="comment" value="{comment.pk}"' in comments_only


def test_queue_with_a_bad_filter_says_so(in_alpha: City, alpha_client: Client, moderator: Any) -> None:
    response = logged_in(alpha_client, moderator).get(QUEUE, {"status": "deleted"})
    assert response.status_code == 400 and "Unknown status." in response.content.decode()


def test_bulk_hide_from_the_queue_with_csrf_keeps_the_filters(
    in_alpha: City, consultation: Consultation, moderator: Any
) -> None:
    client = Client(HTTP_HOST=city_host("alpha"), enforce_csrf_checks=True)
    author = make_user()
    items = [make_contribution(consultation, author, status="pending", title=f"Pending {i}") for i in range(3)]
    logged_in(client, moderator)
    page = client.get(QUEUE, {"status": "pending", "q": "Pending"})
    token = page.cookies["csrftoken"].value
    refused = client.post(f"{QUEUE}decide/", {"action": "hide", "contribution": [items[0].pk], "reason": "x"})
    assert refused.status_code == 403  # no CSRF token
    response = client.post(
        f"{QUEUE}decide/",
        {
            "csrfmiddlewaretoken": token,
            "action": "hide",
            "reason": "Duplicates",
            "contribution": [items[0].pk, items[1].pk],
            "return_query": "status=pending&q=Pending&evil=https://x.example",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?status=pending&q=Pending"
    statuses = dict(Contribution.objects.filter(pk__in=[i.pk for i in items]).values_list("pk", "status"))
    assert statuses == {items[0].pk: "hidden", items[1].pk: "hidden", items[2].pk: "pending"}
    assert ModerationDecision.objects.filter(action="hide", actor=moderator).count() == 2
    assert Notification.objects.filter(recipient=author, kind="moderation").count() == 2
    assert "2 items moderated." in client.get(response["Location"]).content.decode()


def test_hiding_without_a_reason_is_refused_with_a_message(
    in_alpha: City, alpha_client: Client, consultation: Consultation, moderator: Any
) -> None:
    contribution = make_contribution(consultation, make_user(), status="pending")
    logged_in(alpha_client, moderator)
    response = alpha_client.post(f"{QUEUE}decide/", {"action": "hide", "contribution": contribution.pk}, follow=True)
    contribution.refresh_from_db()
    assert contribution.status == "pending" and "Say why the content is hidden" in response.content.decode()
    nothing = alpha_client.post(f"{QUEUE}decide/", {"action": "publish"}, follow=True)
    assert "Select at least one contribution or comment." in nothing.content.decode()


def test_settings_page_saves_threshold_lists_and_links(in_alpha: City, alpha_client: Client, moderator: Any) -> None:
    logged_in(alpha_client, moderator)
    form = alpha_client.get(f"{QUEUE}settings/").content.decode()
    assert 'name="words_fr"' in form and 'name="words_any"' in form and 'name="auto_hide_threshold"' in form
    response = alpha_client.post(
        f"{QUEUE}settings/",
        {"auto_hide_threshold": "3", "max_links": "1", "words_fr": "arnaque\n\n  gros mot \n", "words_any": "casino"},
    )
    assert response.status_code == 302
    saved = moderation.settings_get()
    assert (saved.auto_hide_threshold, saved.max_links) == (3, 1)
    assert saved.word_lists == {"fr": ["arnaque", "gros mot"], "*": ["casino"]}
    assert "arnaque\ngros mot" in alpha_client.get(f"{QUEUE}settings/").content.decode()


def test_settings_page_shows_errors(in_alpha: City, alpha_client: Client, moderator: Any) -> None:
    logged_in(alpha_client, moderator)
    too_many = "\n".join(f"w{i}" for i in range(1001))
    response = alpha_client.post(
        f"{QUEUE}settings/", {"auto_hide_threshold": "-2", "max_links": "1", "words_en": too_many}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in body
    assert moderation.settings_get().auto_hide_threshold == 5
    response = alpha_client.post(
        f"{QUEUE}settings/", {"auto_hide_threshold": "2", "max_links": "1", "words_en": too_many}
    )
    assert "At most 1000 words per language" in response.content.decode()
    assert moderation.settings_get().word_lists == {}


def test_audit_log_page_filters_by_consultation(in_alpha: City, alpha_client: Client, moderator: Any) -> None:
    first, second = make_consultation(title="Harbour plan"), make_consultation(title="School streets")
    a = make_contribution(first, make_user(), title="Ferry idea")
    b = make_contribution(second, make_user(), title="Crossing idea")
    moderation.moderate(action="hide", contribution_ids=[a.pk, b.pk], reason="Off topic", actor_id=moderator.pk)
    logged_in(alpha_client, moderator)
    everything = alpha_client.get(f"{QUEUE}log/").content.decode()
    assert "Ferry idea" in everything and "Crossing idea" in everything and "Off topic" in everything
    only_first = alpha_client.get(f"{QUEUE}log/", {"consultation": first.pk}).content.decode()
    assert "Ferry idea" in only_first and "Crossing idea" not in only_first
    assert alpha_client.get(f"{QUEUE}log/", {"consultation": "abc"}).status_code == 400


def test_a_citys_queue_never_shows_another_citys_content(
    alpha: City, beta: City, alpha_client: Client, beta_client: Client
) -> None:
    with in_city(city_id=beta.id, city=beta):
        beta_consultation = make_consultation(title="Beta consultation")
        make_contribution(beta_consultation, make_user(), status="pending", title="Beta secret pending")
        logged_in(beta_client, make_user(role="moderator"))
    with in_city(city_id=alpha.id, city=alpha):
        alpha_consultation = make_consultation(title="Alpha consultation")
        make_contribution(alpha_consultation, make_user(), status="pending", title="Alpha pending")
        logged_in(alpha_client, make_user(role="moderator"))
    alpha_body = alpha_client.get(QUEUE).content.decode()
    assert "Alpha pending" in alpha_body and "Beta secret" not in alpha_body and "Beta consultation" not in alpha_body
    assert "Nothing to review." in alpha_client.get(QUEUE, {"q": "Beta secret"}).content.decode()
    beta_body = beta_client.get(QUEUE).content.decode()
    assert "Beta secret pending" in beta_body and "Alpha pending" not in beta_body
    # alpha's session cookie means nothing on beta's host: sessions live in each city's schema.
    alpha_client.defaults["HTTP_HOST"] = city_host("beta")
    assert alpha_client.get(QUEUE).status_code == 302
