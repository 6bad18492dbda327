"""The emailed verification link: valid, expired (and a new one), reused, tampered."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from shared_apps.onboarding import services
from shared_apps.onboarding.models import SignupRequest, SignupStatus
from shared_apps.onboarding.tasks import signup_provision_task
from tenants.models import City, ProvisioningJob
from tests.shared_apps.onboarding.conftest import signup_data


@pytest.fixture
def signup(db: None) -> SignupRequest:
    data = signup_data(slug="ciney")
    return services.signup_submit(
        city_name=data["city_name"],
        slug=data["slug"],
        contact_email=data["contact_email"],
        country=data["country"],
        population=int(data["population"]),
        language=data["language"],
    )


def old_token(signup: SignupRequest, *, age_seconds: int) -> str:
    """A link signed ``age_seconds`` ago (TimestampSigner stamps base62 seconds)."""
    then = signing.b62_encode(int(time.time()) - age_seconds)
    with mock.patch.object(signing.TimestampSigner, "timestamp", return_value=then):
        return services.verification_token(signup=signup)


def test_valid_link_records_a_job_and_enqueues_provisioning_after_commit(
    root_client: Client, signup: SignupRequest, django_capture_on_commit_callbacks: Any
) -> None:
    token = services.verification_token(signup=signup)
    with mock.patch.object(signup_provision_task, "apply_async") as enqueue:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = root_client.get(f"/signup/verify/{token}/")
        assert enqueue.call_count == 0  # nothing leaves before the commit
        assert len(callbacks) == 1
        callbacks[0]()
    assert response.status_code == 302 and response["Location"] == f"/signup/progress/{signup.public_id}/"
    enqueue.assert_called_once_with(kwargs={"signup_id": signup.id}, headers={"_schema_name": "public"})
    signup.refresh_from_db()
    assert signup.status == SignupStatus.PROVISIONING and signup.verified_at is not None
    job = signup.provisioning_job
    assert job is not None and job.slug == "ciney" and job.source == ProvisioningJob.Source.SIGNUP
    assert job.requested_by == signup.contact_email and job.admin_email == signup.contact_email
    assert job.time_zone == "Europe/Brussels" and job.language == "fr" and job.country == "BE"


def test_reused_link_redirects_to_progress_and_never_makes_a_second_job(
    root_client: Client, signup: SignupRequest, django_capture_on_commit_callbacks: Any
) -> None:
    token = services.verification_token(signup=signup)
    with django_capture_on_commit_callbacks(execute=False):
        root_client.get(f"/signup/verify/{token}/")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = root_client.get(f"/signup/verify/{token}/", follow=True)
    assert callbacks == []
    assert ProvisioningJob.objects.filter(slug="ciney").count() == 1
    assert response.redirect_chain[-1][0] == f"/signup/progress/{signup.public_id}/"
    assert "already confirmed" in response.content.decode()


def test_expired_link_offers_a_new_one(
    root_client: Client,
    signup: SignupRequest,
    eager_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    token = old_token(signup, age_seconds=49 * 3600)
    response = root_client.get(f"/signup/verify/{token}/")
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page and 'action="/signup/resend/"' in page
    assert not ProvisioningJob.objects.filter(slug="ciney").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post("/signup/resend/", {"token": token}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    assert len(eager_mail) == 1
    fresh = eager_mail[0].body.split("/signup/verify/")[1].split("/")[0]
    assert root_client.get(f"/signup/verify/{fresh}/").status_code == 302


def test_lifetime_follows_the_setting(root_client: Client, signup: SignupRequest, settings: Any) -> None:
    settings.SIGNUP_VERIFY_MAX_AGE = 3600
    token = old_token(signup, age_seconds=2 * 3600)
    assert root_client.get(f"/signup/verify/{token}/").status_code == 410


def test_new_link_refused_when_the_subdomain_went_to_someone_else(
    root_client: Client, signup: SignupRequest, django_capture_on_commit_callbacks: Any
) -> None:
    token = old_token(signup, age_seconds=49 * 3600)
    SignupRequest.objects.filter(pk=signup.pk).update(status=SignupStatus.EXPIRED)
    SignupRequest.objects.create(
        city_name="Ciney",
        slug="ciney",
        contact_email="other@ciney.example",
        country="BE",
        time_zone="Europe/Brussels",
        population=16000,
        language="fr",
        plan="town",
        verification_sent_at=signup.created_at.__class__.now(tz=signup.created_at.tzinfo),
    )
    response = root_client.post("/signup/resend/", {"token": token}, REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 400
    assert "is taken" in response.content.decode() and 'href="/signup/"' in response.content.decode()


@pytest.mark.parametrize("mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "nonsense"])
def test_tampered_link_is_400(root_client: Client, signup: SignupRequest, mangle: Any) -> None:
    token = mangle(services.verification_token(signup=signup))
    response = root_client.get(f"/signup/verify/{token}/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    signup.refresh_from_db()
    assert signup.status == SignupStatus.AWAITING_VERIFICATION


def test_link_signed_with_another_salt_is_refused(root_client: Client, signup: SignupRequest) -> None:
    token = signing.TimestampSigner(salt="something-else").sign(str(signup.public_id))
    assert root_client.get(f"/signup/verify/{token}/").status_code == 400


def test_subdomain_taken_by_a_city_meanwhile_fails_the_sign_up_visibly(
    root_client: Client, signup: SignupRequest, alpha: City, django_capture_on_commit_callbacks: Any
) -> None:
    # An operator created a city at this address between the sign-up and its verification.
    SignupRequest.objects.filter(pk=signup.pk).update(slug="alpha")
    token = services.verification_token(signup=signup)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = root_client.get(f"/signup/verify/{token}/", follow=True)
    assert callbacks == []
    signup.refresh_from_db()
    assert signup.status == SignupStatus.FAILED and "taken" in signup.failure_reason
    assert "We could not create your platform" in response.content.decode()
