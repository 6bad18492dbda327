"""Notifications: one row per email owed, sent by Celery after the commit that created it.

* ``notify`` records what is owed (inside the caller's transaction) and enqueues
  ``notifications_send_task`` *after* the commit: a rolled-back transaction sends nothing.
* ``send_batch`` sends one batch through one SMTP connection, each email rendered in its recipient's
  language (their ``preferred_language``, else the city's language, else ``LANGUAGE_CODE``).
* ``digest_send`` (daily, beat -> ``tenants.fan_out_task`` -> every city) sends each person who chose the
  daily digest one email listing what happened, grouped by consultation.

Delivery is at least once, never twice by two workers: the rows are locked (``FOR UPDATE SKIP LOCKED``)
while they are sent and marked ``sent_at`` in the same transaction, so a second worker skips them and a
second run finds nothing to send. SMTP gives no idempotency key: a crash after the server accepted some
messages and before the commit re-sends at most that batch (or that person's digest).

Payload keys read by the email templates (all optional, plain values): ``status`` (an ``AnswerStatus``
value, official answers), ``text`` (the answer, or the moderation decision's message), ``excerpt`` (the
start of a comment), ``reason`` (moderation), ``title`` (a title to show when the row has no
contribution).
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from tenant_apps.consultations.models import (
    AnswerStatus,
    DigestFrequency,
    Follow,
    ModerationAction,
    Notification,
    NotificationKind,
)
from tenants.context import current_city

logger = logging.getLogger(__name__)

# Failures of the server or the network: the task tries the rest of the batch again later.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    OSError,
)
# Kinds that accounts' "email me when someone replies to me" setting turns off.
REPLY_KINDS = frozenset({NotificationKind.COMMENT_ON_CONTRIBUTION, NotificationKind.REPLY})
# Notifications locked, sent and marked per transaction (what a crash may send twice).
BATCH_SIZE = 200
# Digest emails list at most this many items (the rest is counted, and marked sent all the same).
DIGEST_MAX_ITEMS = 100

SUBJECTS: dict[str, Any] = {
    NotificationKind.OFFICIAL_ANSWER: gettext_lazy("The city answered your contribution “%(title)s”"),
    NotificationKind.COMMENT_ON_CONTRIBUTION: gettext_lazy("New comment on your contribution “%(title)s”"),
    NotificationKind.REPLY: gettext_lazy("Someone replied to your comment on “%(title)s”"),
    NotificationKind.CONSULTATION_OPENED: gettext_lazy("The consultation “%(title)s” is open"),
    NotificationKind.CONSULTATION_CLOSED: gettext_lazy("The consultation “%(title)s” is closed"),
    NotificationKind.RESULTS_PUBLISHED: gettext_lazy("Results of the consultation “%(title)s”"),
    NotificationKind.MODERATION: gettext_lazy("About your content in “%(title)s”"),
}
# Kinds about a contribution: the subject names the contribution; the others name the consultation.
CONTRIBUTION_KINDS = frozenset(
    {
        NotificationKind.OFFICIAL_ANSWER,
        NotificationKind.COMMENT_ON_CONTRIBUTION,
        NotificationKind.REPLY,
        NotificationKind.MODERATION,
    }
)


def notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    consultation_id: int | None = None,
    contribution_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> list[Notification]:
    """Owe ``kind`` to each recipient (duplicates and None dropped). People who chose the daily digest
    for ``consultation_id`` get it in the digest; the others by email soon after the commit."""
    ids = sorted({i for i in recipient_ids if i is not None})
    if ids and kind in REPLY_KINDS:
        # People who turned off "email me when someone replies to me" in their account get none of these.
        from tenant_apps.consultations import accounts_adapter

        off = accounts_adapter.reply_emails_off(user_ids=ids)
        ids = [i for i in ids if i not in off]
    if not ids:
        return []
    daily: set[int] = set()
    if consultation_id is not None:
        daily = set(
            Follow.objects.filter(
                consultation_id=consultation_id, user_id__in=ids, frequency=DigestFrequency.DAILY
            ).values_list("user_id", flat=True)
        )
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=i,
                kind=kind,
                consultation_id=consultation_id,
                contribution_id=contribution_id,
                payload=payload or {},
                digest=i in daily,
            )
            for i in ids
        ]
    )
    immediate = [n.pk for n in rows if not n.digest]
    if immediate:
        from tenant_apps.consultations import tasks
        from tenants.tasks import enqueue_on_commit

        enqueue_on_commit(tasks.notifications_send_task, kwargs={"notification_ids": immediate})
    return rows


# --- Language and links -------------------------------------------------------------------------------------


def recipient_language(*, preferred: str = "") -> str:
    """The language to write to someone in: theirs, else the city's, else the platform's; each only if
    the platform speaks it (``fr-BE`` becomes ``fr``; an unknown code is skipped)."""
    try:
        city_language = current_city().default_language
    except RuntimeError:  # NoCityError: only in platform code, never for a city's residents
        city_language = ""
    for candidate in (preferred, city_language, settings.LANGUAGE_CODE):
        if not candidate:
            continue
        try:
            return translation.get_supported_language_variant(candidate)
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)


def city_url(path: str) -> str:
    """An absolute link on this city's host (emails are rendered in tasks, without a request)."""
    scheme = getattr(settings, "PUBLIC_URL_SCHEME", "https")
    port = getattr(settings, "PUBLIC_URL_PORT", "")
    host = f"{current_city().slug}.{settings.BASE_DOMAIN}"
    return f"{scheme}://{host}{':' + str(port) if port else ''}{path}"


