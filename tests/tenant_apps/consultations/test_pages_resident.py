"""Resident pages over HTTP: consultations, contributing (with an attachment), reactions, comments,
follows, reports, refusals with their reasons, filters, sorts, cursor pagination and escaping."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.functional import empty
from PIL import Image

from tenant_apps.consultations.models import (
    Attachment,
    Comment,
    Consultation,
    Contribution,
    ContributionStatus,
    Follow,
    OfficialAnswer,
    Reaction,
    Report,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services.consultations import consultation_create
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def add(consultation: Consultation, **fields: Any) -> Contribution:
    fields.setdefault("title", "An idea")
    fields.setdefault("body", "Some text")
    fields.setdefault("search_config", consultation.search_config)
    return Contribution.objects.create(consultation=consultation, **fields)


def theme_id(consultation: Consultation, name: str) -> int:
    return consultation.themes.get(name=name).pk


def titles(html: str) -> list[str]:
    """The titles of the contributions listed on a consultation page, in order."""
    return re.findall(r'<h3><a href="/consultations/[^"]+/contributions/\d+/">([^<]*)</a></h3>', html)


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Uploads go to a temporary folder. django-tenants' storage caches its root and does not reset it
    when MEDIA_ROOT changes, so the cached value itself is replaced for the test."""
    if default_storage._wrapped is empty:
        default_storage._setup()
    monkeypatch.setitem(default_storage._wrapped.__dict__, "relative_media_root", str(tmp_path / "media" / "%s"))
    return tmp_path / "media"


# --- Pages and roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "resident", "staff"])
def test_list_and_consultation_pages_render_for_each_role(
    in_alpha: City, alpha_client: Client, consultation: Consultation, role: str
) -> None:
    draft = make_consultation(title="Secret draft", phase=Phase.DRAFT)
    add(consultation, title="Bike lanes everywhere")
    if role != "anonymous":
        logged_in(alpha_client, make_user(role="resident" if role == "resident" else "city_admin"))
    listing = alpha_client.get("/consultations/").content.decode()
    assert consultation.title in listing and "Secret draft" not in listing
    assert "Mobility" in listing and 'class="phase-badge phase-open"' in listing
    page = alpha_client.get(f"/consultations/{consultation.slug}/")
    body = page.content.decode()
    assert page.status_code == 200 and "Bike lanes everywhere" in body
    assert ('name="title"' in body) == (role != "anonymous")  # the contribute form
    assert ("/account/login/" in body) == (role == "anonymous")
    # Drafts are for staff only (a preview); residents get a 404.
    assert alpha_client.get(f"/consultations/{draft.slug}/").status_code == (200 if role == "staff" else 404)


def test_dates_show_in_the_city_time_zone(in_alpha: City, alpha_client: Client) -> None:
    # 17:00 UTC in January is 18:00 in Paris (alpha's time zone).
    closes = datetime.datetime(2031, 1, 15, 17, 0, tzinfo=datetime.UTC)
    consultation = make_consultation(closes_at=closes)
    listing = alpha_client.get("/consultations/").content.decode()
    page = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    for html in (listing, page):
        assert "Jan. 15, 2031, 6 p.m." in html and "Europe/Paris" in html
        assert "5 p.m." not in html


def test_unlisted_consultation_is_reachable_by_its_link_only(in_alpha: City, alpha_client: Client) -> None:
    hidden = make_consultation(title="By invitation", visibility="unlisted")
    assert "By invitation" not in alpha_client.get("/consultations/").content.decode()
    assert alpha_client.get(f"/consultations/{hidden.slug}/").status_code == 200


# --- Contributing -----------------------------------------------------------------------------------------


