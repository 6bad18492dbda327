"""CSV and XLSX exports of a consultation's contributions, comments, reactions and survey answers.

Memory stays flat whatever the size (a Decidim survey export of 250k answers ran out of memory; ours
must not):

* rows come from a server-side cursor (``.values_list(...).iterator(chunk_size=2000)``): never more
  than one chunk in memory, and a fixed number of queries whatever the number of rows;
* CSV is streamed to the client chunk by chunk (``StreamingHttpResponse``), UTF-8 with a BOM so that
  Excel reads accents right;
* XLSX is written by XlsxWriter in ``constant_memory`` mode (each row is flushed to a temporary file as
  soon as the next one starts) into a temporary file, then streamed with ``FileResponse``. A sheet holds
  at most 1,048,576 rows: longer exports continue on a second sheet, header repeated.

Small exports are answered at once (up to ``CONSULTATIONS_EXPORT_SYNC_MAX_ROWS`` rows, 50,000 by
default); larger ones become an ``ExportJob`` built by Celery on the "heavy" queue, with progress, and the
requester gets an emailed link, signed and expiring (``CONSULTATIONS_EXPORT_LINK_MAX_AGE``, 7 days).

Personal data: exports are for the city's staff, but they travel (spreadsheets get emailed around). They
carry no name and no email address; each row's author is a pseudonymous key, an HMAC of the user id under
a key derived from the server secret, the city and the consultation. The same person has the same key in
every export *of one consultation*, so contributions, comments and reactions can be joined for analysis,
but the keys of two consultations (or two cities) cannot be linked, and without the server secret a key
cannot be traced back to an account (user ids are small integers: an unkeyed hash could be reversed by
trying them all).

Spreadsheet formula injection: any text cell starting with ``= + - @``, a tab or a carriage return gets a
leading apostrophe, in CSV and XLSX alike; XLSX cells are also written with ``write_string`` so that
nothing is ever interpreted as a formula or a link.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import hmac
import logging
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

import xlsxwriter
from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import connection, transaction
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.mail import send_mail_on_commit
from core.models import User
from tenant_apps.consultations.models import (
    Comment,
    Consultation,
    Contribution,
    ExportFormat,
    ExportJob,
    ExportKind,
    ExportStatus,
    Reaction,
    Survey,
    SurveyResponse,
)
from tenants.context import current_city, in_city

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
# Rows per sheet, header included (the XLSX format's limit).
XLSX_MAX_ROWS = 1_048_576
DEFAULT_SYNC_MAX_ROWS = 50_000
DEFAULT_LINK_MAX_AGE = 7 * 86400
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Cells starting with one of these are read as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS: dict[str, list[str]] = {
    ExportKind.CONTRIBUTIONS: [
        "id",
        "created_at",
        "consultation",
        "theme",
        "title",
        "body",
        "status",
        "merged_into_id",
        "district",
        "latitude",
        "longitude",
        "support_count",
        "agree_count",
        "disagree_count",
        "pass_count",
        "comment_count",
        "answer_status",
        "answer_text",
        "author_key",
    ],
    ExportKind.COMMENTS: ["id", "contribution_id", "parent_id", "created_at", "status", "body", "author_key"],
    ExportKind.REACTIONS: ["contribution_id", "kind", "created_at", "author_key"],
}


def sync_max_rows() -> int:
    return int(getattr(settings, "CONSULTATIONS_EXPORT_SYNC_MAX_ROWS", DEFAULT_SYNC_MAX_ROWS))


def link_max_age() -> int:
    return int(getattr(settings, "CONSULTATIONS_EXPORT_LINK_MAX_AGE", DEFAULT_LINK_MAX_AGE))


# --- Columns and rows ---------------------------------------------------------------------------------------


def _check_kind(kind: str, survey: Survey | None, consultation: Consultation | None = None) -> None:
    if kind not in ExportKind.values:
        raise ApplicationError(_("Unknown export: %(kind)s.") % {"kind": kind}, code="invalid_kind")
    if kind == ExportKind.SURVEY:
        if survey is None:
            raise ApplicationError(_("Choose the survey to export."), code="survey_required")
        if consultation is not None and survey.consultation_id != consultation.pk:
            raise ApplicationError(
                _("This survey is not part of this consultation."), code="survey_mismatch", status_code=404
            )


def export_columns(kind: str, *, survey: Survey | None = None) -> list[str]:
    """The header of an export: stable machine names (they do not change with the language), in order.

    Survey answers have one column per question: pass the survey.
    """
    _check_kind(kind, survey)
    if kind == ExportKind.SURVEY:
        from tenant_apps.consultations.survey_tables import survey_columns

        assert survey is not None  # checked above
        return list(survey_columns(survey))
    return list(COLUMNS[kind])


def author_key_function(consultation: Consultation) -> Callable[[int | None], str]:
    """The pseudonymous author key of this consultation's exports (see the module docstring)."""
    key = hmac.new(
        settings.SECRET_KEY.encode(),
        f"consultations.export.author:{current_city().schema_name}:{consultation.pk}".encode(),
        hashlib.sha256,
    ).digest()

    def author_key(user_id: int | None) -> str:
        if user_id is None:
            return ""
        return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]

    return author_key


