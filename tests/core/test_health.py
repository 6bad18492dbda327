from __future__ import annotations

import pytest
from django.db.utils import ConnectionHandler
from django.test import Client

from core import health


@pytest.mark.parametrize("host", ["fluicity.test", "alpha.fluicity.test", "10.1.2.3", "unknown.example"])
def test_healthz_answers_on_every_host(db: None, host: str) -> None:
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok_when_database_and_redis_answer(alpha: object) -> None:
    response = Client(HTTP_HOST="alpha.fluicity.test").get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]


def test_readyz_reports_down_redis(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = Client(HTTP_HOST="fluicity.test").get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_readyz_reports_down_database(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connections

    unreachable = dict(connections["default"].settings_dict, PORT="1", HOST="127.0.0.1")
    unreachable["OPTIONS"] = {**unreachable.get("OPTIONS", {}), "connect_timeout": 1}
    monkeypatch.setattr(health, "connections", ConnectionHandler({"default": unreachable}))
    response = Client(HTTP_HOST="fluicity.test").get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is False and body["checks"]["database"]["error"]
    assert body["checks"]["redis"]["ok"] is True


def test_readyz_names_the_failure_without_leaking_addresses(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.DEBUG = False
    body = Client(HTTP_HOST="unknown.example").get("/readyz").json()
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert "127.0.0.1" not in str(body)
