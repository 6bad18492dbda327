"""Bad input to the API gets the one error body shape and a 4xx, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient


def assert_error_shape(body: dict[str, Any], code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)


def test_missing_and_malformed_fields(alpha_api: APIClient) -> None:
    response = alpha_api.post("/api/v1/auth/token/", {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "invalid")
    assert set(body["error"]["fields"]) == {"email", "password"}


def test_malformed_json(alpha_api: APIClient) -> None:
    response = alpha_api.post("/api/v1/auth/token/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert_error_shape(response.json(), "parse_error")


def test_wrong_credentials(alpha_api: APIClient) -> None:
    response = alpha_api.post("/api/v1/auth/token/", {"email": "nobody@alpha.example", "password": "x"}, format="json")
    assert response.status_code == 400
    assert_error_shape(response.json(), "invalid_credentials")


def test_not_authenticated(alpha_api: APIClient) -> None:
    response = alpha_api.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert_error_shape(response.json(), "not_authenticated")


@pytest.mark.parametrize("query", ["country=123", "country=FRA", "search=" + "x" * 101])
def test_invalid_query_parameters(root_api: APIClient, query: str) -> None:
    response = root_api.get(f"/api/v1/cities/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "invalid")
    assert body["error"]["fields"]


def test_unknown_api_url_is_json_404(alpha_api: APIClient) -> None:
    response = alpha_api.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")


def test_method_not_allowed(alpha_api: APIClient) -> None:
    response = alpha_api.delete("/api/v1/city/")
    assert response.status_code == 405
    assert_error_shape(response.json(), "method_not_allowed")


def test_city_list_filters(root_api: APIClient, alpha: object, beta: object) -> None:
    everyone = root_api.get("/api/v1/cities/").json()
    assert {c["slug"] for c in everyone["results"]} >= {"alpha", "beta"}
    belgian = root_api.get("/api/v1/cities/?country=be").json()
    assert [c["slug"] for c in belgian["results"]] == ["beta"]


@pytest.mark.parametrize("host", ["fluicity.test", "alpha.fluicity.test"])
def test_openapi_schema_and_docs_on_both_hosts(db: None, alpha: object, host: str) -> None:
    client = APIClient()
    client.defaults["HTTP_HOST"] = host
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    if host.startswith("alpha"):
        assert "/api/v1/city/" in paths and "/api/v1/cities/" not in paths
    else:
        assert "/api/v1/cities/" in paths and "/api/v1/city/" not in paths
    assert client.get("/api/docs/").status_code == 200


def test_token_endpoint_is_throttled(alpha_api: APIClient, settings: Any) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "3/min"}
    original = ScopedRateThrottle.THROTTLE_RATES
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"  # a fresh client: no history from other tests
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [
            alpha_api.post(
                "/api/v1/auth/token/", {"email": "x@alpha.example", "password": "nope"}, REMOTE_ADDR=address
            ).status_code
            for _ in range(5)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]


@pytest.mark.parametrize("urlconf", ["fluicity.urls_public", "fluicity.urls_city"])
def test_openapi_schema_documents_every_endpoint_without_warnings(urlconf: str, tmp_path: Any) -> None:
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--urlconf", urlconf, "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/auth/token/" in text
    if urlconf.endswith("city"):
        assert "/api/v1/accounts/verification/census/" in text and "/api/v1/accounts/can/{action}/" in text
    else:
        assert "/api/v1/operator/cities/" in text and "/api/v1/operator/billing/" in text
