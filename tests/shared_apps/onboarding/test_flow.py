"""End to end: sign up -> verify -> provision -> "ready" email -> set the password on the city host -> sign in.
Plus the progress page (HTML and JSON) in each state."""

from __future__ import annotations

import uuid
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shared_apps.onboarding import services
from shared_apps.onboarding.models import SignupRequest, SignupStatus
from shared_apps.onboarding.tasks import signup_provision_task
from tenants import provisioning, tasks
from tenants.context import in_city
from tenants.models import City, JobStatus
from tests.shared_apps.onboarding.conftest import link_in, signup_data

NEW_PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture
def no_pool_refill(monkeypatch: pytest.MonkeyPatch) -> None:
    """Provisioning asks for a pool refill after commit; the pool has its own tests."""
    monkeypatch.setattr(tasks.pool_refill_task, "apply_async", lambda *args, **kwargs: None)


def test_sign_up_to_first_sign_in(
    root_client: Client,
    alpha: City,
    ip: str,
    eager_mail: list[Any],
    no_pool_refill: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = signup_data(slug="rochefort", contact_email="Mayor@Rochefort.Example", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        assert root_client.post("/signup/", data, REMOTE_ADDR=ip).status_code == 302
    verify_url = link_in(eager_mail[0].body, r"http://fluicity\.test/signup/verify/[^/\s]+/")

    with (
        mock.patch.object(signup_provision_task, "apply_async") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = root_client.get(verify_url.removeprefix("http://fluicity.test"))
    signup = SignupRequest.objects.get(slug="rochefort")
    assert response["Location"] == f"/signup/progress/{signup.public_id}/"
    enqueue.assert_called_once_with(kwargs={"signup_id": signup.id}, headers={"_schema_name": "public"})

    # The worker's part, run here synchronously.
    with django_capture_on_commit_callbacks(execute=True):
        assert signup_provision_task.run(signup_id=signup.id) == SignupStatus.READY
    city = City.objects.get(slug="rochefort")
    with in_city(city_id=city.id):
        admin = get_user_model().objects.get()
        assert admin.email == "mayor@rochefort.example" and admin.is_staff and not admin.has_usable_password()
    assert len(eager_mail) == 2
    ready = eager_mail[1]
    assert ready.to == ["mayor@rochefort.example"] and "is ready" in ready.subject
    set_password_url = link_in(ready.body, r"http://rochefort\.fluicity\.test/account/set-password/[^/\s]+/[^/\s]+/")
    assert set_password_url in ready.alternatives[0][0]

    # Running the task again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert signup_provision_task.run(signup_id=signup.id) == SignupStatus.READY
    assert len(eager_mail) == 2 and City.objects.filter(slug="rochefort").count() == 1

    # The progress page now shows the address and says the email went out.
    page = root_client.get(f"/signup/progress/{signup.public_id}/").content.decode()
    assert "http://rochefort.fluicity.test/" in page and 'http-equiv="refresh"' not in page

    # Set the password on the city host (Django's view swaps the token for a session marker first).
    city_client = Client(HTTP_HOST="rochefort.fluicity.test")
    response = city_client.get(set_password_url.removeprefix("http://rochefort.fluicity.test"), follow=True)
    form_url = response.redirect_chain[-1][0]
    assert form_url.endswith("/set-password/") and response.context["validlink"] is True
    assert "mayor@rochefort.example" in response.content.decode()
    response = city_client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/account/set-password/done/"
    assert 'href="/account/login/"' in response.content.decode()

    # The link works once.
    again = Client(HTTP_HOST="rochefort.fluicity.test").get(
        set_password_url.removeprefix("http://rochefort.fluicity.test"), follow=True
    )
    assert again.context["validlink"] is False

    # Sign in on the city host; the same credentials mean nothing on another city or the root host.
    credentials = {"username": "Mayor@Rochefort.example", "password": NEW_PASSWORD}
    response = Client(HTTP_HOST="rochefort.fluicity.test").post("/account/login/", credentials)
    assert response.status_code == 302 and response["Location"] == "/"
    for host in ("alpha.fluicity.test", "fluicity.test"):
        refused = Client(HTTP_HOST=host).post("/account/login/", credentials)
        assert refused.status_code == 200 and refused.context["form"].errors


def test_provisioning_failure_is_recorded_and_shown(
    root_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    no_pool_refill: None,
    eager_mail: list[Any],
    settings: Any,
) -> None:
    settings.PLATFORM_CONTACT_EMAIL = "team@fluicity.test"
    signup = _verified_signup("marche")

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("default themes could not be written")

    monkeypatch.setattr(provisioning, "_tenant_app_bootstraps", lambda: [broken])
    assert signup_provision_task.run(signup_id=signup.id) == SignupStatus.FAILED
    signup.refresh_from_db()
    assert "default themes" in signup.failure_reason and eager_mail == []

    page = root_client.get(f"/signup/progress/{signup.public_id}/").content.decode()
    assert "We could not create your platform" in page and "team@fluicity.test" in page
    assert 'http-equiv="refresh"' not in page
    body = root_client.get(f"/signup/progress/{signup.public_id}/status.json").json()
    assert body["status"] == "failed" and body["done"] is True and body["contact_email"] == "team@fluicity.test"
    assert body["steps"][-1]["status"] == "failed"

    # Operators retry it once the cause is fixed.
    monkeypatch.undo()
    monkeypatch.setattr(tasks.pool_refill_task, "apply_async", lambda *args, **kwargs: None)
    with mock.patch.object(signup_provision_task, "apply_async"):
        services.signup_retry(signup=signup)
    assert signup_provision_task.run(signup_id=signup.id) == SignupStatus.READY


def _verified_signup(slug: str) -> SignupRequest:
    data = signup_data(slug=slug)
    signup = services.signup_submit(
        city_name=data["city_name"],
        slug=slug,
        contact_email=data["contact_email"],
        country="BE",
        population=17000,
        language="fr",
    )
    with mock.patch.object(signup_provision_task, "apply_async"):
        services.signup_verify(token=services.verification_token(signup=signup))
    signup.refresh_from_db()
    return signup


def test_progress_while_running(root_client: Client, ip: str) -> None:
    signup = _verified_signup("spa")
    job = signup.provisioning_job
    assert job is not None
    job.status = JobStatus.RUNNING
    job.steps = [{"name": "claim", "label": "Reserve a ready database schema", "status": "done", "ms": 4.2}]
    job.save(update_fields=["status", "steps"])

    response = root_client.get(f"/signup/progress/{signup.public_id}/")
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'aria-live="polite"' in page and "Reserve a ready database schema" in page and "4 ms" in page

    # The job's own public id leads to the same page; both JSON forms agree.
    by_job = root_client.get(f"/signup/progress/{job.public_id}/?format=json").json()
    body = root_client.get(f"/signup/progress/{signup.public_id}/status.json").json()
    assert by_job == body
    assert body["status"] == "running" and body["done"] is False and body["city_url"] is None
    assert body["steps"] == [
        {
            "name": "claim",
            "label": "Reserve a ready database schema",
            "status": "done",
            "status_label": "Done",
            "duration_ms": 4.2,
        }
    ]


def test_progress_when_done(root_client: Client, no_pool_refill: None, eager_mail: list[Any]) -> None:
    signup = _verified_signup("durbuy")
    signup_provision_task.run(signup_id=signup.id)
    body = root_client.get(f"/signup/progress/{signup.public_id}/?format=json").json()
    assert body["status"] == "ready" and body["done"] is True
    assert body["city_url"] == "http://durbuy.fluicity.test/" and body["ready_email_sent"] is True
    assert [step["name"] for step in body["steps"]][-1] == "create"
    page = root_client.get(f"/signup/progress/{signup.public_id}/").content.decode()
    assert "Your platform is ready" in page and 'href="http://durbuy.fluicity.test/"' in page


def test_progress_before_verification(root_client: Client) -> None:
    data = signup_data(slug="ath")
    signup = services.signup_submit(
        city_name="Ath", slug="ath", contact_email=data["contact_email"], country="BE", population=30000, language="fr"
    )
    body = root_client.get(f"/signup/progress/{signup.public_id}/status.json").json()
    assert body["status"] == "awaiting_verification" and body["steps"] == [] and body["job_id"] is None


@pytest.mark.parametrize("suffix", ["", "?format=json", "status.json"])
def test_unknown_progress_id_is_404(root_client: Client, suffix: str) -> None:
    response = root_client.get(f"/signup/progress/{uuid.uuid4()}/{suffix}")
    assert response.status_code == 404


def test_progress_ids_must_be_uuids(root_client: Client) -> None:
    assert root_client.get("/signup/progress/1/").status_code == 404


# --- /account/ ------------------------------------------------------------------------------------


def test_login_page_on_both_host_kinds(root_client: Client, alpha_client: Client) -> None:
    root_page = root_client.get("/account/login/").content.decode()
    city_page = alpha_client.get("/account/login/").content.decode()
    assert "Operators: sign in" in root_page
    assert "Sign in to Alphaville" in city_page
    for page in (root_page, city_page):
        assert 'type="email"' in page and 'autocomplete="email"' in page and 'for="id_password"' in page


def test_city_staff_login_and_logout(alpha_client: Client) -> None:
    response = alpha_client.post(
        "/account/login/", {"username": "admin@alpha.example", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert alpha_client.get("/account/logout/").status_code == 405  # never by a link
    assert alpha_client.post("/account/logout/").status_code == 302
    assert "_auth_user_id" not in alpha_client.session


def test_bad_set_password_link_is_explained(alpha_client: Client) -> None:
    response = alpha_client.get("/account/set-password/MQ/nope-nope/", follow=True)
    assert response.status_code == 200 and "This link does not work any more" in response.content.decode()
