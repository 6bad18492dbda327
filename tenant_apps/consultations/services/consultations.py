"""Consultations and their themes: creation, settings, phases (by hand and on their planned dates).

Opening is limited by the city's plan (billing's ``open_consultations``): the count of open
consultations and the opening are serialised by a per-city advisory lock, so two openings at the same
moment cannot both slip under the limit. Followers are told when a consultation opens, closes or
publishes its results (notifications are sent after the commit).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from shared_apps.billing import interface as billing
from tenant_apps.consultations.models import (
    SEARCH_CONFIGS,
    Consultation,
    Follow,
    NotificationKind,
    Participation,
    ReactionMode,
    Theme,
    Visibility,
    search_config_for,
)
from tenant_apps.consultations.permissions import staff_require
from tenant_apps.consultations.phases import Phase, can_transition
from tenant_apps.consultations.sanitize import clean_html
from tenant_apps.consultations.services import notifications
from tenant_apps.consultations.services.attachments import cover_image_check, storage_name
from tenants.context import current_city

logger = logging.getLogger(__name__)

SLUG_MAX_LENGTH = 80
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Path segments the consultation pages use next to ``<slug>``.
RESERVED_SLUGS = frozenset({"moderation", "new"})
TITLE_MIN, TITLE_MAX = 3, 200
SUMMARY_MAX = 300
DESCRIPTION_MAX = 50_000
THEME_NAME_MAX = 120
THEME_DESCRIPTION_MAX = 2_000
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
THEME_ICONS: tuple[tuple[str, Any], ...] = (
    ("mobility", gettext_lazy("Mobility")),
    ("environment", gettext_lazy("Environment")),
    ("housing", gettext_lazy("Housing")),
    ("economy", gettext_lazy("Economy")),
    ("culture", gettext_lazy("Culture")),
    ("health", gettext_lazy("Health")),
    ("education", gettext_lazy("Education")),
    ("safety", gettext_lazy("Safety")),
    ("sport", gettext_lazy("Sport")),
    ("urban_planning", gettext_lazy("Urban planning")),
    ("solidarity", gettext_lazy("Solidarity")),
    ("other", gettext_lazy("Other")),
)
ICON_NAMES = frozenset(name for name, _label in THEME_ICONS)

_SETTINGS_FIELDS = frozenset(
    {
        "title",
        "slug",
        "summary",
        "description",
        "participation",
        "visibility",
        "reaction_mode",
        "premoderation",
        "allow_attachments",
        "allow_location",
        "language",
        "opens_at",
        "closes_at",
        "cover_image",
    }
)
_PHASE_NOTIFICATIONS = {
    Phase.OPEN: NotificationKind.CONSULTATION_OPENED,
    Phase.CLOSED: NotificationKind.CONSULTATION_CLOSED,
    Phase.RESULTS: NotificationKind.RESULTS_PUBLISHED,
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- Shared helpers of the write side -------------------------------------------------------------------


def plain_text(value: str | None, *, single_line: bool = False) -> str:
    """People's text as stored: stripped, ``\\r\\n`` -> ``\\n``, without control characters (PostgreSQL
    refuses NUL); a single-line field has its line breaks folded into spaces. Never HTML-escaped here:
    templates escape on output."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if single_line:
        text = " ".join(text.split())
    return text.strip()


def check_length(errors: dict[str, list[str]], field: str, value: str, low: int, high: int) -> None:
    if len(value) < low:
        if low <= 1:
            errors.setdefault(field, []).append(_("This field is required."))
        else:
            errors.setdefault(field, []).append(_("Write at least %(n)s characters.") % {"n": low})
    elif len(value) > high:
        errors.setdefault(field, []).append(_("Write at most %(n)s characters.") % {"n": high})


def raise_invalid(errors: Mapping[str, Sequence[str]], *, code: str = "invalid") -> None:
    """Raise one ``ApplicationError`` naming every field's problems (message: the first of them)."""
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(str(first), code=code, fields=errors)


