"""Operators' console, operator API, exports with expiring downloads, deletion only after an export."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from rest_framework.test import APIClient

from core.exceptions import ApplicationError
from tenants import operations
from tenants.context import in_city
from tenants.models import City, CityDeletion, CityExport, CityStatus, JobStatus, ProvisioningJob
from tenants.services import city_create
from tests.conftest import PASSWORD, ROOT_HOST, api_client_for


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"


def _finished_export(city: City) -> CityExport:
    export = operations.export_request(city=city, requested_by="ops@fluicity.example")
    return operations.export_run(export_id=export.id)


CONSOLE_URLS = ["/console/", "/console/cities/new/", "/console/cities/alpha/", "/console/cities/alpha/delete/"]


@pytest.mark.parametrize("url", CONSOLE_URLS)
def test_console_refuses_anonymous_and_non_operators(alpha: City, url: str) -> None:
    anonymous = Client(HTTP_HOST=ROOT_HOST).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/account/login/")
    resident = get_user_model().objects.create_user(email="someone@example.org", password=PASSWORD)
    client = Client(HTTP_HOST=ROOT_HOST)
    client.force_login(resident)
    assert client.get(url).status_code == 404


def test_console_is_not_served_on_city_hosts(alpha: City, operator_client: Client) -> None:
    assert Client(HTTP_HOST="alpha.fluicity.test").get("/console/").status_code == 404


@pytest.mark.parametrize("url", CONSOLE_URLS)
def test_console_pages_for_operators(alpha: City, operator_client: Client, url: str) -> None:
    assert operator_client.get(url).status_code == 200


def test_console_lists_filters_and_searches(alpha: City, beta: City, operator_client: Client) -> None:
    page = operator_client.get("/console/?country=BE").content.decode()
    assert "Betastad" in page and "Alphaville" not in page
    page = operator_client.get("/console/?q=alpha").content.decode()
    assert "Alphaville" in page and "Betastad" not in page
    operations.city_get(slug="beta")
    beta.status = CityStatus.SUSPENDED
    beta.save(update_fields=["status"])
    page = operator_client.get("/console/?status=suspended").content.decode()
    assert "Betastad" in page and "Alphaville" not in page


def test_console_provisions_through_a_job(operator_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = operator_client.post(
            "/console/cities/new/",
            {
                "name": "Kappa",
                "slug": "kappa",
                "admin_email": "mayor@kappa.example",
                "country": "FR",
                "language": "fr",
                "time_zone": "Europe/Paris",
            },
        )
    job = ProvisioningJob.objects.get(slug="kappa")
    assert response.status_code == 302 and response["Location"] == f"/console/jobs/{job.public_id}/"
    assert job.source == "console" and job.requested_by == "ops@fluicity.example"
    assert len(callbacks) == 1  # the provisioning task is sent after commit
    from tenants.tasks import provision_city_task

    provision_city_task.run(job_id=job.id)
    page = operator_client.get(response["Location"]).content.decode()
    assert "Done" in page and "/console/cities/kappa/" in page


def test_console_provision_form_errors(alpha: City, operator_client: Client) -> None:
    response = operator_client.post(
        "/console/cities/new/",
        {
            "name": "A",
            "slug": "alpha",
            "admin_email": "x@y.example",
            "country": "FR",
            "language": "fr",
            "time_zone": "Europe/Paris",
        },
    )
    assert response.status_code == 200
    assert "is taken" in response.content.decode()
    assert ProvisioningJob.objects.filter(slug="alpha").count() == 1  # only the one that made alpha


def test_suspend_and_reactivate_from_console(alpha: City, operator_client: Client) -> None:
    operator_client.post("/console/cities/alpha/suspend/")
    assert City.objects.get(pk=alpha.pk).status == CityStatus.SUSPENDED
    assert Client(HTTP_HOST="alpha.fluicity.test").get("/").status_code == 503
    operator_client.post("/console/cities/alpha/resume/")
    assert City.objects.get(pk=alpha.pk).status == CityStatus.ACTIVE
    assert Client(HTTP_HOST="alpha.fluicity.test").get("/").status_code == 200


def test_export_job_and_authorised_expiring_download(alpha: City, operator_client: Client) -> None:
    export = _finished_export(alpha)
    assert export.status == JobStatus.SUCCEEDED and export.size_bytes and len(export.sha256) == 64
    page = operator_client.get("/console/cities/alpha/").content.decode()
    assert export.file_name in page
    token = operations.export_download_token(export)
    url = f"/console/exports/{export.public_id}/download/?token={token}"

    download = operator_client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"  # a zip archive
    assert Client(HTTP_HOST=ROOT_HOST).get(url).status_code == 302  # must be signed in as an operator
    assert operator_client.get(f"/console/exports/{export.public_id}/download/?token=forged").status_code == 404
    with mock.patch("django.core.signing.time.time", return_value=signing.time.time() + 7200):
        assert operator_client.get(url).status_code == 404  # expired after EXPORT_LINK_MAX_AGE


def test_export_run_is_idempotent(alpha: City) -> None:
    export = _finished_export(alpha)
    again = operations.export_run(export_id=export.id)
    assert again.file_name == export.file_name and again.sha256 == export.sha256


def test_delete_refused_without_export_then_allowed(operator_client: Client, django_db_blocker: Any) -> None:
    city = city_create(slug="lambda", name="Lambda", admin_email="a@lambda.example")
    with pytest.raises(ApplicationError, match="only after a finished export"):
        operations.city_delete(city=city, export_public_id="", confirm_slug="lambda", deleted_by="ops")
    assert (
        "Deletion becomes possible after a finished export"
        in operator_client.get("/console/cities/lambda/").content.decode()
    )

    export = _finished_export(city)
    wrong = operator_client.post(
        "/console/cities/lambda/delete/", {"export": str(export.public_id), "confirm": "lambd", "understood": "on"}
    )
    assert wrong.status_code == 200 and City.objects.filter(slug="lambda").exists()
    done = operator_client.post(
        "/console/cities/lambda/delete/", {"export": str(export.public_id), "confirm": "lambda", "understood": "on"}
    )
    assert done.status_code == 302
    assert not City.objects.filter(slug="lambda").exists()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'city_lambda'")
        assert cursor.fetchone() is None
    record = CityDeletion.objects.get(city_slug="lambda")
    assert record.deleted_by == "ops@fluicity.example" and record.export_id == export.id
    assert CityExport.objects.get(pk=export.pk).city_id is None  # the export outlives the city
    assert Client(HTTP_HOST="lambda.fluicity.test").get("/").status_code == 404


# --- Operator API ---------------------------------------------------------------------------------


def test_operator_api_refuses_non_operators(alpha: City) -> None:
    anonymous = api_client_for(ROOT_HOST)
    assert anonymous.get("/api/v1/operator/cities/").status_code == 401
    with in_city(city_id=alpha.id):
        pass
    resident = get_user_model().objects.create_user(email="resident@example.org", password=PASSWORD)
    client = api_client_for(ROOT_HOST)
    client.force_authenticate(resident)
    response = client.get("/api/v1/operator/cities/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    # A city's own staff token means nothing on the root host either.
    city_api = api_client_for("alpha.fluicity.test")
    token = city_api.post("/api/v1/auth/token/", {"email": "admin@alpha.example", "password": PASSWORD}).json()
    stranger = api_client_for(ROOT_HOST)
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    assert stranger.get("/api/v1/operator/cities/").status_code == 401
    assert api_client_for("alpha.fluicity.test").get("/api/v1/operator/cities/").status_code == 404


def test_operator_api_lifecycle(alpha: City, operator_api: APIClient, django_capture_on_commit_callbacks: Any) -> None:
    listing = operator_api.get("/api/v1/operator/cities/?q=alph").json()
    assert [c["slug"] for c in listing["results"]] == ["alpha"]
    assert operator_api.get("/api/v1/operator/cities/?status=bogus").status_code == 400

    with django_capture_on_commit_callbacks(execute=False):
        created = operator_api.post(
            "/api/v1/operator/cities/", {"slug": "mu", "name": "Mu", "admin_email": "m@mu.example"}, format="json"
        )
    assert created.status_code == 202 and created.json()["status"] == "pending"
    job_id = created.json()["public_id"]
    from tenants.tasks import provision_city_task

    provision_city_task.run(job_id=ProvisioningJob.objects.get(public_id=job_id).id)
    assert operator_api.get(f"/api/v1/operator/jobs/{job_id}/").json()["status"] == "succeeded"
    refused = operator_api.post("/api/v1/operator/cities/", {"slug": "mu", "name": "Mu", "admin_email": "x@y.example"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "slug_taken"

    assert operator_api.post("/api/v1/operator/cities/mu/suspend/").json()["status"] == "suspended"
    assert operator_api.post("/api/v1/operator/cities/mu/suspend/").status_code == 400
    assert operator_api.post("/api/v1/operator/cities/mu/resume/").json()["status"] == "active"

    delete_early = operator_api.delete(
        "/api/v1/operator/cities/mu/",
        {"export_id": "00000000-0000-0000-0000-000000000000", "confirm": "mu"},
        format="json",
    )
    assert delete_early.status_code == 400 and delete_early.json()["error"]["code"] == "export_required"

    with django_capture_on_commit_callbacks(execute=False):
        started = operator_api.post("/api/v1/operator/cities/mu/exports/")
    assert started.status_code == 202
    export = CityExport.objects.get(public_id=started.json()["public_id"])
    operations.export_run(export_id=export.id)
    detail = operator_api.get(f"/api/v1/operator/exports/{export.public_id}/").json()
    assert detail["status"] == "succeeded" and detail["percent"] == 100 and "token=" in detail["download_url"]

    deleted = operator_api.delete(
        "/api/v1/operator/cities/mu/", {"export_id": str(export.public_id), "confirm": "mu"}, format="json"
    )
    assert deleted.status_code == 204
    assert operator_api.get("/api/v1/operator/cities/mu/").status_code == 404


def test_cli_export_import_delete(alpha: City, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    archive = tmp_path / "alpha.zip"
    out = StringIO()
    call_command("city", "export", "alpha", "--output", str(archive), stdout=out, stderr=StringIO())
    assert archive.exists() and "export id" in out.getvalue()
    call_command("city", "import", str(archive), "alpha-copy", stdout=StringIO(), stderr=StringIO())
    copy = City.objects.get(slug="alpha-copy")
    with in_city(city_id=copy.id):
        assert get_user_model().objects.filter(email="admin@alpha.example").exists()
    export = _finished_export(copy)
    call_command(
        "city",
        "delete",
        "alpha-copy",
        "--export",
        str(export.public_id),
        "--confirm",
        "alpha-copy",
        stdout=StringIO(),
    )
    assert not City.objects.filter(slug="alpha-copy").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/tenants/city/",
        "/admin/tenants/provisioningjob/",
        "/admin/tenants/cityexport/",
        "/admin/tenants/poolschema/",
        "/admin/core/user/",
        "/admin/tenants/city/{alpha}/change/",
    ],
)
def test_admin_pages_for_operators(alpha: City, url: str) -> None:
    superuser = get_user_model().objects.create_superuser(email="root@fluicity.example", password=PASSWORD)
    client = Client(HTTP_HOST=ROOT_HOST)
    client.force_login(superuser)
    assert client.get(url.format(alpha=alpha.pk)).status_code == 200


def test_console_list_shows_plan_and_latest_usage(alpha: City, operator_client: Client) -> None:
    import datetime

    from shared_apps.billing.models import UsageRecord

    UsageRecord.objects.create(city=alpha, day=datetime.date(2026, 1, 1), participants_active=3, storage_bytes=10)
    UsageRecord.objects.create(city=alpha, day=datetime.date(2026, 1, 2), participants_active=41, storage_bytes=2048)
    page = operator_client.get("/console/?q=alpha").content.decode()
    assert "<td>Town (Trial)</td>" in page
    assert "<td>41</td>" in page and "2.0\xa0KB" in page


def test_the_root_admin_offers_no_city_data() -> None:
    """The admin is served on the root host only, where city tables do not exist: a tenant app's model
    listed there would be a page that fails. City data is managed through each city's /manage/ pages."""
    from django.conf import settings
    from django.contrib import admin

    city_only = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS if app not in settings.SHARED_APPS}
    listed = sorted(f"{m._meta.app_label}.{m.__name__}" for m in admin.site._registry if m._meta.app_label in city_only)
    assert listed == []
