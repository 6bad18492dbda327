"""Registration, email confirmation, sign-in (throttled), sign-in links, password reset, cross-city."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from core.models import User
from tenant_apps.accounts.models import Profile
from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD, city_host

from .conftest import link_in, make_user


def register(client: Client, email: str, **extra: Any) -> Any:
    data = {"email": email, "password": PASSWORD, "display_name": "Anne", "postal_code": "1000", "birth_year": "1990"}
    data.update(extra)
    return client.post("/account/register/", data)


def test_registration_sends_a_confirmation_link_that_confirms_and_signs_in(
    alpha: City, alpha_client: Client, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    email = f"anne-{uuid.uuid4().hex[:8]}@people.example"
    with django_capture_on_commit_callbacks(execute=True):
        response = register(alpha_client, email.upper())
    assert response.status_code == 302 and response["Location"] == "/account/register/done/"
    assert eager_mail[-1].to == [email]
    link = link_in(eager_mail[-1].body, r"http://alpha\.fluicity\.test/account/verify-email/\S+/")
    with in_city(city_id=alpha.id):
        profile = Profile.objects.get(user__email=email)
        assert profile.email_verified_at is None and profile.birth_year == 1990 and profile.postal_code == "1000"
    response = alpha_client.get(link.replace("http://alpha.fluicity.test", ""))
    assert response.status_code == 302
    with in_city(city_id=alpha.id):
        profile.refresh_from_db()
        assert profile.email_verified_at is not None
    assert alpha_client.get("/account/profile/").status_code == 200


def test_registering_a_taken_address_looks_the_same_and_warns_the_owner(
    alpha: City, alpha_client: Client, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with in_city(city_id=alpha.id):
        owner = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        response = register(alpha_client, owner.email)
    assert response.status_code == 302 and response["Location"] == "/account/register/done/"
    assert eager_mail[-1].to == [owner.email] and "already has one" in eager_mail[-1].body
    with in_city(city_id=alpha.id):
        assert User.objects.filter(email=owner.email).count() == 1


def test_weak_password_is_refused_with_a_message(alpha_client: Client) -> None:
    response = register(alpha_client, f"x-{uuid.uuid4().hex[:8]}@people.example", password="12345")
    assert response.status_code == 200
    assert b"error-summary" in response.content


def test_verification_link_of_one_city_is_worthless_in_another(
    alpha: City,
    beta: City,
    alpha_client: Client,
    beta_client: Client,
    eager_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    email = f"anne-{uuid.uuid4().hex[:8]}@people.example"
    with django_capture_on_commit_callbacks(execute=True):
        register(alpha_client, email)
    path = link_in(eager_mail[-1].body, r"/account/verify-email/\S+/")
    assert beta_client.get(path).status_code == 400


def test_account_of_city_a_never_signs_in_to_city_b(alpha_client: Client, beta_client: Client, ip: str) -> None:
    # admin@alpha.example exists in alpha only.
    assert (
        beta_client.post(
            "/account/login/", {"username": "admin@alpha.example", "password": PASSWORD}, REMOTE_ADDR=ip
        ).status_code
        == 200
    )
    assert "_auth_user_id" not in beta_client.session
    ok = alpha_client.post("/account/login/", {"username": "admin@alpha.example", "password": PASSWORD}, REMOTE_ADDR=ip)
    assert ok.status_code == 302
    # The session cookie of alpha means nothing on beta.
    beta_client.cookies = alpha_client.cookies
    assert beta_client.get("/account/profile/").status_code == 302


def test_login_throttled_per_account_then_no_authentication_attempt(
    alpha: City, alpha_client: Client, ip: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_city(city_id=alpha.id):
        user = make_user()
    for n in range(5):
        response = alpha_client.post(
            "/account/login/", {"username": user.email, "password": "wrong"}, REMOTE_ADDR=f"{ip[:-1]}{n}"
        )
        assert response.status_code == 200
    from django.contrib.auth import forms as auth_forms

    calls: list[Any] = []
    real = auth_forms.authenticate
    monkeypatch.setattr(auth_forms, "authenticate", lambda *a, **k: calls.append(k) or real(*a, **k))
    response = alpha_client.post(
        "/account/login/", {"username": user.email, "password": PASSWORD}, REMOTE_ADDR="10.200.0.1"
    )
    assert response.status_code == 429 and b"Too many failed sign-in attempts" in response.content
    assert calls == []
    assert "_auth_user_id" not in alpha_client.session


def test_login_throttled_per_ip(alpha: City, alpha_client: Client, ip: str, settings: Any) -> None:
    settings.LOGIN_THROTTLE_PER_IP = 3
    for n in range(3):
        alpha_client.post("/account/login/", {"username": f"nobody{n}-{ip}@x.example", "password": "x"}, REMOTE_ADDR=ip)
    response = alpha_client.post(
        "/account/login/", {"username": "admin@alpha.example", "password": PASSWORD}, REMOTE_ADDR=ip
    )
    assert response.status_code == 429


def test_password_reset_does_not_reveal_accounts(
    alpha: City, alpha_client: Client, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with in_city(city_id=alpha.id):
        user = make_user()
    before = len(eager_mail)
    with django_capture_on_commit_callbacks(execute=True):
        unknown = alpha_client.post("/account/password-reset/", {"email": f"ghost-{uuid.uuid4().hex}@x.example"})
    assert len(eager_mail) == before
    with django_capture_on_commit_callbacks(execute=True):
        known = alpha_client.post("/account/password-reset/", {"email": user.email})
    assert unknown.status_code == known.status_code == 302 and unknown["Location"] == known["Location"]
    link = link_in(eager_mail[-1].body, r"/account/set-password/\S+/\S+/")
    assert alpha_client.get(link).status_code in (200, 302)


def test_password_reset_still_works_on_the_root_host(root_client: Client) -> None:
    assert root_client.get("/account/password-reset/").status_code == 200
    assert root_client.get("/account/login/").status_code == 200


def test_login_link_signs_in_once(
    alpha: City, alpha_client: Client, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with in_city(city_id=alpha.id):
        user = make_user(verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        alpha_client.post("/account/login-link/", {"email": user.email})
    path = link_in(eager_mail[-1].body, r"/account/login-link/\S+/")
    assert alpha_client.get(path).status_code == 200  # a confirmation button, nothing used yet
    assert alpha_client.post(path).status_code == 302
    assert alpha_client.session["_auth_user_id"] == str(user.pk)
    with in_city(city_id=alpha.id):
        assert Profile.objects.get(user=user).email_verified_at is not None
    other = Client(HTTP_HOST=city_host("alpha"))
    assert other.post(path).status_code == 400


def test_api_register_answers_the_same_for_a_taken_address(alpha: City, alpha_api: Any) -> None:
    email = f"api-{uuid.uuid4().hex[:8]}@people.example"
    first = alpha_api.post("/api/v1/accounts/register/", {"email": email, "password": PASSWORD}, format="json")
    second = alpha_api.post("/api/v1/accounts/register/", {"email": email, "password": PASSWORD}, format="json")
    assert first.status_code == second.status_code == 202 and first.json() == second.json()
