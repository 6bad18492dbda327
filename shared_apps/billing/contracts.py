"""What billing hands to other apps (tenant apps included): frozen dataclasses, plain values only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureState:
    """One feature for one city: the plan must allow it and the city's admin must have it enabled."""

    code: str
    label: str
    allowed: bool
    enabled: bool
    # For limit features (open consultations, staff seats): the plan's maximum; None means unlimited.
    limit: int | None = None

    @property
    def active(self) -> bool:
        return self.allowed and self.enabled


@dataclass(frozen=True)
class Entitlements:
    city_id: int
    plan_code: str
    plan_name: str
    status: str
    is_trial: bool
    trial_ends_on: datetime.date | None
    features: tuple[FeatureState, ...]
    verification_methods: tuple[str, ...]
    max_open_consultations: int | None
    max_staff_seats: int | None

    def feature(self, code: str) -> FeatureState:
        for state in self.features:
            if state.code == code:
                return state
        raise KeyError(code)

    def allows(self, code: str) -> bool:
        """True when the feature is both allowed by the plan and enabled by the city."""
        return self.feature(code).active


@dataclass(frozen=True)
class SubscriptionRef:
    id: int
    city_id: int | None  # None once the city was deleted (its subscription is kept, cancelled)
    plan_code: str
    status: str
    trial_ends_on: datetime.date | None
    current_period_start: datetime.date | None
    current_period_end: datetime.date | None


@dataclass(frozen=True)
class CityBillingSummary:
    """One row of the operators' city list: plan, subscription status and the latest day of usage."""

    city_id: int
    plan_name: str
    status: str
    usage_day: datetime.date | None
    participants_active: int | None
    storage_bytes: int | None
