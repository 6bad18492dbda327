"""The sign-up form and the subdomain check: validation, suggestions, honeypot, rate limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shared_apps.onboarding import selectors
from shared_apps.onboarding.models import Plan, SignupRequest, SignupStatus
from tenants.models import City
from tests.shared_apps.onboarding.conftest import post_signup, signup_data


def test_form_page_is_accessible(root_client: Client) -> None:
    page = root_client.get("/signup/").content.decode()
    for name in ("city_name", "slug", "contact_email", "country", "population", "language", "plan"):
        assert f'<label for="id_{name}">' in page
    # The honeypot is hidden from people and assistive technology, and out of the tab order.
    assert '<div class="visually-hidden" aria-hidden="true">' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page
    assert "/static/onboarding/signup.js" in page


def test_public_home_links_to_the_form(root_client: Client) -> None:
    page = root_client.get("/").content.decode()
    assert 'href="/signup/"' in page and "mailto:" not in page.split('id="signup"')[1]


def test_valid_sign_up_is_recorded_and_mails_a_link(
    root_client: Client, ip: str, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    data = signup_data(population="3200", contact_email="Clerk@Village.Example")
    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post("/signup/", data, REMOTE_ADDR=ip)
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    signup = SignupRequest.objects.get(slug=data["slug"])
    assert signup.status == SignupStatus.AWAITING_VERIFICATION
    assert signup.contact_email == "clerk@village.example"
    assert signup.plan == Plan.VILLAGE  # suggested from the population
    assert signup.time_zone == "Europe/Brussels" and signup.requester_ip == ip
    assert len(eager_mail) == 1 and eager_mail[0].to == ["clerk@village.example"]
    assert "/signup/verify/" in eager_mail[0].body
    assert "Confirmez" in eager_mail[0].subject  # the requester's language (fr), not the page's
    assert eager_mail[0].alternatives and eager_mail[0].alternatives[0][1] == "text/html"


@pytest.mark.parametrize(
    ("population", "plan"), [(4_999, Plan.VILLAGE), (5_000, Plan.TOWN), (49_999, Plan.TOWN), (50_000, Plan.CITY)]
)
def test_plan_suggested_from_population(population: int, plan: Plan) -> None:
    assert Plan.suggested_for(population) == plan


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "Bad Slug!"}, "slug", "lower-case letters"),
        ({"slug": "www"}, "slug", "is reserved"),
        ({"slug": "admin"}, "slug", "is reserved"),
        ({"slug": "a--b"}, "slug", "Two hyphens"),
        ({"slug": "alpha", "country": "FR"}, "slug", "“alpha” is taken. “alpha-fr” is free."),
        ({"contact_email": "not-an-email"}, "contact_email", "valid email address"),
        ({"country": "XX"}, "country", "Select a valid choice"),
        ({"population": "0"}, "population", "greater than or equal to 1"),
        ({"language": "xx"}, "language", "Select a valid choice"),
        ({"city_name": ""}, "city_name", "This field is required"),
        ({"slug": ""}, "slug", "This field is required"),
        ({"contact_email": ""}, "contact_email", "This field is required"),
    ],
)
def test_invalid_input_is_shown_on_the_form(
    root_client: Client, alpha: City, ip: str, overrides: dict[str, str], field: str, message: str
) -> None:
    response = post_signup(root_client, ip, **overrides)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    page = response.content.decode()
    # Error summary links to the field; the field points at its message.
    assert 'id="error-summary"' in page and f'href="#id_{field}"' in page
    assert f'id="id_{field}_error"' in page and 'aria-invalid="true"' in page
    assert not SignupRequest.objects.exists()


def test_subdomain_held_by_a_pending_sign_up_is_taken_with_a_suggestion(root_client: Client, ip: str) -> None:
    first = signup_data(slug="lilleville")
    assert post_signup(root_client, ip, **first).status_code == 302
    response = post_signup(root_client, ip, slug="lilleville", country="FR")
    assert response.status_code == 400
    assert response.context["form"].slug_suggestion == "lilleville-fr"
    assert 'value="lilleville-fr"' in response.content.decode()  # "Use it" works without JavaScript
    assert SignupRequest.objects.filter(slug="lilleville").count() == 1


def test_same_person_asking_again_gets_a_new_link_not_a_taken_error(
    root_client: Client, ip: str, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    data = signup_data(slug="dinant")
    with django_capture_on_commit_callbacks(execute=True):
        assert root_client.post("/signup/", data, REMOTE_ADDR=ip).status_code == 302
        assert root_client.post("/signup/", {**data, "population": "13000"}, REMOTE_ADDR=ip).status_code == 302
    signup = SignupRequest.objects.get(slug="dinant")
    assert signup.population == 13000 and signup.plan == Plan.TOWN
    assert len(eager_mail) == 2


def test_expired_pending_sign_up_releases_its_subdomain(root_client: Client, ip: str, settings: Any) -> None:
    assert post_signup(root_client, ip, slug="huy").status_code == 302
    SignupRequest.objects.filter(slug="huy").update(verification_sent_at=selectors.stale_before().replace(year=2000))
    assert post_signup(root_client, ip, slug="huy").status_code == 302
    statuses = sorted(SignupRequest.objects.filter(slug="huy").values_list("status", flat=True))
    assert statuses == [SignupStatus.AWAITING_VERIFICATION, SignupStatus.EXPIRED]


def test_use_suggestion_without_javascript_refills_the_form(root_client: Client, ip: str) -> None:
    data = signup_data(slug="alpha", slug_suggestion="alpha-be")
    response = root_client.post("/signup/", data, REMOTE_ADDR=ip)
    assert response.status_code == 200
    assert response.context["form"].initial["slug"] == "alpha-be"
    assert not SignupRequest.objects.exists()


def test_honeypot_answers_like_success_and_records_nothing(
    root_client: Client, ip: str, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_signup(root_client, ip, website="http://spam.example")
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    assert not SignupRequest.objects.exists()
    assert callbacks == [] and eager_mail == []


def test_rate_limit_per_ip(
    root_client: Client, ip: str, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(5):
        assert post_signup(root_client, ip).status_code == 302
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_signup(root_client, ip)
    assert response.status_code == 429
    assert "Too many sign-up attempts" in response.content.decode()
    assert SignupRequest.objects.count() == 5 and callbacks == []
    # Another address is not affected.
    other = "192.0.2." + ip.rsplit(".", 1)[1]
    assert post_signup(root_client, other).status_code == 302


def test_rate_limit_per_email(root_client: Client, ip: str, email: str) -> None:
    addresses = [f"{ip.rsplit('.', 1)[0]}.{200 + n}" for n in range(4)]
    for address in addresses[:3]:
        assert post_signup(root_client, address, contact_email=email).status_code == 302
    response = post_signup(root_client, addresses[3], contact_email=email.upper())
    assert response.status_code == 429
    assert SignupRequest.objects.filter(contact_email=email).count() == 3


# --- GET /signup/check/ ---------------------------------------------------------------------------


def test_check_free_subdomain(root_client: Client, ip: str) -> None:
    response = root_client.get("/signup/check/", {"slug": "Mons"}, REMOTE_ADDR=ip)
    assert response.status_code == 200
    assert response.json() == {
        "slug": "mons",
        "host": "mons.fluicity.test",
        "available": True,
        "suggestion": None,
        "message": "“mons” is free.",
    }


def test_check_taken_subdomain_suggests_a_free_one(root_client: Client, alpha: City, ip: str) -> None:
    body = root_client.get("/signup/check/", {"slug": "alpha", "country": "fr"}, REMOTE_ADDR=ip).json()
    assert body["available"] is False and body["suggestion"] == "alpha-fr"
    City.objects.filter(pk=alpha.pk).update(slug="alpha")  # unchanged; suggestion skips taken candidates
    SignupRequest.objects.create(
        city_name="X",
        slug="alpha-fr",
        contact_email="x@x.example",
        country="FR",
        time_zone="Europe/Paris",
        population=10,
        language="fr",
        plan="village",
        verification_sent_at=selectors.timezone.now(),
    )
    body = root_client.get(
        "/signup/check/", {"slug": "alpha", "country": "FR", "language": "fr"}, REMOTE_ADDR=ip
    ).json()
    assert body["suggestion"] == "ville-de-alpha"


@pytest.mark.parametrize(
    ("query", "code"),
    [({"slug": "www"}, "reserved_slug"), ({"slug": "bad slug"}, "invalid_slug"), ({}, "required")],
)
def test_check_bad_input_is_400_with_the_error_body(
    root_client: Client, ip: str, query: dict[str, str], code: str
) -> None:
    response = root_client.get("/signup/check/", query, REMOTE_ADDR=ip)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["fields"]["slug"]


def test_check_is_rate_limited_per_address(root_client: Client, ip: str, settings: Any) -> None:
    settings.SIGNUP_CHECK_RATE_LIMIT_PER_MINUTE = 2
    for _ in range(2):
        assert root_client.get("/signup/check/", {"slug": "mons"}, REMOTE_ADDR=ip).status_code == 200
    response = root_client.get("/signup/check/", {"slug": "mons"}, REMOTE_ADDR=ip)
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"


def test_candidates_fit_the_length_limit() -> None:
    long_slug = "a" * 40
    candidates = selectors.slug_candidates(long_slug, country="BE", language="nl")
    assert candidates[0] == "a" * 37 + "-be"
    assert candidates[1].startswith("stad-") and all(len(c) <= 40 for c in candidates)
