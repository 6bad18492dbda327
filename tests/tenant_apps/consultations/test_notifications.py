"""Notification emails: after commit only, batched through one connection, in the recipient's language,
idempotent; the daily digest grouped by consultation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction

from tenant_apps.consultations import tasks
from tenant_apps.consultations.models import (
    Consultation,
    Contribution,
    DigestFrequency,
    Follow,
    Notification,
    NotificationKind,
)
from tenant_apps.consultations.services import notifications
from tenant_apps.consultations.services.notifications import digest_send, notify, recipient_language, send_batch
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user


@pytest.fixture
def connections_opened(monkeypatch: pytest.MonkeyPatch) -> list[EmailBackend]:
    """Every connection the service asks for (locmem backend: messages land in mail.outbox)."""
    opened: list[EmailBackend] = []
    real = notifications.get_connection

    def counting(*args: Any, **kwargs: Any) -> Any:
        backend = real(*args, **kwargs)
        opened.append(backend)
        return backend

    monkeypatch.setattr(notifications, "get_connection", counting)
    return opened


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch, alpha: City) -> list[dict[str, Any]]:
    """The broker and the worker: notifications_send_task runs at once, in the schema its message names."""
    from tenants.context import in_city

    ran: list[dict[str, Any]] = []

    def apply_async(*args: Any, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        ran.append({"kwargs": kwargs, **options})
        assert options["headers"]["_schema_name"] == alpha.schema_name
        with in_city(city_id=alpha.id):
            tasks.notifications_send_task.run(**(kwargs or {}))

    monkeypatch.setattr(tasks.notifications_send_task, "apply_async", apply_async)
    return ran


def user(language: str = "", **fields: Any) -> Any:
    person = make_user(**fields)
    if language:
        person.preferred_language = language
        person.save(update_fields=["preferred_language"])
    return person


def contribution_of(consultation: Consultation, author: Any, title: str = "More trees") -> Contribution:
    return Contribution.objects.create(consultation=consultation, author=author, title=title, body="b")


# --- After commit only -----------------------------------------------------------------------------------------


def test_nothing_is_sent_when_the_transaction_rolls_back(
    consultation: Consultation, worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    author = user()
    idea = contribution_of(consultation, author)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(
            recipient_ids=[author.pk],
            kind=NotificationKind.COMMENT_ON_CONTRIBUTION,
            consultation_id=consultation.pk,
            contribution_id=idea.pk,
        )
        raise RuntimeError("the comment could not be saved")
    assert callbacks == [] and worker == [] and mail.outbox == []
    assert not Notification.objects.exists()


def test_email_goes_out_after_the_commit_in_the_recipients_city(
    consultation: Consultation, worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    author = user("en")
    idea = contribution_of(consultation, author)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = notify(
            recipient_ids=[author.pk, author.pk, None],  # type: ignore[list-item]
            kind=NotificationKind.COMMENT_ON_CONTRIBUTION,
            consultation_id=consultation.pk,
            contribution_id=idea.pk,
            payload={"excerpt": "I agree, and <b>more</b> shade"},
        )
        assert mail.outbox == [], "nothing before the commit"
    for callback in callbacks:
        callback()
    assert len(rows) == 1 and worker == [
        {"kwargs": {"notification_ids": [rows[0].pk]}, "headers": worker[0]["headers"]}
    ]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [author.email]
    assert message.subject == "New comment on your contribution “More trees”"
    assert "I agree, and <b>more</b> shade" in message.body, "plain text: not HTML-escaped"
    assert f"http://alpha.fluicity.test/consultations/{consultation.slug}/contributions/{idea.pk}/" in message.body
    rows[0].refresh_from_db()
    assert rows[0].sent_at is not None


# --- Batching and idempotency ----------------------------------------------------------------------------------


def test_a_batch_goes_through_one_connection_and_is_sent_once(
    consultation: Consultation, connections_opened: list[EmailBackend]
) -> None:
    people = [user("en") for _ in range(6)]  # English readers (the city's own language is French)
    rows = notify(
        recipient_ids=[p.pk for p in people], kind=NotificationKind.CONSULTATION_OPENED, consultation_id=consultation.pk
    )

    assert send_batch(notification_ids=[n.pk for n in rows]) == 6
    assert len(connections_opened) == 1, "one SMTP connection for the whole batch"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert all(m.subject == f"The consultation “{consultation.title}” is open" for m in mail.outbox)
    assert all(f"http://alpha.fluicity.test/consultations/{consultation.slug}/\n" in m.body for m in mail.outbox)
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0

    assert send_batch(notification_ids=[n.pk for n in rows]) == 0, "a second run sends nothing"
    assert tasks.notifications_send_task.run(notification_ids=[n.pk for n in rows]) == 0
    assert len(mail.outbox) == 6


def test_batch_skips_digest_rows_and_deleted_accounts(consultation: Consultation) -> None:
    daily = user()
    Follow.objects.create(consultation=consultation, user=daily, frequency=DigestFrequency.DAILY)
    gone = user()
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    present = user()
    rows = notify(
        recipient_ids=[daily.pk, gone.pk, present.pk],
        kind=NotificationKind.CONSULTATION_CLOSED,
        consultation_id=consultation.pk,
    )
    assert send_batch(notification_ids=[n.pk for n in rows]) == 1
    assert [m.to for m in mail.outbox] == [[present.email]]
    by_recipient = {n.recipient_id: n for n in Notification.objects.all()}
    assert by_recipient[daily.pk].digest and by_recipient[daily.pk].sent_at is None, "left for the digest"
    assert by_recipient[gone.pk].sent_at is not None, "handled: never retried for a deleted account"


def test_a_transient_failure_marks_what_went_out_and_raises_for_a_retry(
    consultation: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [user() for _ in range(3)]
    rows = notify(
        recipient_ids=[p.pk for p in people], kind=NotificationKind.RESULTS_PUBLISHED, consultation_id=consultation.pk
    )
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def flaky(self: EmailBackend, messages: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionResetError("server went away")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with pytest.raises(ConnectionResetError):
        send_batch(notification_ids=[n.pk for n in rows])
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(sent_at__isnull=False).count() == 1, "the one that went out is marked"

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert send_batch(notification_ids=[n.pk for n in rows]) == 2, "the retry sends only the rest"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


# --- Language ---------------------------------------------------------------------------------------------------


def test_language_is_the_recipients_else_the_citys_else_the_platforms(in_alpha: City, settings: Any) -> None:
    assert in_alpha.default_language == "fr" and settings.LANGUAGE_CODE == "en"
    assert recipient_language(preferred="de") == "de"
    assert recipient_language(preferred="nl-BE") == "nl"
    assert recipient_language(preferred="") == "fr", "the city's language"
    assert recipient_language(preferred="xx") == "fr", "a language the platform does not speak is skipped"


@pytest.mark.parametrize(("language", "done"), [("fr", "Terminé"), ("de", "Erledigt"), ("en", "Done")])
def test_each_email_is_written_in_its_recipients_language(consultation: Consultation, language: str, done: str) -> None:
    author = user(language)
    idea = contribution_of(consultation, author)
    rows = notify(
        recipient_ids=[author.pk],
        kind=NotificationKind.OFFICIAL_ANSWER,
        consultation_id=consultation.pk,
        contribution_id=idea.pk,
        payload={"status": "done", "text": "The trees are planted."},
    )
    send_batch(notification_ids=[rows[0].pk])
    message = mail.outbox[0]
    assert message.extra_headers["Content-Language"] == language
    assert re.search(rf"\b{done}\b", str(message.body)), message.body
    assert "The trees are planted." in message.body


def test_mixed_languages_in_one_batch(consultation: Consultation) -> None:
    french, german, undecided = user("fr"), user("de"), user()
    rows = notify(
        recipient_ids=[french.pk, german.pk, undecided.pk],
        kind=NotificationKind.CONSULTATION_OPENED,
        consultation_id=consultation.pk,
    )
    send_batch(notification_ids=[n.pk for n in rows])
    languages = {m.to[0]: m.extra_headers["Content-Language"] for m in mail.outbox}
    assert languages == {french.email: "fr", german.email: "de", undecided.email: "fr"}


# --- Digest -----------------------------------------------------------------------------------------------------


def test_digest_groups_by_consultation_sends_one_email_per_person_and_only_once(
    in_alpha: City, connections_opened: list[EmailBackend], worker: list[dict[str, Any]]
) -> None:
    parks = make_consultation(title="Parks and gardens")
    streets = make_consultation(title="Safer streets")
    reader, other_reader, immediate = user("en"), user("fr"), user()
    for consultation in (parks, streets):
        Follow.objects.create(consultation=consultation, user=reader, frequency=DigestFrequency.DAILY)
    Follow.objects.create(consultation=parks, user=other_reader, frequency=DigestFrequency.DAILY)
    Follow.objects.create(consultation=parks, user=immediate, frequency=DigestFrequency.IMMEDIATE)
    mine = contribution_of(streets, reader, title="A crossing at the school")

    notify(
        recipient_ids=[reader.pk, other_reader.pk, immediate.pk],
        kind=NotificationKind.CONSULTATION_OPENED,
        consultation_id=parks.pk,
    )
    notify(recipient_ids=[reader.pk], kind=NotificationKind.CONSULTATION_OPENED, consultation_id=streets.pk)
    notify(
        recipient_ids=[reader.pk],
        kind=NotificationKind.OFFICIAL_ANSWER,
        consultation_id=streets.pk,
        contribution_id=mine.pk,
        payload={"status": "accepted"},
    )
    assert worker == [], "digest rows (and immediate ones, before the commit) are not sent now"
    assert Notification.objects.filter(digest=True).count() == 4

    assert digest_send() == 2
    assert len(connections_opened) == 1, "one connection for the whole digest run"
    emails = {m.to[0]: m for m in mail.outbox}
    assert set(emails) == {reader.email, other_reader.email}
    body = emails[reader.email].body
    assert emails[reader.email].subject == "Alphaville: 3 updates about the consultations you follow"
    assert body.index("== Parks and gardens ==") < body.index("== Safer streets ==")
    streets_part = body[body.index("== Safer streets ==") :]
    assert "“A crossing at the school” (Accepted)" in streets_part
    assert f"http://alpha.fluicity.test/consultations/{streets.slug}/" in streets_part
    assert "Parks and gardens" in emails[other_reader.email].body
    assert emails[other_reader.email].extra_headers["Content-Language"] == "fr"
    assert Notification.objects.filter(digest=True, sent_at__isnull=True).count() == 0
    assert Notification.objects.get(recipient=immediate).sent_at is None, "not the digest's business"

    assert digest_send() == 0, "idempotent"
    assert tasks.digest_send_task.run() == 0
    assert len(mail.outbox) == 2


def test_digest_caps_the_list_but_marks_everything(consultation: Consultation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notifications, "DIGEST_MAX_ITEMS", 2)
    reader = user("en")
    Follow.objects.create(consultation=consultation, user=reader, frequency=DigestFrequency.DAILY)
    for _ in range(5):
        notify(recipient_ids=[reader.pk], kind=NotificationKind.RESULTS_PUBLISHED, consultation_id=consultation.pk)
    assert digest_send() == 1
    body = mail.outbox[0].body
    assert body.count("* Results published") == 2 and "And 3 more updates." in body
    assert f"http://alpha.fluicity.test/consultations/{consultation.slug}/results/" in body
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_people_who_turned_off_reply_emails_get_no_comment_or_reply_notification(consultation: Consultation) -> None:
    from tenant_apps.accounts.models import Profile

    quiet, keen = user(), user()
    Profile.objects.filter(user=quiet).update(notify_replies=False)
    contribution = contribution_of(consultation, keen)
    comment_rows = notify(
        recipient_ids=[quiet.pk, keen.pk],
        kind=NotificationKind.COMMENT_ON_CONTRIBUTION,
        consultation_id=consultation.pk,
        contribution_id=contribution.pk,
    )
    assert [n.recipient_id for n in comment_rows] == [keen.pk]
    # The city's official answer closes the loop: it is not a "reply" and is always owed.
    answer_rows = notify(
        recipient_ids=[quiet.pk], kind=NotificationKind.OFFICIAL_ANSWER, consultation_id=consultation.pk
    )
    assert [n.recipient_id for n in answer_rows] == [quiet.pk]


def test_the_sweeper_sends_what_a_lost_message_left_behind_and_only_that(consultation: Consultation) -> None:
    import datetime

    from django.utils import timezone

    reader = user()
    contribution = contribution_of(consultation, reader)
    with transaction.atomic():
        (lost,) = notify(
            recipient_ids=[reader.pk], kind=NotificationKind.OFFICIAL_ANSWER, contribution_id=contribution.pk
        )
        (fresh,) = notify(
            recipient_ids=[reader.pk], kind=NotificationKind.OFFICIAL_ANSWER, contribution_id=contribution.pk
        )
    Notification.objects.filter(pk=lost.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=30))
    mail.outbox.clear()
    assert tasks.notifications_sweep_task.run() == 1  # the fresh one is still in its own task's hands
    assert len(mail.outbox) == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.sent_at is not None and fresh.sent_at is None
    assert tasks.notifications_sweep_task.run() == 0