def notification_link(notification: Notification) -> str:
    """Where the email leads: the contribution, the results page, or the consultation (absolute)."""
    contribution = notification.contribution
    consultation = notification.consultation or (contribution.consultation if contribution else None)
    if consultation is None:
        return city_url("/")
    if contribution is not None:
        path = reverse(
            "consultations:contribution", kwargs={"slug": consultation.slug, "contribution_id": contribution.pk}
        )
    elif notification.kind == NotificationKind.RESULTS_PUBLISHED:
        path = reverse("consultations:results", kwargs={"slug": consultation.slug})
    else:
        path = reverse("consultations:detail", kwargs={"slug": consultation.slug})
    return city_url(path)


# --- Rendering ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    language: str


def _context(notification: Notification) -> dict[str, Any]:
    """What the templates show about one notification (call it with the recipient's language active)."""
    payload = notification.payload if isinstance(notification.payload, dict) else {}
    contribution = notification.contribution
    consultation = notification.consultation or (contribution.consultation if contribution else None)
    status = str(payload.get("status") or "")
    action = str(payload.get("action") or "")
    kind = notification.kind
    return {
        "kind": kind,
        "summary": str(NotificationKind(kind).label) if kind in NotificationKind.values else kind,
        "consultation_title": consultation.title if consultation else "",
        "contribution_title": contribution.title if contribution else str(payload.get("title") or ""),
        "status_label": str(AnswerStatus(status).label) if status in AnswerStatus.values else "",
        "action_label": str(ModerationAction(action).label) if action in ModerationAction.values else "",
        "text": str(payload.get("text") or ""),
        "excerpt": str(payload.get("excerpt") or ""),
        "reason": str(payload.get("reason") or ""),
        "link": notification_link(notification),
    }


def _subject_of(kind: str, context: dict[str, Any]) -> str:
    about_contribution = kind in CONTRIBUTION_KINDS and context["contribution_title"]
    title = context["contribution_title"] if about_contribution else context["consultation_title"]
    template = SUBJECTS.get(kind, gettext_lazy("News from “%(title)s”"))
    return str(template) % {"title": _shorten(title, 80)}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _one_line(subject: str) -> str:
    # Header injection: a subject is one line whatever the data held.
    return " ".join(subject.split())


def render_notification(notification: Notification, *, language: str) -> Rendered:
    """The email for one notification, in ``language`` (active while rendering); the text is the kind's
    template, ``consultations/email/<kind>.txt``."""
    with translation.override(language):
        context = _context(notification)
        context["city_name"] = current_city().name
        subject = _subject_of(notification.kind, context)
        template = select_template(
            [f"consultations/email/{notification.kind}.txt", "consultations/email/notification.txt"]
        )
        body = template.render(context)
    return Rendered(subject=_one_line(subject), body=body.strip() + "\n", language=language)


def _message(*, to: str, rendered: Rendered, connection: Any) -> EmailMessage:
    return EmailMessage(
        subject=rendered.subject,
        body=rendered.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated", "Content-Language": rendered.language},
    )


def _reachable(user: Any) -> bool:
    """Deleted accounts (inactive, anonymised address) get nothing; their rows are marked all the same."""
    return bool(user.is_active and user.email)


# --- Sending ------------------------------------------------------------------------------------------------

SENT, REFUSED, FAILED = "sent", "refused", "failed"


class _Sender:
    """One SMTP connection for many messages. A transient failure stops the run and is remembered, so
    that the caller can mark what went out, commit, then raise (the task retries the rest)."""

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)
        self.opened = False
        self.failure: BaseException | None = None

    def send(self, message: EmailMessage) -> str:
        if self.failure is not None:
            return FAILED
        try:
            if not self.opened:
                self.connection.open()
                self.opened = True
            self.connection.send_messages([message])
        except TRANSIENT_ERRORS as exc:
            self.failure = exc
            return FAILED
        except Exception:
            # Refused for good (bad address...): trying again would loop. Logged, and counted as handled.
            logger.exception("notification email to %s refused", ", ".join(message.to))
            return REFUSED
        return SENT

    def close(self) -> None:
        if self.opened:
            try:
                self.connection.close()
            except Exception:  # closing a broken connection must not hide what happened before
                logger.warning("SMTP connection did not close cleanly", exc_info=True)

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure


