"""Operators' console on the root host: cities, provisioning, suspension, exports, deletion."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from tenants import operations, services
from tenants.models import TIME_ZONE_CHOICES, City, CityStatus, JobStatus, ProvisioningJob
from tenants.provisioning import provisioning_request

View = Callable[..., HttpResponseBase]


def operator_required(view: View) -> View:
    """Only platform operators (staff accounts of the public schema) get in; others go to the login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class ProvisionForm(forms.Form):
    name = forms.CharField(label=_("City name"), max_length=200)
    slug = forms.CharField(label=_("Subdomain"), max_length=40, help_text=_("Letters, digits and hyphens."))
    admin_email = forms.EmailField(label=_("First administrator's email"))
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, initial="FR")
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="fr")
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="Europe/Paris")


class DeleteForm(forms.Form):
    export = forms.ChoiceField(label=_("Export taken before deletion"))
    confirm = forms.CharField(label=_("Type the subdomain to confirm"))
    understood = forms.BooleanField(label=_("I understand that the city's data will be destroyed for good."))

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["export"].choices = [  # type: ignore[attr-defined]
            (str(e.public_id), f"{e.finished_at:%Y-%m-%d %H:%M} UTC, {e.size_bytes or 0} bytes, {e.requested_by}")
            for e in operations.deletable_exports(city)
        ]


def _apply_errors(form: forms.Form, error: ApplicationError) -> None:
    if error.fields:
        for field, messages_ in error.fields.items():
            for message in messages_:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, error.message)


@operator_required
def city_list(request: HttpRequest) -> HttpResponse:
    cities = City.objects.order_by("name")
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    country = request.GET.get("country", "").strip().upper()
    if query:
        cities = cities.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    if status in CityStatus.values:
        cities = cities.filter(status=status)
    if country:
        cities = cities.filter(country=country)
    page = Paginator(cities, 50).get_page(request.GET.get("page"))
    from shared_apps.billing.interface import city_summaries

    summaries = city_summaries(city_ids=[c.id for c in page])
    rows = [(c, summaries.get(c.id)) for c in page]
    return render(
        request,
        "tenants/console/city_list.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "status": status,
            "country": country,
            "statuses": CityStatus.choices,
        },
    )


@operator_required
def city_new(request: HttpRequest) -> HttpResponse:
    form = ProvisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = provisioning_request(
                **form.cleaned_data, source=ProvisioningJob.Source.CONSOLE, requested_by=request.user.get_username()
            )
        except ApplicationError as error:
            _apply_errors(form, error)
        else:
            _enqueue_provisioning(job)
            return redirect("console:job", public_id=job.public_id)
    return render(request, "tenants/console/city_new.html", {"form": form})


def _enqueue_provisioning(job: ProvisioningJob) -> None:
    from django.db import transaction

    from tenants.tasks import provision_city_task

    transaction.on_commit(
        lambda: provision_city_task.apply_async(kwargs={"job_id": job.id}, headers={"_schema_name": "public"})
    )


@operator_required
def job_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    job = get_object_or_404(ProvisioningJob.objects.select_related("city"), public_id=public_id)
    running = job.status in (JobStatus.PENDING, JobStatus.RUNNING)
    return render(request, "tenants/console/job.html", {"job": job, "refresh": running})


@operator_required
def city_detail(request: HttpRequest, slug: str) -> HttpResponse:
    city = get_object_or_404(City, slug=slug)
    exports = list(city.exports.all()[:20])
    links = {
        e.pk: reverse("console:export-download", args=[e.public_id]) + "?token=" + operations.export_download_token(e)
        for e in exports
        if e.status == JobStatus.SUCCEEDED
    }
    return render(
        request,
        "tenants/console/city_detail.html",
        {
            "city_obj": city,
            "domains": city.domains.all(),
            "jobs": city.provisioning_jobs.all()[:10],
            "exports": [(e, links.get(e.pk), operations.export_percent(e)) for e in exports],
            "refresh": any(e.status in (JobStatus.PENDING, JobStatus.RUNNING) for e in exports),
            "can_delete": bool(operations.deletable_exports(city)),
        },
    )


@operator_required
@require_POST
def city_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    city = get_object_or_404(City, slug=slug)
    try:
        if action == "suspend":
            services.city_suspend(city=city)
            messages.success(request, _("%(name)s is suspended; its data is kept.") % {"name": city.name})
        elif action == "resume":
            services.city_resume(city=city)
            messages.success(request, _("%(name)s is active again.") % {"name": city.name})
        elif action == "export":
            operations.export_request(city=city, requested_by=request.user.get_username())
            messages.success(request, _("Export started; this page shows its progress."))
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("console:city", slug=city.slug)


@operator_required
def export_download(request: HttpRequest, public_id: str) -> FileResponse:
    try:
        export = operations.export_for_download(token=request.GET.get("token", ""))
    except ApplicationError as error:
        raise Http404(error.message) from error
    if str(export.public_id) != str(public_id):
        raise Http404
    return FileResponse(operations.export_path(export).open("rb"), as_attachment=True, filename=export.file_name)


@operator_required
def city_delete(request: HttpRequest, slug: str) -> HttpResponse:
    city = get_object_or_404(City, slug=slug)
    form = DeleteForm(request.POST or None, city=city)
    if request.method == "POST" and form.is_valid():
        try:
            operations.city_delete(
                city=city,
                export_public_id=form.cleaned_data["export"],
                confirm_slug=form.cleaned_data["confirm"],
                deleted_by=request.user.get_username(),
            )
        except ApplicationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("%(name)s was deleted.") % {"name": city.name})
            return redirect("console:cities")
    return render(request, "tenants/console/city_delete.html", {"city_obj": city, "form": form})