def test_contribute_through_the_page_with_an_attachment(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any, media: Path
) -> None:
    logged_in(alpha_client, resident)
    response = alpha_client.post(
        f"/consultations/{consultation.slug}/contribute/",
        {
            "title": "Trees on the square",
            "body": "Plant trees.\nMany of them.",
            "theme": theme_id(consultation, "Environment"),
            "district": "Old town",
            "latitude": "48.8566",
            "longitude": "2.3522",
            "attachments": [png_upload()],
        },
    )
    contribution = Contribution.objects.get(consultation=consultation)
    assert response.status_code == 302
    assert response["Location"] == f"/consultations/{consultation.slug}/contributions/{contribution.pk}/"
    assert contribution.author == resident and contribution.theme.name == "Environment"
    assert contribution.district == "Old town" and str(contribution.latitude) == "48.856600"
    attachment = Attachment.objects.get(contribution=contribution)
    assert attachment.kind == "image" and attachment.original_name == "photo.png"
    assert (media / in_alpha.schema_name / attachment.file.name).is_file()
    page = alpha_client.get(response["Location"]).content.decode()
    assert f'<img src="{attachment.file.url}"' in page
    assert "<p>Plant trees.<br>Many of them.</p>" in page  # line breaks kept, text escaped
    assert "Old town" in page and "openstreetmap.org/?mlat=48.856600" in page
    assert "Your contribution is published." in page


