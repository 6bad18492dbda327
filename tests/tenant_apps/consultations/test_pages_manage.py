"""Staff pages under /manage/consultations/: access, creating and editing, themes, phases (with billing's
refusal), the staff list of contributions with answers and merges."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from shared_apps.billing import interface as billing
from tenant_apps.consultations.models import (
    Consultation,
    Contribution,
    ContributionStatus,
    OfficialAnswer,
    Theme,
)
from tenant_apps.consultations.phases import Phase
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user


def staff_client(client: Client, role: str = "city_admin") -> Client:
    client.force_login(make_user(role=role))
    return client


FORM = {
    "title": "Green streets",
    "slug": "",
    "summary": "Where should trees go?",
    "description": "<p>Tell us <em>where</em>.</p><script>alert(1)</script>",
    "participation": "signed_in",
    "visibility": "public",
    "reaction_mode": "support",
    "allow_attachments": "on",
    "allow_location": "on",
    "language": "en",
    "opens_at": "2031-03-01T09:00",
    "closes_at": "2031-03-31T18:30",
}


@pytest.mark.parametrize(
    "url",
    [
        "/manage/consultations/",
        "/manage/consultations/new/",
        "/manage/consultations/{slug}/",
        "/manage/consultations/{slug}/edit/",
        "/manage/consultations/{slug}/themes/",
    ],
)
def test_staff_pages_access(in_alpha: City, alpha_client: Client, consultation: Consultation, url: str) -> None:
    url = url.format(slug=consultation.slug)
    anonymous = alpha_client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/account/login/?next=")
    alpha_client.force_login(make_user())
    refused = alpha_client.get(url)
    assert refused.status_code == 403 and "for the city&#x27;s staff only" in refused.content.decode()
    for role in ("moderator", "city_admin"):
        assert staff_client(alpha_client, role).get(url).status_code == 200


def test_staff_posts_are_refused_to_residents(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    alpha_client.force_login(make_user())
    assert alpha_client.post(f"/manage/consultations/{consultation.slug}/phase/", {"to": "closed"}).status_code == 403
    assert alpha_client.post("/manage/consultations/new/", FORM).status_code == 403
    consultation.refresh_from_db()
    assert consultation.phase == Phase.OPEN and not Consultation.objects.filter(title="Green streets").exists()


def test_list_shows_phases_and_counts(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    draft = make_consultation(title="Draft one", phase=Phase.DRAFT)
    for status in ("published", "published", "pending", "hidden"):
        Contribution.objects.create(consultation=consultation, title="t", body="b", status=status)
    html = staff_client(alpha_client).get("/manage/consultations/").content.decode()
    row = html.split(f'href="/manage/consultations/{consultation.slug}/"')[1].split("</tr>")[0]
    assert "phase-open" in row and "<td>2</td><td><strong>1</strong></td><td>1</td>" in row
    assert f'href="/manage/consultations/{draft.slug}/"' in html and "phase-draft" in html
    assert 'href="/manage/consultations/moderation/"' in html


def test_create_a_consultation_with_dates_in_the_city_time_zone(in_alpha: City, alpha_client: Client) -> None:
    response = staff_client(alpha_client).post("/manage/consultations/new/", FORM)
    consultation = Consultation.objects.get(title="Green streets")
    assert response.status_code == 302 and response["Location"] == f"/manage/consultations/{consultation.slug}/"
    assert consultation.slug == "green-streets" and consultation.phase == Phase.DRAFT
    # Paris is UTC+1 in March before the change of hour, UTC+2 after it (March 30th, 2031).
    assert consultation.opens_at == datetime.datetime(2031, 3, 1, 8, 0, tzinfo=datetime.UTC)
    assert consultation.closes_at == datetime.datetime(2031, 3, 31, 16, 30, tzinfo=datetime.UTC)
    assert consultation.description == "<p>Tell us <em>where</em>.</p>"
    edit = alpha_client.get(f"/manage/consultations/{consultation.slug}/edit/").content.decode()
    assert 'value="2031-03-01T09:00"' in edit and 'value="2031-03-31T18:30"' in edit


def test_create_form_errors_keep_the_input(in_alpha: City, alpha_client: Client) -> None:
    make_consultation(slug="taken")
    data = {**FORM, "slug": "taken", "closes_at": "2031-02-01T09:00"}
    response = staff_client(alpha_client).post("/manage/consultations/new/", data)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="error-summary"' in html
    assert "The closing date must come after the opening date." in html
    assert 'value="Green streets"' in html and 'value="taken"' in html
    response = alpha_client.post("/manage/consultations/new/", {**FORM, "slug": "taken"})
    assert "already used by another consultation" in response.content.decode()
    assert not Consultation.objects.filter(title="Green streets").exists()


def test_edit_a_consultation(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    client = staff_client(alpha_client)
    form = client.get(f"/manage/consultations/{consultation.slug}/edit/").content.decode()
    assert f'value="{consultation.title}"' in form
    data = {**FORM, "title": "Renamed", "slug": consultation.slug, "reaction_mode": "agreement", "premoderation": "on"}
    response = client.post(f"/manage/consultations/{consultation.slug}/edit/", data)
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.title == "Renamed" and consultation.reaction_mode == "agreement" and consultation.premoderation


def test_themes_add_edit_reorder_delete(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    client = staff_client(alpha_client)
    url = f"/manage/consultations/{consultation.slug}/themes/"
    added = client.post(url, {"name": "Culture", "colour": "#aa3300", "icon": "culture", "description": ""})
    assert added.status_code == 302
    assert list(consultation.themes.values_list("name", flat=True)) == ["Mobility", "Environment", "Housing", "Culture"]
    duplicate = client.post(url, {"name": "culture", "colour": "#aa3300"})
    assert duplicate.status_code == 200 and "already has a theme with this name" in duplicate.content.decode()
    culture = Theme.objects.get(consultation=consultation, name="Culture")
    client.post(f"{url}{culture.pk}/move/", {"direction": "up"})
    client.post(f"{url}{culture.pk}/move/", {"direction": "up"})
    assert list(consultation.themes.values_list("name", flat=True)) == ["Mobility", "Culture", "Environment", "Housing"]
    mobility = Theme.objects.get(consultation=consultation, name="Mobility")
    client.post(f"{url}{mobility.pk}/move/", {"direction": "up"})  # already first: nothing moves
    client.post(f"{url}{mobility.pk}/move/", {"direction": "down"})
    assert list(consultation.themes.values_list("name", flat=True))[:2] == ["Culture", "Mobility"]
    edited = client.post(f"{url}{culture.pk}/", {"name": "Arts", "colour": "#123456", "icon": "", "description": "x"})
    assert edited.status_code == 302
    culture.refresh_from_db()
    assert (culture.name, culture.colour, culture.description) == ("Arts", "#123456", "x")
    c = Contribution.objects.create(consultation=consultation, theme=culture, title="t", body="b")
    client.post(f"{url}{culture.pk}/delete/")
    c.refresh_from_db()
    assert not Theme.objects.filter(pk=culture.pk).exists() and c.theme_id is None
    page = client.get(url).content.decode()
    assert f'id="theme-{culture.pk}"' not in page and 'name="direction" value="down"' in page


def test_phase_buttons_open_close_reopen_publish(in_alpha: City, alpha_client: Client) -> None:
    consultation = make_consultation(phase=Phase.DRAFT)
    client = staff_client(alpha_client)
    page_url = f"/manage/consultations/{consultation.slug}/"
    assert "Open the consultation" in client.get(page_url).content.decode()
    for target, button in (
        (Phase.OPEN, "Close the consultation"),
        (Phase.CLOSED, "Reopen the consultation"),
        (Phase.OPEN, "Close the consultation"),
        (Phase.CLOSED, "Publish the results"),
        (Phase.RESULTS, "this is the last phase"),
    ):
        response = client.post(f"{page_url}phase/", {"to": target}, follow=True)
        consultation.refresh_from_db()
        assert consultation.phase == target and button in response.content.decode()
    refused = client.post(f"{page_url}phase/", {"to": Phase.OPEN}, follow=True).content.decode()
    assert "cannot go from" in refused and "notice-error" in refused


def test_opening_beyond_the_plan_limit_shows_billing_message(in_alpha: City, alpha_client: Client) -> None:
    limit = billing.entitlements_for_city(city_id=in_alpha.id).feature("open_consultations").limit
    assert limit is not None, "alpha's plan must limit open consultations for this test"
    for _ in range(limit - Consultation.objects.filter(phase=Phase.OPEN).count()):
        make_consultation()
    draft = make_consultation(phase=Phase.DRAFT)
    response = staff_client(alpha_client).post(
        f"/manage/consultations/{draft.slug}/phase/", {"to": Phase.OPEN}, follow=True
    )
    html = response.content.decode()
    assert "Your plan (" in html and f"allows {limit} open consultations" in html and "notice-error" in html
    draft.refresh_from_db()
    assert draft.phase == Phase.DRAFT


def test_staff_page_filters_by_status_and_links_to_the_other_tools(
    in_alpha: City, alpha_client: Client, consultation: Consultation
) -> None:
    Contribution.objects.create(consultation=consultation, title="Shown", body="b")
    Contribution.objects.create(
        consultation=consultation,
        title="Waiting",
        body="b",
        status="pending",
        moderation_reason="Contains a blocked word",
    )
    client = staff_client(alpha_client, "moderator")
    url = f"/manage/consultations/{consultation.slug}/"
    default = client.get(url).content.decode()
    assert "Shown" in default and "Waiting" not in default
    pending = client.get(url, {"status": "pending"}).content.decode()
    assert "Waiting" in pending and "Contains a blocked word" in pending and "Shown" not in pending
    for link in (
        "/manage/consultations/moderation/",
        f"/manage/consultations/{consultation.slug}/surveys/",
        f"/manage/consultations/{consultation.slug}/exports/",
    ):
        assert f'href="{link}"' in default
    assert client.get(url, {"status": "nonsense"}).status_code == 400


def test_answer_and_merge_from_the_staff_page(in_alpha: City, alpha_client: Client, consultation: Consultation) -> None:
    author = make_user()
    original = Contribution.objects.create(consultation=consultation, title="Original", body="b", author=author)
    copy = Contribution.objects.create(consultation=consultation, title="Copy", body="b", author=author)
    client = staff_client(alpha_client)
    base = f"/manage/consultations/{consultation.slug}/contributions/"
    answered = client.post(
        f"{base}{original.pk}/answer/",
        {
            f"a{original.pk}-status": "accepted",
            f"a{original.pk}-text": "Yes, in 2031.",
            "next": "https://evil.example/",
        },
    )
    assert answered.status_code == 302 and answered["Location"].startswith(
        f"/manage/consultations/{consultation.slug}/"
    )
    assert OfficialAnswer.objects.get(contribution=original).text == "Yes, in 2031."
    page = client.get(f"/manage/consultations/{consultation.slug}/").content.decode()
    assert "Yes, in 2031.</textarea>" in page and "Change the city" in page  # the form holds the answer
    empty = client.post(
        f"{base}{copy.pk}/answer/", {f"a{copy.pk}-status": "accepted", f"a{copy.pk}-text": ""}, follow=True
    )
    assert "is not saved" in empty.content.decode() and not OfficialAnswer.objects.filter(contribution=copy).exists()
    merged = client.post(
        f"{base}{copy.pk}/merge/", {f"m{copy.pk}-into": original.pk, f"m{copy.pk}-reason": "Same"}, follow=True
    )
    copy.refresh_from_db()
    assert copy.status == ContributionStatus.MERGED and copy.merged_into == original
    assert f"#{copy.pk} is merged into #{original.pk}." in merged.content.decode()
    again = client.post(f"{base}{copy.pk}/merge/", {f"m{copy.pk}-into": original.pk}, follow=True)
    assert "already merged" in again.content.decode()


def test_staff_pages_of_alpha_are_not_found_on_beta(
    in_alpha: City, alpha_client: Client, beta_client: Client, consultation: Consultation, beta: City
) -> None:
    from tenants.context import in_city

    with in_city(city_id=beta.id, city=beta):
        beta_client.force_login(make_user(role="city_admin"))
    assert beta_client.get(f"/manage/consultations/{consultation.slug}/").status_code == 404
    assert beta_client.post(f"/manage/consultations/{consultation.slug}/phase/", {"to": "closed"}).status_code == 404
    assert consultation.title not in beta_client.get("/manage/consultations/").content.decode()
    with in_city(city_id=in_alpha.id, city=in_alpha):
        consultation.refresh_from_db()
    assert consultation.phase == Phase.OPEN
