"""/manage/consultations/<slug>/exports/: CSV and XLSX exports, for the city's staff only.

Small exports download at once (streamed); larger ones (over ``CONSULTATIONS_EXPORT_SYNC_MAX_ROWS``)
become a job built by Celery: its page shows the progress (refreshing itself, no JavaScript) and the
requester gets an emailed, signed and expiring link. Visitors are sent to the login page, residents get
403; a download needs both a staff session and a valid link.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.consultations.models import (
    Consultation,
    ExportFormat,
    ExportJob,
    ExportKind,
    ExportStatus,
    Survey,
)
from tenant_apps.consultations.services import exports as services
from tenant_apps.consultations.views import common

View = Callable[..., HttpResponseBase]
RECENT_JOBS = 20
# Seconds between two refreshes of a job's page while it is being built.
REFRESH_SECONDS = 3


def in_city_zone(view: View) -> View:
    """Dates on the exports pages in the city's time zone (staff only, see ``common.staff_only``)."""

    @common.staff_only
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with timezone.override(services.city_timezone()):
            return view(request, *args, **kwargs)

    return wrapper


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What to export"), choices=ExportKind.choices, widget=forms.RadioSelect)
    survey = forms.ModelChoiceField(
        label=gettext_lazy("Survey (for survey answers)"), queryset=Survey.objects.none(), required=False
    )
    format = forms.ChoiceField(
        label=gettext_lazy("File format"),
        choices=ExportFormat.choices,
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("CSV opens anywhere (UTF-8); XLSX opens in Excel or LibreOffice."),
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        surveys = Survey.objects.filter(consultation=consultation).order_by("position", "id")
        survey_field: Any = self.fields["survey"]
        survey_field.queryset = surveys
        kind_field: Any = self.fields["kind"]
        if not surveys.exists():
            del self.fields["survey"]
            kind_field.choices = [c for c in ExportKind.choices if c[0] != ExportKind.SURVEY]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ExportKind.SURVEY and not data.get("survey"):
            self.add_error("survey", _("Choose the survey whose answers you want."))
        return data


def _consultation(slug: str) -> Consultation:
    return get_object_or_404(Consultation, slug=slug)


def _back_url(slug: str) -> str:
    return reverse("consultations-manage:consultation", kwargs={"slug": slug})


def _job(consultation: Consultation, job_id: int) -> ExportJob:
    return get_object_or_404(
        ExportJob.objects.select_related("consultation", "survey", "requested_by"), pk=job_id, consultation=consultation
    )


def _job_row(job: ExportJob) -> dict[str, Any]:
    return {
        "job": job,
        "percent": _percent(job),
        "download_url": services.download_path(job=job) if job.status == ExportStatus.DONE and job.file else "",
    }


def _percent(job: ExportJob) -> int:
    if job.status == ExportStatus.DONE:
        return 100
    if job.rows_total <= 0:
        return 0
    return min(99, int(100 * job.rows_done / job.rows_total))


@in_city_zone
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest, slug: str) -> HttpResponseBase:
    consultation = _consultation(slug)
    form = ExportForm(request.POST or None, consultation=consultation)
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            fmt = form.cleaned_data["format"]
            survey = form.cleaned_data.get("survey") if kind == ExportKind.SURVEY else None
            try:
                rows = services.export_count(consultation=consultation, kind=kind, survey=survey)
                if rows <= services.sync_max_rows():
                    return services.export_response(consultation=consultation, kind=kind, fmt=fmt, survey=survey)
                job = services.export_job_start(
                    consultation=consultation, kind=kind, fmt=fmt, requested_by=cast(User, request.user), survey=survey
                )
            except ApplicationError as exc:
                error, status = exc.message, exc.status_code
            else:
                messages.info(
                    request,
                    _("This export is large (%(rows)s rows): it is being prepared, and you will get an email.")
                    % {"rows": rows},
                )
                return redirect("consultations-exports:job", slug=slug, job_id=job.pk)
        else:
            status = 400
    jobs = ExportJob.objects.filter(consultation=consultation).select_related("survey", "requested_by")
    return render(
        request,
        "consultations/exports/page.html",
        {
            "consultation": consultation,
            "form": form,
            "error": error,
            "jobs": [_job_row(job) for job in jobs[:RECENT_JOBS]],
            "sync_max_rows": services.sync_max_rows(),
            "back_url": _back_url(slug),
        },
        status=status,
    )


@in_city_zone
@require_http_methods(["GET"])
def job_page(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    consultation = _consultation(slug)
    job = _job(consultation, job_id)
    working = job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    return render(
        request,
        "consultations/exports/job.html",
        {
            "consultation": consultation,
            **_job_row(job),
            "working": working,
            "refresh_seconds": REFRESH_SECONDS if working else 0,
            "back_url": _back_url(slug),
        },
    )


@in_city_zone
@require_POST
def job_retry(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    consultation = _consultation(slug)
    job = _job(consultation, job_id)
    if job.status != ExportStatus.FAILED:
        messages.info(request, _("Only a failed export can be started again."))
    else:
        services.export_job_retry(job_id=job.pk)
        messages.success(request, _("The export is being prepared again."))
    return redirect("consultations-exports:job", slug=slug, job_id=job.pk)


@in_city_zone
@require_http_methods(["GET"])
def job_download(request: HttpRequest, slug: str, job_id: int, token: str) -> HttpResponseBase:
    consultation = _consultation(slug)
    try:
        job = services.download_check(job_id=job_id, token=token)
    except ApplicationError as exc:
        return render(
            request,
            "consultations/exports/refused.html",
            {"consultation": consultation, "message": exc.message, "back_url": _back_url(slug)},
            status=exc.status_code,
        )
    if job.consultation_id != consultation.pk:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file of this export is gone; ask for the export again.")) from exc
    content_type = services.CSV_CONTENT_TYPE if job.format == ExportFormat.CSV else services.XLSX_CONTENT_TYPE
    response = FileResponse(handle, as_attachment=True, filename=services.job_filename(job), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