def _rows_contributions(consultation: Consultation, author_key: Callable[[int | None], str]) -> Iterator[list[Any]]:
    queryset = (
        Contribution.objects.filter(consultation=consultation)
        .order_by("id")
        .values_list(
            "id",
            "created_at",
            "theme__name",
            "title",
            "body",
            "status",
            "merged_into_id",
            "district",
            "latitude",
            "longitude",
            "support_count",
            "agree_count",
            "disagree_count",
            "pass_count",
            "comment_count",
            "answer_status",
            "official_answer__text",
            "author_id",
        )
    )
    title = consultation.title
    for row in queryset.iterator(chunk_size=CHUNK_SIZE):
        (pk, created_at, theme, *rest, answer_text, author_id) = row
        yield [pk, created_at, title, theme or "", *rest, answer_text or "", author_key(author_id)]


def _rows_comments(consultation: Consultation, author_key: Callable[[int | None], str]) -> Iterator[list[Any]]:
    queryset = (
        Comment.objects.filter(contribution__consultation=consultation)
        .order_by("id")
        .values_list("id", "contribution_id", "parent_id", "created_at", "status", "body", "author_id")
    )
    for *row, author_id in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [*row, author_key(author_id)]


def _rows_reactions(consultation: Consultation, author_key: Callable[[int | None], str]) -> Iterator[list[Any]]:
    queryset = (
        Reaction.objects.filter(contribution__consultation=consultation)
        .order_by("id")
        .values_list("contribution_id", "kind", "created_at", "user_id")
    )
    for *row, user_id in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [*row, author_key(user_id)]


def export_rows(*, consultation: Consultation, kind: str, survey: Survey | None = None) -> Iterator[list[Any]]:
    """The rows of an export, in the order of ``export_columns(kind)``, read from a server-side cursor.

    Values are plain Python (numbers, ``Decimal``, aware datetimes, strings); ``cell_value`` and the
    writers turn them into cells (dates in the city's time zone, formula triggers neutralised). The
    arguments are checked now, not at the first row.
    """
    _check_kind(kind, survey, consultation)
    if kind == ExportKind.SURVEY:
        from tenant_apps.consultations.survey_tables import survey_rows

        assert survey is not None  # checked above
        return survey_rows(survey, chunk_size=CHUNK_SIZE)
    author_key = author_key_function(consultation)
    if kind == ExportKind.CONTRIBUTIONS:
        return _rows_contributions(consultation, author_key)
    if kind == ExportKind.COMMENTS:
        return _rows_comments(consultation, author_key)
    return _rows_reactions(consultation, author_key)


def export_count(*, consultation: Consultation, kind: str, survey: Survey | None = None) -> int:
    """How many rows an export will have (one indexed ``COUNT`` scoped to the consultation)."""
    _check_kind(kind, survey, consultation)
    if kind == ExportKind.CONTRIBUTIONS:
        return Contribution.objects.filter(consultation=consultation).count()
    if kind == ExportKind.COMMENTS:
        return Comment.objects.filter(contribution__consultation=consultation).count()
    if kind == ExportKind.REACTIONS:
        return Reaction.objects.filter(contribution__consultation=consultation).count()
    return SurveyResponse.objects.filter(survey=survey).count()


