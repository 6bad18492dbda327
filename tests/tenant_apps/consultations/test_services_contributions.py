"""Contributions: the phase and the person's rights decide, input is validated, texts are stored as text,
the filter and pre-moderation hold contributions back, attachments are checked by content, merges."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.exceptions import ApplicationError
from tenant_apps.accounts.models import AccountsSettings, Verification
from tenant_apps.consultations.models import (
    Attachment,
    Consultation,
    Contribution,
    ModerationDecision,
    ModerationSettings,
    Notification,
    NotificationKind,
    Reaction,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import attachments as attachment_rules
from tenant_apps.consultations.services.contributions import (
    contribution_create,
    contribution_merge,
    contribution_update,
)
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = str(tmp_path)
    # django-tenants caches the media root in the default storage: forget it on both sides of the test.
    storages["default"].__dict__.pop("relative_media_root", None)
    yield tmp_path
    storages["default"].__dict__.pop("relative_media_root", None)


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#aa3355").save(buffer, fmt)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def verify(user: Any, *, method: str = "census", district: str = "Centre") -> None:
    Verification.objects.create(user=user, method=method, identity_hash=f"{method}-{user.pk}", district=district)


def create(consultation: Consultation, author: Any, **fields: Any) -> Contribution:
    fields.setdefault("title", "More bike lanes")
    fields.setdefault("body", "From the station to the market.")
    return contribution_create(consultation=consultation, author=author, **fields)


def refused(call: Any, **kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(**kwargs)
    return caught.value


# --- The phase and the person -----------------------------------------------------------------------------


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CLOSED, Phase.RESULTS])
def test_no_contribution_outside_the_open_phase(in_alpha: City, resident: Any, phase: str) -> None:
    consultation = make_consultation(phase=phase)
    error = refused(create, consultation=consultation, author=resident)
    assert (error.code, error.status_code) == ("not_open", 409)
    assert not Contribution.objects.filter(consultation=consultation).exists()


def test_refusals_name_the_reason(in_alpha: City, consultation: Consultation) -> None:
    assert refused(create, consultation=consultation, author=AnonymousUser()).code == "login_required"
    unconfirmed = make_user(verified=False)
    error = refused(create, consultation=consultation, author=unconfirmed)
    assert (error.code, error.status_code) == ("email_unverified", 403)


def test_verified_only_consultation_refuses_an_unverified_resident(in_alpha: City, resident: Any) -> None:
    consultation = make_consultation(participation="verified")
    error = refused(create, consultation=consultation, author=resident)
    assert (error.code, error.status_code) == ("verification_required", 403)
    verify(resident)
    assert create(consultation, resident).pk


def test_the_city_requirement_applies_to_every_consultation(in_alpha: City, resident: Any) -> None:
    AccountsSettings.objects.update_or_create(
        pk=1, defaults={"enabled_methods": ["census"], "requirements": {"contribute": ["census"]}}
    )
    consultation = make_consultation()  # "anyone with an account", but the city asks for more
    error = refused(create, consultation=consultation, author=resident)
    assert error.code == "verification_required"
    verify(resident)
    assert create(consultation, resident).pk


# --- Input ------------------------------------------------------------------------------------------------


def test_texts_are_stored_as_written(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    contribution = create(consultation, resident, title=f"Idea {XSS}", body=f"{XSS}\r\nsecond line\x00")
    stored = Contribution.objects.get(pk=contribution.pk)
    assert stored.title == f"Idea {XSS}"  # plain text: escaped by the templates, never cleaned or marked safe
    assert stored.body == f"{XSS}\nsecond line"
    assert stored.search_config == consultation.search_config == "english"
    assert stored.status == "published" and stored.author == resident


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "ab"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": -180.5}, "longitude"),
        ({"latitude": "north", "longitude": 0}, "latitude"),
        ({"latitude": 50.0}, "location"),
        ({"district": "d" * 101}, "district"),
    ],
)
def test_invalid_input_is_refused_by_field(
    in_alpha: City, consultation: Consultation, resident: Any, fields: dict[str, Any], field: str
) -> None:
    error = refused(create, consultation=consultation, author=resident, **fields)
    assert error.code == "invalid" and field in error.fields
    assert not Contribution.objects.filter(consultation=consultation).exists()


def test_theme_must_belong_to_the_consultation(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    other = make_consultation()
    foreign = other.themes.first()
    assert foreign is not None
    assert "theme" in refused(create, consultation=consultation, author=resident, theme_id=foreign.pk).fields
    own = consultation.themes.get(name="Housing")
    assert create(consultation, resident, theme_id=own.pk).theme == own


def test_location_only_where_allowed(in_alpha: City, resident: Any) -> None:
    consultation = make_consultation()
    placed = create(consultation, resident, latitude="48.8566129", longitude=2.3522219)
    assert (placed.latitude, placed.longitude) == (Decimal("48.856613"), Decimal("2.352222"))
    no_map = make_consultation(allow_location=False)
    assert "location" in refused(create, consultation=no_map, author=resident, latitude=1, longitude=1).fields


def test_district_defaults_to_the_verified_one(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    assert create(consultation, resident).district == ""
    verify(resident, district="Nord")
    assert create(consultation, resident).district == "Nord"
    assert create(consultation, resident, district="Sud").district == "Sud"


# --- Moderation on the way in -----------------------------------------------------------------------------


def test_premoderation_holds_contributions(in_alpha: City, resident: Any) -> None:
    consultation = make_consultation(premoderation=True)
    contribution = create(consultation, resident)
    assert contribution.status == "pending" and contribution.moderation_reason
    log = ModerationDecision.objects.get(contribution=contribution)
    assert (log.action, log.new_status, log.actor_id) == ("premoderation", "pending", None)


def test_the_filter_sends_caught_texts_to_pending(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    ModerationSettings.objects.update_or_create(pk=1, defaults={"word_lists": {"en": ["scam"]}, "max_links": 1})
    caught = create(consultation, resident, body="This is a SCAM.")
    assert caught.status == "pending" and "moderator" in caught.moderation_reason
    log = ModerationDecision.objects.get(contribution=caught)
    assert (log.action, log.reason) == ("auto_pending", caught.moderation_reason)
    spam = create(consultation, resident, body="https://a.example https://b.example")
    assert spam.status == "pending"
    clean = create(consultation, resident, body="Scampi for everyone at https://a.example")
    assert clean.status == "published" and not ModerationDecision.objects.filter(contribution=clean).exists()


# --- Attachments ------------------------------------------------------------------------------------------


def test_real_images_and_pdfs_are_accepted_by_content(
    in_alpha: City, consultation: Consultation, resident: Any, media: Path
) -> None:
    files = [
        upload("C:\\Users\\me\\plan.pdf", PDF, "image/png"),
        upload("../../photo.png", image_bytes("PNG"), "text/html"),
        upload("photo.png", image_bytes("JPEG"), "image/png"),  # a JPEG named .png is a JPEG
        upload("anim.gif", image_bytes("GIF")),
        upload("pic.webp", image_bytes("WEBP")),
    ]
    contribution = create(consultation, resident, attachments=files)
    stored = list(contribution.attachments.order_by("id").values_list("original_name", "kind", "content_type"))
    assert stored == [
        ("plan.pdf", "pdf", "application/pdf"),
        ("photo.png", "image", "image/png"),
        ("photo.png", "image", "image/jpeg"),
        ("anim.gif", "image", "image/gif"),
        ("pic.webp", "image", "image/webp"),
    ]
    first = contribution.attachments.order_by("id").first()
    assert first is not None and first.file.name.endswith(".pdf") and "plan" not in first.file.name
    assert (media / in_alpha.schema_name / first.file.name).read_bytes() == PDF
    assert first.size == len(PDF)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.png", b"\x89PNG\r\n\x1a\n but not really an image"),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("empty.pdf", b""),
        ("cut.png", image_bytes("PNG")[:40]),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(
    in_alpha: City, consultation: Consultation, resident: Any, media: Path, name: str, content: bytes
) -> None:
    error = refused(create, consultation=consultation, author=resident, attachments=[upload(name, content)])
    assert "attachments" in error.fields
    assert not Contribution.objects.filter(consultation=consultation).exists()


def test_size_and_count_limits(
    in_alpha: City, consultation: Consultation, resident: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = upload("big.pdf", PDF + b"0" * attachment_rules.MAX_ATTACHMENT_BYTES)
    error = refused(create, consultation=consultation, author=resident, attachments=[big])
    assert "larger than 10 MB" in error.fields["attachments"][0]
    six = [upload(f"{n}.pdf", PDF) for n in range(6)]
    assert "at most 5" in refused(create, consultation=consultation, author=resident, attachments=six).message
    closed = make_consultation(allow_attachments=False)
    error = refused(create, consultation=closed, author=resident, attachments=[upload("a.pdf", PDF)])
    assert "attachments" in error.fields
    assert not Attachment.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))


def test_a_failure_after_writing_files_leaves_no_file(
    in_alpha: City, consultation: Consultation, resident: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    original = Attachment.save

    def fail_on_second(self: Attachment, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        original(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", fail_on_second)
    with pytest.raises(RuntimeError):
        create(consultation, resident, attachments=[upload("a.pdf", PDF), upload("b.pdf", PDF)])
    assert not Contribution.objects.filter(consultation=consultation).exists()
    assert not any(p.is_file() for p in media.rglob("*"))


# --- Editing ----------------------------------------------------------------------------------------------


def test_only_the_author_edits_while_open(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    contribution = create(consultation, resident)
    other = make_user()
    error = refused(
        contribution_update, contribution_id=contribution.pk, editor=other, title="Mine now", body="b", theme_id=None
    )
    assert (error.code, error.status_code) == ("not_author", 403)
    theme = consultation.themes.first()
    assert theme is not None
    edited = contribution_update(
        contribution_id=contribution.pk, editor=resident, title="Better title", body="Better body", theme_id=theme.pk
    )
    stored = Contribution.objects.get(pk=contribution.pk)
    assert (stored.title, stored.body, stored.theme_id, stored.status) == (
        "Better title",
        "Better body",
        theme.pk,
        "published",
    )
    assert edited.pk == contribution.pk
    Consultation.objects.filter(pk=consultation.pk).update(phase=Phase.CLOSED)
    error = refused(
        contribution_update, contribution_id=contribution.pk, editor=resident, title="Late", body="b", theme_id=None
    )
    assert error.code == "not_open"


def test_hidden_or_merged_contributions_are_not_editable(
    in_alpha: City, consultation: Consultation, resident: Any
) -> None:
    contribution = create(consultation, resident)
    Contribution.objects.filter(pk=contribution.pk).update(status="hidden")
    error = refused(
        contribution_update, contribution_id=contribution.pk, editor=resident, title="Again", body="b", theme_id=None
    )
    assert (error.code, error.status_code) == ("not_editable", 409)


def test_edits_are_screened_again(in_alpha: City, consultation: Consultation, resident: Any) -> None:
    ModerationSettings.objects.update_or_create(pk=1, defaults={"word_lists": {"*": ["scam"]}})
    contribution = create(consultation, resident)
    edited = contribution_update(
        contribution_id=contribution.pk, editor=resident, title="Great deal", body="a scam", theme_id=None
    )
    assert edited.status == "pending"
    log = ModerationDecision.objects.get(contribution=contribution)
    assert (log.action, log.previous_status, log.new_status) == ("auto_pending", "published", "pending")
    # Cleaning the text does not publish it: a moderator decides.
    again = contribution_update(
        contribution_id=contribution.pk, editor=resident, title="Great deal", body="fine now", theme_id=None
    )
    assert again.status == "pending"


# --- Merging ----------------------------------------------------------------------------------------------


def test_merge_keeps_reactions_where_they_were(
    in_alpha: City, consultation: Consultation, resident: Any, moderator: Any
) -> None:
    duplicate = create(consultation, resident, title="Bike lanes please")
    target = create(consultation, make_user(), title="More bike lanes")
    earlier = create(consultation, make_user(), title="Cycle paths")
    Reaction.objects.create(contribution=duplicate, user=make_user(), kind="support")
    Contribution.objects.filter(pk=duplicate.pk).update(support_count=1)
    contribution_merge(contribution_id=earlier.pk, into_id=duplicate.pk, actor_id=moderator.pk)

    merged = contribution_merge(contribution_id=duplicate.pk, into_id=target.pk, actor_id=moderator.pk, reason="Same")
    assert (merged.status, merged.merged_into_id) == ("merged", target.pk)
    fresh = {c.pk: c for c in Contribution.objects.filter(consultation=consultation)}
    assert fresh[earlier.pk].merged_into_id == target.pk  # a target is never itself merged
    assert (fresh[duplicate.pk].support_count, fresh[target.pk].support_count) == (1, 0)
    assert Reaction.objects.filter(contribution=duplicate).count() == 1
    log = ModerationDecision.objects.filter(contribution=duplicate).get()
    assert (log.action, log.previous_status, log.reason, log.actor_id) == ("merge", "published", "Same", moderator.pk)
    notice = Notification.objects.get(recipient=resident, kind=NotificationKind.MODERATION)
    assert notice.contribution_id == duplicate.pk and notice.payload["into_id"] == target.pk


def test_merge_rules(in_alpha: City, consultation: Consultation, resident: Any, moderator: Any) -> None:
    a, b = create(consultation, resident), create(consultation, resident)
    elsewhere = create(make_consultation(), resident)
    assert refused(contribution_merge, contribution_id=a.pk, into_id=b.pk, actor_id=resident.pk).status_code == 403
    assert refused(contribution_merge, contribution_id=a.pk, into_id=a.pk, actor_id=moderator.pk).code == "merge_self"
    error = refused(contribution_merge, contribution_id=a.pk, into_id=elsewhere.pk, actor_id=moderator.pk)
    assert error.code == "merge_other_consultation"
    contribution_merge(contribution_id=a.pk, into_id=b.pk, actor_id=moderator.pk)
    c = create(consultation, resident)
    error = refused(contribution_merge, contribution_id=c.pk, into_id=a.pk, actor_id=moderator.pk)
    assert (error.code, error.status_code) == ("merge_target_invalid", 409)
    error = refused(contribution_merge, contribution_id=a.pk, into_id=c.pk, actor_id=moderator.pk)
    assert error.code == "already_merged"
