"""Outgoing email through Celery's ``email`` queue, so a slow SMTP server never holds a request or a worker
of another queue.

Callers render their message (in the recipient's language) and hand over plain strings: the task takes
no model instance and touches no database, so it runs the same in any schema. A retry after a failure may
send a duplicate (SMTP gives no idempotency key), never an exception that escapes the worker.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
# Failures worth another try later: the server or the network, not the message itself.
TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, smtplib.SMTPResponseException, OSError)


@shared_task(name="core.send_mail_task", queue="email", acks_late=True, bind=True, max_retries=MAX_RETRIES)
def send_mail_task(
    self: Any,
    *,
    to: list[str],
    subject: str,
    body: str,
    html_body: str = "",
    from_email: str = "",
    reply_to: list[str] | None = None,
) -> int:
    """Send one message; returns how many were sent (1, or 0 when it was given up)."""
    message = EmailMultiAlternatives(
        # Header injection: a subject is one line whatever the template produced.
        subject=" ".join(subject.split()),
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to or None,
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    try:
        return message.send()
    except TRANSIENT_ERRORS as exc:
        if self.request.called_directly or self.request.retries >= MAX_RETRIES:
            logger.exception("email %r to %s given up", message.subject, ", ".join(to))
            return 0
        logger.warning("email %r to %s failed (%s); retrying", message.subject, ", ".join(to), exc)
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc
    except Exception:
        # A message the server rejects for good (bad address...) must not loop or crash the worker.
        logger.exception("email %r to %s could not be sent", message.subject, ", ".join(to))
        return 0


def send_mail_on_commit(
    *,
    to: list[str],
    subject: str,
    body: str,
    html_body: str = "",
    from_email: str = "",
    reply_to: list[str] | None = None,
) -> None:
    """Enqueue ``send_mail_task`` once the current transaction commits (right away outside one)."""
    kwargs: dict[str, Any] = {
        "to": list(to),
        "subject": subject,
        "body": body,
        "html_body": html_body,
        "from_email": from_email,
        "reply_to": list(reply_to or []),
    }
    transaction.on_commit(lambda: send_mail_task.apply_async(kwargs=kwargs))
