"""Interface languages: fr and en complete, nl and de at least for the base template."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

LOCALE = Path(settings.REPO_ROOT) / "locale"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_complete_catalogues(language: str) -> None:
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(catalogue) > 20
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


@pytest.mark.parametrize("language", ["nl", "de"])
def test_base_template_translated(language: str) -> None:
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    base_strings = ["Skip to main content", "Main navigation", "Home", "Language", "Change", "About Fluicity"]
    for msgid in base_strings:
        entry = catalogue.find(msgid)
        assert entry is not None and entry.msgstr, f"{msgid!r} untranslated in {language}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Aller au contenu principal"),
        ("nl", "Naar de hoofdinhoud"),
        ("de", "Zum Hauptinhalt springen"),
        ("en", "Skip to main content"),
    ],
)
def test_pages_follow_the_chosen_language(alpha: object, language: str, expected: str) -> None:
    client = Client(HTTP_HOST="alpha.fluicity.test")
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert f'<html lang="{language}">' in page
    assert expected in page


def test_browser_language_is_honoured(db: None) -> None:
    page = Client(HTTP_HOST="fluicity.test", HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9").get("/").content.decode()
    assert "Écoutez vos habitants, décidez ensemble" in page
