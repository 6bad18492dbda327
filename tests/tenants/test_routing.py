from __future__ import annotations

import pytest
from django.test import Client

from tenants import routing, services
from tenants.models import City, CityStatus, Domain
from tests.conftest import ROOT_HOST, city_host


def test_root_host_serves_public_site(root_client: Client, alpha: City) -> None:
    response = root_client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fluicity" in body
    assert "Alphaville" in body and "Betastad" in body  # the list of cities


def test_www_alias_serves_public_site(db: None) -> None:
    response = Client(HTTP_HOST=f"www.{ROOT_HOST}").get("/")
    assert response.status_code == 200
    assert 'id="cities-title"' in response.content.decode()  # the public home's list of cities


def test_city_host_serves_that_city(alpha_client: Client, beta_client: Client) -> None:
    alpha_page = alpha_client.get("/").content.decode()
    beta_page = beta_client.get("/").content.decode()
    assert "Alphaville" in alpha_page and "Betastad" not in alpha_page
    assert "Betastad" in beta_page and "Alphaville" not in beta_page


def test_city_host_with_port_is_routed(alpha: City) -> None:
    response = Client(HTTP_HOST=f"{city_host('alpha')}:8000").get("/")
    assert response.status_code == 200
    assert "Alphaville" in response.content.decode()


@pytest.mark.parametrize("host", ["nowhere.fluicity.test", "example.org", "fluicity.test.evil.com", "testserver"])
def test_unknown_host_gets_404_page(db: None, host: str) -> None:
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>" in body and "No city at this address" in body
    assert "Alphaville" not in body  # not the public site's list either


def test_admin_only_on_root_host(root_client: Client, alpha_client: Client) -> None:
    assert root_client.get("/admin/login/").status_code == 200
    assert alpha_client.get("/admin/login/").status_code == 404


def test_suspended_city_shows_its_page_and_keeps_data(alpha: City, alpha_client: Client) -> None:
    services.city_suspend(city=alpha)
    response = alpha_client.get("/")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()
    assert response["Retry-After"]
    assert alpha_client.get("/api/v1/city/").status_code == 503

    services.city_resume(city=City.objects.get(pk=alpha.pk))
    response = alpha_client.get("/")
    assert response.status_code == 200
    assert "Alphaville" in response.content.decode()


def test_archived_city_is_not_served(alpha: City, alpha_client: Client) -> None:
    City.objects.filter(pk=alpha.pk).update(status=CityStatus.ARCHIVED)
    routing.invalidate()  # .update() bypasses signals, as an operator's raw SQL would
    assert alpha_client.get("/").status_code == 404


def test_resolution_cached_without_query_on_hit(alpha: City, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    routing._cache.clear()
    first = routing.resolve_host(city_host("alpha"))
    assert first.city is not None and first.city.slug == "alpha"
    with django_assert_num_queries(0):
        again = routing.resolve_host(city_host("alpha"))
    assert again.city is not None and again.city.pk == alpha.pk


def test_cache_invalidated_when_city_or_domain_changes(alpha: City) -> None:
    routing._cache.clear()
    assert routing.resolve_host(city_host("alpha")).city.status == CityStatus.ACTIVE
    alpha.status = CityStatus.SUSPENDED
    alpha.save(update_fields=["status"])
    assert routing.resolve_host(city_host("alpha")).city.status == CityStatus.SUSPENDED

    assert routing.resolve_host("participez.alphaville.fr").city is None  # negative answers are cached too
    Domain.objects.create(domain="participez.alphaville.fr", tenant=alpha, is_primary=False)
    assert routing.resolve_host("participez.alphaville.fr").city.pk == alpha.pk


def test_other_processes_see_a_change_through_the_generation(alpha: City, settings) -> None:  # type: ignore[no-untyped-def]
    """Another process changed a city: its bump reaches us at the next recheck."""
    settings.ROUTING_RECHECK_SECONDS = 0
    routing._cache.clear()
    routing.resolve_host(city_host("alpha"))
    City.objects.filter(pk=alpha.pk).update(status=CityStatus.SUSPENDED)  # no signal here
    assert routing.resolve_host(city_host("alpha")).city.status == CityStatus.ACTIVE  # still cached
    routing._RouteCache().bump()  # what another process does after its change
    assert routing.resolve_host(city_host("alpha")).city.status == CityStatus.SUSPENDED
