"""Pure-ish predicates: may this person do this action in this city now? (reads settings and verifications)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from tenant_apps.accounts.contracts import Decision
from tenant_apps.accounts.models import Action, Method
from tenant_apps.accounts.selectors import accounts_settings, is_staff_member, profile_for, verifications_of


def required_methods(action: str) -> tuple[str, ...]:
    """Methods any one of which the action requires (empty: an account with a verified email is enough).
    Only methods the city enabled count: requiring a disabled method would lock everyone out."""
    config = accounts_settings()
    wanted = config.requirements.get(action) or []
    return tuple(m for m in wanted if m in config.enabled_methods)


def can(user: Any, action: str) -> Decision:
    if action not in Action.values:
        raise ValueError(f"Unknown action {action!r}.")
    if user is None or not getattr(user, "is_authenticated", False):
        return Decision(False, "login_required", _("Sign in or create an account first."))
    if not user.is_active:
        return Decision(False, "inactive", _("This account is closed."))
    profile = profile_for(user)
    if profile.deleted_at is not None:
        return Decision(False, "inactive", _("This account is closed."))
    if profile.email_verified_at is None:
        return Decision(False, "email_unverified", _("Confirm your email address first: follow the link we sent you."))
    methods = required_methods(action)
    if not methods:
        return Decision(True)
    held = {v.method for v in verifications_of(user_id=user.pk)}
    if held & set(methods):
        return Decision(True)
    labels = ", ".join(str(Method(m).label) for m in methods)
    return Decision(
        False,
        "verification_required",
        _("To do this, verify that you live here with one of: %(methods)s.") % {"methods": labels},
        methods,
    )


def can_manage(user: Any) -> bool:
    """Back-office (/manage/): moderators and city admins."""
    return is_staff_member(user)
