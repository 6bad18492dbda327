"""City staff's billing page (city host, /manage/billing/): plan, features, usage, invoices.

The current city comes from ``request.city`` (routing middleware); every read passes its id, so a
guessed invoice number of another city is simply not found.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, NotFoundError
from shared_apps.billing import conf, selectors, services
from shared_apps.billing.models import BOOLEAN_FEATURES, Invoice, SubscriptionStatus
from shared_apps.billing.pdf import invoice_pdf

View = Callable[..., HttpResponseBase]


def city_staff_required(view: View) -> View:
    """Staff of this city only: anonymous -> login page, logged-in non-staff -> 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "city", None) is None:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _city_id(request: HttpRequest) -> int:
    return int(request.city.id)  # type: ignore[attr-defined]


def invoice_context(invoice: Invoice, *, pdf_url: str) -> dict[str, Any]:
    return {
        "invoice": invoice,
        "issuer": conf.issuer(),
        "terms_days": conf.payment_terms_days(),
        "last_day": invoice.period_end - datetime.timedelta(days=1),
        "pdf_url": pdf_url,
    }


def pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@city_staff_required
def billing_page(request: HttpRequest) -> HttpResponse:
    city_id = _city_id(request)
    entitlements = selectors.entitlements_for_city(city_id=city_id)
    subscription = selectors.subscription_for_city(city_id=city_id)
    return render(
        request,
        "billing/city_billing.html",
        {
            "entitlements": entitlements,
            "subscription": subscription,
            "status_label": SubscriptionStatus(entitlements.status).label,
            "switches": [f for f in entitlements.features if f.code in BOOLEAN_FEATURES],
            "usage": selectors.usage_latest_for_city(city_id=city_id),
            # The city's own staff, counted in its schema (the request is already in it).
            "staff_count": get_user_model().objects.filter(is_staff=True, is_active=True).count(),
            "invoices": selectors.invoice_list_for_city(city_id=city_id),
        },
    )


@require_POST
@city_staff_required
def feature_toggle(request: HttpRequest) -> HttpResponse:
    try:
        services.feature_set(
            city_id=_city_id(request),
            feature=request.POST.get("feature", ""),
            enabled=request.POST.get("enabled") == "1",
            actor=request.user.get_username(),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Saved.")
    return redirect("billing-city:page")


def _invoice(request: HttpRequest, number: str) -> Invoice:
    try:
        return selectors.invoice_get_for_city(city_id=_city_id(request), number=number)
    except NotFoundError as error:
        raise Http404 from error


@city_staff_required
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _invoice(request, number)
    url = reverse("billing-city:invoice-pdf", args=[invoice.number])
    return render(request, "billing/invoice.html", invoice_context(invoice, pdf_url=url))


@city_staff_required
def invoice_download(request: HttpRequest, number: str) -> HttpResponse:
    return pdf_response(_invoice(request, number))
