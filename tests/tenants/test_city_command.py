from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tenants.models import City, Domain


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def test_create_list_suspend_resume(db: None) -> None:
    out = StringIO()
    call_command(
        "city", "create", "gamma-town", "--name", "Gamma Town", "--admin-email", "Mayor@Gamma.example", stdout=out
    )
    city = City.objects.get(slug="gamma-town")
    assert city.schema_name == "city_gamma_town"
    assert _schema_exists("city_gamma_town")
    assert Domain.objects.get(tenant=city).domain == "gamma-town.fluicity.test"
    assert "gamma-town.fluicity.test" in out.getvalue()

    listing = StringIO()
    call_command("city", "list", stdout=listing)
    assert any(line.startswith("gamma-town") and "active" in line for line in listing.getvalue().splitlines())

    call_command("city", "suspend", "gamma-town", stdout=StringIO())
    assert City.objects.get(slug="gamma-town").status == "suspended"
    call_command("city", "resume", "gamma-town", stdout=StringIO())
    assert City.objects.get(slug="gamma-town").status == "active"


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Bad_Slug", "lower-case"),
        ("www", "reserved"),
        ("edge-", "lower-case"),
        ("a" * 41, "lower-case"),
        ("alpha", "taken"),
    ],
)
def test_create_refuses_bad_slugs(db: None, slug: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("city", "create", slug, "--name", "X", "--admin-email", "a@b.example", stdout=StringIO())


def test_unknown_city_is_a_clear_error(db: None) -> None:
    with pytest.raises(CommandError, match="No city with subdomain"):
        call_command("city", "suspend", "atlantis", stdout=StringIO())


def test_failed_creation_leaves_no_half_city(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models import UserManager

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(UserManager, "create_user", explode)
    with pytest.raises(RuntimeError):
        call_command(
            "city", "create", "delta", "--name", "Delta", "--admin-email", "a@delta.example", stdout=StringIO()
        )
    assert not City.objects.filter(slug="delta").exists()
    assert not Domain.objects.filter(domain__startswith="delta.").exists()
    assert not _schema_exists("city_delta")
