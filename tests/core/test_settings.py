"""Production settings refuse to start unsafe; the user model logs in by email."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.models import User


def _import_production(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    clean.update(env, DJANGO_SETTINGS_MODULE="fluicity.settings.production")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_default_secret_key() -> None:
    result = _import_production()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = _import_production(SECRET_KEY="x" * 50, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_starts_with_a_real_secret() -> None:
    result = _import_production(SECRET_KEY="a-real-secret-" + "k" * 40)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_email_login_is_case_insensitive() -> None:
    user = User.objects.create_user(email="Anne.Martin@Example.ORG", password="s3cret-passw0rd")
    assert user.email == "anne.martin@example.org"
    assert User.objects.get_by_natural_key("ANNE.MARTIN@example.org") == user
