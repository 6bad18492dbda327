"""Comments: threading with a depth cap, the counter of published comments, the filter, notifications."""

from __future__ import annotations

from typing import Any

import pytest

from core.exceptions import ApplicationError
from tenant_apps.accounts.models import Verification
from tenant_apps.consultations.models import (
    Comment,
    Consultation,
    Contribution,
    ModerationDecision,
    ModerationSettings,
    Notification,
    NotificationKind,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services.comments import comment_create
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db


def contribution_of(consultation: Consultation, author: Any, **fields: Any) -> Contribution:
    return Contribution.objects.create(consultation=consultation, author=author, title="Idea", body="b", **fields)


def refused(**kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        comment_create(**kwargs)
    return caught.value


def notices(kind: str) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CLOSED, Phase.RESULTS])
def test_no_comment_outside_the_open_phase(in_alpha: City, resident: Any, phase: str) -> None:
    contribution = contribution_of(make_consultation(phase=phase), resident)
    error = refused(contribution=contribution, author=resident, body="Hello")
    assert (error.code, error.status_code) == ("not_open", 409)
    assert not Comment.objects.exists()


def test_verified_only_consultation_refuses_unverified_commenters(in_alpha: City, resident: Any) -> None:
    contribution = contribution_of(make_consultation(participation="verified"), make_user())
    assert refused(contribution=contribution, author=resident, body="Hi").code == "verification_required"
    Verification.objects.create(user=resident, method="letter", identity_hash=f"l-{resident.pk}")
    assert comment_create(contribution=contribution, author=resident, body="Hi").pk


def test_only_published_contributions_take_comments(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    pending = contribution_of(consultation, resident, status="pending")
    assert refused(contribution=pending, author=resident, body="Hi").code == "not_commentable"


def test_body_is_required_bounded_and_stored_as_text(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    contribution = contribution_of(consultation, resident)
    assert "body" in refused(contribution=contribution, author=resident, body=" \n ").fields
    assert "body" in refused(contribution=contribution, author=resident, body="x" * 5001).fields
    comment = comment_create(contribution=contribution, author=resident, body="<b onmouseover=alert(1)>hi</b>")
    assert Comment.objects.get(pk=comment.pk).body == "<b onmouseover=alert(1)>hi</b>"


def test_replies_are_capped_at_the_maximum_depth(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    contribution = contribution_of(consultation, resident)
    chain = [comment_create(contribution=contribution, author=resident, body="level 0")]
    for level in range(1, Comment.MAX_DEPTH + 3):
        chain.append(
            comment_create(contribution=contribution, author=resident, body=f"level {level}", parent_id=chain[-1].pk)
        )
    depths = [c.depth for c in chain]
    assert depths == [0, 1, 2, 3, 3, 3]
    deepest_allowed_ancestor = chain[Comment.MAX_DEPTH - 1]
    assert [c.parent_id for c in chain[Comment.MAX_DEPTH :]] == [deepest_allowed_ancestor.pk] * 3
    assert Contribution.objects.get(pk=contribution.pk).comment_count == len(chain)


def test_parent_must_belong_to_the_same_contribution(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    first, second = contribution_of(consultation, resident), contribution_of(consultation, resident)
    elsewhere = comment_create(contribution=first, author=resident, body="on the first")
    error = refused(contribution=second, author=resident, body="reply", parent_id=elsewhere.pk)
    assert "parent" in error.fields
    hidden = Comment.objects.create(contribution=second, author=make_user(), body="x", status="hidden")
    assert "parent" in refused(contribution=second, author=resident, body="reply", parent_id=hidden.pk).fields


def test_caught_comments_wait_and_do_not_count(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    ModerationSettings.objects.update_or_create(pk=1, defaults={"word_lists": {"en": ["idiot"]}})
    owner = make_user()
    contribution = contribution_of(consultation, owner)
    comment = comment_create(contribution=contribution, author=resident, body="What an IDIOT idea")
    assert comment.status == "pending" and comment.moderation_reason
    assert ModerationDecision.objects.get(comment=comment).action == "auto_pending"
    assert Contribution.objects.get(pk=contribution.pk).comment_count == 0
    assert not Notification.objects.exists()  # the author hears of it only once it is published


def test_authors_are_notified_never_oneself(in_alpha: City, consultation: Consultation) -> None:
    owner, alice, bob = make_user(), make_user(), make_user()
    contribution = contribution_of(consultation, owner)
    top = comment_create(contribution=contribution, author=alice, body="Good idea")
    assert notices(NotificationKind.COMMENT_ON_CONTRIBUTION) == [owner.pk]
    comment_create(contribution=contribution, author=bob, body="Agreed", parent_id=top.pk)
    assert notices(NotificationKind.REPLY) == [alice.pk]
    assert notices(NotificationKind.COMMENT_ON_CONTRIBUTION) == sorted([owner.pk, owner.pk])
    Notification.objects.all().delete()
    # The owner replying to a comment: the comment's author hears, the owner does not hear of themselves.
    comment_create(contribution=contribution, author=owner, body="Thanks", parent_id=top.pk)
    assert notices(NotificationKind.REPLY) == [alice.pk] and notices(NotificationKind.COMMENT_ON_CONTRIBUTION) == []
    Notification.objects.all().delete()
    # Replying to the owner's own comment: one notification, the more specific one.
    owners = comment_create(contribution=contribution, author=owner, body="Also")
    Notification.objects.all().delete()
    comment_create(contribution=contribution, author=alice, body="Sure", parent_id=owners.pk)
    assert notices(NotificationKind.REPLY) == [owner.pk] and notices(NotificationKind.COMMENT_ON_CONTRIBUTION) == []
    Notification.objects.all().delete()
    comment_create(contribution=contribution, author=alice, body="Myself", parent_id=top.pk)
    assert notices(NotificationKind.REPLY) == [] and notices(NotificationKind.COMMENT_ON_CONTRIBUTION) == [owner.pk]
    assert Contribution.objects.get(pk=contribution.pk).comment_count == 6
