"""Sign-up tasks: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

# Registers core.send_mail_task in every worker that loads the onboarding tasks.
from core import mail  # noqa: F401
from shared_apps.onboarding import services
from tenants.context import in_public


@shared_task(name="onboarding.signup_provision_task", queue="heavy", acks_late=True)
def signup_provision_task(*, signup_id: int) -> str:
    """Provision the verified sign-up's city and email the set-password link. Returns the sign-up status."""
    with in_public():
        return services.signup_provision(signup_id=signup_id).status


@shared_task(name="onboarding.signup_expire_stale_task", acks_late=True)
def signup_expire_stale_task() -> int:
    """Release the subdomains of sign-ups whose verification link expired (for beat, e.g. hourly)."""
    with in_public():
        return services.signup_expire_stale()


@shared_task(name="onboarding.signup_sweep_task", acks_late=True)
def signup_sweep_task() -> int:
    """Beat: send again the provisioning of verified sign-ups that are still not ready after a while."""
    with in_public():
        return services.signup_sweep()
