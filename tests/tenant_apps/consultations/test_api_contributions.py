"""API /api/v1/consultations/<slug>/contributions/: keyset pages, sorts, filters, a constant number of
queries, and contributing (JSON and multipart), editing and merging."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.test import APIClient

from tenant_apps.consultations.models import (
    Attachment,
    Consultation,
    Contribution,
    ContributionStatus,
    Reaction,
)
from tenant_apps.consultations.phases import Phase
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/consultations/"


def add(consultation: Consultation, author: Any = None, **fields: Any) -> Contribution:
    """A contribution written straight to the database (lists are tested apart from the services)."""
    fields.setdefault("title", "A contribution")
    fields.setdefault("body", "Some text")
    return Contribution.objects.create(
        consultation=consultation, author=author or make_user(), search_config=consultation.search_config, **fields
    )


def walk(api: APIClient, url: str, **params: Any) -> list[list[int]]:
    """Every page from ``url`` by following ``next``: the ids of each page."""
    pages: list[list[int]] = []
    response = api.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item["id"] for item in body["results"]])
        if body["next"] is None:
            return pages
        response = api.get(body["next"])


def png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- Lists ------------------------------------------------------------------------------------------------


def test_list_item_shape(in_alpha: Any, alpha_api: APIClient, consultation: Consultation) -> None:
    mobility = consultation.themes.get(name="Mobility")
    author = make_user()
    author.display_name = "Jeanne"
    author.save(update_fields=["display_name"])
    long_body = "word " * 200
    c = add(consultation, author, title="Bike lanes", body=long_body, theme=mobility, support_count=3, district="North")
    item = alpha_api.get(f"{API}{consultation.slug}/contributions/").json()["results"][0]
    assert item["id"] == c.pk and item["title"] == "Bike lanes" and item["author"] == "Jeanne"
    assert item["theme"] == {"id": mobility.pk, "name": "Mobility", "colour": "#2255aa"}
    assert item["body_truncated"] and len(item["body"]) < len(long_body) and item["body"].endswith("…")
    assert item["counters"] == {"support": 3, "agree": 0, "disagree": 0, "pass": 0, "comments": 0}
    assert item["answer_status"] == "" and item["my_reaction"] is None and item["district"] == "North"
    full = alpha_api.get(f"{API}{consultation.slug}/contributions/", {"body": "full"}).json()["results"][0]
    assert full["body"] == long_body and not full["body_truncated"]
    assert author.email not in str(full)


def test_author_name_never_shows_an_email(in_alpha: Any, alpha_api: APIClient, consultation: Consultation) -> None:
    author = make_user(email="secret.person@people.example")
    add(consultation, author)
    item = alpha_api.get(f"{API}{consultation.slug}/contributions/").json()["results"][0]
    assert "secret" not in item["author"] and item["author"]


def test_residents_see_published_contributions_only_and_staff_filter_by_status(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, staff: Any
) -> None:
    published = add(consultation)
    pending = add(consultation, status=ContributionStatus.PENDING)
    add(consultation, status=ContributionStatus.HIDDEN)
    url = f"{API}{consultation.slug}/contributions/"
    assert [i["id"] for i in alpha_api.get(url).json()["results"]] == [published.pk]
    assert [i["id"] for i in alpha_api.get(url, {"status": "pending"}).json()["results"]] == [published.pk]
    alpha_api.force_authenticate(staff)
    assert [i["id"] for i in alpha_api.get(url, {"status": "pending"}).json()["results"]] == [pending.pk]


def test_cursor_pages_cover_everything_once_and_previous_goes_back(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation
) -> None:
    made = [add(consultation, title=f"C{n}").pk for n in range(23)]
    url = f"{API}{consultation.slug}/contributions/"
    pages = walk(alpha_api, url, page_size=5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    flat = [i for p in pages for i in p]
    assert flat == sorted(made, reverse=True)  # newest first (created in id order)

    # From the last page, "previous" gives back the same pages in reverse.
    last = alpha_api.get(url, {"page_size": 5})
    for _ in range(4):
        last = alpha_api.get(last.json()["next"])
    assert last.json()["next"] is None
    back = [[i["id"] for i in last.json()["results"]]]
    response = last
    while response.json()["previous"]:
        response = alpha_api.get(response.json()["previous"])
        back.append([i["id"] for i in response.json()["results"]])
    assert list(reversed(back)) == pages
    assert alpha_api.get(url, {"page_size": 5}).json()["previous"] is None


@pytest.mark.parametrize(
    ("sort", "counter"), [("supported", "support_count"), ("agreed", "agree_count"), ("commented", "comment_count")]
)
def test_counter_sorts_with_ties_page_without_duplicates(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, sort: str, counter: str
) -> None:
    values = [5, 1, 5, 3, 0, 3, 5, 2, 1, 0, 4]
    made = {add(consultation, **{counter: v}).pk: v for v in values}
    pages = walk(alpha_api, f"{API}{consultation.slug}/contributions/", sort=sort, page_size=3)
    flat = [i for p in pages for i in p]
    assert sorted(flat) == sorted(made) and len(flat) == len(set(flat))
    assert flat == sorted(made, key=lambda pk: (made[pk], pk), reverse=True)


def test_filters_theme_other_district_answered_and_search(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation
) -> None:
    mobility = consultation.themes.get(name="Mobility")
    bikes = add(
        consultation, title="Safer bicycle lanes", body="Separate the cyclists", theme=mobility, district="North"
    )
    trees = add(consultation, title="Plant trees", body="Shade in summer", district="South", answer_status="accepted")
    benches = add(consultation, title="Benches", body="Somewhere to sit", theme=mobility, answer_status="done")
    url = f"{API}{consultation.slug}/contributions/"

    def ids(**params: Any) -> set[int]:
        response = alpha_api.get(url, params)
        assert response.status_code == 200, response.content
        return {i["id"] for i in response.json()["results"]}

    assert ids(theme=mobility.pk) == {bikes.pk, benches.pk}
    assert ids(theme="other") == {trees.pk}
    assert ids(district="North") == {bikes.pk}
    assert ids(answered="yes") == {trees.pk, benches.pk}
    assert ids(answered="no") == {bikes.pk}
    assert ids(answered="accepted") == {trees.pk}
    assert ids(q="bicycles") == {bikes.pk}  # English stemming
    assert ids(q="shade", theme="other") == {trees.pk}
    assert ids(q="nothing-like-this") == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"theme": "mobility"}, "theme"),
        ({"answered": "maybe"}, "answered"),
        ({"sort": "random"}, "sort"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"body": "summary"}, "body"),
    ],
)
def test_bad_list_parameters_are_400_with_the_field(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, params: dict[str, str], field: str
) -> None:
    response = alpha_api.get(f"{API}{consultation.slug}/contributions/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_theme_filter_of_another_consultation_and_bad_cursor_are_400(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation
) -> None:
    foreign = make_consultation().themes.first()
    assert foreign is not None
    url = f"{API}{consultation.slug}/contributions/"
    assert alpha_api.get(url, {"theme": foreign.pk}).json()["error"]["fields"] == {"theme": ["Unknown theme."]}
    bad = alpha_api.get(url, {"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


def test_page_size_is_capped_at_100(in_alpha: Any, alpha_api: APIClient, consultation: Consultation) -> None:
    author = make_user()
    Contribution.objects.bulk_create(
        [Contribution(consultation=consultation, author=author, title=f"t{n}", body="b") for n in range(105)]
    )
    body = alpha_api.get(f"{API}{consultation.slug}/contributions/", {"page_size": 500}).json()
    assert len(body["results"]) == 100 and body["next"]


def test_my_reaction_shows_for_the_signed_in_viewer(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any
) -> None:
    liked, other = add(consultation), add(consultation)
    Reaction.objects.create(contribution=liked, user=resident, kind="support")
    Reaction.objects.create(contribution=other, user=make_user(), kind="support")
    url = f"{API}{consultation.slug}/contributions/"
    assert {i["my_reaction"] for i in alpha_api.get(url).json()["results"]} == {None}
    alpha_api.force_authenticate(resident)
    mine = {i["id"]: i["my_reaction"] for i in alpha_api.get(url).json()["results"]}
    assert mine == {liked.pk: "support", other.pk: None}


@pytest.mark.parametrize("as_staff", [False, True])
def test_a_page_costs_the_same_queries_whatever_its_size(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any, staff: Any, as_staff: bool
) -> None:
    themes = list(consultation.themes.all())
    for n in range(60):
        c = add(consultation, theme=themes[n % 3] if n % 4 else None)
        if n % 2:
            Reaction.objects.create(contribution=c, user=resident, kind="support")
    alpha_api.force_authenticate(staff if as_staff else resident)
    url = f"{API}{consultation.slug}/contributions/"
    alpha_api.get(url)  # the first request of a client warms per-process caches (the city's routing)
    counts = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = alpha_api.get(url, {"page_size": str(size), "theme": str(themes[1].pk)})
        assert response.status_code == 200 and len(response.json()["results"]) == min(size, 15)
        counts[size] = len(queries)
    assert counts[5] == counts[50], counts
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = alpha_api.get(url, {"page_size": str(size), "sort": "supported"})
        assert len(response.json()["results"]) == size
        counts[size] = len(queries)
    assert counts[5] == counts[50], counts


def test_list_of_a_draft_is_404_for_residents(in_alpha: Any, alpha_api: APIClient) -> None:
    draft = make_consultation(phase=Phase.DRAFT)
    add(draft)
    assert alpha_api.get(f"{API}{draft.slug}/contributions/").status_code == 404


# --- Contributing -----------------------------------------------------------------------------------------


def test_contribute_with_json(in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any) -> None:
    theme = consultation.themes.get(name="Housing")
    url = f"{API}{consultation.slug}/contributions/"
    payload = {"title": "More social housing", "body": "Near the station <b>please</b>", "theme": theme.pk}
    assert alpha_api.post(url, payload, format="json").status_code == 401
    alpha_api.force_authenticate(resident)
    response = alpha_api.post(url, {**payload, "latitude": "48.85", "longitude": 2.35}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published" and body["is_mine"] and body["theme"]["id"] == theme.pk
    assert body["body"] == "Near the station <b>please</b>"  # plain text, stored as written, escaped on output
    assert body["latitude"] == pytest.approx(48.85) and body["consultation"] == consultation.slug
    stored = Contribution.objects.get(pk=body["id"])
    assert stored.author_id == resident.pk and stored.consultation_id == consultation.pk
    assert alpha_api.get(f"{url}{stored.pk}/").json()["title"] == "More social housing"


def test_contribute_with_attachments(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any
) -> None:
    alpha_api.force_authenticate(resident)
    response = alpha_api.post(
        f"{API}{consultation.slug}/contributions/",
        {"title": "A broken bench", "body": "See the photos", "attachments": [png("one.png"), png("two.png")]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    attachments = response.json()["attachments"]
    assert [a["name"] for a in attachments] == ["one.png", "two.png"]
    assert {a["kind"] for a in attachments} == {"image"} and all(a["url"] for a in attachments)
    assert Attachment.objects.filter(contribution_id=response.json()["id"]).count() == 2

    fake = SimpleUploadedFile("virus.png", b"MZ not an image", content_type="image/png")
    refused = alpha_api.post(
        f"{API}{consultation.slug}/contributions/",
        {"title": "Look", "body": "here", "attachments": [fake]},
        format="multipart",
    )
    assert refused.status_code == 400 and "attachments" in refused.json()["error"]["fields"]


def test_contributing_refusals(in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any) -> None:
    url = f"{API}{consultation.slug}/contributions/"
    alpha_api.force_authenticate(resident)
    missing = alpha_api.post(url, {"body": "no title"}, format="json")
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]) == {"title"}
    other_theme = make_consultation().themes.first()
    assert other_theme is not None
    wrong = alpha_api.post(url, {"title": "Title", "body": "Body", "theme": other_theme.pk}, format="json")
    assert wrong.status_code == 400 and set(wrong.json()["error"]["fields"]) == {"theme"}
    closed = make_consultation(phase=Phase.CLOSED)
    refused = alpha_api.post(f"{API}{closed.slug}/contributions/", {"title": "Late", "body": "Too late"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_open"
    assert not Contribution.objects.exists()


def test_premoderated_contribution_is_pending_and_visible_to_its_author_only(
    in_alpha: Any, alpha_api: APIClient, resident: Any
) -> None:
    consultation = make_consultation(premoderation=True)
    alpha_api.force_authenticate(resident)
    body = alpha_api.post(
        f"{API}{consultation.slug}/contributions/", {"title": "Wait for it", "body": "Checked first"}, format="json"
    ).json()
    assert body["status"] == "pending" and body["moderation_reason"]
    url = f"{API}{consultation.slug}/contributions/{body['id']}/"
    assert alpha_api.get(url).status_code == 200
    alpha_api.force_authenticate(make_user())
    assert alpha_api.get(url).status_code == 404
    alpha_api.force_authenticate(None)
    assert alpha_api.get(url).status_code == 404
    assert alpha_api.get(f"{API}{consultation.slug}/contributions/").json()["results"] == []


def test_author_edits_and_others_cannot(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any
) -> None:
    contribution = add(consultation, resident, title="Old title", body="Old body")
    url = f"{API}{consultation.slug}/contributions/{contribution.pk}/"
    assert alpha_api.patch(url, {"title": "Hijacked"}, format="json").status_code == 401
    alpha_api.force_authenticate(make_user())
    refused = alpha_api.patch(url, {"title": "Hijacked"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_author"
    alpha_api.force_authenticate(resident)
    theme = consultation.themes.get(name="Environment")
    edited = alpha_api.patch(url, {"title": "New title", "theme": theme.pk}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["title"] == "New title" and edited.json()["body"] == "Old body"
    contribution.refresh_from_db()
    assert (contribution.title, contribution.theme_id) == ("New title", theme.pk)
    assert alpha_api.patch(url, {"theme": None}, format="json").json()["theme"] is None
    assert alpha_api.patch(url, {"title": ""}, format="json").status_code == 400


def test_unknown_contribution_and_contribution_of_another_consultation_are_404(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation
) -> None:
    elsewhere = add(make_consultation())
    assert alpha_api.get(f"{API}{consultation.slug}/contributions/{elsewhere.pk}/").status_code == 404
    assert alpha_api.get(f"{API}{consultation.slug}/contributions/999999/").status_code == 404


def test_staff_merge_duplicates(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, staff: Any, resident: Any
) -> None:
    duplicate, target = add(consultation), add(consultation)
    url = f"{API}{consultation.slug}/contributions/{duplicate.pk}/merge/"
    alpha_api.force_authenticate(resident)
    assert alpha_api.post(url, {"into": target.pk}, format="json").status_code == 403
    alpha_api.force_authenticate(staff)
    elsewhere = add(make_consultation())
    wrong = alpha_api.post(url, {"into": elsewhere.pk}, format="json")
    assert wrong.status_code == 400 and set(wrong.json()["error"]["fields"]) == {"into"}
    merged = alpha_api.post(url, {"into": target.pk, "reason": "Same idea"}, format="json")
    assert merged.status_code == 200, merged.content
    assert merged.json()["status"] == "merged" and merged.json()["merged_into"] == target.pk
    duplicate.refresh_from_db()
    assert duplicate.status == ContributionStatus.MERGED and duplicate.merged_into_id == target.pk
    again = alpha_api.post(url, {"into": target.pk}, format="json")
    assert again.status_code == 409