def lock_for_participation(consultation_id: int) -> Consultation:
    """The consultation re-read ``FOR SHARE`` in the caller's transaction.

    Many participants hold it at once; a phase change (``FOR UPDATE``) waits for them, so nothing is
    written into a consultation that closed in between the check and the insert.
    """
    found = list(
        Consultation.objects.raw(
            f"SELECT * FROM {Consultation._meta.db_table} WHERE id = %s FOR SHARE",
            [consultation_id],
        )
    )
    if not found:
        raise ApplicationError(_("This consultation does not exist."), code="not_found", status_code=404)
    return found[0]


def _lock(consultation_id: int) -> Consultation:
    consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
    if consultation is None:
        raise ApplicationError(_("This consultation does not exist."), code="not_found", status_code=404)
    return consultation


# --- Validation -----------------------------------------------------------------------------------------


def _city_language() -> str:
    return (current_city().default_language or settings.LANGUAGE_CODE or "").lower()


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES} | set(SEARCH_CONFIGS)


def _check_choice(errors: dict[str, list[str]], field: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        errors.setdefault(field, []).append(_("“%(value)s” is not a valid choice.") % {"value": value})


def _check_dates(errors: dict[str, list[str]], opens_at: Any, closes_at: Any) -> None:
    for field, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is not None and (not hasattr(value, "tzinfo") or timezone.is_naive(value)):
            errors.setdefault(field, []).append(_("Give a date and time with its time zone."))
    if "opens_at" in errors or "closes_at" in errors:
        return
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(_("The closing date must come after the opening date."))


def _slug_problem(slug: str, *, exclude_id: int | None) -> str | None:
    if not slug or len(slug) > SLUG_MAX_LENGTH or not _SLUG.match(slug):
        return _(
            "Use lowercase letters, digits and hyphens only (at most %(n)s characters), e.g. “city-centre-2030”."
        ) % {"n": SLUG_MAX_LENGTH}
    if slug in RESERVED_SLUGS:
        return _("The address “%(slug)s” is reserved; choose another one.") % {"slug": slug}
    taken = Consultation.objects.filter(slug=slug)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        return _("The address “%(slug)s” is already used by another consultation.") % {"slug": slug}
    return None


def slug_generate(title: str, *, exclude_id: int | None = None) -> str:
    """A free slug made from ``title``: ``city-centre``, then ``city-centre-2``, ``-3``..."""
    base = slugify(title)[: SLUG_MAX_LENGTH - 6].strip("-") or "consultation"
    existing = Consultation.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-"))
    if exclude_id is not None:
        existing = existing.exclude(pk=exclude_id)
    taken = set(existing.values_list("slug", flat=True)) | RESERVED_SLUGS
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_theme(data: Mapping[str, Any], errors: dict[str, list[str]], field: str) -> dict[str, Any]:
    name = plain_text(str(data.get("name") or ""), single_line=True)
    colour = str(data.get("colour") or "#3355aa").strip()
    icon = str(data.get("icon") or "").strip()
    description = plain_text(str(data.get("description") or ""))
    if not name:
        errors.setdefault(field, []).append(_("Each theme needs a name."))
    elif len(name) > THEME_NAME_MAX:
        errors.setdefault(field, []).append(_("A theme name has at most %(n)s characters.") % {"n": THEME_NAME_MAX})
    if not _COLOUR.match(colour):
        errors.setdefault(field, []).append(
            _("“%(colour)s” is not a colour: use the #rrggbb form, e.g. #3355aa.") % {"colour": colour}
        )
    if icon and icon not in ICON_NAMES:
        errors.setdefault(field, []).append(_("“%(icon)s” is not one of the available icons.") % {"icon": icon})
    if len(description) > THEME_DESCRIPTION_MAX:
        errors.setdefault(field, []).append(
            _("A theme description has at most %(n)s characters.") % {"n": THEME_DESCRIPTION_MAX}
        )
    return {"name": name, "colour": colour.lower(), "icon": icon, "description": description}


def _clean_settings(
    fields: Mapping[str, Any], errors: dict[str, list[str]], *, current: Consultation | None
) -> dict[str, Any]:
    """Validate the given settings (a subset on update); return the values to store."""
    out: dict[str, Any] = {}
    if "title" in fields:
        out["title"] = plain_text(fields["title"], single_line=True)
        check_length(errors, "title", out["title"], TITLE_MIN, TITLE_MAX)
    if "summary" in fields:
        out["summary"] = plain_text(fields["summary"], single_line=True)
        check_length(errors, "summary", out["summary"], 0, SUMMARY_MAX)
    if "description" in fields:
        out["description"] = clean_html(fields["description"] or "")
        check_length(errors, "description", out["description"], 0, DESCRIPTION_MAX)
    for name, choices in (
        ("participation", Participation.values),
        ("visibility", Visibility.values),
        ("reaction_mode", ReactionMode.values),
    ):
        if name in fields:
            _check_choice(errors, name, fields[name], choices)
            out[name] = fields[name]
    for name in ("premoderation", "allow_attachments", "allow_location"):
        if name in fields:
            out[name] = bool(fields[name])
    if "language" in fields:
        language = str(fields["language"] or "").strip().lower() or _city_language()
        _check_choice(errors, "language", language, sorted(_languages()))
        out["language"] = language
        out["search_config"] = search_config_for(language)
    if "opens_at" in fields or "closes_at" in fields:
        opens_at = fields.get("opens_at", current.opens_at if current else None)
        closes_at = fields.get("closes_at", current.closes_at if current else None)
        _check_dates(errors, opens_at, closes_at)
        out["opens_at"], out["closes_at"] = opens_at, closes_at
    cover = fields.get("cover_image")
    if isinstance(cover, UploadedFile):
        try:
            out["cover_content_type"] = cover_image_check(cover)
        except ApplicationError as exc:
            for field, messages in exc.fields.items():
                errors.setdefault(field, []).extend(messages)
    elif cover not in (None, False, ""):
        raise ValueError("cover_image takes an UploadedFile, None (keep) or False (remove).")
    return out


# --- Consultations --------------------------------------------------------------------------------------


@transaction.atomic
def consultation_create(
    *,
    title: str,
    slug: str = "",
    summary: str = "",
    description: str = "",
    themes: list[dict[str, Any]] | None = None,
    participation: str = Participation.SIGNED_IN,
    visibility: str = Visibility.PUBLIC,
    reaction_mode: str = ReactionMode.SUPPORT,
    premoderation: bool = False,
    allow_attachments: bool = True,
    allow_location: bool = True,
    language: str = "",
    opens_at: Any = None,
    closes_at: Any = None,
    cover_image: UploadedFile | None = None,
    created_by_id: int | None = None,
) -> Consultation:
    """Create a consultation in the draft phase, with its ``themes`` in the given order.

    ``slug`` is made from the title when empty; ``language`` defaults to the city's language (and sets
    the text-search configuration of the contributions); the description is rich text, cleaned here.
    It opens by hand (``consultation_set_phase``) or on ``opens_at`` (the scheduler).
    """
    errors: dict[str, list[str]] = {}
    values = _clean_settings(
        {
            "title": title,
            "summary": summary,
            "description": description,
            "participation": participation,
            "visibility": visibility,
            "reaction_mode": reaction_mode,
            "premoderation": premoderation,
            "allow_attachments": allow_attachments,
            "allow_location": allow_location,
            "language": language,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "cover_image": cover_image,
        },
        errors,
        current=None,
    )
    cleaned_themes = [_clean_theme(t, errors, "themes") for t in themes or []]
    names = [t["name"].casefold() for t in cleaned_themes]
    if len(set(names)) != len(names):
        errors.setdefault("themes", []).append(_("Two themes have the same name."))
    slug = (slug or "").strip().lower()
    if slug:
        problem = _slug_problem(slug, exclude_id=None)
        if problem:
            errors.setdefault("slug", []).append(problem)
    raise_invalid(errors)
    cover_content_type = values.pop("cover_content_type", None)
    consultation = Consultation(phase=Phase.DRAFT, created_by_id=created_by_id, **values)
    written: list[str] = []
    try:
        if cover_image is not None and cover_content_type:
            consultation.cover_image.save(storage_name(cover_content_type), cover_image, save=False)
            written.append(consultation.cover_image.name)
        consultation = _insert_with_slug(consultation, slug)
        Theme.objects.bulk_create(
            [Theme(consultation=consultation, position=n, **data) for n, data in enumerate(cleaned_themes)]
        )
    except BaseException:
        delete_files(written)
        raise
    return consultation


def _insert_with_slug(consultation: Consultation, slug: str) -> Consultation:
    """Insert with ``slug`` (given) or a generated one; a concurrent insert that took the same generated
    slug makes us pick the next one (the unique index decides)."""
    for _attempt in range(5):
        consultation.slug = slug or slug_generate(consultation.title)
        try:
            with transaction.atomic():
                consultation.save()
            return consultation
        except IntegrityError as exc:
            if not _is_slug_conflict(exc):
                raise
            if slug:
                message = _("The address “%(slug)s” is already used by another consultation.") % {"slug": slug}
                raise ApplicationError(message, code="invalid", fields={"slug": [message]}) from exc
            consultation.pk = None
    message = _("Could not find a free address; give one.")
    raise ApplicationError(message, code="invalid", fields={"slug": [message]})


def _is_slug_conflict(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return "slug" in str(getattr(diag, "constraint_name", "") or exc)


def delete_files(names: Sequence[str]) -> None:
    """Files are not transactional: remove those written by a write that then failed."""
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete %s after a failed write", name)


@transaction.atomic
def consultation_update(*, consultation_id: int, **fields: Any) -> Consultation:
    """Change a consultation's settings (only the given ones). ``cover_image``: an UploadedFile replaces
    it, False removes it, None keeps it. ``slug=""`` makes a new one from the title.

    Refused: changing the reaction mode once people reacted (their reactions would no longer fit) and the
    language once people contributed (their texts are indexed in it).
    """
    unknown = set(fields) - _SETTINGS_FIELDS
    if unknown:
        raise ValueError(f"consultation_update: unknown fields {sorted(unknown)}")
    consultation = _lock(consultation_id)
    errors: dict[str, list[str]] = {}
    values = _clean_settings(fields, errors, current=consultation)
    if "slug" in fields:
        slug = (fields["slug"] or "").strip().lower()
        if not slug:
            slug = slug_generate(values.get("title", consultation.title), exclude_id=consultation.pk)
        elif slug != consultation.slug:
            problem = _slug_problem(slug, exclude_id=consultation.pk)
            if problem:
                errors.setdefault("slug", []).append(problem)
        values["slug"] = slug
    raise_invalid(errors)
    if values.get("reaction_mode", consultation.reaction_mode) != consultation.reaction_mode and (
        consultation.contributions.filter(reactions__isnull=False).exists()
    ):
        raise ApplicationError(
            _("People have already reacted: the kind of reactions cannot change any more."),
            code="reactions_exist",
            status_code=409,
            fields={"reaction_mode": [_("People have already reacted.")]},
        )
    if values.get("language", consultation.language) != consultation.language and consultation.contributions.exists():
        raise ApplicationError(
            _("People have already contributed: the language cannot change any more."),
            code="language_locked",
            status_code=409,
            fields={"language": [_("People have already contributed.")]},
        )
    cover_content_type = values.pop("cover_content_type", None)
    changed = [name for name, value in values.items() if getattr(consultation, name) != value]
    for name in changed:
        setattr(consultation, name, values[name])
    cover = fields.get("cover_image")
    old_cover = consultation.cover_image.name if consultation.cover_image else ""
    written: list[str] = []
    try:
        if isinstance(cover, UploadedFile) and cover_content_type:
            consultation.cover_image.save(storage_name(cover_content_type), cover, save=False)
            written.append(consultation.cover_image.name)
            changed.append("cover_image")
        elif cover is False and old_cover:
            consultation.cover_image.name = ""
            changed.append("cover_image")
        if not changed:
            return consultation
        with transaction.atomic():
            consultation.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        delete_files(written)
        if not _is_slug_conflict(exc):
            raise
        message = _("The address “%(slug)s” is already used by another consultation.") % {"slug": consultation.slug}
        raise ApplicationError(message, code="invalid", fields={"slug": [message]}) from exc
    except BaseException:
        delete_files(written)
        raise
    if "cover_image" in changed and old_cover:
        _delete_after_commit(old_cover)
    return consultation


def _delete_after_commit(name: str) -> None:
    from django.core.files.storage import default_storage

    transaction.on_commit(lambda: default_storage.delete(name))


def _open_consultations_locked() -> int:
    """The number of open consultations, counted under a per-city lock held to the end of the
    transaction (advisory locks are database-wide, hence the schema in the key)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"consultations.open:{current_city().schema_name}"]
        )
    return Consultation.objects.filter(phase=Phase.OPEN).count()


def _transition(consultation: Consultation, to: str, *, now: Any = None) -> Consultation:
    """Move a consultation locked FOR UPDATE to phase ``to``, set its dates and tell its followers."""
    if to not in Phase.values or not can_transition(consultation.phase, to):
        raise ApplicationError(
            _("A consultation cannot go from “%(from)s” to “%(to)s”.")
            % {"from": Phase(consultation.phase).label, "to": Phase(to).label if to in Phase.values else to},
            code="invalid_transition",
            status_code=409,
        )
    now = now or timezone.now()
    if to == Phase.OPEN:
        if consultation.closes_at is not None and consultation.closes_at <= now:
            raise ApplicationError(
                _("The closing date has passed: move it into the future before opening."),
                code="closes_at_passed",
                status_code=409,
                fields={"closes_at": [_("This date has passed.")]},
            )
        billing.check_entitlement(
            city_id=current_city().id, feature="open_consultations", current_count=_open_consultations_locked()
        )
        consultation.opened_at = consultation.opened_at or now
        consultation.closed_at = None
    elif to == Phase.CLOSED:
        consultation.closed_at = now
    elif to == Phase.RESULTS:
        consultation.results_published_at = now
    previous = consultation.phase
    consultation.phase = to
    consultation.save(update_fields=["phase", "opened_at", "closed_at", "results_published_at", "updated_at"])
    logger.info("consultation %s: %s -> %s", consultation.pk, previous, to)
    followers = Follow.objects.filter(consultation=consultation).values_list("user_id", flat=True)
    notifications.notify(
        recipient_ids=list(followers),
        kind=_PHASE_NOTIFICATIONS[Phase(to)],
        consultation_id=consultation.pk,
        payload={"title": consultation.title, "slug": consultation.slug},
    )
    return consultation


@transaction.atomic
def consultation_set_phase(*, consultation_id: int, to: str, actor_id: int | None = None) -> Consultation:
    """Move a consultation along draft -> open -> closed -> results (closed may reopen).

    Opening checks the plan's limit of open consultations and refuses a closing date already past;
    followers are notified. ``actor_id`` (a person) must be staff; None is the platform (scheduler).
    """
    if actor_id is not None:
        staff_require(actor_id)
    return _transition(_lock(consultation_id), to)


def consultations_schedule_apply(*, now: Any = None) -> int:
    """Open drafts whose ``opens_at`` has passed and close open consultations whose ``closes_at`` has
    passed; returns how many changed. Safe to run twice (each change re-checks under the row lock).

    A draft whose closing date also passed is left alone (opening it would close it at once). A draft
    refused by the plan's limit stays a draft and is tried again at the next run.
    """
    now = now or timezone.now()
    changed = 0
    to_open = Consultation.objects.filter(phase=Phase.DRAFT, opens_at__lte=now).filter(
        Q(closes_at__isnull=True) | Q(closes_at__gt=now)
    )
    to_close = Consultation.objects.filter(phase=Phase.OPEN, closes_at__lte=now)
    # Closing first frees room under the plan's limit for the openings of the same run.
    batches = (
        (Phase.CLOSED, list(to_close.values_list("pk", flat=True))),
        (Phase.OPEN, list(to_open.order_by("opens_at", "pk").values_list("pk", flat=True))),
    )
    for target, pks in batches:
        for pk in pks:
            try:
                with transaction.atomic():
                    consultation = Consultation.objects.select_for_update().filter(pk=pk).first()
                    if consultation is None or not _due(consultation, target, now):
                        continue
                    _transition(consultation, target, now=now)
                    changed += 1
            except ApplicationError as exc:
                logger.warning("consultation %s not moved to %s on schedule: %s", pk, target, exc.message)
    return changed


def _due(consultation: Consultation, target: str, now: Any) -> bool:
    if target == Phase.CLOSED:
        return consultation.phase == Phase.OPEN and consultation.closes_at is not None and consultation.closes_at <= now
    return (
        consultation.phase == Phase.DRAFT
        and consultation.opens_at is not None
        and consultation.opens_at <= now
        and (consultation.closes_at is None or consultation.closes_at > now)
    )


# --- Themes ---------------------------------------------------------------------------------------------


def _theme_name_taken(consultation_id: int, name: str, *, exclude_id: int | None = None) -> bool:
    others = Theme.objects.filter(consultation_id=consultation_id, name__iexact=name)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    return others.exists()


def _theme_exists_error() -> ApplicationError:
    message = _("This consultation already has a theme with this name.")
    return ApplicationError(message, code="theme_exists", fields={"name": [message]})


@transaction.atomic
def theme_create(
    *, consultation_id: int, name: str, colour: str = "#3355aa", icon: str = "", description: str = ""
) -> Theme:
    """Add a theme at the end of the consultation's list."""
    consultation = _lock(consultation_id)
    errors: dict[str, list[str]] = {}
    data = _clean_theme({"name": name, "colour": colour, "icon": icon, "description": description}, errors, "name")
    raise_invalid(errors)
    if _theme_name_taken(consultation.pk, data["name"]):
        raise _theme_exists_error()
    last = Theme.objects.filter(consultation=consultation).aggregate(m=Max("position"))["m"]
    return Theme.objects.create(consultation=consultation, position=(last + 1) if last is not None else 0, **data)


@transaction.atomic
def theme_update(*, theme_id: int, **fields: Any) -> Theme:
    """Change a theme's name, colour, icon or description (order: ``themes_reorder``)."""
    unknown = set(fields) - {"name", "colour", "icon", "description"}
    if unknown:
        raise ValueError(f"theme_update: unknown fields {sorted(unknown)}")
    theme = Theme.objects.select_for_update().filter(pk=theme_id).first()
    if theme is None:
        raise ApplicationError(_("This theme does not exist."), code="not_found", status_code=404)
    merged = {"name": theme.name, "colour": theme.colour, "icon": theme.icon, "description": theme.description}
    merged.update(fields)
    errors: dict[str, list[str]] = {}
    data = _clean_theme(merged, errors, "name")
    raise_invalid(errors)
    if _theme_name_taken(theme.consultation_id, data["name"], exclude_id=theme.pk):
        raise _theme_exists_error()
    for name, value in data.items():
        setattr(theme, name, value)
    theme.save(update_fields=list(data))
    return theme


@transaction.atomic
def theme_delete(*, theme_id: int) -> None:
    """Delete a theme; its contributions move to "other" (no theme)."""
    Theme.objects.filter(pk=theme_id).delete()


@transaction.atomic
def themes_reorder(*, consultation_id: int, theme_ids: list[int]) -> None:
    """Put the consultation's themes in the order of ``theme_ids`` (each of its themes exactly once)."""
    consultation = _lock(consultation_id)
    themes = {t.pk: t for t in Theme.objects.filter(consultation=consultation)}
    if len(theme_ids) != len(set(theme_ids)) or set(theme_ids) != set(themes):
        message = _("Give each theme of this consultation exactly once.")
        raise ApplicationError(message, code="invalid", fields={"theme_ids": [message]})
    for position, pk in enumerate(theme_ids):
        themes[pk].position = position
    Theme.objects.bulk_update(list(themes.values()), ["position"])
