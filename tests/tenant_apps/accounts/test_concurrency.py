"""Letter codes under 50 concurrent redemptions, on committed data and 50 database sessions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.accounts.models import AccountsSettings, LetterBatch, LetterCode, Method, Profile, Verification
from tenant_apps.accounts.services import verification as services
from tenants.context import in_city
from tenants.models import City

THREADS = 50


@pytest.fixture
def committed_code(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[int, str, list[int]]]:
    """A committed letter code and 50 committed residents of alpha; all removed afterwards."""
    from django.utils import timezone

    with django_db_blocker.unblock():
        city = City.objects.get(slug="alpha")
        with in_city(city_id=city.id):
            previous = AccountsSettings.objects.filter(pk=1).values_list("enabled_methods", flat=True).first()
            AccountsSettings.objects.update_or_create(pk=1, defaults={"enabled_methods": [Method.LETTER]})
            batch = LetterBatch.objects.create(size=1)
            code = LetterCode.objects.create(batch=batch, code="RACE-RACE-RACE")
            users = []
            for n in range(THREADS):
                user = User.objects.create_user(email=f"racer-{n}@race.example", password=None)
                Profile.objects.create(user=user, email_verified_at=timezone.now())
                users.append(user.pk)
        try:
            yield city.id, code.code, users
        finally:
            with in_city(city_id=city.id):
                Verification.objects.filter(user_id__in=users).delete()
                LetterCode.objects.filter(batch=batch).delete()
                batch.delete()
                User.objects.filter(pk__in=users).delete()
                AccountsSettings.objects.filter(pk=1).update(enabled_methods=previous or [])
            connection.set_schema_to_public()


def test_fifty_concurrent_redemptions_of_one_code_make_one_verification(
    committed_code: tuple[int, str, list[int]], django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    city_id, code, users = committed_code
    monkeypatch.setattr(services, "plan_check", lambda method: None)
    barrier = threading.Barrier(THREADS, timeout=30)
    won: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def redeem(user_id: int) -> None:
        try:
            with django_db_blocker.unblock(), in_city(city_id=city_id):
                user = User.objects.get(pk=user_id)
                barrier.wait()
                try:
                    services.verify_with_letter_code(user=user, code=code)
                    won.append(user_id)
                except ApplicationError as exc:
                    refused.append(exc.code)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(user_id,)) for user_id in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(won) == 1 and refused == ["code_invalid"] * (THREADS - 1)
    with django_db_blocker.unblock(), in_city(city_id=city_id):
        assert Verification.objects.filter(user_id__in=users).count() == 1
        assert LetterCode.objects.get(code=code).redeemed_by_id == won[0]
