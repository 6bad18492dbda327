"""City billing page, invoice HTML/PDF, isolation between cities, operator console and API."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from shared_apps.billing.models import FeatureSetting, Invoice, InvoiceStatus, Subscription
from tenants.models import City
from tests.conftest import ROOT_HOST, city_host
from tests.shared_apps.billing.conftest import active_subscription, staff_client


def test_billing_page_is_for_the_city_staff_only(alpha: City) -> None:
    anonymous = Client(HTTP_HOST=city_host("alpha")).get("/manage/billing/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/account/login/")
    assert staff_client(alpha, is_staff=False).get("/manage/billing/").status_code == 403
    assert Client(HTTP_HOST=ROOT_HOST).get("/manage/billing/").status_code == 404


def test_billing_page_shows_plan_features_and_invoices(alpha: City, alpha_sub: Subscription) -> None:
    page = staff_client(alpha).get("/manage/billing/")
    assert page.status_code == 200
    html = page.content.decode()
    invoice = Invoice.objects.get(subscription=alpha_sub)
    assert "Village" in html and invoice.number in html and "Participatory budgeting" in html


def test_admin_toggles_a_feature_with_csrf(alpha: City, alpha_sub: Subscription) -> None:
    client = staff_client(alpha)
    client.handler.enforce_csrf_checks = True
    assert client.post("/manage/billing/features/", {"feature": "surveys", "enabled": "0"}).status_code == 403
    client.get("/manage/billing/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/manage/billing/features/", {"feature": "surveys", "enabled": "0", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert FeatureSetting.objects.get(city=alpha, feature="surveys").enabled is False
    client.post("/manage/billing/features/", {"feature": "analysis", "enabled": "1", "csrfmiddlewaretoken": token})
    assert not FeatureSetting.objects.filter(city=alpha, feature="analysis").exists()  # the plan does not allow it


def test_invoice_page_and_pdf(alpha: City, alpha_sub: Subscription) -> None:
    invoice = Invoice.objects.get(subscription=alpha_sub)
    client = staff_client(alpha)
    html = client.get(f"/manage/billing/invoices/{invoice.number}/").content.decode()
    for mention in (
        invoice.number,
        invoice.payment_reference,
        "Fluicity SAS",
        "Alphaville",
        "IBAN",
        "Due date",
        "VAT 20%",
    ):
        assert mention in html
    response = client.get(f"/manage/billing/invoices/{invoice.number}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice.number in text and invoice.payment_reference in text and "1,440.00" in text.replace("\u202f", ",")


def test_a_city_sees_only_its_own_invoices(alpha: City, beta: City, alpha_sub: Subscription) -> None:
    active_subscription(beta)
    alpha_invoice = Invoice.objects.get(subscription=alpha_sub)
    beta_invoice = Invoice.objects.get(subscription__city=beta)
    beta_staff = staff_client(beta)
    page = beta_staff.get("/manage/billing/").content.decode()
    assert beta_invoice.number in page and alpha_invoice.number not in page
    assert beta_staff.get(f"/manage/billing/invoices/{alpha_invoice.number}/").status_code == 404
    assert beta_staff.get(f"/manage/billing/invoices/{alpha_invoice.number}/pdf/").status_code == 404
    # The operator API is not served on a city host at all.
    assert APIClient(HTTP_HOST=city_host("beta")).get("/api/v1/operator/billing/invoices/").status_code == 404


@pytest.mark.parametrize(
    "url", ["/console/billing/", "/console/billing/invoices/", "/console/billing/invoices/?overdue=1"]
)
def test_console_pages(alpha_sub: Subscription, operator_client: Client, url: str) -> None:
    assert operator_client.get(url).status_code == 200
    assert Client(HTTP_HOST=ROOT_HOST).get(url).status_code == 302


def test_console_filters_subscriptions_and_shows_revenue(alpha: City, beta: City, operator_client: Client) -> None:
    active_subscription(alpha, code="village")
    active_subscription(beta, code="town")
    html = operator_client.get("/console/billing/?country=BE").content.decode()
    assert "Betastad" in html and "Alphaville" not in html
    html = operator_client.get("/console/billing/?plan=village").content.decode()
    assert "Alphaville" in html and "Betastad" not in html
    assert "6,000.00" in html.replace("\u202f", ",")  # ARR: 1,200 + 4,800


def test_console_records_a_payment_and_voids(alpha: City, alpha_sub: Subscription, operator_client: Client) -> None:
    invoice = Invoice.objects.get(subscription=alpha_sub)
    detail = operator_client.get(f"/console/billing/invoices/{invoice.pk}/")
    assert detail.status_code == 200 and invoice.number in detail.content.decode()
    operator_client.post(f"/console/billing/invoices/{invoice.pk}/payment/", {"amount": "1440.00"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert operator_client.get(f"/console/billing/subscriptions/{alpha_sub.pk}/").status_code == 200
    assert operator_client.get(f"/console/billing/invoices/{invoice.pk}/pdf/").status_code == 200


def test_operator_api(alpha: City, operator_api: APIClient) -> None:
    alpha_sub = active_subscription(alpha, on=timezone.localdate())  # a plan change happens in the current period
    base = "/api/v1/operator/billing"
    listed = operator_api.get(f"{base}/subscriptions/?status=active").json()
    assert [row["city"] for row in listed["results"]] == ["alpha"]
    revenue = operator_api.get(f"{base}/revenue/").json()
    assert revenue[0]["arr_cents"] == 120_000 and revenue[0]["mrr_cents"] == 10_000
    invoice = Invoice.objects.get(subscription=alpha_sub)
    refused = operator_api.post(
        f"{base}/subscriptions/{alpha_sub.pk}/transition/", {"to_status": "trialing", "reason": "x"}
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_transition"
    paid = operator_api.post(
        f"{base}/payments/reconcile/", {"reference": invoice.payment_reference, "amount_cents": invoice.total_cents}
    )
    assert paid.status_code == 201 and paid.json()["invoice"] == invoice.number
    assert operator_api.get(f"{base}/invoices/{invoice.pk}/").json()["status"] == "paid"
    upgraded = operator_api.post(f"{base}/subscriptions/{alpha_sub.pk}/plan/", {"plan": "town"})
    assert upgraded.status_code == 200 and upgraded.json()["plan"] == "town"


def test_operator_api_refuses_non_operators(root_api: APIClient) -> None:
    response = root_api.get("/api/v1/operator/billing/invoices/")
    assert response.status_code in (401, 403) and "error" in response.json()


def test_backfill_creates_trials_once(alpha: City, beta: City, capsys: Any) -> None:
    from django.core.management import call_command

    call_command("billing_backfill")
    call_command("billing_backfill")
    assert Subscription.objects.filter(city__in=[alpha, beta], status="trialing").count() == 2
