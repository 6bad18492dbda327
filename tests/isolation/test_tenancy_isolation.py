"""What alpha writes, beta can neither list, fetch, nor guess: ORM, HTTP sessions, tokens, cache."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD


def test_user_created_in_alpha_is_invisible_in_beta(alpha: City, beta: City) -> None:
    user_model = get_user_model()
    with in_city(city_id=alpha.id):
        user_model.objects.create_user(email="resident@alpha.example", password=PASSWORD)
        assert user_model.objects.filter(email="resident@alpha.example").count() == 1
    with in_city(city_id=beta.id):
        assert not user_model.objects.filter(email="resident@alpha.example").exists()
        assert not user_model.objects.filter(email="admin@alpha.example").exists()
    # Nor in the public schema, where operators live.
    assert not user_model.objects.filter(email="resident@alpha.example").exists()


def test_alpha_session_does_not_log_into_beta(alpha: City, alpha_client: Client, beta_client: Client) -> None:
    with in_city(city_id=alpha.id):  # the session is written in alpha's schema, as a login page would
        assert alpha_client.login(email="admin@alpha.example", password=PASSWORD)
    session_cookie = alpha_client.cookies["sessionid"].value
    beta_client.cookies["sessionid"] = session_cookie
    alpha_me = alpha_client.get("/api/v1/me/")
    beta_me = beta_client.get("/api/v1/me/")
    assert alpha_me.status_code == 200 and alpha_me.json()["email"] == "admin@alpha.example"
    assert beta_me.status_code in (401, 403)
    assert beta_me.json()["error"]["code"] == "not_authenticated"


def test_alpha_credentials_and_token_refused_by_beta(alpha_api: APIClient, beta_api: APIClient) -> None:
    refused = beta_api.post("/api/v1/auth/token/", {"email": "admin@alpha.example", "password": PASSWORD})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_credentials"

    token = alpha_api.post("/api/v1/auth/token/", {"email": "admin@alpha.example", "password": PASSWORD}).json()[
        "token"
    ]
    alpha_api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    beta_api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert alpha_api.get("/api/v1/me/").json()["email"] == "admin@alpha.example"
    assert beta_api.get("/api/v1/me/").status_code == 401


def test_city_api_answers_for_its_own_city_only(alpha_api: APIClient, beta_api: APIClient) -> None:
    assert alpha_api.get("/api/v1/city/").json()["slug"] == "alpha"
    assert beta_api.get("/api/v1/city/").json()["slug"] == "beta"


def test_cache_value_set_under_alpha_is_not_read_under_beta(alpha: City, beta: City) -> None:
    with in_city(city_id=alpha.id):
        cache.set("homepage:banner", "alpha's banner", 60)
    with in_city(city_id=beta.id):
        assert cache.get("homepage:banner") is None
        cache.set("homepage:banner", "beta's banner", 60)
    with in_city(city_id=alpha.id):
        assert cache.get("homepage:banner") == "alpha's banner"
    assert cache.get("homepage:banner") is None  # public schema has its own keys too


def test_cookies_are_host_only(alpha_client: Client) -> None:
    alpha_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    for morsel in alpha_client.cookies.values():
        assert not morsel["domain"], f"{morsel.key} is set for a parent domain"
