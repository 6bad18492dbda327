"""Usage metering: tenant apps asked through their interface hook, one record per city and day."""

from __future__ import annotations

import datetime
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from shared_apps.billing import services
from shared_apps.billing.models import UsageRecord
from shared_apps.billing.tasks import usage_collect_dispatch_task
from tenants.context import current_city, in_city
from tenants.models import City

DAY = datetime.date(2025, 4, 10)
seen_in: list[str] = []


def _usage(*, period_start: datetime.datetime, period_end: datetime.datetime) -> dict[str, int]:
    seen_in.append(current_city().slug)
    assert period_end - period_start == datetime.timedelta(days=1)
    return {"contributions": 7, "ballots": 3, "participants": 1, "storage_bytes": 100}


@pytest.fixture(autouse=True)
def _fake_budgets_interface(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> None:
    """A tenant app's interface module with a usage hook (billing imports it by name)."""
    module = types.ModuleType("tenant_apps.budgets.interface")
    module.usage = _usage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tenant_apps.budgets.interface", module)
    settings.MEDIA_ROOT = str(tmp_path)
    seen_in.clear()


def _login_on(city: City, email: str, when: datetime.datetime) -> None:
    with in_city(city_id=city.id):
        get_user_model().objects.create_user(email=email, last_login=when)


def test_usage_is_asked_in_the_city_and_merged(alpha: City, tmp_path: Path) -> None:
    noon = datetime.datetime(2025, 4, 10, 12, tzinfo=datetime.UTC)
    _login_on(alpha, "a@alpha.example", noon)
    _login_on(alpha, "b@alpha.example", noon)
    _login_on(alpha, "c@alpha.example", noon - datetime.timedelta(days=1))  # not that day
    (tmp_path / alpha.schema_name).mkdir()
    (tmp_path / alpha.schema_name / "upload.bin").write_bytes(b"x" * 1000)
    record = services.usage_collect(city_id=alpha.id, day=DAY)
    assert seen_in == ["alpha"]
    assert (record.participants_active, record.contributions, record.ballots) == (2, 7, 3)
    assert record.details["media_bytes"] == 1000 and record.details["database_bytes"] > 0
    assert record.storage_bytes == record.details["database_bytes"] + 1000 + 100
    assert record.details["apps"]["tenant_apps.budgets"]["ballots"] == 3


def test_collecting_twice_changes_nothing(alpha: City) -> None:
    first = services.usage_collect(city_id=alpha.id, day=DAY)
    _login_on(alpha, "late@alpha.example", datetime.datetime(2025, 4, 10, 23, tzinfo=datetime.UTC))
    second = services.usage_collect(city_id=alpha.id, day=DAY)
    assert second.pk == first.pk and second.participants_active == first.participants_active
    assert UsageRecord.objects.filter(city=alpha, day=DAY).count() == 1
    assert seen_in == ["alpha"]  # not even measured again


def test_dispatcher_sends_one_task_per_active_city(alpha: City, beta: City, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "shared_apps.billing.tasks.usage_collect_task.apply_async", lambda **kw: sent.append(kw["kwargs"])
    )
    assert usage_collect_dispatch_task.run(day=DAY.isoformat()) == City.objects.active().count()
    assert {"city_id": alpha.id, "day": "2025-04-10"} in sent and {"city_id": beta.id, "day": "2025-04-10"} in sent