# --- Cells --------------------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """``'=1+1`` instead of ``=1+1``: spreadsheets show the text instead of running it."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell_value(value: Any, tz: datetime.tzinfo) -> str | int | float | Decimal | None:
    """A cell: numbers stay numbers; everything else becomes neutralised text (dates as ISO 8601 in the
    city's time zone, lists joined with "; ")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(tz)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise("; ".join("" if v is None else str(v) for v in value))
    return neutralise(str(value))


def city_timezone() -> ZoneInfo:
    try:
        return ZoneInfo(current_city().time_zone or settings.TIME_ZONE)
    except (LookupError, ValueError):
        return ZoneInfo("UTC")


# --- Writers ------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose ``write`` hands the text back (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(header: list[str], rows: Iterable[list[Any]], *, tz: datetime.tzinfo) -> Iterator[bytes]:
    """The CSV file as a stream of byte chunks (about one per 500 rows), BOM first."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow([neutralise(h) for h in header])).encode()
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow(["" if (c := cell_value(v, tz)) is None else c for v in row]))
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def write_xlsx(
    target: IO[bytes],
    header: list[str],
    rows: Iterable[list[Any]],
    *,
    tz: datetime.tzinfo,
) -> int:
    """Write an XLSX workbook to ``target`` row by row (constant memory); returns the number of rows."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    sheet_number = 0
    sheet: Any = None
    line = XLSX_MAX_ROWS
    done = 0
    for row in rows:
        if line >= XLSX_MAX_ROWS:
            sheet_number += 1
            sheet = workbook.add_worksheet(f"{_('Export')} {sheet_number}" if sheet_number > 1 else None)
            for col, name in enumerate(header):
                sheet.write_string(0, col, neutralise(name), bold)
            sheet.freeze_panes(1, 0)
            line = 1
        for col, value in enumerate(row):
            cell = cell_value(value, tz)
            if cell is None:
                continue
            if isinstance(cell, str):
                sheet.write_string(line, col, cell)
            else:
                sheet.write_number(line, col, float(cell))
        line += 1
        done += 1
    if sheet is None:  # no rows: a sheet with the header only
        sheet = workbook.add_worksheet()
        for col, name in enumerate(header):
            sheet.write_string(0, col, neutralise(name), bold)
    workbook.close()
    return done


def export_filename(
    *,
    consultation: Consultation,
    kind: str,
    fmt: str,
    survey: Survey | None = None,
    on: datetime.date | None = None,
) -> str:
    """``<slug>-<kind>-<yyyymmdd>.<fmt>`` (ASCII: slugs are)."""
    part = f"survey-{survey.pk}" if kind == ExportKind.SURVEY and survey is not None else kind
    day = on or timezone.localdate(timezone=city_timezone())
    return f"{consultation.slug}-{part}-{day.strftime('%Y%m%d')}.{fmt}"


def job_filename(job: ExportJob) -> str:
    """The name a job's file is downloaded under (its stored name carries a random part)."""
    day = timezone.localtime(job.created_at, city_timezone()).date()
    return export_filename(consultation=job.consultation, kind=job.kind, fmt=job.format, survey=job.survey, on=day)


def _check_format(fmt: str) -> None:
    if fmt not in ExportFormat.values:
        raise ApplicationError(_("Unknown file format: %(fmt)s.") % {"fmt": fmt}, code="invalid_format")


def _in_this_city(rows: Iterator[bytes]) -> Iterator[bytes]:
    """Iterate a streamed body inside the city it was asked for: the body is produced after the view
    returned, and nothing else may have moved the connection to another schema meanwhile. The city is
    read now, when the response is made (a generator's body would only run at the first chunk)."""
    city = current_city()
    # The connection's City row, when it is this city's: spares a query to find it again.
    tenant = getattr(connection, "tenant", None)
    row = tenant if getattr(tenant, "pk", None) == city.id else None

    def body() -> Iterator[bytes]:
        with in_city(city_id=city.id, city=row):
            yield from rows

    return body()


