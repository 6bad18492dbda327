"""API: comments (threaded), reactions, official answers and reports on contributions and comments."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tenant_apps.consultations.models import (
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ContributionStatus,
    OfficialAnswer,
    Reaction,
    ReactionMode,
    Report,
)
from tenant_apps.consultations.phases import Phase
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/consultations/"


def add(consultation: Consultation, author: Any = None, **fields: Any) -> Contribution:
    fields.setdefault("title", "A contribution")
    fields.setdefault("body", "Some text")
    return Contribution.objects.create(consultation=consultation, author=author or make_user(), **fields)


def url_of(contribution: Contribution, tail: str = "") -> str:
    return f"{API}{contribution.consultation.slug}/contributions/{contribution.pk}/{tail}"


# --- Comments ---------------------------------------------------------------------------------------------


def test_comment_and_reply_make_a_tree(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any
) -> None:
    contribution = add(consultation)
    url = url_of(contribution, "comments/")
    assert alpha_api.get(url).json() == []
    assert alpha_api.post(url, {"body": "Hello"}, format="json").status_code == 401
    alpha_api.force_authenticate(resident)
    first = alpha_api.post(url, {"body": "I agree <script>x</script>"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["body"] == "I agree <script>x</script>" and first.json()["depth"] == 0
    replier = make_user()
    replier.display_name = "Sam"
    replier.save(update_fields=["display_name"])
    alpha_api.force_authenticate(replier)
    reply = alpha_api.post(url, {"body": "Me too", "parent_id": first.json()["id"]}, format="json")
    assert reply.status_code == 201 and reply.json()["parent_id"] == first.json()["id"]
    alpha_api.post(url, {"body": "Another topic"}, format="json")

    alpha_api.force_authenticate(None)
    tree = alpha_api.get(url).json()
    assert [node["body"] for node in tree] == ["I agree <script>x</script>", "Another topic"]
    assert [(r["body"], r["author"], r["depth"]) for r in tree[0]["replies"]] == [("Me too", "Sam", 1)]
    assert tree[1]["replies"] == [] and not tree[0]["is_mine"]
    contribution.refresh_from_db()
    assert contribution.comment_count == 3


def test_hidden_comment_with_replies_stays_as_a_placeholder(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, staff: Any
) -> None:
    contribution = add(consultation)
    author = make_user()
    hidden = Comment.objects.create(contribution=contribution, author=author, body="Rude words", status="hidden")
    Comment.objects.create(contribution=contribution, parent=hidden, depth=1, author=make_user(), body="Calm down")
    Comment.objects.create(contribution=contribution, author=make_user(), body="Secret", status="pending")
    url = url_of(contribution, "comments/")
    (node,) = alpha_api.get(url).json()
    assert node["placeholder"] and node["body"] == "" and node["author"] is None
    assert [r["body"] for r in node["replies"]] == ["Calm down"]
    alpha_api.force_authenticate(author)
    mine = alpha_api.get(url).json()
    assert mine[0]["body"] == "Rude words" and mine[0]["is_mine"] and not mine[0]["placeholder"]
    alpha_api.force_authenticate(staff)
    assert len(alpha_api.get(url).json()) == 2


def test_comment_refusals(in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any) -> None:
    contribution = add(consultation)
    url = url_of(contribution, "comments/")
    alpha_api.force_authenticate(resident)
    empty = alpha_api.post(url, {"body": ""}, format="json")
    assert empty.status_code == 400 and set(empty.json()["error"]["fields"]) == {"body"}
    elsewhere = Comment.objects.create(contribution=add(consultation), author=resident, body="There")
    orphan = alpha_api.post(url, {"body": "Reply", "parent_id": elsewhere.pk}, format="json")
    assert orphan.status_code == 400 and set(orphan.json()["error"]["fields"]) == {"parent_id"}
    closed = make_consultation(phase=Phase.CLOSED)
    late = alpha_api.post(url_of(add(closed), "comments/"), {"body": "Late"}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_open"
    assert not Comment.objects.exclude(pk=elsewhere.pk).exists()


# --- Reactions --------------------------------------------------------------------------------------------


def test_react_change_and_take_back(in_alpha: Any, alpha_api: APIClient, resident: Any) -> None:
    consultation = make_consultation(reaction_mode=ReactionMode.AGREEMENT)
    contribution = add(consultation)
    url = url_of(contribution, "reaction/")
    assert alpha_api.put(url, {"kind": "agree"}, format="json").status_code == 401
    alpha_api.force_authenticate(resident)
    agreed = alpha_api.put(url, {"kind": "agree"}, format="json")
    assert agreed.status_code == 200, agreed.content
    assert agreed.json() == {
        "counters": {"support": 0, "agree": 1, "disagree": 0, "pass": 0, "comments": 0},
        "my_reaction": "agree",
    }
    changed = alpha_api.put(url, {"kind": "disagree"}, format="json").json()
    assert changed["counters"]["agree"] == 0 and changed["counters"]["disagree"] == 1
    assert changed["my_reaction"] == "disagree"
    wrong = alpha_api.put(url, {"kind": "support"}, format="json")  # not this consultation's mode
    assert wrong.status_code == 400 and set(wrong.json()["error"]["fields"]) == {"kind"}
    unknown = alpha_api.put(url, {"kind": "love"}, format="json")
    assert unknown.status_code == 400 and set(unknown.json()["error"]["fields"]) == {"kind"}
    removed = alpha_api.delete(url).json()
    assert removed["my_reaction"] is None and removed["counters"]["disagree"] == 0
    assert not Reaction.objects.exists()
    detail = alpha_api.get(url_of(contribution)).json()
    assert detail["my_reaction"] is None and detail["counters"]["agree"] == 0


def test_reactions_need_an_open_consultation_and_a_published_contribution(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any
) -> None:
    alpha_api.force_authenticate(resident)
    closed = make_consultation(phase=Phase.CLOSED)
    refused = alpha_api.put(url_of(add(closed), "reaction/"), {"kind": "support"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_open"
    hidden = add(consultation, status=ContributionStatus.HIDDEN)
    assert alpha_api.put(url_of(hidden, "reaction/"), {"kind": "support"}, format="json").status_code == 404
    assert not Reaction.objects.exists()


# --- Official answers -------------------------------------------------------------------------------------


def test_staff_answer_and_everyone_reads_it(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, staff: Any, resident: Any
) -> None:
    contribution = add(consultation)
    url = url_of(contribution, "answer/")
    payload = {"status": "accepted", "text": "We will build it in 2027."}
    assert alpha_api.put(url, payload, format="json").status_code == 401
    alpha_api.force_authenticate(resident)
    refused = alpha_api.put(url, payload, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "staff_only"
    alpha_api.force_authenticate(staff)
    answered = alpha_api.put(url, payload, format="json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "accepted" and answered.json()["text"] == payload["text"]
    bad = alpha_api.put(url, {"status": "maybe", "text": ""}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"status", "text"}
    assert OfficialAnswer.objects.get(contribution=contribution).answered_by_id == staff.pk

    alpha_api.force_authenticate(None)
    detail = alpha_api.get(url_of(contribution)).json()
    assert detail["official_answer"]["status"] == "accepted" and detail["answer_status"] == "accepted"
    listed = alpha_api.get(f"{API}{consultation.slug}/contributions/", {"answered": "yes"}).json()["results"]
    assert [i["id"] for i in listed] == [contribution.pk]


# --- Reports ----------------------------------------------------------------------------------------------


def test_report_a_contribution_once(
    in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any
) -> None:
    contribution = add(consultation)
    url = url_of(contribution, "report/")
    assert alpha_api.post(url, {"reason": "spam"}, format="json").status_code == 401
    alpha_api.force_authenticate(resident)
    bad = alpha_api.post(url, {"reason": "boring"}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"reason"}
    created = alpha_api.post(url, {"reason": "spam", "note": "Adverts"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["reason"] == "spam" and created.json()["note"] == "Adverts"
    again = alpha_api.post(url, {"reason": "offensive"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reported"
    assert Report.objects.get().contribution_id == contribution.pk


def test_report_a_comment(in_alpha: Any, alpha_api: APIClient, consultation: Consultation, resident: Any) -> None:
    contribution = add(consultation)
    comment = Comment.objects.create(contribution=contribution, author=make_user(), body="Buy pills")
    pending = Comment.objects.create(
        contribution=contribution, author=make_user(), body="Unseen", status=CommentStatus.PENDING
    )
    other = make_consultation()
    alpha_api.force_authenticate(resident)
    base = f"{API}{consultation.slug}/comments/"
    created = alpha_api.post(f"{base}{comment.pk}/report/", {"reason": "spam"}, format="json")
    assert created.status_code == 201, created.content
    assert Report.objects.get().comment_id == comment.pk
    assert alpha_api.post(f"{base}{pending.pk}/report/", {"reason": "spam"}, format="json").status_code == 404
    wrong_place = alpha_api.post(f"{API}{other.slug}/comments/{comment.pk}/report/", {"reason": "spam"}, format="json")
    assert wrong_place.status_code == 404
    assert Report.objects.count() == 1
