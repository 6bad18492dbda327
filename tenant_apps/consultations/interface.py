"""What the platform and other apps may call: ids in, plain data out; hooks found by name
(``core.registry.tenant_app_hooks``): usage metering, GDPR export and erasure, the home page section,
and the defaults of a new city."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tenant_apps.consultations.models import (
    Answer,
    Attachment,
    Comment,
    CommentStatus,
    Consultation,
    Contribution,
    ExportJob,
    Follow,
    ModerationDecision,
    Notification,
    OfficialAnswer,
    Reaction,
    Report,
    SurveyResponse,
    Visibility,
)
from tenant_apps.consultations.phases import Phase

__all__ = ["gdpr_erase", "gdpr_export", "home_section", "prepare_schema", "usage"]

# Closed consultations stay on the home page this long after closing (results included).
HOME_RECENTLY_CLOSED = datetime.timedelta(days=30)
HOME_LIMIT = 6


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def usage(*, period_start: datetime.datetime, period_end: datetime.datetime) -> dict[str, int]:
    """Billable activity in ``[period_start, period_end)``: contributions posted (any status)."""
    return {
        "contributions": Contribution.objects.filter(created_at__gte=period_start, created_at__lt=period_end).count()
    }


# --- GDPR -----------------------------------------------------------------------------------------------


def _answer_value(answer: Answer) -> Any:
    if answer.choice_id is not None:
        label = answer.choice.label if answer.choice else ""
        return {"choice": label, "rank": answer.rank} if answer.rank is not None else label
    if answer.number is not None:
        return answer.number
    return answer.text


def gdpr_export(*, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything the person wrote or did in consultations: contributions (with their attachments'
    names and the city's answers), comments, reactions, follows and survey responses."""
    contributions = (
        Contribution.objects.filter(author_id=user_id)
        .select_related("consultation", "theme", "official_answer")
        .order_by("created_at", "id")
    )
    attachments: dict[int, list[str]] = defaultdict(list)
    for contribution_id, name in Attachment.objects.filter(contribution__author_id=user_id).values_list(
        "contribution_id", "original_name"
    ):
        attachments[contribution_id].append(name)
    responses = list(
        SurveyResponse.objects.filter(respondent_id=user_id).select_related("survey__consultation").order_by("id")
    )
    answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for answer in (
        Answer.objects.filter(response__in=responses)
        .select_related("question", "choice")
        .order_by("response_id", "question__position", "question_id", "rank", "id")
    ):
        answers[answer.response_id].append({"question": answer.question.label, "answer": _answer_value(answer)})

    def official(c: Contribution) -> dict[str, Any] | None:
        try:
            found: OfficialAnswer = c.official_answer
        except OfficialAnswer.DoesNotExist:
            return None
        return {"status": found.status, "text": found.text, "at": _iso(found.updated_at)}

    return {
        "contributions": [
            {
                "consultation": c.consultation.title,
                "title": c.title,
                "body": c.body,
                "theme": c.theme.name if c.theme else "",
                "status": c.status,
                "district": c.district,
                "latitude": str(c.latitude) if c.latitude is not None else None,
                "longitude": str(c.longitude) if c.longitude is not None else None,
                "attachments": attachments.get(c.pk, []),
                "official_answer": official(c),
                "created_at": _iso(c.created_at),
            }
            for c in contributions
        ],
        "comments": [
            {
                "consultation": c.contribution.consultation.title,
                "contribution": c.contribution.title,
                "body": c.body,
                "status": c.status,
                "created_at": _iso(c.created_at),
            }
            for c in Comment.objects.filter(author_id=user_id)
            .select_related("contribution__consultation")
            .order_by("created_at", "id")
        ],
        "reactions": [
            {
                "consultation": r.contribution.consultation.title,
                "contribution": r.contribution.title,
                "kind": r.kind,
                "created_at": _iso(r.created_at),
            }
            for r in Reaction.objects.filter(user_id=user_id)
            .select_related("contribution__consultation")
            .order_by("created_at", "id")
        ],
        "follows": [
            {"consultation": f.consultation.title, "frequency": f.frequency, "created_at": _iso(f.created_at)}
            for f in Follow.objects.filter(user_id=user_id).select_related("consultation").order_by("id")
        ],
        "survey_responses": [
            {
                "consultation": r.survey.consultation.title,
                "survey": r.survey.title,
                "answers": answers.get(r.pk, []),
                "created_at": _iso(r.created_at),
            }
            for r in responses
        ],
    }


def _decrement(counts: dict[int, int], field: str) -> None:
    """Subtract ``counts`` (contribution id -> n) from a counter, one UPDATE per distinct n."""
    by_n: dict[int, list[int]] = defaultdict(list)
    for contribution_id, n in counts.items():
        by_n[n].append(contribution_id)
    for n, ids in by_n.items():
        Contribution.objects.filter(pk__in=ids).update(**{field: F(field) - n})


def _erase_reactions(user_id: int) -> int:
    from tenant_apps.consultations.services.reactions import COUNTER_FIELDS

    rows = list(
        Reaction.objects.select_for_update().filter(user_id=user_id).values_list("pk", "contribution_id", "kind")
    )
    per_kind: dict[str, dict[int, int]] = defaultdict(dict)
    for _pk, contribution_id, kind in rows:
        per_kind[kind][contribution_id] = 1  # one reaction per person per contribution
    Reaction.objects.filter(pk__in=[pk for pk, _c, _k in rows]).delete()
    for kind, counts in per_kind.items():
        _decrement(counts, COUNTER_FIELDS[kind])
    return len(rows)


