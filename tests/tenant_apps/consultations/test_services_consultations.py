"""Consultations: creation rules (slug, language, themes, dates, sanitised description, cover image),
phases with their dates, the plan's limit and followers' notifications, the scheduler, themes."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.exceptions import ApplicationError
from tenant_apps.consultations import tasks
from tenant_apps.consultations.models import (
    Consultation,
    Contribution,
    Follow,
    Notification,
    NotificationKind,
    Reaction,
    Theme,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import consultations as services
from tenants.context import in_city
from tenants.models import City
from tests.shared_apps.billing.conftest import active_subscription
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = str(tmp_path)
    # django-tenants caches the media root in the default storage: forget it on both sides of the test.
    storages["default"].__dict__.pop("relative_media_root", None)
    yield tmp_path
    storages["default"].__dict__.pop("relative_media_root", None)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#3355aa").save(buffer, "PNG")
    return buffer.getvalue()


def refused(call: Any, **kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(**kwargs)
    return caught.value


# --- Creation ---------------------------------------------------------------------------------------------


def test_slug_is_made_from_the_title_and_kept_unique(in_alpha: City) -> None:
    first = services.consultation_create(title="Vélo en ville !")
    second = services.consultation_create(title="Vélo en ville")
    third = services.consultation_create(title="VÉLO EN VILLE")
    assert [first.slug, second.slug, third.slug] == ["velo-en-ville", "velo-en-ville-2", "velo-en-ville-3"]
    assert first.phase == Phase.DRAFT


def test_a_title_never_takes_a_reserved_slug(in_alpha: City) -> None:
    assert services.consultation_create(title="New").slug == "new-2"
    assert services.consultation_create(title="Moderation").slug == "moderation-2"


@pytest.mark.parametrize("slug", ["new", "moderation", "Capital Letters", "under_score", "-edge", "a" * 81])
def test_bad_or_reserved_slugs_are_refused(in_alpha: City, slug: str) -> None:
    error = refused(services.consultation_create, title="Our parks", slug=slug)
    assert error.code == "invalid" and "slug" in error.fields
    assert not Consultation.objects.filter(title="Our parks").exists()


def test_a_taken_slug_is_refused_not_renamed(in_alpha: City) -> None:
    services.consultation_create(title="Parks", slug="parks")
    error = refused(services.consultation_create, title="Other parks", slug="parks")
    assert "already used" in error.fields["slug"][0]
    assert services.consultation_create(title="Other parks", slug="parks-east").slug == "parks-east"


def test_description_is_stored_cleaned(in_alpha: City) -> None:
    description = (
        '<p onclick="steal()">Hello <strong>residents</strong></p><script>alert(1)</script>'
        '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">bad</a><a href="https://city.example">ok</a>'
        "<style>body{display:none}</style><iframe src='https://evil.example'></iframe>"
    )
    consultation = services.consultation_create(title="Clean", description=description)
    stored = Consultation.objects.get(pk=consultation.pk).description
    for payload in ("<script", "alert(1)", "onclick", "onerror", "<img", "javascript:", "<style", "<iframe"):
        assert payload not in stored
    assert "<strong>residents</strong>" in stored and 'href="https://city.example"' in stored


def test_titles_are_plain_text_single_line_and_bounded(in_alpha: City) -> None:
    consultation = services.consultation_create(title="  <b>Bold</b>\nidea\x00  ", summary="One\r\nline")
    assert consultation.title == "<b>Bold</b> idea"  # kept as text: templates escape it
    assert consultation.summary == "One line"
    assert "title" in refused(services.consultation_create, title="ab").fields
    assert "title" in refused(services.consultation_create, title="x" * 201).fields


def test_language_defaults_to_the_city_language(in_alpha: City) -> None:
    assert in_alpha.default_language == "fr"
    default = services.consultation_create(title="Default language")
    assert (default.language, default.search_config) == ("fr", "french")
    dutch = services.consultation_create(title="In Dutch", language="nl")
    assert (dutch.language, dutch.search_config) == ("nl", "dutch")
    assert "language" in refused(services.consultation_create, title="Klingon", language="tlh").fields


def test_themes_keep_their_order_colour_and_icon(in_alpha: City) -> None:
    consultation = services.consultation_create(
        title="Themes",
        themes=[
            {"name": "Mobility", "colour": "#AA0000", "icon": "mobility"},
            {"name": "Parks", "colour": "#00aa00", "icon": "environment", "description": "Green <b>spaces</b>"},
            {"name": "Other ideas"},
        ],
    )
    themes = list(consultation.themes.values_list("name", "colour", "icon", "position"))
    assert themes == [
        ("Mobility", "#aa0000", "mobility", 0),
        ("Parks", "#00aa00", "environment", 1),
        ("Other ideas", "#3355aa", "", 2),
    ]


@pytest.mark.parametrize(
    "themes",
    [
        [{"name": "A", "colour": "red"}],
        [{"name": "A", "colour": "#12345"}],
        [{"name": "A", "icon": "rocket"}],
        [{"name": ""}],
        [{"name": "Parks"}, {"name": "parks"}],
    ],
)
def test_bad_themes_are_refused(in_alpha: City, themes: list[dict[str, str]]) -> None:
    error = refused(services.consultation_create, title="Bad themes", themes=themes)
    assert "themes" in error.fields
    assert not Consultation.objects.filter(title="Bad themes").exists()


def test_dates_must_be_aware_and_in_order(in_alpha: City) -> None:
    naive = datetime.datetime(2030, 1, 1, 12, 0)
    assert "opens_at" in refused(services.consultation_create, title="Naive", opens_at=naive).fields
    error = refused(services.consultation_create, title="Backwards", opens_at=NOW + HOUR, closes_at=NOW)
    assert "closes_at" in error.fields
    ok = services.consultation_create(title="Dates", opens_at=NOW + HOUR, closes_at=NOW + 2 * HOUR)
    assert ok.closes_at == NOW + 2 * HOUR
    # On update the check uses the stored date for the one not given.
    assert "closes_at" in refused(services.consultation_update, consultation_id=ok.pk, closes_at=NOW).fields


def test_choices_are_checked(in_alpha: City) -> None:
    for field in ("participation", "visibility", "reaction_mode"):
        error = refused(services.consultation_create, title="Choices", **{field: "everyone"})
        assert field in error.fields


def test_cover_image_is_checked_by_content(in_alpha: City, media: Path) -> None:
    fake = SimpleUploadedFile("cover.png", b"<svg onload=alert(1)></svg>", content_type="image/png")
    assert "cover_image" in refused(services.consultation_create, title="Fake", cover_image=fake).fields
    big = SimpleUploadedFile("cover.png", png_bytes() + b"\0" * (5 * 1024 * 1024), content_type="image/png")
    assert "larger than 5 MB" in refused(services.consultation_create, title="Big", cover_image=big).message
    real = SimpleUploadedFile("../../my cover.png", png_bytes(), content_type="text/plain")
    consultation = services.consultation_create(title="Cover", cover_image=real)
    name = consultation.cover_image.name
    assert name.startswith("consultations/covers/") and name.endswith(".png") and "my cover" not in name
    stored = media / in_alpha.schema_name / name
    assert stored.read_bytes() == png_bytes()
    # Replacing it deletes the old file after the commit; False removes it.
    other = SimpleUploadedFile("new.png", png_bytes(), content_type="image/png")
    updated = services.consultation_update(consultation_id=consultation.pk, cover_image=other)
    assert updated.cover_image.name != name
    removed = services.consultation_update(consultation_id=consultation.pk, cover_image=False)
    assert not Consultation.objects.get(pk=removed.pk).cover_image


# --- Updates ----------------------------------------------------------------------------------------------


def test_update_changes_only_what_is_given(in_alpha: City) -> None:
    consultation = services.consultation_create(title="Before", summary="Kept", description="<p>x</p>")
    updated = services.consultation_update(
        consultation_id=consultation.pk, title="After", description="<p>y<script>z()</script></p>"
    )
    fresh = Consultation.objects.get(pk=consultation.pk)
    assert (fresh.title, fresh.summary, fresh.description) == ("After", "Kept", "<p>y</p>")
    assert fresh.slug == consultation.slug == updated.slug  # the address does not follow the title
    with pytest.raises(ValueError, match="unknown fields"):
        services.consultation_update(consultation_id=consultation.pk, phase=Phase.OPEN)


def test_update_slug_rules(in_alpha: City) -> None:
    services.consultation_create(title="Taken", slug="taken")
    consultation = services.consultation_create(title="Mine", slug="mine")
    assert services.consultation_update(consultation_id=consultation.pk, slug="mine").slug == "mine"
    assert "slug" in refused(services.consultation_update, consultation_id=consultation.pk, slug="taken").fields
    assert "slug" in refused(services.consultation_update, consultation_id=consultation.pk, slug="new").fields
    assert services.consultation_update(consultation_id=consultation.pk, slug="").slug == "mine"  # its own
    renamed = services.consultation_update(consultation_id=consultation.pk, title="Taken", slug="")
    assert renamed.slug == "taken-2" and Consultation.objects.get(pk=consultation.pk).slug == "taken-2"


def test_reaction_mode_and_language_freeze_once_people_took_part(in_alpha: City, resident: Any) -> None:
    consultation = make_consultation()
    services.consultation_update(consultation_id=consultation.pk, reaction_mode="agreement", language="en")
    contribution = Contribution.objects.create(consultation=consultation, author=resident, title="Idea", body="b")
    error = refused(services.consultation_update, consultation_id=consultation.pk, language="de")
    assert (error.code, error.status_code) == ("language_locked", 409)
    Reaction.objects.create(contribution=contribution, user=resident, kind="agree")
    error = refused(services.consultation_update, consultation_id=consultation.pk, reaction_mode="support")
    assert (error.code, error.status_code) == ("reactions_exist", 409)
    assert Consultation.objects.get(pk=consultation.pk).reaction_mode == "agreement"


# --- Phases -----------------------------------------------------------------------------------------------


def test_phases_follow_the_lifecycle_and_tell_followers(in_alpha: City, staff: Any) -> None:
    consultation = services.consultation_create(title="Lifecycle")
    followers = [make_user(), make_user()]
    for person in followers:
        Follow.objects.create(consultation=consultation, user=person)
    error = refused(services.consultation_set_phase, consultation_id=consultation.pk, to=Phase.CLOSED)
    assert (error.code, error.status_code) == ("invalid_transition", 409)

    opened = services.consultation_set_phase(consultation_id=consultation.pk, to=Phase.OPEN, actor_id=staff.pk)
    assert opened.phase == Phase.OPEN and opened.opened_at is not None
    first_opened_at = opened.opened_at
    closed = services.consultation_set_phase(consultation_id=consultation.pk, to=Phase.CLOSED, actor_id=staff.pk)
    assert closed.closed_at is not None
    reopened = services.consultation_set_phase(consultation_id=consultation.pk, to=Phase.OPEN, actor_id=staff.pk)
    assert reopened.opened_at == first_opened_at and reopened.closed_at is None
    services.consultation_set_phase(consultation_id=consultation.pk, to=Phase.CLOSED, actor_id=staff.pk)
    results = services.consultation_set_phase(consultation_id=consultation.pk, to=Phase.RESULTS, actor_id=staff.pk)
    assert results.results_published_at is not None
    assert refused(services.consultation_set_phase, consultation_id=consultation.pk, to=Phase.OPEN).status_code == 409

    sent = list(
        Notification.objects.filter(consultation=consultation).order_by("id").values_list("kind", "recipient_id")
    )
    kinds = [NotificationKind.CONSULTATION_OPENED, NotificationKind.CONSULTATION_CLOSED] * 2 + [
        NotificationKind.RESULTS_PUBLISHED
    ]
    assert sent == [(kind, person.pk) for kind in kinds for person in sorted(followers, key=lambda p: p.pk)]


def test_only_staff_move_phases(in_alpha: City, resident: Any, moderator: Any) -> None:
    consultation = services.consultation_create(title="Staff only")
    error = refused(
        services.consultation_set_phase, consultation_id=consultation.pk, to=Phase.OPEN, actor_id=resident.pk
    )
    assert (error.code, error.status_code) == ("forbidden", 403)
    moved = services.consultation_set_phase(consultation_id=consultation.pk, to=Phase.OPEN, actor_id=moderator.pk)
    assert moved.phase == Phase.OPEN


def test_opening_is_refused_when_the_closing_date_has_passed(in_alpha: City) -> None:
    consultation = make_consultation(phase=Phase.DRAFT, closes_at=NOW - HOUR)
    error = refused(services.consultation_set_phase, consultation_id=consultation.pk, to=Phase.OPEN)
    assert error.code == "closes_at_passed"
    assert Consultation.objects.get(pk=consultation.pk).phase == Phase.DRAFT


def test_opening_checks_the_plan_limit(alpha: City) -> None:
    active_subscription(alpha, code="village")  # 3 open consultations
    with in_city(city_id=alpha.id, city=alpha):
        for n in range(3):
            make_consultation(title=f"Open {n}")
        make_consultation(title="Closed", phase=Phase.CLOSED)  # closed ones do not count
        draft = make_consultation(title="One too many", phase=Phase.DRAFT)
        error = refused(services.consultation_set_phase, consultation_id=draft.pk, to=Phase.OPEN)
        assert (error.code, error.status_code) == ("plan_limit", 403)
        assert "Village" in error.message
        assert Consultation.objects.get(pk=draft.pk).phase == Phase.DRAFT
        # Closing one makes room.
        services.consultation_set_phase(consultation_id=Consultation.objects.get(title="Open 0").pk, to=Phase.CLOSED)
        assert services.consultation_set_phase(consultation_id=draft.pk, to=Phase.OPEN).phase == Phase.OPEN


def test_schedule_task_opens_and_closes_on_dates(in_alpha: City) -> None:
    due = make_consultation(title="Due", phase=Phase.DRAFT, opens_at=NOW - HOUR, closes_at=NOW + HOUR)
    later = make_consultation(title="Later", phase=Phase.DRAFT, opens_at=NOW + HOUR)
    ending = make_consultation(title="Ending", phase=Phase.OPEN, closes_at=NOW - HOUR)
    running = make_consultation(title="Running", phase=Phase.OPEN, closes_at=NOW + HOUR)
    missed = make_consultation(title="Missed", phase=Phase.DRAFT, opens_at=NOW - 2 * HOUR, closes_at=NOW - HOUR)
    follower = make_user()
    Follow.objects.create(consultation=ending, user=follower)

    assert tasks.schedule_apply_task() == 2
    phases = dict(Consultation.objects.values_list("title", "phase"))
    assert phases["Due"] == Phase.OPEN and phases["Ending"] == Phase.CLOSED
    assert (phases["Later"], phases["Running"], phases["Missed"]) == (Phase.DRAFT, Phase.OPEN, Phase.DRAFT)
    assert Consultation.objects.get(pk=due.pk).opened_at is not None
    assert Consultation.objects.get(pk=ending.pk).closed_at is not None
    assert Notification.objects.filter(recipient=follower, kind=NotificationKind.CONSULTATION_CLOSED).count() == 1
    assert tasks.schedule_apply_task() == 0  # idempotent
    assert services.consultations_schedule_apply(now=NOW + 2 * HOUR) == 3  # later opens, due and running close
    assert {later.pk, due.pk, running.pk, missed.pk} == set(
        Consultation.objects.filter(title__in=["Later", "Due", "Running", "Missed"]).values_list("pk", flat=True)
    )
    phases = dict(Consultation.objects.values_list("title", "phase"))
    assert (phases["Later"], phases["Due"], phases["Running"]) == (Phase.OPEN, Phase.CLOSED, Phase.CLOSED)


def test_schedule_leaves_a_draft_refused_by_the_plan(alpha: City) -> None:
    active_subscription(alpha, code="village")
    with in_city(city_id=alpha.id, city=alpha):
        for n in range(3):
            make_consultation(title=f"Open {n}")
        waiting = make_consultation(title="Waiting", phase=Phase.DRAFT, opens_at=NOW - HOUR)
        assert services.consultations_schedule_apply() == 0
        assert Consultation.objects.get(pk=waiting.pk).phase == Phase.DRAFT


# --- Themes -----------------------------------------------------------------------------------------------


def test_theme_create_update_reorder_delete(in_alpha: City, resident: Any) -> None:
    consultation = make_consultation(themes=("Mobility", "Parks"))
    added = services.theme_create(consultation_id=consultation.pk, name="Housing", colour="#112233", icon="housing")
    assert added.position == 2
    assert refused(services.theme_create, consultation_id=consultation.pk, name="parks").code == "theme_exists"
    assert "name" in refused(services.theme_create, consultation_id=consultation.pk, name="X", colour="blue").fields
    renamed = services.theme_update(theme_id=added.pk, name="Homes", icon="")
    assert (renamed.name, renamed.colour, renamed.icon) == ("Homes", "#112233", "")
    assert refused(services.theme_update, theme_id=added.pk, name="Mobility").code == "theme_exists"

    ids = {t.name: t.pk for t in consultation.themes.all()}
    services.themes_reorder(consultation_id=consultation.pk, theme_ids=[ids["Homes"], ids["Mobility"], ids["Parks"]])
    assert [t.name for t in Theme.objects.filter(consultation=consultation)] == ["Homes", "Mobility", "Parks"]
    error = refused(services.themes_reorder, consultation_id=consultation.pk, theme_ids=[ids["Homes"]])
    assert "theme_ids" in error.fields

    contribution = Contribution.objects.create(
        consultation=consultation, theme_id=ids["Parks"], author=resident, title="t", body="b"
    )
    services.theme_delete(theme_id=ids["Parks"])
    assert Contribution.objects.get(pk=contribution.pk).theme_id is None  # goes to "other"
