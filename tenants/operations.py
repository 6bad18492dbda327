"""Operator actions on whole cities: export (a job), the download link, deletion (only after an export).

Used by the console, the operator API and the `city` command alike; each caller only validates input.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import redis
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError, NotFoundError
from tenants import archive
from tenants.db import connection
from tenants.models import City, CityDeletion, CityExport, JobStatus

logger = logging.getLogger(__name__)

_DOWNLOAD_SALT = "tenants.export-download"


def export_root() -> Path:
    root = Path(getattr(settings, "EXPORT_ROOT", Path(settings.MEDIA_ROOT).parent / "exports"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def export_path(export: CityExport) -> Path:
    return export_root() / export.file_name


def export_request(*, city: City, requested_by: str) -> CityExport:
    """Record an export of ``city`` and queue the job that builds it (after commit)."""
    from tenants.tasks import city_export_task

    export = CityExport.objects.create(
        public_id=uuid.uuid4(), city=city, city_slug=city.slug, city_name=city.name, requested_by=requested_by
    )
    transaction.on_commit(
        lambda: city_export_task.apply_async(kwargs={"export_id": export.id}, headers={"_schema_name": "public"})
    )
    return export


def export_run(*, export_id: int, progress: Callable[[int, int, str], None] | None = None) -> CityExport:
    """Build the archive of an export. Idempotent: a finished export is returned as it is; a crashed
    one starts again from scratch (the archive is written to a temporary name, then renamed)."""
    connection.set_schema_to_public()
    export = CityExport.objects.select_related("city").get(pk=export_id)
    if export.status == JobStatus.SUCCEEDED:
        return export
    if export.city is None:
        raise ApplicationError("The city of this export no longer exists.", code="city_gone")
    file_name = f"{export.city_slug}-{timezone.now():%Y%m%d-%H%M%S}-{export.public_id.hex[:8]}.zip"
    final = export_root() / file_name
    partial = final.with_suffix(".zip.partial")
    CityExport.objects.filter(pk=export.pk).update(status=JobStatus.RUNNING, error="")
    progress_store = _progress_client()
    last_write = 0.0
    final_progress = (0, 0, "")

    def record(done: int, total: int, label: str) -> None:
        # The export reads inside one READ ONLY snapshot transaction, so live progress cannot go to the
        # database on this connection: it goes to Redis, where the console and the API read it.
        nonlocal last_write, final_progress
        final_progress = (done, total, label[:200])
        if progress is not None:
            progress(done, total, label)
        now = time.monotonic()
        if now - last_write >= 0.5 or done == total:
            try:
                progress_store.set(_progress_key(export), json.dumps(final_progress), ex=6 * 3600)
            except redis.RedisError:
                logger.warning("export %s: progress not recorded (Redis unreachable)", export.public_id)
            last_write = now

    try:
        archive.export_city(city=export.city, destination=partial, progress=record)
        digest = hashlib.sha256()
        with partial.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        partial.replace(final)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        connection.set_schema_to_public()
        CityExport.objects.filter(pk=export.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        logger.exception("export %s failed", export.public_id)
        raise
    connection.set_schema_to_public()
    done, total, label = final_progress
    CityExport.objects.filter(pk=export.pk).update(
        status=JobStatus.SUCCEEDED,
        progress_done=done,
        progress_total=total,
        progress_label=label,
        file_name=file_name,
        size_bytes=final.stat().st_size,
        sha256=digest.hexdigest(),
        finished_at=timezone.now(),
    )
    export.refresh_from_db()
    return export


def _progress_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def _progress_key(export: CityExport) -> str:
    return f"fluicity:export-progress:{export.public_id}"


def export_progress(export: CityExport) -> tuple[int, int, str]:
    """(done, total, label) of an export: live from Redis while it runs, from the row once finished."""
    if export.status == JobStatus.RUNNING:
        try:
            raw = _progress_client().get(_progress_key(export))
        except redis.RedisError:
            raw = None
        if raw:
            done, total, label = json.loads(raw)
            return int(done), int(total), str(label)
    return export.progress_done, export.progress_total, export.progress_label


def export_percent(export: CityExport) -> int:
    if export.status == JobStatus.SUCCEEDED:
        return 100
    done, total, _label = export_progress(export)
    return int(100 * done / total) if total else 0


def export_download_token(export: CityExport) -> str:
    """A signed token naming one export; the download view accepts it for EXPORT_LINK_MAX_AGE seconds."""
    return signing.dumps(str(export.public_id), salt=_DOWNLOAD_SALT)


def export_for_download(*, token: str) -> CityExport:
    """The export a download token names, if the token is genuine and fresh and the file is there."""
    max_age = int(getattr(settings, "EXPORT_LINK_MAX_AGE", 3600))
    try:
        public_id = signing.loads(token, salt=_DOWNLOAD_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ApplicationError("This download link has expired; ask for a new one.", code="link_expired") from exc
    except signing.BadSignature as exc:
        raise ApplicationError("This download link is not valid.", code="link_invalid") from exc
    export = CityExport.objects.filter(public_id=public_id, status=JobStatus.SUCCEEDED).first()
    if export is None or not export.file_name or not export_path(export).exists():
        raise NotFoundError("This export is no longer available.")
    return export


def deletable_exports(city: City) -> list[CityExport]:
    """Exports recent enough to delete the city after them (EXPORT_VALID_FOR_DELETE_DAYS)."""
    days = int(getattr(settings, "EXPORT_VALID_FOR_DELETE_DAYS", 7))
    return list(
        CityExport.objects.filter(
            city=city, status=JobStatus.SUCCEEDED, finished_at__gte=timezone.now() - timedelta(days=days)
        ).order_by("-finished_at")
    )


def city_delete(*, city: City, export_public_id: str, confirm_slug: str, deleted_by: str) -> CityDeletion:
    """Delete a city for good: its schema, its domains, its uploaded files. Refused unless a recent,
    finished export of this city is named and the operator typed the city's subdomain."""
    if confirm_slug.strip() != city.slug:
        raise ApplicationError(
            f"Type the subdomain “{city.slug}” to confirm.",
            code="confirmation_mismatch",
            fields={"confirm": ["Mismatch."]},
        )
    try:
        wanted: uuid.UUID | None = uuid.UUID(str(export_public_id))
    except ValueError:
        wanted = None
    export = next((e for e in deletable_exports(city) if e.public_id == wanted), None)
    if export is None:
        raise ApplicationError(
            "A city can be deleted only after a finished export of it from the last "
            f"{getattr(settings, 'EXPORT_VALID_FOR_DELETE_DAYS', 7)} days.",
            code="export_required",
        )
    connection.set_schema_to_public()
    schema_name, media = city.schema_name, archive.city_media_root(city.schema_name)
    from shared_apps.billing.interface import city_release

    with transaction.atomic():
        city_release(city_id=city.id, actor=deleted_by)  # refuses while invoices are unpaid
        deletion = CityDeletion.objects.create(
            city_id_was=city.id,
            city_slug=city.slug,
            city_name=city.name,
            schema_name=schema_name,
            export=export,
            deleted_by=deleted_by,
        )
        city.domains.all().delete()
        with connection.cursor() as cursor:
            # Run deferred foreign-key checks now, or PostgreSQL refuses to drop tables that have them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        city.delete(force_drop=True)  # drops the schema, in this transaction
    transaction.on_commit(lambda: shutil.rmtree(media, ignore_errors=True))
    return deletion


def city_get(*, slug: str) -> City:
    city = City.objects.filter(slug=slug).first()
    if city is None:
        raise NotFoundError(f"No city with subdomain “{slug}”.")
    return city
