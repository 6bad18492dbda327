"""City export/import (tenants.archive): a round trip loses nothing, and a bad archive creates nothing."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.db import connection
from django_tenants.files.storage import TenantFileSystemStorage
from rest_framework.authtoken.models import Token

from core.exceptions import ApplicationError
from core.models import User
from tenants import archive as archive_module
from tenants.archive import (
    FORMAT_NAME,
    ArchiveManifest,
    city_media_root,
    export_city,
    import_city,
    schema_digests,
)
from tenants.context import in_city
from tenants.models import City, Domain

UPLOAD_BYTES = bytes(range(256)) * 64 + "é\n".encode()
NAME_WITH_EVERYTHING = 'Zoë Ðurić-Łukasz 東京 🌍 "quoted", comma\nsecond line'


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def _assert_nothing_created(slug: str) -> None:
    schema = "city_" + slug.replace("-", "_")
    assert not City.objects.filter(slug=slug).exists()
    assert not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
    assert not _schema_exists(schema)
    assert not city_media_root(schema).exists()


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def exported(alpha: City, media_root: Path, tmp_path: Path) -> Path:
    """alpha with people, a token, a session, a group and an upload, exported to one archive."""
    with in_city(city_id=alpha.id):
        zoe = User.objects.create_user(
            email="zoe@alpha.example", password="pw-zoe-0123", display_name=NAME_WITH_EVERYTHING
        )
        # NULLs (last_login), empty strings, an unusable password, an inactive account.
        User.objects.create_user(email="blank@alpha.example", display_name="", preferred_language="")
        User.objects.create_user(email="gone@alpha.example", is_active=False, display_name="Ünïcödé")
        deleted = User.objects.create_user(email="deleted@alpha.example")
        deleted.delete()  # the sequence is now past every remaining id
        Token.objects.create(user=zoe)
        session = SessionStore()
        session["city"] = "Alphaville – ünïcode"
        session.create()
        editors = Group.objects.create(name="Éditeurs")
        editors.permissions.add(*Permission.objects.filter(codename__startswith="change_")[:3])
        zoe.groups.add(editors)
        # A fresh storage: django-tenants caches MEDIA_ROOT in the default one, and each test has its own.
        saved = TenantFileSystemStorage().save("consultations/ré sumé.bin", ContentFile(UPLOAD_BYTES))
    assert (city_media_root(alpha.schema_name) / saved).read_bytes() == UPLOAD_BYTES
    destination = tmp_path / "alpha.zip"
    export_city(city=alpha, destination=destination)
    return destination


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy an archive, passing each entry through ``change`` (None drops the entry)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


def _edit_manifest(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        document = json.loads(data)
        edit(document)
        return json.dumps(document).encode()

    return _rewrite(source, target, change)


def test_round_trip_loses_nothing(alpha: City, exported: Path, media_root: Path) -> None:
    manifest = ArchiveManifest.from_json(zipfile.ZipFile(exported).read("manifest.json"))
    assert manifest.format == FORMAT_NAME
    assert manifest.format_version == 1
    assert manifest.city.slug == "alpha"
    assert "django_migrations" not in {t.name for t in manifest.tables}
    assert ArchiveManifest.from_json(manifest.to_json()) == manifest
    by_name = {t.name: t for t in manifest.tables}
    assert by_name["core_user"].rows == 4  # the admin of the fixture and three people
    assert by_name["authtoken_token"].rows == 1
    assert by_name["django_session"].rows == 1
    assert [m.path for m in manifest.media] == ["consultations/ré sumé.bin"]

    calls: list[tuple[int, int, str]] = []
    copy = import_city(archive=exported, slug="alpha-copy", progress=lambda *call: calls.append(call))

    assert copy.name == "Alphaville"
    assert copy.status == "active"
    assert copy.brand_color == alpha.brand_color
    assert calls[-1][0] == calls[-1][1]

    # Every table: same rows, byte for byte (same function as the export's digest, on both schemas).
    source = schema_digests(schema=alpha.schema_name)
    copied = schema_digests(schema=copy.schema_name)
    assert copied == source
    assert source == {t.name: (t.rows, t.size, t.sha256) for t in manifest.tables}

    # Uploaded files, byte for byte.
    copied_file = city_media_root(copy.schema_name) / "consultations" / "ré sumé.bin"
    assert copied_file.read_bytes() == UPLOAD_BYTES

    with in_city(city_id=copy.id):
        zoe = User.objects.get(email="zoe@alpha.example")
        assert zoe.display_name == NAME_WITH_EVERYTHING
        assert zoe.check_password("pw-zoe-0123")
        assert zoe.last_login is None
        assert [g.name for g in zoe.groups.all()] == ["Éditeurs"]
        assert Token.objects.get(user=zoe).key
        assert not User.objects.filter(email__endswith="@invalid").exists()  # placeholder admin gone
        assert User.objects.filter(email="admin@alpha.example", is_superuser=True).exists()
        session_key = SessionStore().model.objects.get().session_key
        assert SessionStore(session_key=session_key)["city"] == "Alphaville – ünïcode"
        # Sequences continue after the exported position: no id is handed out twice.
        newcomer = User.objects.create_user(email="new@alpha.example")
        assert newcomer.pk > max(User.objects.exclude(pk=newcomer.pk).values_list("pk", flat=True))
        with in_city(city_id=alpha.id):
            alpha_next = User.objects.create_user(email="new@alpha.example").pk
        assert newcomer.pk == alpha_next


def test_corrupted_data_file_is_refused(exported: Path, tmp_path: Path) -> None:
    def corrupt(name: str, data: bytes) -> bytes:
        return data.replace(b"zoe@alpha", b"eve@alpha") if name == "tables/core_user.csv" else data

    damaged = _rewrite(exported, tmp_path / "damaged.zip", corrupt)
    with pytest.raises(ApplicationError) as excinfo:
        import_city(archive=damaged, slug="alpha-bad")
    assert excinfo.value.code == "digest_mismatch"
    assert "tables/core_user.csv" in excinfo.value.message
    _assert_nothing_created("alpha-bad")


def test_missing_file_is_refused(exported: Path, tmp_path: Path) -> None:
    def drop(name: str, data: bytes) -> bytes | None:
        return None if name.startswith("media/") else data

    with pytest.raises(ApplicationError) as excinfo:
        import_city(archive=_rewrite(exported, tmp_path / "partial.zip", drop), slug="alpha-bad")
    assert excinfo.value.code == "missing_file"
    _assert_nothing_created("alpha-bad")


def test_not_an_archive_is_refused(db: None, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"id,name\n1,x\n")
    with pytest.raises(ApplicationError) as excinfo:
        import_city(archive=bogus, slug="alpha-bad")
    assert excinfo.value.code == "invalid_archive"


def test_other_format_version_is_refused(exported: Path, tmp_path: Path) -> None:
    def bump(document: dict[str, Any]) -> None:
        document["format_version"] = 2

    with pytest.raises(ApplicationError, match="format version 2") as excinfo:
        import_city(archive=_edit_manifest(exported, tmp_path / "v2.zip", bump), slug="alpha-bad")
    assert excinfo.value.code == "unsupported_format_version"
    _assert_nothing_created("alpha-bad")


@pytest.mark.parametrize(
    ("slug", "code"), [("beta", "slug_taken"), ("Bad_Slug", "invalid_slug"), ("www", "invalid_slug")]
)
def test_taken_or_invalid_slug_is_refused(exported: Path, beta: City, slug: str, code: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        import_city(archive=exported, slug=slug)
    assert excinfo.value.code == code


def test_other_migration_state_is_refused(exported: Path, tmp_path: Path) -> None:
    def from_the_future(document: dict[str, Any]) -> None:
        document["migrations"].append(["core", "9999_from_the_future"])

    with pytest.raises(ApplicationError, match="freshly migrated") as excinfo:
        import_city(archive=_edit_manifest(exported, tmp_path / "future.zip", from_the_future), slug="alpha-bad")
    assert excinfo.value.code == "migration_mismatch"
    assert "core.9999_from_the_future" in excinfo.value.message
    _assert_nothing_created("alpha-bad")


def test_failed_check_after_loading_leaves_no_half_city(
    exported: Path, monkeypatch: pytest.MonkeyPatch, media_root: Path
) -> None:
    real_digest = archive_module.table_digest

    def lying_digest(*args: Any, **kwargs: Any) -> tuple[int, int, str]:
        rows, size, sha256 = real_digest(*args, **kwargs)
        return rows, size, "0" * 64 if kwargs["table"].name == "core_user" else sha256

    monkeypatch.setattr(archive_module, "table_digest", lying_digest)
    with pytest.raises(ApplicationError) as excinfo:
        import_city(archive=exported, slug="alpha-bad")
    assert excinfo.value.code == "verification_failed"
    assert "core_user" in excinfo.value.message
    _assert_nothing_created("alpha-bad")
