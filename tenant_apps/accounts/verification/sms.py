"""Text-message provider interface. Production plugs a real provider via ACCOUNTS_SMS_BACKEND; the
development backend only logs the message (no provider is reachable from development machines)."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class DevelopmentSmsBackend:
    """Logs the message instead of sending it; keeps the last messages for tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        logger.warning("SMS to %s: %s", to, body)
        DevelopmentSmsBackend.outbox.append((to, body))
        del DevelopmentSmsBackend.outbox[:-100]


def get_backend() -> SmsBackend:
    path = getattr(settings, "ACCOUNTS_SMS_BACKEND", "tenant_apps.accounts.verification.sms.DevelopmentSmsBackend")
    backend: SmsBackend = import_string(path)()
    return backend
