"""consultations.interface: GDPR export and erasure (counters stay right, other people's content stays),
usage metering, the home page section, the hooks of a new city."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from core.registry import tenant_app_hooks
from tenant_apps.consultations import interface
from tenant_apps.consultations.models import (
    Answer,
    Choice,
    Comment,
    Consultation,
    Contribution,
    Follow,
    ModerationSettings,
    Notification,
    OfficialAnswer,
    Question,
    Reaction,
    Report,
    Survey,
    SurveyResponse,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services.comments import comment_create
from tenant_apps.consultations.services.contributions import contribution_create, contribution_merge
from tenant_apps.consultations.services.reactions import reaction_set
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db


def post(consultation: Consultation, author: Any, title: str) -> Contribution:
    return contribution_create(consultation=consultation, author=author, title=title, body=f"About {title}.")


@pytest.fixture
def story(in_alpha: City, moderator: Any) -> dict[str, Any]:
    """Zoe contributes, comments, reacts, follows and answers a survey among other people."""
    consultation = make_consultation()
    zoe, ann, bob = make_user(), make_user(), make_user()
    own = post(consultation, zoe, "Zoe's idea")
    carrier = post(consultation, zoe, "Zoe's idea others were merged into")
    anns = post(consultation, ann, "Ann's idea")
    duplicate = post(consultation, bob, "Bob's duplicate")
    contribution_merge(contribution_id=duplicate.pk, into_id=carrier.pk, actor_id=moderator.pk)
    reaction_set(contribution=own, user=ann, kind="support")
    reaction_set(contribution=anns, user=zoe, kind="support")
    reaction_set(contribution=anns, user=bob, kind="support")
    comment_create(contribution=own, author=ann, body="Ann on Zoe's idea")
    leaf = comment_create(contribution=anns, author=zoe, body="Zoe's lone comment")
    thread = comment_create(contribution=anns, author=zoe, body="Zoe starts a thread")
    comment_create(contribution=anns, author=bob, body="Bob replies", parent_id=thread.pk)
    chain_top = comment_create(contribution=anns, author=zoe, body="Zoe's chain")
    comment_create(contribution=anns, author=zoe, body="Zoe replies to herself", parent_id=chain_top.pk)
    Follow.objects.create(consultation=consultation, user=zoe)
    Report.objects.create(contribution=anns, reporter=zoe, reason="off_topic")
    survey = Survey.objects.create(consultation=consultation, title="Habits")
    question = Question.objects.create(survey=survey, kind="single", label="How do you travel?")
    bike = Choice.objects.create(question=question, label="Bike")
    free = Question.objects.create(survey=survey, kind="text", label="Anything else?", position=1)
    response = SurveyResponse.objects.create(survey=survey, respondent=zoe)
    Answer.objects.create(response=response, question=question, choice=bike)
    Answer.objects.create(response=response, question=free, text="More benches")
    OfficialAnswer.objects.create(contribution=own, status="accepted", text="Yes.")
    return {
        "consultation": consultation,
        "zoe": zoe,
        "own": own,
        "carrier": carrier,
        "anns": anns,
        "leaf": leaf,
        "thread": thread,
        "response": response,
    }


def test_export_holds_what_the_person_did(story: dict[str, Any]) -> None:
    data = interface.gdpr_export(user_id=story["zoe"].pk)
    assert [c["title"] for c in data["contributions"]] == ["Zoe's idea", "Zoe's idea others were merged into"]
    assert data["contributions"][0]["official_answer"]["status"] == "accepted"
    assert [c["body"] for c in data["comments"]] == [
        "Zoe's lone comment",
        "Zoe starts a thread",
        "Zoe's chain",
        "Zoe replies to herself",
    ]
    assert [(r["contribution"], r["kind"]) for r in data["reactions"]] == [("Ann's idea", "support")]
    assert len(data["follows"]) == 1
    assert data["survey_responses"][0]["answers"] == [
        {"question": "How do you travel?", "answer": "Bike"},
        {"question": "Anything else?", "answer": "More benches"},
    ]
    assert interface.gdpr_export(user_id=make_user().pk) == {
        "contributions": [],
        "comments": [],
        "reactions": [],
        "follows": [],
        "survey_responses": [],
    }


def test_erase_without_keeping_contributions(story: dict[str, Any]) -> None:
    zoe, anns = story["zoe"], story["anns"]
    assert Contribution.objects.get(pk=anns.pk).comment_count == 5
    result = interface.gdpr_erase(user_id=zoe.pk, keep_contributions=False)
    assert result["reactions_deleted"] == 1 and result["follows_deleted"] == 1
    assert result["contributions_deleted"] == 1 and result["contributions_anonymised"] == 1
    assert not Contribution.objects.filter(pk=story["own"].pk).exists()
    carrier = Contribution.objects.get(pk=story["carrier"].pk)  # Bob's duplicate still points at it
    assert carrier.author_id is None and Contribution.objects.filter(merged_into=carrier).count() == 1
    # Zoe's comments on Ann's idea: gone, except the one Bob replied to, emptied and hidden.
    remaining = {c.body: c for c in Comment.objects.filter(contribution=anns)}
    assert set(remaining) == {"", "Bob replies"}
    placeholder = Comment.objects.get(pk=story["thread"].pk)
    assert (placeholder.author_id, placeholder.body, placeholder.status) == (None, "", "hidden")
    fresh = Contribution.objects.get(pk=anns.pk)
    assert (fresh.comment_count, fresh.support_count) == (1, 1)
    assert fresh.comment_count == Comment.objects.filter(contribution=anns, status="published").count()
    assert fresh.support_count == Reaction.objects.filter(contribution=anns).count()
    assert not Follow.objects.filter(user=zoe).exists() and not Notification.objects.filter(recipient=zoe).exists()
    assert SurveyResponse.objects.get(pk=story["response"].pk).respondent_id is None
    assert Answer.objects.filter(response=story["response"]).count() == 2  # survey results do not change
    assert Report.objects.get(contribution=anns).reporter_id is None
    assert interface.gdpr_export(user_id=zoe.pk)["comments"] == []


def test_erase_keeping_contributions_anonymises_them(story: dict[str, Any]) -> None:
    zoe, own, anns = story["zoe"], story["own"], story["anns"]
    result = interface.gdpr_erase(user_id=zoe.pk, keep_contributions=True)
    assert (result["contributions_deleted"], result["contributions_anonymised"]) == (0, 2)
    assert result["comments_anonymised"] == 4
    kept = Contribution.objects.get(pk=own.pk)
    assert kept.author_id is None and kept.title == "Zoe's idea" and kept.support_count == 1
    assert Comment.objects.filter(contribution=anns, author__isnull=True).count() == 4
    fresh = Contribution.objects.get(pk=anns.pk)
    assert (fresh.comment_count, fresh.support_count) == (5, 1)
    assert not Reaction.objects.filter(user=zoe).exists()


def test_usage_counts_contributions_of_the_period(in_alpha: City, resident: Any) -> None:
    consultation = make_consultation()
    start = timezone.now() - datetime.timedelta(hours=1)
    post(consultation, resident, "Counted")
    post(consultation, resident, "Also counted")
    old = post(consultation, resident, "Yesterday")
    Contribution.objects.filter(pk=old.pk).update(created_at=start - datetime.timedelta(days=1))
    end = timezone.now() + datetime.timedelta(seconds=1)
    assert interface.usage(period_start=start, period_end=end) == {"contributions": 2}
    assert interface.usage(period_start=end, period_end=end + datetime.timedelta(days=1)) == {"contributions": 0}


def test_home_section_lists_open_and_recently_closed_public_consultations(alpha: City) -> None:
    with in_city(city_id=alpha.id, city=alpha):
        assert interface.home_section() is None
        now = timezone.now()
        make_consultation(title="Open <b>now</b>", summary="Tell us")
        make_consultation(title="Closed last week", phase=Phase.CLOSED, closed_at=now - datetime.timedelta(days=7))
        make_consultation(title="Closed long ago", phase=Phase.RESULTS, closed_at=now - datetime.timedelta(days=60))
        make_consultation(title="Still a draft", phase=Phase.DRAFT)
        make_consultation(title="Unlisted one", visibility="unlisted")
        section = interface.home_section()
        assert section is not None and section["template"] == "consultations/_home_section.html"
        assert [c.title for c in section["items"]] == ["Closed last week", "Open <b>now</b>"]
        slug = section["items"][1].slug
    page = Client(HTTP_HOST="alpha.fluicity.test").get("/").content.decode()
    assert "Open &lt;b&gt;now&lt;/b&gt;" in page and f'href="/consultations/{slug}/"' in page
    assert "Closed last week" in page and "Tell us" in page
    for hidden in ("Closed long ago", "Still a draft", "Unlisted one"):
        assert hidden not in page


def test_spare_schemas_get_the_moderation_settings_and_new_cities_pay_no_hook(in_alpha: City) -> None:
    assert "tenant_apps.consultations" not in dict(tenant_app_hooks("interface", "bootstrap"))
    assert (
        dict(tenant_app_hooks("interface", "prepare_schema"))["tenant_apps.consultations"] is interface.prepare_schema
    )
    ModerationSettings.objects.all().delete()
    interface.prepare_schema()
    interface.prepare_schema()  # idempotent
    assert ModerationSettings.objects.count() == 1