def _erase_comments(user_id: int) -> tuple[int, int]:
    """Delete the person's comments; one that others replied to stays as an empty, hidden placeholder
    (deleting it would delete their replies). Deepest first, so a chain of one's own replies goes
    entirely. Returns (deleted, blanked)."""
    deleted = blanked = 0
    uncounted: dict[int, int] = defaultdict(int)
    depths = sorted(set(Comment.objects.filter(author_id=user_id).values_list("depth", flat=True)), reverse=True)
    for depth in depths:
        rows = list(
            Comment.objects.select_for_update()
            .filter(author_id=user_id, depth=depth)
            .values_list("pk", "contribution_id", "status")
        )
        replied = set(Comment.objects.filter(parent_id__in=[r[0] for r in rows]).values_list("parent_id", flat=True))
        leaves = [pk for pk, _c, _s in rows if pk not in replied]
        kept = [pk for pk, _c, _s in rows if pk in replied]
        for _pk, contribution_id, status in rows:
            if status == CommentStatus.PUBLISHED:
                uncounted[contribution_id] += 1
        Comment.objects.filter(pk__in=leaves).delete()
        Comment.objects.filter(pk__in=kept).update(
            author=None, body="", status=CommentStatus.HIDDEN, moderation_reason="", updated_at=timezone.now()
        )
        deleted += len(leaves)
        blanked += len(kept)
    _decrement(dict(uncounted), "comment_count")
    return deleted, blanked


def _delete_contributions(user_id: int) -> int:
    """Delete the person's contributions, except those others were merged into (they carry the others'
    ideas: those stay, anonymised). Attachment files go after the commit."""
    from django.core.files.storage import default_storage

    doomed = Contribution.objects.filter(author_id=user_id).exclude(
        pk__in=Contribution.objects.filter(merged_into__isnull=False).values("merged_into")
    )
    files = list(Attachment.objects.filter(contribution__in=doomed).values_list("file", flat=True))
    count = doomed.count()
    doomed.delete()
    if files:

        def delete_files() -> None:
            for name in files:
                if name:
                    default_storage.delete(name)

        transaction.on_commit(delete_files)
    return count


@transaction.atomic
def gdpr_erase(*, user_id: int, keep_contributions: bool) -> dict[str, int]:
    """Forget the person in consultations.

    Always: reactions and follows are deleted (counters corrected), pending notifications dropped, and
    the person's name removed from what stays (reports, moderation decisions, official answers, survey
    responses: the answers stay, anonymous, so survey results do not change). With
    ``keep_contributions`` their contributions and comments stay, anonymised ("former participant");
    without, they are deleted, except a contribution others were merged into and a comment others
    replied to (emptied and hidden), which stay anonymised so that other people's content survives.
    """
    result = {"reactions_deleted": _erase_reactions(user_id)}
    result["follows_deleted"] = Follow.objects.filter(user_id=user_id).delete()[0]
    Notification.objects.filter(recipient_id=user_id).delete()
    if keep_contributions:
        result["contributions_deleted"], result["comments_deleted"], result["comments_blanked"] = 0, 0, 0
    else:
        result["contributions_deleted"] = _delete_contributions(user_id)
        result["comments_deleted"], result["comments_blanked"] = _erase_comments(user_id)
    result["contributions_anonymised"] = Contribution.objects.filter(author_id=user_id).update(author=None)
    result["comments_anonymised"] = Comment.objects.filter(author_id=user_id).update(author=None)
    result["survey_responses_anonymised"] = SurveyResponse.objects.filter(respondent_id=user_id).update(respondent=None)
    Report.objects.filter(reporter_id=user_id).update(reporter=None)
    ModerationDecision.objects.filter(actor_id=user_id).update(actor=None)
    OfficialAnswer.objects.filter(answered_by_id=user_id).update(answered_by=None)
    ExportJob.objects.filter(requested_by_id=user_id).update(requested_by=None)
    Consultation.objects.filter(created_by_id=user_id).update(created_by=None)
    return result


# --- Home page and new cities ---------------------------------------------------------------------------


def home_section() -> dict[str, Any] | None:
    """What the city's home page shows of consultations: the open ones and those closed in the last
    30 days (results included), listed publicly, newest first; None when there is none."""
    recent = timezone.now() - HOME_RECENTLY_CLOSED
    items = list(
        Consultation.objects.filter(visibility=Visibility.PUBLIC)
        .filter(Q(phase=Phase.OPEN) | Q(phase__in=[Phase.CLOSED, Phase.RESULTS], closed_at__gte=recent))
        .order_by("-created_at", "-id")[:HOME_LIMIT]
    )
    return {"template": "consultations/_home_section.html", "items": items} if items else None


def prepare_schema() -> None:
    """Pool hook, run when a spare schema is built: the moderation settings row (idempotent).

    No provisioning ``bootstrap``: every schema a city gets was built by the pool (prepared), and
    ``settings_get`` creates the row on first use anyway; a hook there would cost each new city a query.
    The filter's word lists start empty in every language: each city writes its own."""
    from tenant_apps.consultations.services.moderation import settings_get

    settings_get()
