"""Moderation: the automatic filter, reports, the queue's decisions and the audit log.

Every change of a contribution's or a comment's status made here is written to the audit log
(``ModerationDecision``) and told to the author (a MODERATION notification), in the transaction that
makes it. ``Contribution.comment_count`` counts published comments only: hiding a published comment
takes one off, publishing a pending or hidden one adds one (``F()`` deltas, never a recount, so that a
comment inserted concurrently is not lost).

The reads of the moderation queue and of the audit log live at the end of this module (shared by the
staff pages and the staff API); they cost a fixed number of queries whatever the page size.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.consultations import accounts_adapter
from tenant_apps.consultations.models import (
    Comment,
    Consultation,
    Contribution,
    ContributionStatus,
    DigestFrequency,
    Follow,
    ModerationAction,
    ModerationDecision,
    ModerationSettings,
    Notification,
    NotificationKind,
    Report,
    ReportReason,
)

MAX_WORDS_PER_LANGUAGE = 1000
MAX_WORD_LENGTH = 100
MAX_THRESHOLD = 1000
MAX_LINKS_SETTING = 100
# One decision covers at most this many targets (one page of the queue is far fewer).
MAX_BULK = 500
REASON_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 500

# A word list is keyed by a language's primary subtag ("fr", "en", "nds") or "*" (every language).
LANGUAGE_KEY = re.compile(r"^(\*|[a-z]{2,3})$")

# Links, for the link-spam heuristic:
# * anything with a scheme or starting with "www.";
# * a bare domain followed by a path ("cheap-pills.example/buy");
# * a bare domain on a TLD that spam favours or that is common here ("cheap-pills.com"), so that plain
#   abbreviations ("e.g.", "etc.") and file names ("report.pdf") do not count.
# The look-behind keeps email addresses ("jean@mairie.fr") and sub-parts of a longer host out.
_COMMON_TLDS = "com|net|org|info|biz|io|co|xyz|top|site|online|shop|store|club|app|ru|cn|fr|be|nl|de|eu|uk|ch|es|it|lu"
_HOST = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
_LINK = re.compile(
    rf"""
    (?:\bhttps?://|\bwww\.)[^\s<>"']+
    | (?<![\w@.-]){_HOST}[a-z]{{2,24}}/[^\s<>"']*
    | (?<![\w@.-]){_HOST}(?:{_COMMON_TLDS})\b(?![.@-]\w)
    """,
    re.IGNORECASE | re.VERBOSE,
)

ACTIONS = (ModerationAction.PUBLISH, ModerationAction.HIDE, ModerationAction.DISMISS_REPORTS)
PUBLISHED = "published"  # the same value in ContributionStatus and CommentStatus
PENDING = "pending"
HIDDEN = "hidden"

Target = Contribution | Comment


# --- Settings ---------------------------------------------------------------------------------------------


def settings_get() -> ModerationSettings:
    settings, _created = ModerationSettings.objects.get_or_create(pk=1)
    return settings


def _clean_word_lists(word_lists: Any, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    if not isinstance(word_lists, Mapping):
        errors["word_lists"] = [_("Give the word lists as an object: language code -> list of words.")]
        return {}
    cleaned: dict[str, list[str]] = {}
    for raw_key, words in word_lists.items():
        key = str(raw_key).strip().lower()
        field_name = f"word_lists.{key or raw_key}"
        if not LANGUAGE_KEY.match(key):
            errors[field_name] = [_("Use a language code such as “fr” or “en”, or “*” for every language.")]
            continue
        if key in cleaned:
            errors[field_name] = [_("This language is given twice.")]
            continue
        if isinstance(words, str) or not isinstance(words, Sequence):
            errors[field_name] = [_("Give a list of words.")]
            continue
        if len(words) > MAX_WORDS_PER_LANGUAGE:
            errors[field_name] = [
                _("At most %(max)d words per language (%(n)d given).")
                % {"max": MAX_WORDS_PER_LANGUAGE, "n": len(words)}
            ]
            continue
        kept: list[str] = []
        seen: set[str] = set()
        problems: list[str] = []
        for word in words:
            if not isinstance(word, str) or not word.strip():
                problems.append(_("Words must be non-empty texts."))
                continue
            word = " ".join(word.split())
            if len(word) > MAX_WORD_LENGTH:
                problems.append(
                    _("“%(word)s…” is longer than %(max)d characters.") % {"word": word[:20], "max": MAX_WORD_LENGTH}
                )
                continue
            folded = _fold(word)
            if folded not in seen:
                seen.add(folded)
                kept.append(word)
        if problems:
            errors[field_name] = sorted(set(problems))
        elif kept:
            cleaned[key] = kept
    return cleaned


def _bounded_int(value: Any, *, name: str, maximum: int, errors: dict[str, list[str]]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            errors[name] = [_("Enter a whole number.")]
            return 0
    if not 0 <= value <= maximum:
        errors[name] = [_("Enter a number between 0 and %(max)d.") % {"max": maximum}]
    return int(value)


@transaction.atomic
def settings_update(
    *, auto_hide_threshold: int, word_lists: Mapping[str, Sequence[str]], max_links: int
) -> ModerationSettings:
    """Replace the city's moderation settings. ``word_lists`` maps a language code ("fr", "en"; "*" for
    every language) to words or phrases (non-empty, at most 1000 per language); duplicates (ignoring
    case) are dropped, empty lists removed. Every problem is reported at once, per field."""
    errors: dict[str, list[str]] = {}
    threshold = _bounded_int(auto_hide_threshold, name="auto_hide_threshold", maximum=MAX_THRESHOLD, errors=errors)
    links = _bounded_int(max_links, name="max_links", maximum=MAX_LINKS_SETTING, errors=errors)
    lists = _clean_word_lists(word_lists, errors)
    if errors:
        raise ApplicationError(_("The moderation settings are not valid."), code="invalid", fields=errors)
    settings_get()
    settings = ModerationSettings.objects.select_for_update().get(pk=1)
    settings.auto_hide_threshold = threshold
    settings.max_links = links
    settings.word_lists = lists
    settings.save(update_fields=["auto_hide_threshold", "max_links", "word_lists", "updated_at"])
    return settings


# --- The automatic filter ---------------------------------------------------------------------------------


def _fold(text: str) -> str:
    # NFKC turns look-alikes (full-width letters, ligatures) into plain ones before comparing.
    return unicodedata.normalize("NFKC", text).casefold()


def _language_key(language: str) -> str:
    return re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]


def count_links(text: str) -> int:
    """Links in ``text`` as the link-spam heuristic counts them (every occurrence counts)."""
    return len(_LINK.findall(text))


def screen_text(*, text: str, language: str) -> str | None:
    """The automatic filter: None when ``text`` may be published, else the reason (shown to the author)
    for sending it to pending moderation: a word from the city's list for ``language`` (or for "*", all
    languages), or more links than the city allows."""
    settings = settings_get()
    lists = settings.word_lists or {}
    key = _language_key(language)
    words = [*(lists.get(key, []) if key else []), *lists.get("*", [])]
    parts = []
    for word in words:
        pieces = _fold(str(word)).split()
        if pieces:
            parts.append(r"\s+".join(re.escape(p) for p in pieces))
    if parts:
        # One pattern per call (never cached at module level: the lists are the city's).
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?!\w)")
        if pattern.search(_fold(text)):
            return _("Your text contains words that a moderator must check first.")
    if count_links(text) > settings.max_links:
        return _("Your text contains many links; a moderator must check it first.")
    return None


# --- Audit log and authors' notices -----------------------------------------------------------------------


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
    return ModerationDecision.objects.create(
        **_decision_fields(target, action, previous_status, new_status, reason, actor_id)
    )


def _decision_fields(
    target: models.Model, action: str, previous_status: str, new_status: str, reason: str, actor_id: int | None
) -> dict[str, Any]:
    key = "comment" if isinstance(target, Comment) else "contribution"
    return {
        key: target,
        "action": action,
        "previous_status": previous_status,
        "new_status": new_status,
        "reason": reason[:REASON_MAX_LENGTH],
        "actor_id": actor_id,
    }


def _kind(target: Target) -> str:
    return "comment" if isinstance(target, Comment) else "contribution"


def _contribution_of(target: Target) -> Contribution:
    return target.contribution if isinstance(target, Comment) else target


def _notice_payload(target: Target, *, action: str, status: str, reason: str, **extra: Any) -> dict[str, Any]:
    """What the MODERATION email says: which content, what happened, and why."""
    contribution = _contribution_of(target)
    payload: dict[str, Any] = {
        "action": action,
        "target": _kind(target),
        "status": status,
        "reason": reason,
        "contribution_title": contribution.title,
        "excerpt": target.body[:140],
        **extra,
    }
    if isinstance(target, Comment):
        payload["comment_id"] = target.pk
    return payload


def _notify_authors(notices: Sequence[tuple[Target, dict[str, Any]]]) -> list[Notification]:
    """``notify(kind=MODERATION)`` for many targets at once: one query for the digest choices, one
    insert, one task (``notify`` itself costs two queries per call, i.e. per target)."""
    notices = [(t, p) for t, p in notices if t.author_id is not None]
    if not notices:
        return []
    authors = {t.author_id for t, _p in notices}
    consultations = {_contribution_of(t).consultation_id for t, _p in notices}
    daily = set(
        Follow.objects.filter(
            user_id__in=authors, consultation_id__in=consultations, frequency=DigestFrequency.DAILY
        ).values_list("consultation_id", "user_id")
    )
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=int(target.author_id or 0),
                kind=NotificationKind.MODERATION,
                consultation_id=_contribution_of(target).consultation_id,
                contribution_id=_contribution_of(target).pk,
                payload=payload,
                digest=(_contribution_of(target).consultation_id, target.author_id) in daily,
            )
            for target, payload in notices
        ]
    )
    immediate = [n.pk for n in rows if not n.digest]
    if immediate:
        from tenant_apps.consultations import tasks
        from tenants.tasks import enqueue_on_commit

        enqueue_on_commit(tasks.notifications_send_task, kwargs={"notification_ids": immediate})
    return rows


def _comment_count_deltas(changes: Iterable[tuple[Comment, str, str]]) -> None:
    """Keep ``Contribution.comment_count`` equal to the number of published comments, for comments that
    went from ``previous`` to ``new`` status: one UPDATE with a delta per contribution."""
    deltas: Counter[int] = Counter()
    for comment, previous, new in changes:
        if previous == PUBLISHED and new != PUBLISHED:
            deltas[comment.contribution_id] -= 1
        elif previous != PUBLISHED and new == PUBLISHED:
            deltas[comment.contribution_id] += 1
    deltas = Counter({pk: d for pk, d in deltas.items() if d})
    if not deltas:
        return
    Contribution.objects.filter(pk__in=list(deltas)).update(
        comment_count=F("comment_count")
        + Case(*[When(pk=pk, then=Value(d)) for pk, d in deltas.items()], default=Value(0))
    )


# --- Reports ----------------------------------------------------------------------------------------------


def _unique_violation(exc: IntegrityError, names: Iterable[str]) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    return constraint in names or any(name in str(exc) for name in names)


def report_create(*, target: Contribution | Comment, reporter: User, reason: str, note: str = "") -> Report:
    """``reporter`` reports ``target`` for ``reason`` (a ``ReportReason``).

    Once per person and target (a database constraint: 409 ``already_reported``), never one's own
    content. When the open reports reach the city's ``auto_hide_threshold`` (0: never), published
    content is hidden until a moderator decides; that is logged (``auto_hide``, no actor) and the
    author is told why. The target row is locked first, so that concurrent reports count right and
    hide it once."""
    if reason not in ReportReason.values:
        message = _("Choose a reason for the report.")
        raise ApplicationError(message, code="invalid_reason", fields={"reason": [message]})
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        message = _("Keep the note under %(max)d characters.") % {"max": NOTE_MAX_LENGTH}
        raise ApplicationError(message, code="invalid", fields={"note": [message]})
    if not isinstance(target, Contribution | Comment):
        raise ApplicationError(_("Only contributions and comments can be reported."), code="invalid")
    if not getattr(reporter, "is_authenticated", False) or not reporter.is_active:
        raise ApplicationError(_("Sign in to report content."), code="login_required", status_code=403)
    if target.author_id is not None and target.author_id == reporter.pk:
        raise ApplicationError(_("You cannot report your own content."), code="own_content", status_code=400)

    kind = _kind(target)
    with transaction.atomic():
        qs: QuerySet[Any] = type(target).objects.select_for_update(of=("self",))
        if isinstance(target, Comment):
            qs = qs.select_related("contribution")
        locked = qs.filter(pk=target.pk).first()
        if locked is None:
            raise ApplicationError(_("This content does not exist any more."), code="not_found", status_code=404)
        try:
            with transaction.atomic():
                report = Report.objects.create(**{kind: locked}, reporter=reporter, reason=reason, note=note)
        except IntegrityError as exc:
            if _unique_violation(exc, ("consultations_report_once_contribution", "consultations_report_once_comment")):
                raise ApplicationError(
                    _("You already reported this."), code="already_reported", status_code=409
                ) from exc
            raise
        type(locked).objects.filter(pk=locked.pk).update(report_count=F("report_count") + 1)
        threshold = settings_get().auto_hide_threshold
        if threshold and locked.status == PUBLISHED:
            open_reasons = list(
                Report.objects.filter(**{kind: locked}, resolved_at__isnull=True).values_list("reason", flat=True)
            )
            if len(open_reasons) >= threshold:
                _auto_hide(locked, open_reasons)
    target.refresh_from_db(fields=["status", "moderation_reason", "report_count"])
    return report


def _auto_hide(target: Target, reasons: Sequence[str]) -> None:
    labels = dict(ReportReason.choices)
    common = [str(labels[r]) for r, _n in Counter(reasons).most_common() if r in labels]
    message = _("Hidden after reports from %(n)d people (%(reasons)s), until a moderator reviews it.") % {
        "n": len(reasons),
        "reasons": ", ".join(common),
    }
    message = message[:REASON_MAX_LENGTH]
    type(target).objects.filter(pk=target.pk).update(status=HIDDEN, moderation_reason=message)
    if isinstance(target, Comment):
        _comment_count_deltas([(target, PUBLISHED, HIDDEN)])
    log_decision(
        target=target, action=ModerationAction.AUTO_HIDE, previous_status=PUBLISHED, new_status=HIDDEN, reason=message
    )
    from tenant_apps.consultations.services.notifications import notify

    contribution = _contribution_of(target)
    notify(
        recipient_ids=[target.author_id] if target.author_id else [],
        kind=NotificationKind.MODERATION,
        consultation_id=contribution.consultation_id,
        contribution_id=contribution.pk,
        payload=_notice_payload(
            target,
            action=ModerationAction.AUTO_HIDE,
            status=HIDDEN,
            reason=message,
            report_reasons=sorted(set(reasons)),
        ),
    )


# --- Decisions --------------------------------------------------------------------------------------------


def _ids(values: Iterable[Any], name: str) -> list[int]:
    ids: set[int] = set()
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if number <= 0 or isinstance(value, bool):
            message = _("“%(value)s” is not a valid id.") % {"value": str(value)[:20]}
            raise ApplicationError(message, code="invalid", fields={name: [message]})
        ids.add(number)
    return sorted(ids)


def _decide(target: Target, action: str, reason: str, open_ids: set[int]) -> tuple[str, bool] | None:
    """(new status, tell the author) when ``action`` does something to ``target``, else None."""
    status = target.status
    has_reports = target.pk in open_ids or target.report_count > 0
    if action == ModerationAction.DISMISS_REPORTS:
        return (status, False) if has_reports else None
    if status == ContributionStatus.MERGED:
        return None  # merged contributions are handled by merging, not by the queue
    if action == ModerationAction.PUBLISH:
        if status in (PENDING, HIDDEN):
            return PUBLISHED, True
        return (PUBLISHED, False) if has_reports else None  # a published one: the reports are answered
    if status in (PUBLISHED, PENDING):
        return HIDDEN, True
    # Already hidden (by the reports, say): the moderator's reason replaces the automatic one.
    if reason != target.moderation_reason or has_reports:
        return HIDDEN, reason != target.moderation_reason
    return None


def moderate(
    *,
    action: str,
    contribution_ids: Sequence[int] = (),
    comment_ids: Sequence[int] = (),
    reason: str = "",
    actor_id: int,
) -> int:
    """A moderator's decision on many contributions and comments at once; returns how many it changed.

    ``publish``: pending or hidden content becomes published (and open reports on published content are
    closed); ``hide`` (a reason is required): published or pending content becomes hidden; ``dismiss_reports``:
    open reports are closed and the count reset, the status stays. Publishing or hiding closes the open
    reports too (the moderator has answered them). Each target changed gets a line in the audit log, and
    its author a notice saying why when its status or the reason changed. One transaction, a fixed number
    of queries whatever the number of ids (at most 500)."""
    if not accounts_adapter.is_staff(user_id=actor_id):
        raise ApplicationError(_("Only moderators may take moderation decisions."), code="forbidden", status_code=403)
    if action not in ACTIONS:
        message = _("Unknown moderation action.")
        raise ApplicationError(message, code="invalid_action", fields={"action": [message]})
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX_LENGTH:
        message = _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX_LENGTH}
        raise ApplicationError(message, code="invalid", fields={"reason": [message]})
    if action == ModerationAction.HIDE and not reason:
        message = _("Say why the content is hidden: the author is told.")
        raise ApplicationError(message, code="reason_required", fields={"reason": [message]})
    contribution_pks = _ids(contribution_ids, "contribution_ids")
    comment_pks = _ids(comment_ids, "comment_ids")
    if not contribution_pks and not comment_pks:
        raise ApplicationError(_("Select at least one contribution or comment."), code="nothing_selected")
    if len(contribution_pks) + len(comment_pks) > MAX_BULK:
        raise ApplicationError(_("At most %(max)d items at once.") % {"max": MAX_BULK}, code="too_many", fields={})
    with transaction.atomic():
        changed = _moderate_kind(Contribution, contribution_pks, action=action, reason=reason, actor_id=actor_id)
        changed += _moderate_kind(Comment, comment_pks, action=action, reason=reason, actor_id=actor_id)
    return changed


def _moderate_kind(
    model: type[Contribution] | type[Comment], pks: list[int], *, action: str, reason: str, actor_id: int
) -> int:
    if not pks:
        return 0
    kind = "comment" if model is Comment else "contribution"
    qs: QuerySet[Any] = model.objects.select_for_update(of=("self",)).filter(pk__in=pks).order_by("pk")
    if model is Comment:
        qs = qs.select_related("contribution", "parent")
    targets: list[Target] = list(qs)
    missing = sorted(set(pks) - {t.pk for t in targets})
    if missing:
        message = _("These items do not exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        raise ApplicationError(message, code="not_found", status_code=404, fields={f"{kind}_ids": [message]})
    open_reports = Report.objects.filter(**{f"{kind}_id__in": pks, "resolved_at__isnull": True})
    open_ids = set(open_reports.values_list(f"{kind}_id", flat=True))

    decided: list[tuple[Target, str, bool]] = []
    for target in targets:
        outcome = _decide(target, action, reason, open_ids)
        if outcome is not None:
            decided.append((target, *outcome))
    if not decided:
        return 0
    decided_ids = [t.pk for t, _s, _n in decided]
    now = timezone.now()
    open_reports.filter(**{f"{kind}_id__in": decided_ids}).update(resolved_at=now)
    update: dict[str, Any] = {"report_count": 0, "updated_at": now}
    if action == ModerationAction.PUBLISH:
        update.update(status=PUBLISHED, moderation_reason="")
    elif action == ModerationAction.HIDE:
        update.update(status=HIDDEN, moderation_reason=reason)
    model.objects.filter(pk__in=decided_ids).update(**update)
    if model is Comment:
        _comment_count_deltas((t, t.status, new) for t, new, _n in decided if isinstance(t, Comment))
    ModerationDecision.objects.bulk_create(
        [ModerationDecision(**_decision_fields(t, action, t.status, new, reason, actor_id)) for t, new, _n in decided]
    )
    notices = [
        (t, _notice_payload(t, action=action, status=new, reason=reason, previous_status=t.status))
        for t, new, tell in decided
        if tell
    ]
    _notify_authors(notices)
    if model is Comment and action == ModerationAction.PUBLISH:
        # A comment held for moderation reaches the people it concerns only now that it is visible.
        from tenant_apps.consultations.services.comments import comment_notify

        for target, _new, _tell in decided:
            if isinstance(target, Comment) and target.status == "pending":
                comment_notify(comment=target, contribution=target.contribution, replied_to=target.parent)
    return len(decided)


# --- Reads: the queue and the audit log -------------------------------------------------------------------

QUEUE_STATUSES = ("pending", "hidden", "reported")
QUEUE_KINDS = ("contribution", "comment")
QUEUE_SORTS = ("newest", "oldest", "reported")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class QueueFilters:
    consultation_id: int | None = None
    status: str = ""  # "", "pending", "hidden", "reported"
    kind: str = ""  # "", "contribution", "comment"
    reason: str = ""  # a ReportReason value: content with an open report for it
    q: str = ""
    sort: str = "newest"


@dataclass
class QueueItem:
    kind: str
    target: Contribution | Comment
    consultation: Consultation
    contribution: Contribution  # the contribution itself, or the one the comment belongs to
    author_name: str
    reports: list[Report] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.target.pk

    @property
    def reason_counts(self) -> list[tuple[str, int]]:
        labels = dict(ReportReason.choices)
        return [(str(labels.get(r, r)), n) for r, n in Counter(r.reason for r in self.reports).most_common()]


@dataclass
class Page:
    items: list[Any]
    page: int
    page_size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _invalid_filter(name: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_filter", fields={name: [message]})


def int_param(params: Any, name: str, *, default: int | None, minimum: int = 1) -> int | None:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise _invalid_filter(name, _("Enter a whole number of at least %(min)d.") % {"min": minimum})
    return value


def parse_queue_filters(params: Any) -> QueueFilters:
    """Queue filters from query parameters (a QueryDict or a dict); bad values raise a clear 400."""
    status = str(params.get("status") or "").strip()
    if status and status not in QUEUE_STATUSES:
        raise _invalid_filter("status", _("Unknown status."))
    kind = str(params.get("kind") or "").strip()
    if kind and kind not in QUEUE_KINDS:
        raise _invalid_filter("kind", _("Unknown kind of content."))
    reason = str(params.get("reason") or "").strip()
    if reason and reason not in ReportReason.values:
        raise _invalid_filter("reason", _("Unknown report reason."))
    sort = str(params.get("sort") or "").strip() or "newest"
    if sort not in QUEUE_SORTS:
        raise _invalid_filter("sort", _("Unknown sort order."))
    return QueueFilters(
        consultation_id=int_param(params, "consultation", default=None),
        status=status,
        kind=kind,
        reason=reason,
        q=" ".join(str(params.get("q") or "").split())[:200],
        sort=sort,
    )


def page_params(params: Any) -> tuple[int, int]:
    page = int_param(params, "page", default=1) or 1
    size = int_param(params, "page_size", default=DEFAULT_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    return page, min(size, MAX_PAGE_SIZE)


def _queue_part(model: type[Contribution] | type[Comment], filters: QueueFilters) -> QuerySet[Any]:
    kind = "comment" if model is Comment else "contribution"
    qs: QuerySet[Any] = model.objects.all()
    if filters.consultation_id is not None:
        key = "contribution__consultation_id" if model is Comment else "consultation_id"
        qs = qs.filter(**{key: filters.consultation_id})
    if filters.status == "reported":
        qs = qs.filter(report_count__gt=0)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.filter(Q(status__in=(PENDING, HIDDEN)) | Q(report_count__gt=0))
    if filters.reason:
        qs = qs.filter(
            Exists(Report.objects.filter(**{kind: OuterRef("pk")}, reason=filters.reason, resolved_at__isnull=True))
        )
    if filters.q:
        text = Q(body__icontains=filters.q) | Q(author__display_name__icontains=filters.q)
        if model is Contribution:
            text |= Q(title__icontains=filters.q)
        qs = qs.filter(text)
    return qs.annotate(kind=Value(kind, output_field=CharField())).values_list(
        "kind", "id", "created_at", "report_count"
    )


def display_name(user: User | None) -> str:
    """The name staff see for an author (no query: the user row is already joined)."""
    if user is None:
        return _("Deleted account")
    if not user.is_active:
        return _("Former participant")
    return user.get_short_name()


def queue_page(*, filters: QueueFilters, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """One page of the moderation queue: pending, hidden and reported contributions and comments, with
    their open reports. Five queries whatever the page size: the page of keys (one UNION), the
    contributions, the comments, the reports."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    parts = [
        _queue_part(m, filters)
        for m, k in ((Contribution, "contribution"), (Comment, "comment"))
        if not filters.kind or filters.kind == k
    ]
    union = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    ordering = {
        "newest": ("-created_at", "kind", "-id"),
        "oldest": ("created_at", "kind", "id"),
        "reported": ("-report_count", "-created_at", "kind", "-id"),
    }[filters.sort]
    start = (page - 1) * page_size
    keys = list(union.order_by(*ordering)[start : start + page_size + 1])
    has_next = len(keys) > page_size
    keys = keys[:page_size]
    contribution_ids = [pk for kind, pk, _c, _r in keys if kind == "contribution"]
    comment_ids = [pk for kind, pk, _c, _r in keys if kind == "comment"]
    contributions = (
        {
            c.pk: c
            for c in Contribution.objects.filter(pk__in=contribution_ids).select_related(
                "author", "consultation", "theme"
            )
        }
        if contribution_ids
        else {}
    )
    comments = (
        {
            c.pk: c
            for c in Comment.objects.filter(pk__in=comment_ids).select_related("author", "contribution__consultation")
        }
        if comment_ids
        else {}
    )
    reports: dict[tuple[str, int], list[Report]] = {}
    if keys:
        for report in Report.objects.filter(
            Q(contribution_id__in=contribution_ids) | Q(comment_id__in=comment_ids), resolved_at__isnull=True
        ).order_by("created_at", "id"):
            key = ("comment", report.comment_id) if report.comment_id else ("contribution", report.contribution_id)
            reports.setdefault((key[0], int(key[1] or 0)), []).append(report)
    items: list[QueueItem] = []
    for kind, pk, _created, _count in keys:
        target: Contribution | Comment | None = (contributions if kind == "contribution" else comments).get(pk)
        if target is None:
            continue  # deleted between the two queries
        contribution = target.contribution if isinstance(target, Comment) else target
        items.append(
            QueueItem(
                kind=kind,
                target=target,
                consultation=contribution.consultation,
                contribution=contribution,
                author_name=display_name(target.author),
                reports=reports.get((kind, pk), []),
            )
        )
    return Page(items=items, page=page, page_size=page_size, has_next=has_next)


def decision_log_page(
    *, consultation_id: int | None = None, action: str = "", page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> Page:
    """One page of the audit log, newest first (one query: targets and actors are joined)."""
    if action and action not in ModerationAction.values:
        raise _invalid_filter("action", _("Unknown moderation action."))
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    qs = ModerationDecision.objects.select_related(
        "actor", "contribution__consultation", "comment__contribution__consultation"
    )
    if consultation_id is not None:
        qs = qs.filter(
            Q(contribution__consultation_id=consultation_id) | Q(comment__contribution__consultation_id=consultation_id)
        )
    if action:
        qs = qs.filter(action=action)
    start = (page - 1) * page_size
    rows = list(qs.order_by("-created_at", "-id")[start : start + page_size + 1])
    return Page(items=rows[:page_size], page=page, page_size=page_size, has_next=len(rows) > page_size)


def decision_consultation(decision: ModerationDecision) -> Consultation | None:
    if decision.contribution_id:
        return decision.contribution.consultation if decision.contribution else None
    if decision.comment_id and decision.comment:
        return decision.comment.contribution.consultation
    return None


def consultation_choices() -> list[tuple[int, str]]:
    return list(Consultation.objects.order_by("-created_at", "-id").values_list("id", "title"))
