"""Operators' billing console (root host, /console/billing/): subscriptions, revenue, invoices."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from shared_apps.billing import selectors, services
from shared_apps.billing.models import Invoice, InvoiceStatus, Payment, Plan, Subscription, SubscriptionStatus
from shared_apps.billing.views_city import invoice_context, pdf_response
from tenants.console.views import operator_required


class ReconcileForm(forms.Form):
    reference = forms.CharField(label="Payment reference or invoice number", max_length=64)
    amount = forms.DecimalField(label="Amount received", max_digits=12, decimal_places=2, min_value=0)
    received_on = forms.DateField(label="Received on", required=False)
    bank_reference = forms.CharField(label="Bank statement reference", max_length=140, required=False)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label="Amount received", max_digits=12, decimal_places=2, min_value=0)
    received_on = forms.DateField(label="Received on", required=False)
    bank_reference = forms.CharField(label="Bank statement reference", max_length=140, required=False)


def _cents(amount: Any) -> int:
    return int((amount * 100).to_integral_value())


@operator_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    plan_code = request.GET.get("plan", "")
    country = request.GET.get("country", "").strip().upper()
    query = request.GET.get("q", "").strip()
    subscriptions = selectors.subscription_list(
        status=status if status in SubscriptionStatus.values else None,
        plan_code=plan_code or None,
        country=country or None,
        query=query or None,
    )
    return render(
        request,
        "billing/operator/subscriptions.html",
        {
            "page": Paginator(subscriptions, 50).get_page(request.GET.get("page")),
            "revenue": selectors.revenue_overview(),
            "statuses": SubscriptionStatus.choices,
            "plans": Plan.objects.all(),
            "filters": {"status": status, "plan": plan_code, "country": country, "q": query},
            "reconcile_form": ReconcileForm(),
        },
    )


@operator_required
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription.objects.select_related("city", "plan"), pk=pk)
    return render(
        request,
        "billing/operator/subscription.html",
        {
            "subscription": subscription,
            "events": subscription.events.all(),
            "invoices": subscription.invoices.all(),
            "plans": Plan.objects.all(),
            "targets": sorted(services.ALLOWED_TRANSITIONS[subscription.status]),
        },
    )


@require_POST
@operator_required
def subscription_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    actor = request.user.get_username()
    try:
        if action == "plan":
            plan = selectors.plan_get(code=request.POST.get("plan", ""))
            services.subscription_change_plan(subscription=subscription, plan=plan, actor=actor)
        elif action == "transition":
            services.subscription_transition(
                subscription=subscription,
                to_status=request.POST.get("to_status", ""),
                actor=actor,
                reason=request.POST.get("reason", ""),
            )
        elif action == "activate":
            services.subscription_activate(
                subscription=subscription,
                actor=actor,
                reason=request.POST.get("reason", "") or "Activated by an operator.",
            )
        else:
            raise ApplicationError("Unknown action.", code="unknown_action")
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Done.")
    return redirect("billing-console:subscription", pk=pk)


@operator_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    overdue = request.GET.get("overdue") == "1"
    invoices = selectors.invoice_list(status=status if status in InvoiceStatus.values else None, overdue=overdue)
    return render(
        request,
        "billing/operator/invoices.html",
        {
            "page": Paginator(invoices, 50).get_page(request.GET.get("page")),
            "statuses": InvoiceStatus.choices,
            "status": status,
            "overdue": overdue,
            "today": selectors.today(),
        },
    )


@operator_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("city", "subscription"), pk=pk)
    context = invoice_context(invoice, pdf_url=reverse("billing-console:invoice-pdf", args=[pk]))
    context.update({"payments": invoice.payments.all(), "payment_form": PaymentForm()})
    return render(request, "billing/operator/invoice.html", context)


@operator_required
def invoice_download(request: HttpRequest, pk: int) -> HttpResponse:
    return pdf_response(get_object_or_404(Invoice, pk=pk))


@require_POST
@operator_required
def invoice_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    actor = request.user.get_username()
    try:
        if action == "payment":
            form = PaymentForm(request.POST)
            if not form.is_valid():
                raise ApplicationError("Check the amount and the date.", code="invalid")
            services.payment_record(
                invoice=invoice,
                amount_cents=_cents(form.cleaned_data["amount"]),
                method=Payment.Method.BANK_TRANSFER,
                actor=actor,
                received_on=form.cleaned_data["received_on"] or datetime.date.today(),
                bank_reference=form.cleaned_data["bank_reference"],
            )
        elif action == "void":
            services.invoice_void(invoice=invoice, actor=actor, reason=request.POST.get("reason", ""))
        else:
            raise ApplicationError("Unknown action.", code="unknown_action")
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Done.")
    return redirect("billing-console:invoice", pk=pk)


@require_POST
@operator_required
def reconcile(request: HttpRequest) -> HttpResponse:
    form = ReconcileForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the reference and the amount.")
        return redirect("billing-console:subscriptions")
    try:
        payment = services.payment_reconcile_transfer(
            reference=form.cleaned_data["reference"],
            amount_cents=_cents(form.cleaned_data["amount"]),
            actor=request.user.get_username(),
            received_on=form.cleaned_data["received_on"],
            bank_reference=form.cleaned_data["bank_reference"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing-console:subscriptions")
    messages.success(request, f"Payment recorded on {payment.invoice.number}.")
    return redirect("billing-console:invoice", pk=payment.invoice_id)
