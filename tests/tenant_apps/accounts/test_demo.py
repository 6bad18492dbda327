"""The demo seeder is idempotent."""

from __future__ import annotations

from core.models import User
from tenant_apps.accounts import demo
from tenant_apps.accounts.models import CensusEntry, LetterCode
from tenants.context import current_city
from tenants.models import City


def test_seed_twice_changes_nothing(in_alpha: City) -> None:
    demo.seed(city=current_city())
    counts = (User.objects.count(), CensusEntry.objects.count(), LetterCode.objects.count())
    demo.seed(city=current_city())
    assert (User.objects.count(), CensusEntry.objects.count(), LetterCode.objects.count()) == counts
    assert counts[1] >= 60 and counts[2] >= 20