def send_batch(*, notification_ids: Sequence[int]) -> int:
    """Send the immediate notifications among ``notification_ids`` not sent yet; returns how many
    emails went out.

    One SMTP connection for the whole batch; rows are locked, sent and marked ``BATCH_SIZE`` at a time
    (one transaction each), so a crash re-sends at most one slice. Idempotent (sent rows are skipped)
    and safe with two workers (rows locked by the other are skipped). On a transient SMTP failure, what
    went out is marked and the error is raised so that the task retries the rest.
    """
    ids = sorted({int(i) for i in notification_ids})
    sender = _Sender()
    sent = 0
    try:
        for start in range(0, len(ids), BATCH_SIZE):
            sent += _send_slice(ids[start : start + BATCH_SIZE], sender)
            if sender.failure is not None:
                break
    finally:
        sender.close()
    sender.raise_failure()
    return sent


@transaction.atomic
def _send_slice(ids: list[int], sender: _Sender) -> int:
    rows = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=ids, sent_at__isnull=True, digest=False)
        .select_related("recipient", "consultation", "contribution__consultation")
        .order_by("id")
    )
    handled: list[int] = []
    sent = 0
    for notification in rows:
        recipient = notification.recipient
        if _reachable(recipient):
            language = recipient_language(preferred=recipient.preferred_language)
            rendered = render_notification(notification, language=language)
            outcome = sender.send(_message(to=recipient.email, rendered=rendered, connection=sender.connection))
            if outcome == FAILED:
                break
            sent += int(outcome == SENT)
        handled.append(notification.pk)
    if handled:
        Notification.objects.filter(pk__in=handled).update(sent_at=timezone.now())
    return sent


def _digest_groups(rows: list[Notification]) -> list[dict[str, Any]]:
    """Items grouped by consultation, in order of first appearance; at most DIGEST_MAX_ITEMS in all."""
    groups: dict[int | None, dict[str, Any]] = {}
    for notification in rows[:DIGEST_MAX_ITEMS]:
        context = _context(notification)
        contribution = notification.contribution
        key = notification.consultation_id or (contribution.consultation_id if contribution else None)
        group = groups.setdefault(key, {"title": context["consultation_title"], "items": []})
        group["items"].append(context)
    return list(groups.values())


def _digest_render(rows: list[Notification], *, language: str) -> Rendered:
    with translation.override(language):
        groups = _digest_groups(rows)
        city = current_city()
        shown = sum(len(g["items"]) for g in groups)
        context = {"groups": groups, "more": len(rows) - shown, "count": len(rows), "city_name": city.name}
        subject = translation.ngettext(
            "%(city)s: %(count)d update about the consultations you follow",
            "%(city)s: %(count)d updates about the consultations you follow",
            len(rows),
        ) % {"city": city.name, "count": len(rows)}
        body = render_to_string("consultations/email/digest.txt", context)
    return Rendered(subject=_one_line(subject), body=body.strip() + "\n", language=language)


def digest_send() -> int:
    """Send each person with unsent digest notifications one email listing them, grouped by
    consultation, in their language; mark them sent. Returns how many emails went out.

    One transaction per person (a failure loses nothing already committed); one SMTP connection for
    the whole run. A person whose rows another worker holds is skipped (that worker sends them).
    """
    recipient_ids = list(
        Notification.objects.filter(digest=True, sent_at__isnull=True)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sender = _Sender()
    sent = 0
    try:
        for recipient_id in recipient_ids:
            with transaction.atomic():
                rows = list(
                    Notification.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(recipient_id=recipient_id, digest=True, sent_at__isnull=True)
                    .select_related("recipient", "consultation", "contribution__consultation")
                    .order_by("consultation_id", "created_at", "id")
                )
                if not rows:
                    continue
                recipient = rows[0].recipient
                if _reachable(recipient):
                    language = recipient_language(preferred=recipient.preferred_language)
                    rendered = _digest_render(rows, language=language)
                    outcome = sender.send(_message(to=recipient.email, rendered=rendered, connection=sender.connection))
                    if outcome == FAILED:
                        break
                    sent += int(outcome == SENT)
                Notification.objects.filter(pk__in=[n.pk for n in rows]).update(sent_at=timezone.now())
    finally:
        sender.close()
    sender.raise_failure()
    return sent


def notifications_sweep(*, older_than_seconds: int = 300) -> int:
    """Send the immediate notifications still unsent after ``older_than_seconds``: their task message was
    lost (broker down at commit) or every retry failed. ``send_batch`` skips what another worker holds or
    already sent, so sweeping is safe while normal sending goes on. Returns how many were sent."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(digest=False, sent_at__isnull=True, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:5000]
    )
    return send_batch(notification_ids=ids) if ids else 0
