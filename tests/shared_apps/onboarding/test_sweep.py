"""A verified sign-up whose provisioning message was lost is sent again, and only that one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shared_apps.onboarding import services
from shared_apps.onboarding.models import SignupRequest, SignupStatus
from shared_apps.onboarding.tasks import signup_provision_task


def _signup(slug: str, status: str, verified_minutes_ago: int | None) -> SignupRequest:
    return SignupRequest.objects.create(
        city_name=slug.title(),
        slug=slug,
        contact_email=f"mairie@{slug}.example",
        country="FR",
        time_zone="Europe/Paris",
        population=4000,
        language="fr",
        plan="village",
        status=status,
        verified_at=None if verified_minutes_ago is None else timezone.now() - timedelta(minutes=verified_minutes_ago),
    )


def test_sweep_resends_only_stuck_provisioning(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = _signup("sweep-stuck", SignupStatus.PROVISIONING, 10)
    _signup("sweep-recent", SignupStatus.PROVISIONING, 0)
    _signup("sweep-waiting", SignupStatus.AWAITING_VERIFICATION, None)
    _signup("sweep-ready", SignupStatus.READY, 30)
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(signup_provision_task, "apply_async", lambda **kw: sent.append(kw["kwargs"]))
    assert services.signup_sweep() == 1
    assert sent == [{"signup_id": stuck.id}]
