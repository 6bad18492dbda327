"""Exports: columns per kind, cells (dates in city time, formula injection), streaming with flat queries,
XLSX read back, jobs (progress, idempotency, retries, signed expiring links), pages for staff only."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core import mail as django_mail
from django.core.files.storage import default_storage
from django.db import connections
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.files.storage import TenantFileSystemStorage

from core import mail
from tenant_apps.consultations import tasks
from tenant_apps.consultations.models import Answer as SurveyAnswer
from tenant_apps.consultations.models import (
    Choice,
    Comment,
    Consultation,
    Contribution,
    ContributionStatus,
    ExportJob,
    ExportStatus,
    OfficialAnswer,
    Question,
    QuestionKind,
    Reaction,
    Survey,
    SurveyResponse,
    Theme,
)
from tenant_apps.consultations.services import exports
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PARIS_NOON = datetime.datetime(2024, 1, 15, 12, 30, tzinfo=datetime.UTC)  # 13:30 in Paris (alpha's zone)


# --- Helpers ----------------------------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Files under a temporary MEDIA_ROOT (a fresh storage: django-tenants caches the root it read)."""
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(default_storage, "_wrapped", TenantFileSystemStorage())
    return tmp_path


@pytest.fixture
def eager_mail(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """core.mail's task runs in-process (the broker is the outside world)."""

    def apply_async(*args: Any, kwargs: dict[str, Any] | None = None, **options: Any) -> Any:
        return mail.send_mail_task.apply(kwargs=kwargs)

    monkeypatch.setattr(mail.send_mail_task, "apply_async", apply_async)
    return django_mail.outbox


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Export build tasks sent to the broker, recorded instead (the test runs them itself)."""
    sent: list[dict[str, Any]] = []

    def apply_async(*args: Any, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        sent.append({"kwargs": kwargs, **options})

    monkeypatch.setattr(tasks.export_build_task, "apply_async", apply_async)
    return sent


def staff_client(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def add_contributions(consultation: Consultation, count: int, **fields: Any) -> list[Contribution]:
    author = make_user()
    rows = Contribution.objects.bulk_create(
        [
            Contribution(consultation=consultation, author=author, title=f"Idea {i}", body=f"Body {i}", **fields)
            for i in range(count)
        ]
    )
    return rows


def csv_rows(response: StreamingHttpResponse) -> list[list[str]]:
    raw = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def file_bytes(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def xlsx_sheets(data: bytes) -> dict[str, list[list[str]]]:
    """Every worksheet as rows of cell texts (inline strings, or the value of numbers); asserts that the
    workbook holds no formula at all."""
    sheets: dict[str, list[list[str]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")):
            root = ElementTree.fromstring(archive.read(name))  # noqa: S314 (a file these tests just wrote)
            assert root.find(f".//{MAIN_NS}f") is None, "no formula may be written"
            rows = []
            for row in root.iter(f"{MAIN_NS}row"):
                cells: dict[int, str] = {}
                for cell in row.iter(f"{MAIN_NS}c"):
                    column = _column_index(cell.get("r", "A1"))
                    if cell.get("t") == "inlineStr":
                        text = "".join(cell.find(f"{MAIN_NS}is").itertext())  # type: ignore[union-attr]
                        # OOXML escapes control characters as _xHHHH_ (what spreadsheet programs decode).
                        cells[column] = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)
                    else:
                        value = cell.find(f"{MAIN_NS}v")
                        cells[column] = value.text or "" if value is not None else ""
                width = max(cells) + 1 if cells else 0
                rows.append([cells.get(i, "") for i in range(width)])
            sheets[name.rsplit("/", 1)[-1]] = rows
    return sheets


def _column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters
    index = 0
    for letter in letters.group(0):
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


# --- Columns and content -------------------------------------------------------------------------------------


def test_columns_are_stable_per_kind() -> None:
    assert exports.export_columns("contributions") == [
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
    ]
    assert exports.export_columns("comments") == [
        "id",
        "contribution_id",
        "parent_id",
        "created_at",
        "status",
        "body",
        "author_key",
    ]
    assert exports.export_columns("reactions") == ["contribution_id", "kind", "created_at", "author_key"]
    with pytest.raises(exports.ApplicationError) as refused:
        exports.export_columns("users")
    assert refused.value.code == "invalid_kind"
    with pytest.raises(exports.ApplicationError) as no_survey:
        exports.export_columns("survey")
    assert no_survey.value.code == "survey_required"


def test_contributions_csv_has_every_field_in_city_time_and_no_identity(consultation: Consultation) -> None:
    author = make_user()
    author.display_name = "Alice Martin"
    author.save(update_fields=["display_name"])
    theme = Theme.objects.get(consultation=consultation, name="Mobility")
    idea = Contribution.objects.create(
        consultation=consultation,
        theme=theme,
        author=author,
        title="More bike lanes",
        body='Line one\nline two, with a comma and "quotes"',
        district="Nord",
        latitude="48.856600",
        longitude="-2.352200",
        support_count=4,
        agree_count=1,
        disagree_count=2,
        pass_count=3,
        comment_count=5,
        answer_status="accepted",
    )
    Contribution.objects.filter(pk=idea.pk).update(created_at=PARIS_NOON)
    OfficialAnswer.objects.create(contribution=idea, status="accepted", text="We will build them.")
    other = Contribution.objects.create(consultation=consultation, author=None, title="Hidden one", body="x")
    Contribution.objects.filter(pk=other.pk).update(status=ContributionStatus.HIDDEN, created_at=PARIS_NOON)
    make_consultation().contributions.create(title="Elsewhere", body="not exported")

    rows = csv_rows(exports.export_response(consultation=consultation, kind="contributions", fmt="csv"))

    assert rows[0] == exports.export_columns("contributions")
    assert len(rows) == 3, "both contributions of this consultation (hidden ones too: staff export), no other"
    key = exports.author_key_function(consultation)(author.pk)
    assert rows[1] == [
        str(idea.pk),
        "2024-01-15T13:30:00+01:00",
        consultation.title,
        "Mobility",
        "More bike lanes",
        'Line one\nline two, with a comma and "quotes"',
        "published",
        "",
        "Nord",
        "48.856600",
        "-2.352200",
        "4",
        "1",
        "2",
        "3",
        "5",
        "accepted",
        "We will build them.",
        key,
    ]
    assert rows[2][0] == str(other.pk) and rows[2][6] == "hidden" and rows[2][3] == "" and rows[2][-1] == ""
    content = "\n".join(",".join(r) for r in rows)
    assert "Alice" not in content and author.email not in content and str(author.pk) != key


def test_author_key_is_stable_within_a_consultation_and_unlinkable_across(consultation: Consultation) -> None:
    other = make_consultation()
    user = make_user()
    here = exports.author_key_function(consultation)
    assert here(user.pk) == exports.author_key_function(consultation)(user.pk)
    assert re.fullmatch(r"[0-9a-f]{16}", here(user.pk))
    assert here(user.pk) != exports.author_key_function(other)(user.pk)
    assert here(user.pk) != here(user.pk + 1)
    assert here(None) == ""


def test_comments_and_reactions_join_on_the_same_author_key(consultation: Consultation) -> None:
    author = make_user()
    idea = Contribution.objects.create(consultation=consultation, author=author, title="Idea", body="b")
    first = Comment.objects.create(contribution=idea, author=author, body="First")
    reply = Comment.objects.create(contribution=idea, parent=first, depth=1, author=None, body="Reply")
    Comment.objects.filter(pk=first.pk).update(created_at=PARIS_NOON)
    Reaction.objects.create(contribution=idea, user=author, kind="support")
    Reaction.objects.filter(contribution=idea).update(created_at=PARIS_NOON)

    comments = csv_rows(exports.export_response(consultation=consultation, kind="comments", fmt="csv"))
    reactions = csv_rows(exports.export_response(consultation=consultation, kind="reactions", fmt="csv"))
    contributions = csv_rows(exports.export_response(consultation=consultation, kind="contributions", fmt="csv"))

    key = contributions[1][-1]
    assert comments[1:] == [
        [str(first.pk), str(idea.pk), "", "2024-01-15T13:30:00+01:00", "published", "First", key],
        [str(reply.pk), str(idea.pk), str(first.pk), comments[2][3], "published", "Reply", ""],
    ]
    assert reactions[1:] == [[str(idea.pk), "support", "2024-01-15T13:30:00+01:00", key]]


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil","x")', "+1+2", "-3+4", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_formula_triggers_are_neutralised_in_csv_and_xlsx(consultation: Consultation, text: str) -> None:
    Contribution.objects.create(consultation=consultation, title=text, body=f"{text} body", district="ok")

    rows = csv_rows(exports.export_response(consultation=consultation, kind="contributions", fmt="csv"))
    assert rows[1][4] == "'" + text
    assert rows[1][5] == "'" + text + " body"
    assert rows[1][8] == "ok", "ordinary text untouched"

    data = file_bytes(exports.export_response(consultation=consultation, kind="contributions", fmt="xlsx"))
    sheet = xlsx_sheets(data)["sheet1.xml"]
    assert sheet[1][4] == "'" + text
    assert sheet[1][5] == "'" + text + " body"


def test_xlsx_is_streamed_from_a_file_and_reads_back(consultation: Consultation) -> None:
    add_contributions(consultation, 3, district="Sud")
    response = exports.export_response(consultation=consultation, kind="contributions", fmt="xlsx")

    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert f"{consultation.slug}-contributions-" in response["Content-Disposition"]
    sheet = xlsx_sheets(file_bytes(response))["sheet1.xml"]
    assert sheet[0] == exports.export_columns("contributions")
    assert [row[4] for row in sheet[1:]] == ["Idea 0", "Idea 1", "Idea 2"]
    assert sheet[1][8] == "Sud" and sheet[1][11] == "0", "counts are numbers"


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(
    consultation: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)  # header + 2 rows per sheet
    add_contributions(consultation, 5)

    sheets = xlsx_sheets(file_bytes(exports.export_response(consultation=consultation, kind="reactions", fmt="xlsx")))
    assert list(sheets) == ["sheet1.xml"] and sheets["sheet1.xml"] == [exports.export_columns("reactions")]

    sheets = xlsx_sheets(
        file_bytes(exports.export_response(consultation=consultation, kind="contributions", fmt="xlsx"))
    )
    assert list(sheets) == ["sheet1.xml", "sheet2.xml", "sheet3.xml"]
    assert all(rows[0] == exports.export_columns("contributions") for rows in sheets.values())
    titles = [row[4] for rows in sheets.values() for row in rows[1:]]
    assert titles == [f"Idea {i}" for i in range(5)]


def test_csv_is_streamed_with_a_fixed_number_of_queries(consultation: Consultation) -> None:
    def queries_for(consultation: Consultation) -> tuple[int, int]:
        response = exports.export_response(consultation=consultation, kind="contributions", fmt="csv")
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        filename = exports.export_filename(consultation=consultation, kind="contributions", fmt="csv")
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        with CaptureQueriesContext(connections["default"]) as queries:
            rows = csv_rows(response)
        # Re-entering the city may set the search path again: one statement, whatever the size.
        statements = [q["sql"] for q in queries if not q["sql"].startswith("SET search_path")]
        return len(statements), len(rows) - 1

    small = make_consultation()
    add_contributions(small, 10)
    large = make_consultation()
    add_contributions(large, 100)
    small_queries, small_rows = queries_for(small)
    large_queries, large_rows = queries_for(large)
    assert (small_rows, large_rows) == (10, 100)
    assert small_queries == large_queries == 1, "one server-side cursor, no query per row"


def test_csv_chunks_keep_memory_to_one_chunk() -> None:
    def endless() -> Iterator[list[Any]]:
        n = 0
        while True:
            n += 1
            yield [n, "x" * 10]

    stream = exports.csv_chunks(["n", "text"], endless(), tz=datetime.UTC)
    assert next(stream).startswith("\ufeffn,text".encode())
    # An endless source still yields (it would hang if the writer collected all rows first).
    first = next(stream)
    assert first.startswith(b"1,xxxxxxxxxx\r\n") and first.count(b"\r\n") == 500


# --- Survey answers ------------------------------------------------------------------------------------------


def test_survey_export_delegates_to_survey_tables(consultation: Consultation) -> None:
    from tenant_apps.consultations.survey_tables import survey_columns, survey_rows

    survey = Survey.objects.create(consultation=consultation, title="Mobility habits")
    single = Question.objects.create(survey=survey, kind=QuestionKind.SINGLE, label="How do you commute?", position=1)
    bus = Choice.objects.create(question=single, label="=Bus", position=1)
    Choice.objects.create(question=single, label="Bike", position=2)
    text = Question.objects.create(survey=survey, kind=QuestionKind.TEXT, label="Anything else?", position=2)
    response = SurveyResponse.objects.create(survey=survey, respondent=make_user())
    SurveyAnswer.objects.create(response=response, question=single, choice=bus)
    SurveyAnswer.objects.create(response=response, question=text, text="@ me")

    assert exports.export_columns("survey", survey=survey) == survey_columns(survey)
    rows = csv_rows(exports.export_response(consultation=consultation, kind="survey", fmt="csv", survey=survey))
    expected = list(survey_rows(survey))
    assert rows[0] == survey_columns(survey)
    assert len(rows) == 1 + len(expected) == 2
    assert rows[1][0] == str(response.pk)
    assert rows[1][-2:] == ["'=Bus", "'@ me"], "formula triggers neutralised in survey answers too"
    sheet = xlsx_sheets(
        file_bytes(exports.export_response(consultation=consultation, kind="survey", fmt="xlsx", survey=survey))
    )["sheet1.xml"]
    assert sheet[0] == survey_columns(survey) and sheet[1][-2:] == ["'=Bus", "'@ me"]


def test_survey_of_another_consultation_is_refused(consultation: Consultation) -> None:
    foreign = Survey.objects.create(consultation=make_consultation(), title="Elsewhere")
    with pytest.raises(exports.ApplicationError) as refused:
        exports.export_response(consultation=consultation, kind="survey", fmt="csv", survey=foreign)
    assert refused.value.code == "survey_mismatch" and refused.value.status_code == 404


# --- Jobs ---------------------------------------------------------------------------------------------------


def _start(consultation: Consultation, staff: Any, fmt: str = "csv", kind: str = "contributions") -> ExportJob:
    return exports.export_job_start(consultation=consultation, kind=kind, fmt=fmt, requested_by=staff)


def test_job_is_enqueued_after_commit_on_the_heavy_queue_in_its_city(
    consultation: Consultation,
    staff: Any,
    alpha: City,
    enqueued: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    add_contributions(consultation, 3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = _start(consultation, staff)
        again = _start(consultation, staff)
    assert again.pk == job.pk, "the same export still queued is not started twice"
    assert (job.status, job.rows_total, job.rows_done) == (ExportStatus.QUEUED, 3, 0)
    assert enqueued == [], "nothing is sent before the commit"
    for callback in callbacks:
        callback()
    assert enqueued == [{"kwargs": {"job_id": job.pk}, "headers": {"_schema_name": alpha.schema_name}}]
    assert tasks.export_build_task.queue == "heavy"


def test_job_builds_with_progress_and_emails_a_working_signed_link(
    consultation: Consultation,
    staff: Any,
    media: Any,
    eager_mail: list[Any],
    alpha: City,
    alpha_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    add_contributions(consultation, 5)
    job = _start(consultation, staff)

    with CaptureQueriesContext(connections["default"]) as queries, django_capture_on_commit_callbacks(execute=True):
        assert tasks.export_build_task.run(job_id=job.pk) == ExportStatus.DONE
    progress = [
        int(m.group(1))
        for q in queries
        if (m := re.search(r'UPDATE "consultations_exportjob" SET "rows_done" = (\d+) WHERE', q["sql"]))
    ]
    assert progress == [2, 4, 5], "progress written every chunk, then at the end"

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.error) == (ExportStatus.DONE, 5, 5, "")
    assert job.finished_at is not None
    assert job.file.name.startswith("consultations/exports/") and job.file.name.endswith(".csv")
    assert (media / alpha.schema_name / job.file.name).exists(), "written in the city's own media folder"

    assert len(eager_mail) == 1
    message = eager_mail[0]
    assert message.to == [staff.email] and consultation.title in message.subject
    link = re.search(r"http://alpha\.fluicity\.test(/manage/consultations/\S+/download/\S+/)", message.body)
    assert link, message.body

    downloaded = staff_client(alpha_client, staff).get(link.group(1))
    assert downloaded.status_code == 200
    assert downloaded["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(file_bytes(downloaded).decode("utf-8-sig"))))
    direct = csv_rows(exports.export_response(consultation=consultation, kind="contributions", fmt="csv"))
    assert rows == direct and len(rows) == 6


def test_job_run_twice_does_nothing_the_second_time(
    consultation: Consultation, staff: Any, media: Any, eager_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    add_contributions(consultation, 2)
    job = _start(consultation, staff, fmt="xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_job_build(job_id=job.pk)
        job.refresh_from_db()
        name, finished = job.file.name, job.finished_at
        again = exports.export_job_build(job_id=job.pk)
    assert (again.status, again.file.name, again.finished_at) == (ExportStatus.DONE, name, finished)
    assert len(eager_mail) == 1
    sheet = xlsx_sheets(default_storage.open(name).read())["sheet1.xml"]
    assert len(sheet) == 3


def test_failed_and_crashed_jobs_are_rebuilt_from_zero(
    consultation: Consultation, staff: Any, media: Any, eager_mail: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_contributions(consultation, 3)
    job = _start(consultation, staff)
    real_rows = exports.export_rows

    def broken(**kwargs: Any) -> Iterator[list[Any]]:
        yield from list(real_rows(**kwargs))[:1]
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "export_rows", broken)
    failed = exports.export_job_build(job_id=job.pk)
    assert (failed.status, failed.error, failed.file.name) == (ExportStatus.FAILED, "disk full", "")

    monkeypatch.setattr(exports, "export_rows", real_rows)
    rebuilt = exports.export_job_build(job_id=job.pk)
    assert (rebuilt.status, rebuilt.rows_done, rebuilt.error) == (ExportStatus.DONE, 3, "")
    first_file = rebuilt.file.name

    # A worker died mid-way: the row still says "running", but nobody holds the job's lock any more.
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, rows_done=1)
    Contribution.objects.create(consultation=consultation, title="Late", body="b")
    redone = exports.export_job_build(job_id=job.pk)
    assert (redone.status, redone.rows_done) == (ExportStatus.DONE, 4)
    assert redone.file.name != first_file and not default_storage.exists(first_file), "the old file is replaced"


def test_job_held_by_another_worker_is_left_to_it(consultation: Consultation, staff: Any, media: Any) -> None:
    job = _start(consultation, staff)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [exports._lock_key(f"job:{job.pk}")])
        untouched = exports.export_job_build(job_id=job.pk)
        assert (untouched.status, untouched.file.name) == (ExportStatus.QUEUED, "")
    finally:
        other.close()
    assert exports.export_job_build(job_id=job.pk).status == ExportStatus.DONE


def _done_job(consultation: Consultation, staff: Any) -> ExportJob:
    add_contributions(consultation, 1)
    return exports.export_job_build(job_id=_start(consultation, staff).pk)


def test_expired_forged_stale_and_foreign_links_are_refused(
    consultation: Consultation, staff: Any, media: Any, alpha_client: Client, beta: City, settings: Any
) -> None:
    job = _done_job(consultation, staff)
    client = staff_client(alpha_client, staff)
    base = f"/manage/consultations/{consultation.slug}/exports/jobs/{job.pk}/download"
    token = exports.download_token(job=job)
    assert client.get(f"{base}/{token}/").status_code == 200

    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(f"{base}/{forged}/").status_code == 403
    other_job = _done_job(consultation, staff)
    assert client.get(f"{base}/{exports.download_token(job=other_job)}/").status_code == 403
    with in_city(city_id=beta.id):
        beta_token = exports.signing.dumps({"j": job.pk, "f": job.file.name}, salt=exports._link_salt(), compress=True)
    assert client.get(f"{base}/{beta_token}/").status_code == 403, "a link signed for another city"

    settings.CONSULTATIONS_EXPORT_LINK_MAX_AGE = -1
    expired = client.get(f"{base}/{token}/")
    assert expired.status_code == 403 and "expired" in expired.content.decode()

    settings.CONSULTATIONS_EXPORT_LINK_MAX_AGE = 3600
    exports.export_job_build(job_id=job.pk)  # done: no rebuild, the link still works
    assert client.get(f"{base}/{token}/").status_code == 200
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED)
    exports.export_job_build(job_id=job.pk)  # rebuilt: a new file, the old link is stale
    assert client.get(f"{base}/{token}/").status_code == 403


def test_download_needs_staff_as_well_as_a_valid_link(
    consultation: Consultation, staff: Any, resident: Any, media: Any, alpha_client: Client
) -> None:
    job = _done_job(consultation, staff)
    url = f"/manage/consultations/{consultation.slug}/exports/jobs/{job.pk}/download/{exports.download_token(job=job)}/"
    anonymous = alpha_client.get(url)
    assert anonymous.status_code == 302 and "/account/login/" in anonymous["Location"]
    assert staff_client(alpha_client, resident).get(url).status_code == 403
    elsewhere = make_consultation()
    assert staff_client(alpha_client, staff).get(url.replace(consultation.slug, elsewhere.slug)).status_code == 404


# --- Pages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 302), ("resident", 403), ("moderator", 200), ("city_admin", 200)]
)
def test_exports_page_is_for_staff_only(
    consultation: Consultation, alpha_client: Client, role: str, status: int
) -> None:
    if role != "anonymous":
        alpha_client.force_login(make_user(role=role))
    url = f"/manage/consultations/{consultation.slug}/exports/"
    assert alpha_client.get(url).status_code == status
    posted = alpha_client.post(url, {"kind": "contributions", "format": "csv"})
    assert posted.status_code == status
    if role == "anonymous":
        assert "/account/login/" in posted["Location"]


def test_small_export_downloads_at_once(consultation: Consultation, staff: Any, alpha_client: Client) -> None:
    add_contributions(consultation, 2)
    response = staff_client(alpha_client, staff).post(
        f"/manage/consultations/{consultation.slug}/exports/", {"kind": "contributions", "format": "csv"}
    )
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(file_bytes(response).decode("utf-8-sig"))))
    assert len(rows) == 3 and ExportJob.objects.count() == 0


def test_large_export_becomes_a_job_with_a_refreshing_progress_page(
    consultation: Consultation,
    staff: Any,
    media: Any,
    alpha_client: Client,
    settings: Any,
    enqueued: list[dict[str, Any]],
    eager_mail: list[Any],
) -> None:
    settings.CONSULTATIONS_EXPORT_SYNC_MAX_ROWS = 2
    add_contributions(consultation, 3)
    client = staff_client(alpha_client, staff)
    url = f"/manage/consultations/{consultation.slug}/exports/"

    response = client.post(url, {"kind": "contributions", "format": "xlsx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{url}jobs/{job.pk}/"
    assert (job.kind, job.format, job.requested_by_id, job.rows_total) == ("contributions", "xlsx", staff.pk, 3)

    waiting = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in waiting and "<progress" in waiting
    listing = client.get(url).content.decode()
    assert f"jobs/{job.pk}/" in listing and "Queued" in listing

    exports.export_job_build(job_id=job.pk)
    ready = client.get(response["Location"]).content.decode()
    assert "http-equiv" not in ready and "/download/" in ready
    link = re.search(r'href="([^"]+/download/[^"]+)"', ready)
    assert link
    assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200


def test_failed_job_page_offers_a_retry(
    consultation: Consultation, staff: Any, alpha_client: Client, enqueued: list[dict[str, Any]]
) -> None:
    job = ExportJob.objects.create(
        consultation=consultation, kind="comments", format="csv", requested_by=staff, status=ExportStatus.FAILED
    )
    client = staff_client(alpha_client, staff)
    page = client.get(f"/manage/consultations/{consultation.slug}/exports/jobs/{job.pk}/").content.decode()
    assert "Try again" in page and "http-equiv" not in page
    retried = client.post(f"/manage/consultations/{consultation.slug}/exports/jobs/{job.pk}/retry/")
    assert retried.status_code == 302
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED


def test_page_rejects_bad_choices_with_a_message(consultation: Consultation, staff: Any, alpha_client: Client) -> None:
    survey = Survey.objects.create(consultation=consultation, title="Habits")
    client = staff_client(alpha_client, staff)
    url = f"/manage/consultations/{consultation.slug}/exports/"
    assert survey.title in client.get(url).content.decode()
    missing = client.post(url, {"kind": "survey", "format": "csv"})
    assert missing.status_code == 400 and "Choose the survey" in missing.content.decode()
    bad = client.post(url, {"kind": "contributions", "format": "pdf"})
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()
    foreign = Survey.objects.create(consultation=make_consultation(), title="Foreign")
    assert client.post(url, {"kind": "survey", "survey": foreign.pk, "format": "csv"}).status_code == 400
    assert client.get("/manage/consultations/no-such-thing/exports/").status_code == 404


def test_job_of_another_consultation_is_not_found(consultation: Consultation, staff: Any, alpha_client: Client) -> None:
    job = ExportJob.objects.create(consultation=make_consultation(), kind="comments", format="csv")
    client = staff_client(alpha_client, staff)
    assert client.get(f"/manage/consultations/{consultation.slug}/exports/jobs/{job.pk}/").status_code == 404


def test_a_link_from_one_city_opens_nothing_in_another(
    alpha: City, beta: City, media: Any, alpha_client: Client, beta_client: Client
) -> None:
    with in_city(city_id=alpha.id):
        alpha_staff = make_user(role="city_admin")
        here = make_consultation(slug="shared-slug")
        alpha_job = _done_job(here, alpha_staff)
        alpha_token = exports.download_token(job=alpha_job)
    with in_city(city_id=beta.id):
        beta_staff = make_user(role="city_admin")
        there = make_consultation(slug="shared-slug")
        beta_job = _done_job(there, beta_staff)
        beta_token = exports.download_token(job=beta_job)
        beta_client.force_login(beta_staff)  # last_login is saved in the city's schema
    base = "/manage/consultations/shared-slug/exports/jobs"
    assert beta_client.get(f"{base}/{beta_job.pk}/download/{beta_token}/").status_code == 200
    assert beta_client.get(f"{base}/{beta_job.pk}/download/{alpha_token}/").status_code == 403
    assert beta_client.get(f"{base}/{alpha_job.pk}/download/{alpha_token}/").status_code in (403, 404)
    with in_city(city_id=alpha.id):
        alpha_client.force_login(alpha_staff)
    assert alpha_client.get(f"{base}/{alpha_job.pk}/download/{alpha_token}/").status_code == 200
    assert alpha_client.get(f"{base}/{alpha_job.pk}/download/{beta_token}/").status_code == 403


def test_a_streamed_body_reads_the_city_it_was_asked_in(consultation: Consultation, beta: City) -> None:
    add_contributions(consultation, 2)
    response = exports.export_response(consultation=consultation, kind="contributions", fmt="csv")
    with in_city(city_id=beta.id):  # the connection moved before the first chunk was produced
        rows = csv_rows(response)
    assert [row[4] for row in rows[1:]] == ["Idea 0", "Idea 1"]


def test_old_export_files_are_purged_but_running_and_recent_ones_stay(
    consultation: Consultation, staff: Any, media: Any, eager_mail: list[Any], alpha: City
) -> None:
    import datetime

    from django.utils import timezone

    add_contributions(consultation, 3)
    old = _start(consultation, staff)
    assert tasks.export_build_task.run(job_id=old.pk) == ExportStatus.DONE
    old.refresh_from_db()
    old_file = media / alpha.schema_name / old.file.name
    assert old_file.exists()
    running = ExportJob.objects.create(
        consultation=consultation, kind="contributions", format="csv", status=ExportStatus.RUNNING, requested_by=staff
    )
    recent = ExportJob.objects.create(
        consultation=consultation, kind="comments", format="csv", status=ExportStatus.DONE, requested_by=staff
    )
    long_ago = timezone.now() - datetime.timedelta(days=exports.retention_days() + 1)
    ExportJob.objects.filter(pk__in=[old.pk, running.pk]).update(created_at=long_ago)

    assert tasks.exports_purge_task.run() == 1
    assert not old_file.exists() and not ExportJob.objects.filter(pk=old.pk).exists()
    assert set(ExportJob.objects.values_list("pk", flat=True)) >= {running.pk, recent.pk}
    assert tasks.exports_purge_task.run() == 0  # nothing left to do