def test_contribution_form_errors_keep_what_was_typed(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    logged_in(alpha_client, resident)
    response = alpha_client.post(
        f"/consultations/{consultation.slug}/contribute/",
        {"title": "", "body": "My long text that I do not want to type again", "theme": "other"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="error-summary"' in body
    assert "My long text that I do not want to type again</textarea>" in body
    assert '<option value="other" selected>' in body
    assert not Contribution.objects.filter(consultation=consultation).exists()


def test_a_bad_attachment_is_refused_with_its_name(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any, media: Path
) -> None:
    logged_in(alpha_client, resident)
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = alpha_client.post(
        f"/consultations/{consultation.slug}/contribute/",
        {"title": "With a file", "body": "See attached", "theme": "other", "attachments": [fake]},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "virus.png" in body and "is not an image" in body
    assert "See attached</textarea>" in body
    assert not Contribution.objects.filter(consultation=consultation).exists()


def test_premoderated_contribution_waits_and_says_so(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    consultation = make_consultation(premoderation=True)
    logged_in(alpha_client, resident)
    response = alpha_client.post(
        f"/consultations/{consultation.slug}/contribute/",
        {"title": "Checked first", "body": "Text", "theme": "other"},
        follow=True,
    )
    body = response.content.decode()
    assert "once a moderator has checked it" in body and "Pending moderation" in body
    assert Contribution.objects.get(consultation=consultation).status == ContributionStatus.PENDING
    # Others do not see it, neither in the list nor at its address.
    other = Client(HTTP_HOST=alpha_client.defaults["HTTP_HOST"])
    assert "Checked first" not in other.get(f"/consultations/{consultation.slug}/").content.decode()
    assert other.get(response.redirect_chain[-1][0]).status_code == 404


# --- Refusals ---------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(
    in_alpha: City, alpha_client: Client, consultation: Consultation
) -> None:
    page = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    assert "Sign in or create an account first." in page
    assert f'href="/account/login/?next=%2Fconsultations%2F{consultation.slug}%2F"' in page
    response = alpha_client.post(f"/consultations/{consultation.slug}/contribute/", {"title": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/account/login/?next=")
    c = add(consultation)
    react = alpha_client.post(f"/consultations/{consultation.slug}/contributions/{c.pk}/react/", {"kind": "support"})
    assert react.status_code == 302 and "/account/login/" in react["Location"]
    assert not Reaction.objects.exists()


def test_verification_required_shows_the_reason_and_the_verification_link(
    in_alpha: City, alpha_client: Client, resident: Any
) -> None:
    consultation = make_consultation(participation="verified")
    c = add(consultation)
    logged_in(alpha_client, resident)
    page = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    assert "Only verified residents may take part" in page
    assert 'href="/account/verification/"' in page and 'name="title"' not in page
    response = alpha_client.post(
        f"/consultations/{consultation.slug}/contribute/", {"title": "Mine", "body": "Text", "theme": "other"}
    )
    body = response.content.decode()
    assert response.status_code == 403 and "Only verified residents may take part" in body
    assert 'href="/account/verification/"' in body
    react = alpha_client.post(f"/consultations/{consultation.slug}/contributions/{c.pk}/react/", {"kind": "support"})
    assert react.status_code == 403 and "Only verified residents" in react.content.decode()
    assert not Contribution.objects.filter(title="Mine").exists() and not Reaction.objects.exists()


def test_unconfirmed_email_is_told_why(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    logged_in(alpha_client, make_user(verified=False))
    page = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    assert "Confirm your email address first" in page and 'name="title"' not in page


def test_closed_consultation_refuses_contributions_with_the_reason(
    in_alpha: City, alpha_client: Client, resident: Any
) -> None:
    consultation = make_consultation(phase=Phase.CLOSED)
    c = add(consultation)
    logged_in(alpha_client, resident)
    page = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    assert "This consultation is not open for participation." in page
    assert 'class="react-button"' not in page
    response = alpha_client.post(
        f"/consultations/{consultation.slug}/contribute/", {"title": "Late", "body": "Text", "theme": "other"}
    )
    assert response.status_code == 409 and "not open for participation" in response.content.decode()
    comment = alpha_client.post(f"/consultations/{consultation.slug}/contributions/{c.pk}/comment/", {"body": "Hi"})
    assert comment.status_code == 409 and not Comment.objects.exists()


# --- Reactions, comments, follows, reports ----------------------------------------------------------------


def test_support_is_highlighted_and_can_be_withdrawn(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    c = add(consultation, title="Benches")
    logged_in(alpha_client, resident)
    here = f"/consultations/{consultation.slug}/?sort=supported"
    url = f"/consultations/{consultation.slug}/contributions/{c.pk}/react/"
    response = alpha_client.post(url, {"kind": "support", "next": here})
    assert response.status_code == 302 and response["Location"] == f"{here}#c-{c.pk}"
    c.refresh_from_db()
    assert c.support_count == 1
    page = alpha_client.get(here).content.decode()
    assert 'value="remove" class="react-button" aria-pressed="true">Support' in page
    assert 'value="support" class="react-button"' not in page
    assert "Your reaction: Support" in page and "1 supports" in page
    alpha_client.post(url, {"kind": "remove"})
    c.refresh_from_db()
    assert c.support_count == 0 and not Reaction.objects.exists()
    # An outside "next" is ignored: back to the contribution.
    response = alpha_client.post(url, {"kind": "support", "next": "https://evil.example/"})
    assert response["Location"] == f"/consultations/{consultation.slug}/contributions/{c.pk}/#c-{c.pk}"


def test_agreement_mode_offers_agree_disagree_pass(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    consultation = make_consultation(reaction_mode="agreement")
    c = add(consultation)
    logged_in(alpha_client, resident)
    page = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    assert all(f'value="{k}" class="react-button"' in page for k in ("agree", "disagree", "pass"))
    assert 'value="support"' not in page and '<option value="agreed"' in page
    alpha_client.post(f"/consultations/{consultation.slug}/contributions/{c.pk}/react/", {"kind": "disagree"})
    page = alpha_client.get(f"/consultations/{consultation.slug}/contributions/{c.pk}/").content.decode()
    assert 'value="remove" class="react-button" aria-pressed="true">Disagree' in page and "1 disagree" in page
    assert 'value="agree" class="react-button" aria-pressed="false">Agree' in page
    refused = alpha_client.post(
        f"/consultations/{consultation.slug}/contributions/{c.pk}/react/", {"kind": "support"}, follow=True
    )
    assert "This consultation takes these reactions" in refused.content.decode()


def test_comment_and_threaded_reply(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    c = add(consultation, author=make_user())
    logged_in(alpha_client, resident)
    url = f"/consultations/{consultation.slug}/contributions/{c.pk}/"
    first = alpha_client.post(f"{url}comment/", {"body": "Good idea"})
    top = Comment.objects.get(body="Good idea")
    assert first.status_code == 302 and first["Location"] == f"{url}#comment-{top.pk}"
    alpha_client.post(f"{url}comment/", {"body": "Replying to myself", "parent": top.pk})
    reply = Comment.objects.get(body="Replying to myself")
    assert reply.parent == top and reply.depth == 1
    page = alpha_client.get(url).content.decode()
    # The reply sits inside its parent's list item.
    parent_item = page.split(f'id="comment-{top.pk}"', 1)[1]
    assert f'id="comment-{reply.pk}"' in parent_item.split("</li>\n\n</ol>")[0]
    assert "2 comments" in page and f'name="parent" value="{top.pk}"' in page


def test_reply_forms_stop_at_the_maximum_depth(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    c = add(consultation)
    parent = None
    for depth in range(Comment.MAX_DEPTH + 1):
        parent = Comment.objects.create(contribution=c, parent=parent, depth=depth, body=f"level {depth}")
    logged_in(alpha_client, resident)
    page = alpha_client.get(f"/consultations/{consultation.slug}/contributions/{c.pk}/").content.decode()
    replyable = set(map(int, re.findall(r'name="parent" value="(\d+)"', page)))
    deepest = Comment.objects.get(depth=Comment.MAX_DEPTH)
    assert deepest.pk not in replyable and len(replyable) == Comment.MAX_DEPTH


def test_comment_errors_keep_the_text(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    c = add(consultation)
    top = Comment.objects.create(contribution=c, body="Parent")
    logged_in(alpha_client, resident)
    url = f"/consultations/{consultation.slug}/contributions/{c.pk}/comment/"
    long_text = "word " * 1200  # over 5,000 characters
    body = alpha_client.post(url, {"body": long_text}).content.decode()
    assert 'id="error-summary"' in body and long_text.strip() in body
    reply = alpha_client.post(url, {"body": long_text, "parent": top.pk}).content.decode()
    assert f'id="reply-{top.pk}-error"' in reply and long_text.strip() in reply
    assert Comment.objects.count() == 1


def test_follow_with_a_frequency_then_unfollow(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    logged_in(alpha_client, resident)
    url = f"/consultations/{consultation.slug}/follow/"
    response = alpha_client.post(url, {"action": "follow", "frequency": "daily"})
    assert response.status_code == 302
    assert Follow.objects.get(consultation=consultation, user=resident).frequency == "daily"
    page = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    assert "You follow this consultation (Once a day (digest))." in page and 'value="unfollow"' in page
    alpha_client.post(url, {"action": "unfollow"})
    assert not Follow.objects.exists()
    assert alpha_client.post(url, {"frequency": "hourly"}).status_code == 302 and not Follow.objects.exists()


def test_report_a_contribution_and_a_comment(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    c = add(consultation, author=make_user())
    comment = Comment.objects.create(contribution=c, body="Rude", author=make_user())
    logged_in(alpha_client, resident)
    page = alpha_client.get(f"/consultations/{consultation.slug}/contributions/{c.pk}/").content.decode()
    assert f'action="/consultations/{consultation.slug}/comments/{comment.pk}/report/"' in page
    assert '<option value="offensive">' in page
    url = f"/consultations/{consultation.slug}/contributions/{c.pk}/report/"
    done = alpha_client.post(url, {"reason": "spam", "note": "ads"}, follow=True)
    assert "a moderator will look at your report" in done.content.decode()
    assert Report.objects.get(contribution=c).reason == "spam"
    again = alpha_client.post(url, {"reason": "spam"}, follow=True).content.decode()
    assert "notice-error" in again and Report.objects.filter(contribution=c).count() == 1
    alpha_client.post(f"/consultations/{consultation.slug}/comments/{comment.pk}/report/", {"reason": "offensive"})
    assert Report.objects.get(comment=comment).reporter == resident


def test_merged_contribution_points_to_where_it_went(
    in_alpha: City, alpha_client: Client, consultation: Consultation
) -> None:
    target = add(consultation, title="The original")
    duplicate = add(consultation, title="The copy", status=ContributionStatus.MERGED, merged_into=target)
    page = alpha_client.get(f"/consultations/{consultation.slug}/contributions/{duplicate.pk}/").content.decode()
    assert "was merged" in page
    assert f'href="/consultations/{consultation.slug}/contributions/{target.pk}/"' in page
    original = alpha_client.get(f"/consultations/{consultation.slug}/contributions/{target.pk}/").content.decode()
    assert "The copy" in original


def test_official_answer_shows_on_the_contribution(
    in_alpha: City, alpha_client: Client, consultation: Consultation
) -> None:
    c = add(consultation, answer_status="accepted")
    OfficialAnswer.objects.create(contribution=c, status="accepted", text="We will do it in 2031.")
    listing = alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    assert "City's answer: Accepted" in listing
    page = alpha_client.get(f"/consultations/{consultation.slug}/contributions/{c.pk}/").content.decode()
    assert "The city's answer: Accepted" in page and "We will do it in 2031." in page


# --- Filters, sorts, pagination ---------------------------------------------------------------------------


def test_filters_by_theme_other_district_answer_and_search(
    in_alpha: City, alpha_client: Client, consultation: Consultation
) -> None:
    mobility = theme_id(consultation, "Mobility")
    add(consultation, title="Bus lanes", theme_id=mobility, district="North", answer_status="accepted")
    add(consultation, title="Cycle paths", body="Safer bicycles", theme_id=mobility, district="South")
    add(consultation, title="Street party", district="North")
    url = f"/consultations/{consultation.slug}/"

    def listed(**params: str) -> set[str]:
        return set(titles(alpha_client.get(url, params).content.decode()))

    assert listed() == {"Bus lanes", "Cycle paths", "Street party"}
    assert listed(theme=str(mobility)) == {"Bus lanes", "Cycle paths"}
    assert listed(theme="other") == {"Street party"}
    assert listed(district="North") == {"Bus lanes", "Street party"}
    assert listed(answered="yes") == {"Bus lanes"}
    assert listed(answered="no") == {"Cycle paths", "Street party"}
    assert listed(answered="accepted") == {"Bus lanes"}
    assert listed(answered="rejected") == set()
    assert listed(q="bicycle") == {"Cycle paths"}  # English stemming: "bicycles" ~ "bicycle"
    assert listed(q="bicycle", district="North") == set()
    page = alpha_client.get(url, {"theme": "other", "q": "party"}).content.decode()
    assert '<option value="other" selected>' in page and 'value="party"' in page
    bad = alpha_client.get(url, {"theme": "nonsense"})
    assert bad.status_code == 400 and "Unknown theme." in bad.content.decode()


def test_sorts(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    add(consultation, title="Old popular", support_count=9, comment_count=1)
    add(consultation, title="Much discussed", support_count=2, comment_count=7)
    add(consultation, title="Newest", support_count=0, comment_count=0)
    url = f"/consultations/{consultation.slug}/"
    assert titles(alpha_client.get(url).content.decode()) == ["Newest", "Much discussed", "Old popular"]
    supported = alpha_client.get(url, {"sort": "supported"}).content.decode()
    assert titles(supported) == ["Old popular", "Much discussed", "Newest"]
    assert '<option value="supported" selected>' in supported
    assert titles(alpha_client.get(url, {"sort": "commented"}).content.decode())[0] == "Much discussed"


def test_cursor_pagination_next_and_previous(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    for n in range(7):
        add(consultation, title=f"Idea {n}", theme_id=theme_id(consultation, "Housing"))
    url = f"/consultations/{consultation.slug}/"
    first = alpha_client.get(url, {"size": "3", "theme": theme_id(consultation, "Housing")}).content.decode()
    assert titles(first) == ["Idea 6", "Idea 5", "Idea 4"] and 'rel="prev"' not in first
    next_url = re.search(r'href="([^"]+)#contributions" rel="next"', first).group(1).replace("&amp;", "&")
    assert "theme=" in next_url and "size=3" in next_url  # filters survive the page change
    second = alpha_client.get(next_url).content.decode()
    assert titles(second) == ["Idea 3", "Idea 2", "Idea 1"]
    third_url = re.search(r'href="([^"]+)#contributions" rel="next"', second).group(1).replace("&amp;", "&")
    third = alpha_client.get(third_url).content.decode()
    assert titles(third) == ["Idea 0"] and 'rel="next"' not in third
    previous_url = re.search(r'href="([^"]+)#contributions" rel="prev"', third).group(1).replace("&amp;", "&")
    assert titles(alpha_client.get(previous_url).content.decode()) == ["Idea 3", "Idea 2", "Idea 1"]
    assert alpha_client.get(url, {"cursor": "garbage"}).status_code == 400


# --- Escaping ---------------------------------------------------------------------------------------------


def test_residents_texts_are_escaped_everywhere(
    in_alpha: City, alpha_client: Client, consultation: Consultation, resident: Any
) -> None:
    c = add(consultation, title=f"T {XSS}", body=f"B {XSS}", district=XSS, author=make_user())
    logged_in(alpha_client, resident)
    alpha_client.post(f"/consultations/{consultation.slug}/contributions/{c.pk}/comment/", {"body": f"C {XSS}"})
    assert Comment.objects.filter(body=f"C {XSS}").exists()
    OfficialAnswer.objects.create(contribution=c, status="done", text=f"A {XSS}")
    Contribution.objects.filter(pk=c.pk).update(answer_status="done")
    Consultation.objects.filter(pk=consultation.pk).update(phase=Phase.CLOSED)
    pages = [
        f"/consultations/{consultation.slug}/",
        f"/consultations/{consultation.slug}/contributions/{c.pk}/",
        f"/consultations/{consultation.slug}/results/",
    ]
    for url in pages:
        html = alpha_client.get(url).content.decode()
        assert "<script>" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_description_is_sanitised_and_rendered_as_html(in_alpha: City, alpha_client: Client) -> None:
    created = consultation_create(
        title="Rich text",
        description="<p>Hello <strong>all</strong></p><script>alert(1)</script>"
        '<a href="javascript:alert(2)">bad</a><p onclick="alert(3)">para</p>',
    )
    Consultation.objects.filter(pk=created.pk).update(phase=Phase.OPEN)
    html = alpha_client.get(f"/consultations/{created.slug}/").content.decode()
    assert "<p>Hello <strong>all</strong></p>" in html
    assert "<script>" not in html and "javascript:" not in html and "onclick" not in html


# --- Isolation --------------------------------------------------------------------------------------------


def test_a_consultation_of_alpha_is_not_found_on_beta(
    in_alpha: City, alpha_client: Client, beta_client: Client, consultation: Consultation
) -> None:
    c = add(consultation)
    urls = [
        f"/consultations/{consultation.slug}/",
        f"/consultations/{consultation.slug}/contributions/{c.pk}/",
        f"/consultations/{consultation.slug}/results/",
    ]
    assert all(alpha_client.get(url).status_code == 200 for url in urls[:2])
    assert all(beta_client.get(url).status_code == 404 for url in urls)
    assert consultation.title not in beta_client.get("/consultations/").content.decode()
