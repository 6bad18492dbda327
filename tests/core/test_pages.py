"""Every page stands on the accessible base template and carries the city's identity."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from core.context_processors import readable_text_color
from tenants.models import City


@pytest.mark.parametrize("host", ["fluicity.test", "alpha.fluicity.test", "nowhere.fluicity.test"])
def test_base_template_accessibility_landmarks(alpha: City, host: str) -> None:
    page = Client(HTTP_HOST=host).get("/").content.decode()
    assert re.search(r'<html lang="[a-z]{2}">', page)
    assert 'class="skip-link" href="#main"' in page and 'id="main"' in page
    assert page.count("<h1") == 1
    assert '<label for="language-select">' in page and 'id="language-select"' in page
    assert "<nav aria-label=" in page
    assert 'name="viewport"' in page


def test_city_pages_use_the_city_colour(alpha: City) -> None:
    alpha.brand_color = "#fde047"  # light yellow: text on it must be dark
    alpha.save(update_fields=["brand_color"])
    page = Client(HTTP_HOST="alpha.fluicity.test").get("/").content.decode()
    assert "--brand: #fde047; --brand-text: #000000;" in page


@pytest.mark.parametrize(
    ("background", "text"), [("#1d4ed8", "#ffffff"), ("#ffffff", "#000000"), ("#0f766e", "#ffffff")]
)
def test_readable_text_color(background: str, text: str) -> None:
    assert readable_text_color(background) == text


def test_public_home_lists_active_cities_only(alpha: City, beta: City) -> None:
    beta.status = "suspended"
    beta.save(update_fields=["status"])
    page = Client(HTTP_HOST="fluicity.test").get("/").content.decode()
    assert "http://alpha.fluicity.test/" in page
    assert "Betastad" not in page


def test_navigation_offers_sign_in_then_staff_links(alpha: City) -> None:
    from django.contrib.auth import get_user_model

    from tenants.context import in_city

    client = Client(HTTP_HOST="alpha.fluicity.test")
    assert 'href="/account/login/"' in client.get("/").content.decode()
    with in_city(city_id=alpha.id):
        client.force_login(get_user_model().objects.get(email="admin@alpha.example"))
    page = client.get("/").content.decode()
    assert 'href="/manage/billing/"' in page and 'action="/account/logout/"' in page
    assert 'href="/account/login/"' not in page