def export_response(
    *, consultation: Consultation, kind: str, fmt: str, survey: Survey | None = None
) -> StreamingHttpResponse | FileResponse:
    """The export as a download, streamed: CSV row chunks as they are read, or an XLSX file built in a
    temporary file (constant memory) then streamed from disk."""
    _check_format(fmt)
    header = export_columns(kind, survey=survey)
    rows = export_rows(consultation=consultation, kind=kind, survey=survey)
    filename = export_filename(consultation=consultation, kind=kind, fmt=fmt, survey=survey)
    tz = city_timezone()
    response: StreamingHttpResponse | FileResponse
    if fmt == ExportFormat.CSV:
        response = StreamingHttpResponse(_in_this_city(csv_chunks(header, rows, tz=tz)), content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or ""
    else:
        # Deleted by the system as soon as it is closed (FileResponse closes it after the last byte).
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
        try:
            write_xlsx(handle, header, rows, tz=tz)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        response = FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Jobs (large exports, built by Celery) -------------------------------------------------------------------


@transaction.atomic
def export_job_start(
    *, consultation: Consultation, kind: str, fmt: str, requested_by: User, survey: Survey | None = None
) -> ExportJob:
    """Queue a large export (Celery, "heavy" queue, after the commit). The same export already queued
    or running for the same person is returned instead of starting a second one."""
    _check_format(fmt)
    _check_kind(kind, survey, consultation)
    survey = survey if kind == ExportKind.SURVEY else None
    # Serialise concurrent clicks of one person on this consultation (the check below then sees the first).
    _advisory_xact_lock(f"start:{consultation.pk}:{requested_by.pk}")
    existing = ExportJob.objects.filter(
        consultation=consultation,
        kind=kind,
        format=fmt,
        survey=survey,
        requested_by=requested_by,
        status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING),
    ).first()
    if existing is not None:
        return existing
    job = ExportJob.objects.create(
        consultation=consultation,
        survey=survey,
        kind=kind,
        format=fmt,
        requested_by=requested_by,
        rows_total=export_count(consultation=consultation, kind=kind, survey=survey),
    )
    export_job_enqueue(job_id=job.pk)
    return job


def export_job_enqueue(*, job_id: int) -> None:
    """Send the job to the "heavy" queue once the current transaction commits."""
    from tenant_apps.consultations import tasks
    from tenants.tasks import enqueue_on_commit

    enqueue_on_commit(tasks.export_build_task, kwargs={"job_id": job_id})


@transaction.atomic
def export_job_retry(*, job_id: int) -> ExportJob:
    """Queue a failed job again (from zero). Jobs that are queued, running or ready are left alone."""
    job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        raise ApplicationError(_("This export does not exist."), code="not_found", status_code=404)
    if job.status == ExportStatus.FAILED:
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.QUEUED, rows_done=0, error="")
        export_job_enqueue(job_id=job.pk)
        job.refresh_from_db()
    return job


def _lock_key(name: str) -> int:
    """A 60-bit advisory lock key for ``name`` in this city (cities share one PostgreSQL server)."""
    digest = hashlib.sha256(f"consultations.export:{current_city().schema_name}:{name}".encode()).hexdigest()
    return int(digest[:15], 16)


def _advisory_xact_lock(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(name)])


