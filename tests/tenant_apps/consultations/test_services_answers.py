"""Official answers (staff only, status copied to the contribution, the author told after the commit)
and follows (idempotent, frequency)."""

from __future__ import annotations

from typing import Any

import pytest

from core.exceptions import ApplicationError
from tenant_apps.consultations import tasks
from tenant_apps.consultations.models import (
    Consultation,
    Contribution,
    Follow,
    Notification,
    NotificationKind,
    OfficialAnswer,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services.answers import official_answer_set
from tenant_apps.consultations.services.follows import follow_remove, follow_set
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What reaches the broker (the email task's messages), recorded instead of sent."""
    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(
        tasks.notifications_send_task, "apply_async", lambda *a, kwargs=None, **o: messages.append(kwargs or {})
    )
    return messages


def refused(**kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        official_answer_set(**kwargs)
    return caught.value


def test_answer_updates_the_status_and_notifies_after_commit(
    in_alpha: City,
    consultation: Consultation,
    resident: Any,
    staff: Any,
    sent: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    contribution = Contribution.objects.create(consultation=consultation, author=resident, title="Bench", body="b")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = official_answer_set(
            contribution_id=contribution.pk, status="under_review", text="We are looking.", actor_id=staff.pk
        )
    assert Contribution.objects.get(pk=contribution.pk).answer_status == "under_review"
    notice = Notification.objects.get(recipient=resident)
    assert notice.kind == NotificationKind.OFFICIAL_ANSWER and notice.contribution_id == contribution.pk
    assert notice.payload == {"status": "under_review", "title": "Bench"}
    assert sent == [] and len(callbacks) == 1  # nothing reaches the broker before the commit
    callbacks[0]()
    assert sent == [{"notification_ids": [notice.pk]}]

    with django_capture_on_commit_callbacks(execute=True):
        updated = official_answer_set(
            contribution_id=contribution.pk, status="accepted", text="We will do it.", actor_id=staff.pk
        )
    assert updated.pk == answer.pk and OfficialAnswer.objects.count() == 1
    assert (updated.status, updated.text) == ("accepted", "We will do it.")
    assert Contribution.objects.get(pk=contribution.pk).answer_status == "accepted"
    assert len(sent) == 2 and Notification.objects.filter(recipient=resident).count() == 2

    # The same answer again changes nothing and tells no one.
    with django_capture_on_commit_callbacks(execute=True):
        official_answer_set(
            contribution_id=contribution.pk, status="accepted", text="We will do it.", actor_id=staff.pk
        )
    assert len(sent) == 2


def test_nothing_is_sent_when_the_transaction_rolls_back(
    in_alpha: City,
    consultation: Consultation,
    resident: Any,
    staff: Any,
    sent: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.db import transaction

    contribution = Contribution.objects.create(consultation=consultation, author=resident, title="Bench", body="b")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        official_answer_set(contribution_id=contribution.pk, status="done", text="Done.", actor_id=staff.pk)
        raise RuntimeError("the caller failed after the answer")
    assert callbacks == [] and sent == []
    assert not Notification.objects.exists() and not OfficialAnswer.objects.exists()
    assert Contribution.objects.get(pk=contribution.pk).answer_status == ""


def test_answer_rules(in_alpha: City, consultation: Consultation, resident: Any, moderator: Any) -> None:
    contribution = Contribution.objects.create(consultation=consultation, author=resident, title="Bench", body="b")
    error = refused(contribution_id=contribution.pk, status="accepted", text="Yes", actor_id=resident.pk)
    assert (error.code, error.status_code) == ("forbidden", 403)
    pk, staff_id = contribution.pk, moderator.pk
    assert "status" in refused(contribution_id=pk, status="maybe", text="Yes", actor_id=staff_id).fields
    assert "text" in refused(contribution_id=pk, status="accepted", text="  ", actor_id=staff_id).fields
    assert "text" in refused(contribution_id=pk, status="done", text="x" * 10_001, actor_id=staff_id).fields
    assert refused(contribution_id=10**9, status="done", text="Yes", actor_id=moderator.pk).status_code == 404
    assert not OfficialAnswer.objects.exists()
    # Answers are given in any phase, typically after closing.
    Consultation.objects.filter(pk=consultation.pk).update(phase=Phase.CLOSED)
    official_answer_set(contribution_id=contribution.pk, status="rejected", text="No budget.", actor_id=moderator.pk)
    assert Contribution.objects.get(pk=contribution.pk).answer_status == "rejected"


# --- Follows ----------------------------------------------------------------------------------------------


def test_follow_is_idempotent_and_keeps_the_latest_frequency(
    in_alpha: City, consultation: Consultation, resident: Any
) -> None:
    first = follow_set(consultation=consultation, user=resident)
    again = follow_set(consultation=consultation, user=resident, frequency="daily")
    assert first.pk == again.pk and again.frequency == "daily"
    assert Follow.objects.filter(consultation=consultation).count() == 1
    follow_remove(consultation=consultation, user=resident)
    follow_remove(consultation=consultation, user=resident)
    assert not Follow.objects.exists()


def test_follow_rules(in_alpha: City, resident: Any) -> None:
    consultation = make_consultation()
    with pytest.raises(ApplicationError) as caught:
        follow_set(consultation=consultation, user=resident, frequency="hourly")
    assert "frequency" in caught.value.fields
    draft = make_consultation(phase=Phase.DRAFT)
    with pytest.raises(ApplicationError) as caught:
        follow_set(consultation=draft, user=make_user())
    assert caught.value.status_code == 404
    assert not Follow.objects.exists()
