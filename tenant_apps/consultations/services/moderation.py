"""Moderation: the automatic filter, reports, the queue's decisions and the audit log."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext as _

from tenant_apps.consultations.models import ModerationDecision, ModerationSettings

_LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)


def settings_get() -> ModerationSettings:
    settings, _created = ModerationSettings.objects.get_or_create(pk=1)
    return settings


def screen_text(*, text: str, language: str) -> str | None:
    """The automatic filter: None when ``text`` may be published, else the reason (shown to the author)
    for sending it to pending moderation: a word from the city's list for ``language`` (or for "*", all
    languages), or more links than the city allows."""
    settings = settings_get()
    lowered = text.lower()
    words = list(settings.word_lists.get((language or "")[:2], [])) + list(settings.word_lists.get("*", []))
    for word in words:
        word = str(word).strip().lower()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered):
            return _("Your text contains words that a moderator must check first.")
    if len(_LINK.findall(text)) > settings.max_links:
        return _("Your text contains many links; a moderator must check it first.")
    return None


def log_decision(
    *,
    target: models.Model,
    action: str,
    previous_status: str = "",
    new_status: str = "",
    reason: str = "",
    actor_id: int | None = None,
) -> ModerationDecision:
    """Append one line to the audit log (``target`` is a Contribution or a Comment)."""
    from tenant_apps.consultations.models import Comment

    key = "comment" if isinstance(target, Comment) else "contribution"
    return ModerationDecision.objects.create(
        **{key: target},
        action=action,
        previous_status=previous_status,
        new_status=new_status,
        reason=reason[:300],
        actor_id=actor_id,
    )
