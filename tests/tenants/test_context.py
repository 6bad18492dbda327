from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tenants.context import NoCityError, current_city, dangerously_all_cities, in_city, in_public
from tenants.models import City


def test_current_city_fails_closed_on_public(db: None) -> None:
    connection.set_schema_to_public()
    with pytest.raises(NoCityError):
        current_city()


def test_in_city_switches_schema_and_reports_the_city(alpha: City) -> None:
    with in_city(city_id=alpha.id) as ref:
        assert ref.slug == "alpha"
        assert connection.schema_name == alpha.schema_name
        assert current_city() == ref
        assert get_user_model().objects.filter(email="admin@alpha.example").exists()
    assert connection.schema_name == "public"


def test_in_city_restores_previous_schema_after_exception(alpha: City, beta: City) -> None:
    with in_city(city_id=beta.id):
        with pytest.raises(RuntimeError), in_city(city_id=alpha.id):
            assert connection.schema_name == alpha.schema_name
            raise RuntimeError("boom")
        assert connection.schema_name == beta.schema_name
        assert current_city().slug == "beta"
    assert connection.schema_name == "public"


def test_in_public_restores_the_city(alpha: City) -> None:
    with in_city(city_id=alpha.id):
        with in_public():
            assert connection.schema_name == "public"
            with pytest.raises(NoCityError):
                current_city()
        assert current_city().slug == "alpha"


def test_in_city_unknown_id_raises_and_changes_nothing(db: None) -> None:
    with pytest.raises(City.DoesNotExist), in_city(city_id=987654):
        pass  # pragma: no cover
    assert connection.schema_name == "public"


def test_dangerously_all_cities_lists_active_only(alpha: City, beta: City) -> None:
    alpha.status = "suspended"
    alpha.save(update_fields=["status"])
    slugs = [c.slug for c in dangerously_all_cities()]
    assert "beta" in slugs and "alpha" not in slugs
    assert "alpha" in [c.slug for c in dangerously_all_cities(status=None)]


def test_schema_survives_a_rolled_back_savepoint(alpha: City) -> None:
    """SET search_path is transactional in PostgreSQL and, with TENANT_LIMIT_SET_CALLS, only re-issued when
    the schema changes: a SET undone by ROLLBACK TO SAVEPOINT must not leave queries in the old schema."""
    from django.db import transaction

    from tenants.db import connection as tenant_connection

    class Boom(Exception):
        pass

    tenant_connection.set_schema_to_public()
    get_user_model().objects.count()  # search_path = public
    with pytest.raises(Boom), transaction.atomic():  # SAVEPOINT taken while on public
        tenant_connection.set_tenant(alpha)
        assert get_user_model().objects.filter(email="admin@alpha.example").exists()  # SET alpha, after it
        raise Boom
    # The rollback reverted the SET to public; the connection still says alpha, so it must set it again.
    assert tenant_connection.schema_name == alpha.schema_name
    assert get_user_model().objects.filter(email="admin@alpha.example").exists()
