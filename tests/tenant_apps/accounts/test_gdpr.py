"""Download my data, delete my account, retention purge, k-anonymous figures."""

from __future__ import annotations

import datetime
import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.accounts import gdpr, interface, selectors
from tenant_apps.accounts.models import DataExport, ExportStatus, Profile, Verification
from tenant_apps.accounts.tasks import data_export_build_task
from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD

from .conftest import link_in, make_user


class FakeConsultations:
    """What a tenant app's interface exposes to the GDPR registry."""

    erased: list[tuple[int, bool]] = []

    @staticmethod
    def gdpr_export(*, user_id: int) -> dict[str, list[dict[str, Any]]]:
        return {"contributions": [{"text": "More trees", "author": user_id}], "comments": [{"text": "+1"}]}

    @classmethod
    def gdpr_erase(cls, *, user_id: int, keep_contributions: bool) -> None:
        cls.erased.append((user_id, keep_contributions))


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> type[FakeConsultations]:
    real = gdpr._hooks

    def hooks(name: str) -> list[tuple[str, Any]]:
        return [*real(name), ("consultations", getattr(FakeConsultations, name))]

    monkeypatch.setattr(gdpr, "_hooks", hooks)
    FakeConsultations.erased = []
    return FakeConsultations


def test_export_zip_holds_everything_but_ballots_and_downloads_once(
    alpha: City,
    alpha_client: Client,
    registry: Any,
    eager_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.ACCOUNTS_EXPORT_ROOT = str(tmp_path)
    with in_city(city_id=alpha.id):
        user = make_user(email=f"me-{uuid.uuid4().hex[:8]}@people.example", postal_code="1000", birth_year=1980)
        Verification.objects.create(user=user, method="census", identity_hash=f"h-{user.pk}", district="Centre")
        interface.participation_record(user_id=user.pk, process_key="budgets.process:7")
        alpha_client.force_login(user)
    sent: list[dict[str, Any]] = []
    from tenant_apps.accounts import tasks

    original = tasks.data_export_build_task.apply_async
    try:
        tasks.data_export_build_task.apply_async = lambda **kw: sent.append(kw)  # type: ignore[method-assign]
        with django_capture_on_commit_callbacks(execute=True):
            assert alpha_client.post("/account/data/").status_code == 302
    finally:
        tasks.data_export_build_task.apply_async = original  # type: ignore[method-assign]
    assert sent[0]["headers"]["_schema_name"] == alpha.schema_name
    with in_city(city_id=alpha.id), django_capture_on_commit_callbacks(execute=True):
        assert data_export_build_task.run(**sent[0]["kwargs"]) == ExportStatus.READY
        assert data_export_build_task.run(**sent[0]["kwargs"]) == ExportStatus.READY  # idempotent
    path = link_in(eager_mail[-1].body, r"/account/data/\d+/\S+/")
    stranger = Client(HTTP_HOST="alpha.fluicity.test")
    with in_city(city_id=alpha.id):
        stranger.force_login(make_user())
    assert stranger.get(path).status_code == 404
    response = alpha_client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    accounts = json.loads(archive.read("accounts.json"))
    consultations = json.loads(archive.read("consultations.json"))
    assert accounts["account"][0]["email"] == user.email and accounts["account"][0]["postal_code"] == "1000"
    assert accounts["verifications"] == [
        {"method": "census", "district": "Centre", "verified_at": accounts["verifications"][0]["verified_at"]}
    ]
    assert accounts["participations"][0]["process"] == "budgets.process:7"
    assert consultations["contributions"][0]["text"] == "More trees" and consultations["comments"]
    assert "ballot" not in response.content.decode("latin-1").lower()
    assert alpha_client.get(path).status_code == 404  # single use
    assert not list(tmp_path.rglob("*.zip"))  # the file is gone after the download


def test_expired_export_link_is_refused(alpha: City, settings: Any, tmp_path: Any) -> None:
    settings.ACCOUNTS_EXPORT_ROOT = str(tmp_path)
    with in_city(city_id=alpha.id):
        user = make_user()
        export = DataExport.objects.create(user=user)
        gdpr.export_build(export_id=export.pk)
        DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
        with pytest.raises(ApplicationError):
            gdpr.export_download(user=user, export_id=export.pk, token="whatever")


def test_erasure_anonymises_and_keeps_tallies(alpha: City, alpha_client: Client, registry: Any) -> None:
    with in_city(city_id=alpha.id):
        user = make_user(password=PASSWORD, postal_code="1000", district="Centre", birth_year=1970)
        email = user.email
        interface.participation_record(user_id=user.pk, process_key="budgets.process:9")
        interface.participation_record(user_id=make_user().pk, process_key="budgets.process:9")
        alpha_client.force_login(user)
    response = alpha_client.post("/account/delete/", {"keep_contributions": "0", "confirm": "on"})
    assert response.status_code == 200
    assert registry.erased == [(user.pk, False)]
    with in_city(city_id=alpha.id):
        user.refresh_from_db()
        profile = Profile.objects.get(user=user)
        assert user.email != email and not user.is_active and not user.has_usable_password() and user.display_name == ""
        assert profile.deleted_at is not None and profile.postal_code == "" and profile.birth_year is None
        assert not User.objects.filter(email=email).exists()
        assert interface.participant_count(process_key="budgets.process:9") == 2
        ref = interface.account_get(user_id=user.pk)
        assert ref is not None and ref.is_deleted and ref.display_name == "Former participant"
    assert alpha_client.get("/account/profile/").status_code == 302  # signed out
    assert alpha_client.post("/account/login/", {"username": email, "password": PASSWORD}).status_code == 200


def test_retention_purges_only_old_unconfirmed_accounts(in_alpha: City, settings: Any) -> None:
    settings.ACCOUNTS_UNVERIFIED_RETENTION_DAYS = 30
    old = timezone.now() - datetime.timedelta(days=31)
    stale, fresh, confirmed, staff = (
        make_user(verified=False),
        make_user(verified=False),
        make_user(),
        make_user(verified=False, role="moderator"),
    )
    User.objects.filter(pk__in=[stale.pk, confirmed.pk, staff.pk]).update(date_joined=old)
    assert gdpr.unverified_purge() == 1
    assert not User.objects.filter(pk=stale.pk).exists()
    assert User.objects.filter(pk__in=[fresh.pk, confirmed.pk, staff.pk]).count() == 3
    assert gdpr.unverified_purge() == 0  # idempotent


def test_demographics_hide_groups_below_k(in_alpha: City) -> None:
    for _ in range(12):
        user = make_user(birth_year=1990)
        Verification.objects.create(user=user, method="census", identity_hash=f"k-big-{user.pk}", district="Centre")
    for _ in range(9):
        user = make_user(birth_year=1950)
        Verification.objects.create(user=user, method="census", identity_hash=f"k-small-{user.pk}", district="Nord")
    make_user(birth_year=1990)  # not verified: not counted
    rows = selectors.demographics(k=10)
    centre = [r for r in rows if r["district"] == "Centre"]
    assert centre and all(r["count"] >= 10 for r in rows)
    assert not [r for r in rows if r["district"] == "Nord"]
    assert sum(r["count"] for r in centre) >= 12


def test_demographics_page_is_staff_only(alpha: City, alpha_client: Client) -> None:
    with in_city(city_id=alpha.id):
        resident, moderator = make_user(), make_user(role="moderator")
        alpha_client.force_login(resident)
    assert alpha_client.get("/manage/accounts/demographics/").status_code == 404
    assert alpha_client.get("/manage/").status_code == 404
    with in_city(city_id=alpha.id):
        alpha_client.force_login(moderator)
    assert alpha_client.get("/manage/accounts/demographics/").status_code == 200
    assert alpha_client.get("/manage/").status_code == 200
    assert alpha_client.get("/manage/accounts/census/").status_code == 404  # admins only


def test_back_office_pages_render_for_a_city_admin(alpha: City, alpha_client: Client) -> None:
    with in_city(city_id=alpha.id):
        admin = make_user(role="city_admin")
        alpha_client.force_login(admin)
    for path in ("/manage/", "/manage/accounts/settings/", "/manage/team/invite/", "/manage/accounts/census/"):
        assert alpha_client.get(path).status_code == 200, path
    bad = io.BytesIO(b"document_number,birth_date\n,1980-01-01\n")
    bad.name = "census.csv"
    response = alpha_client.post("/manage/accounts/census/", {"file": bad})
    assert response.status_code == 400 and b"line 2" in response.content
    assert alpha_client.post("/manage/accounts/letters/new/", {"size": "2"}).status_code == 302
    with in_city(city_id=alpha.id):
        from tenant_apps.accounts.models import LetterBatch

        batch = LetterBatch.objects.latest("id")
    assert alpha_client.get(f"/manage/accounts/letters/{batch.pk}.pdf").content.startswith(b"%PDF")
    assert alpha_client.get(f"/manage/accounts/letters/{batch.pk}.csv").content.startswith(b"code,district")
