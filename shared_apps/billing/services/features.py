"""The city admin's feature switches (a feature works only if the plan allows it and it is enabled)."""

from __future__ import annotations

from django.db import transaction

from core.exceptions import ApplicationError
from shared_apps.billing import selectors
from shared_apps.billing.models import BOOLEAN_FEATURES, Feature, FeatureSetting


@transaction.atomic
def feature_set(*, city_id: int, feature: str, enabled: bool, actor: str) -> FeatureSetting:
    """Turn a feature on or off for a city. Turning on a feature the plan does not allow is refused
    with the plan limit and the plan to upgrade to."""
    if feature not in BOOLEAN_FEATURES:
        raise ApplicationError(f"{feature!r} is not a feature that can be switched.", code="unknown_feature")
    if enabled:
        entitlements = selectors.entitlements_for_city(city_id=city_id)
        if not entitlements.feature(feature).allowed:
            from shared_apps.billing.interface import plan_limit_message

            raise ApplicationError(
                plan_limit_message(plan_code=entitlements.plan_code, feature=feature), code="plan_limit"
            )
    setting, _created = FeatureSetting.objects.update_or_create(
        city_id=city_id, feature=Feature(feature), defaults={"enabled": enabled, "updated_by": actor}
    )
    return setting
