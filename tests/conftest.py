"""Two real cities, alpha and beta, created once per test session on the real PostgreSQL; clients per host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from tenants import routing
from tenants.models import City

ROOT_HOST = settings.BASE_DOMAIN
PASSWORD = "correct horse battery staple"


def city_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """The test database, migrated, with the two cities, created once for the session.

    Replaces pytest-django's own fixture, which creates the database only when some collected test
    uses ``db``: tests on committed data (real concurrency between sessions) use none, on purpose.
    """
    from django.test.utils import setup_databases, teardown_databases

    from tenants.services import city_create

    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=request.config.option.verbose, interactive=False, aliases={"default"})
        for slug, name, country in (("alpha", "Alphaville", "FR"), ("beta", "Betastad", "BE")):
            city_create(
                slug=slug,
                name=name,
                admin_email=f"admin@{slug}.example",
                admin_password=PASSWORD,
                country=country,
                time_zone="Europe/Brussels" if country == "BE" else "Europe/Paris",
            )
    yield
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _back_to_public() -> Iterator[None]:
    yield
    # A test may leave the connection in a city, or a routing entry cached from rolled-back data.
    connection.set_schema_to_public()
    routing._cache.clear()
    # A request or test may leave another language active in this thread: the next test starts in the default.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def alpha(db: None) -> City:
    return City.objects.get(slug="alpha")


@pytest.fixture
def beta(db: None) -> City:
    return City.objects.get(slug="beta")


@pytest.fixture
def root_client(db: None) -> Client:
    return Client(HTTP_HOST=ROOT_HOST)


@pytest.fixture
def alpha_client(alpha: City) -> Client:
    return Client(HTTP_HOST=city_host("alpha"))


@pytest.fixture
def beta_client(beta: City) -> Client:
    return Client(HTTP_HOST=city_host("beta"))


def api_client_for(host: str) -> APIClient:
    client = APIClient()
    client.defaults["HTTP_HOST"] = host
    return client


@pytest.fixture
def alpha_api(alpha: City) -> APIClient:
    return api_client_for(city_host("alpha"))


@pytest.fixture
def beta_api(beta: City) -> APIClient:
    return api_client_for(city_host("beta"))


@pytest.fixture
def root_api(db: None) -> APIClient:
    return api_client_for(ROOT_HOST)


@pytest.fixture
def operator(db: None) -> Any:
    """A platform operator: a staff account of the public schema."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email="ops@fluicity.example", password=PASSWORD, is_staff=True)


@pytest.fixture
def operator_client(operator: Any) -> Client:
    client = Client(HTTP_HOST=ROOT_HOST)
    client.force_login(operator)
    return client


@pytest.fixture
def operator_api(operator: Any) -> APIClient:
    """The operator API with a real token, obtained as a script would."""
    client = api_client_for(ROOT_HOST)
    token = client.post("/api/v1/auth/token/", {"email": operator.email, "password": PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