@contextlib.contextmanager
def _job_lock(job_id: int) -> Iterator[bool]:
    """A session-level advisory lock per (city, job): held while one worker builds the job, released by
    PostgreSQL if that worker dies (its connection closes), so a crashed build can be redone."""
    key = _lock_key(f"job:{job_id}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def export_job_build(*, job_id: int) -> ExportJob:
    """Build the job's file into the default storage, with progress; email the requester a link.

    Idempotent: a finished job is left as it is; a job another worker is building right now is left to
    it; a failed job, or one whose worker died mid-way (status still "running", lock gone), is rebuilt
    from zero and its previous file replaced.
    """
    job = ExportJob.objects.select_related("consultation", "survey", "requested_by").get(pk=job_id)
    if job.status == ExportStatus.DONE:
        return job
    with _job_lock(job.pk) as acquired:
        if not acquired:
            return job
        job.refresh_from_db(fields=["status", "file"])
        if job.status == ExportStatus.DONE:  # finished by another worker between our read and the lock
            return job
        started = ExportJob.objects.filter(pk=job.pk)
        started.update(status=ExportStatus.RUNNING, rows_done=0, error="", finished_at=None)
        try:
            _build_file(job)
        except Exception as exc:
            logger.exception("export job %s failed", job.pk)
            started.update(status=ExportStatus.FAILED, error=str(exc)[:2000] or type(exc).__name__)
            job.refresh_from_db()
            return job
    job.refresh_from_db()
    _send_ready_email(job)
    return job


class _Counter:
    """Counts the rows passing through, reporting progress every ``CHUNK_SIZE`` rows and at the end."""

    def __init__(self, progress: Callable[[int], None]) -> None:
        self.progress = progress
        self.done = 0

    def count(self, rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
        for row in rows:
            yield row
            self.done += 1
            if self.done % CHUNK_SIZE == 0:
                self.progress(self.done)
        self.progress(self.done)


def _build_file(job: ExportJob) -> None:
    consultation = job.consultation
    header = export_columns(job.kind, survey=job.survey)
    rows = export_rows(consultation=consultation, kind=job.kind, survey=job.survey)
    tz = city_timezone()
    queryset = ExportJob.objects.filter(pk=job.pk)

    def progress(done: int) -> None:
        queryset.update(rows_done=done)

    counter = _Counter(progress)
    with tempfile.TemporaryFile(suffix=f".{job.format}") as handle:
        if job.format == ExportFormat.CSV:
            for chunk in csv_chunks(header, counter.count(rows), tz=tz):
                handle.write(chunk)
        else:
            write_xlsx(handle, header, counter.count(rows), tz=tz)
        handle.seek(0)
        old_name = job.file.name
        # A random part: the file's name cannot be guessed, whatever serves the storage.
        stem = export_filename(consultation=consultation, kind=job.kind, fmt=job.format, survey=job.survey)
        stem = stem.rsplit(".", 1)[0]
        name = f"{stem}-{job.pk}-{secrets.token_hex(8)}.{job.format}"
        job.file.save(name, File(handle, name=name), save=False)
    queryset.update(
        file=job.file.name,
        status=ExportStatus.DONE,
        rows_done=counter.done,
        rows_total=counter.done,
        finished_at=timezone.now(),
        error="",
    )
    if old_name and old_name != job.file.name:
        job.file.storage.delete(old_name)


# --- Links --------------------------------------------------------------------------------------------------


def _link_salt() -> str:
    # The city is in the salt: a link signed for a job of one city is worthless in another city.
    return f"consultations.export_download:{current_city().schema_name}"


def download_token(*, job: ExportJob) -> str:
    """A signed token for the job's current file (a rebuilt file needs a new link)."""
    return signing.dumps({"j": job.pk, "f": job.file.name}, salt=_link_salt(), compress=True)


def download_check(*, job_id: int, token: str) -> ExportJob:
    """The finished job a download token opens, or ApplicationError (403 forged, expired or stale)."""
    refused = ApplicationError(
        _("This download link is not valid or has expired. Ask for the export again."), code="bad_link", status_code=403
    )
    try:
        data = signing.loads(token, salt=_link_salt(), max_age=link_max_age())
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise refused from exc
    job = ExportJob.objects.filter(pk=job_id, status=ExportStatus.DONE).select_related("consultation").first()
    if job is None or not isinstance(data, dict) or data.get("j") != job.pk or data.get("f") != job.file.name:
        raise refused
    return job


def download_path(*, job: ExportJob) -> str:
    return reverse(
        "consultations-exports:download",
        kwargs={"slug": job.consultation.slug, "job_id": job.pk, "token": download_token(job=job)},
    )


def _send_ready_email(job: ExportJob) -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    from tenant_apps.consultations.services.notifications import city_url, recipient_language

    user = job.requested_by
    if job.status != ExportStatus.DONE or user is None or not user.is_active or not user.email:
        return
    with translation.override(recipient_language(preferred=user.preferred_language)):
        context = {
            "job": job,
            "consultation": job.consultation,
            "kind_label": job.get_kind_display(),
            "link": city_url(download_path(job=job)),
            "days": max(1, link_max_age() // 86400),
            "city_name": current_city().name,
        }
        subject = _("Your export of “%(title)s” is ready") % {"title": job.consultation.title}
        body = render_to_string("consultations/email/export_ready.txt", context)
    send_mail_on_commit(to=[user.email], subject=subject, body=body)


def exports_purge(*, older_than_days: int | None = None) -> int:
    """Delete finished or failed export jobs older than the retention (their download links expired
    before), files first; the file of a job that is still running is never touched. Returns jobs removed."""
    days = older_than_days if older_than_days is not None else retention_days()
    cutoff = timezone.now() - datetime.timedelta(days=days)
    removed = 0
    stale = ExportJob.objects.filter(created_at__lt=cutoff, status__in=[ExportStatus.DONE, ExportStatus.FAILED])
    for job in stale.order_by("id").iterator(chunk_size=500):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        removed += 1
    return removed


def retention_days() -> int:
    """Days an export file is kept (at least as long as its emailed link is valid)."""
    configured = int(getattr(settings, "CONSULTATIONS_EXPORT_RETENTION_DAYS", 14))
    return max(configured, -(-link_max_age() // 86400))
