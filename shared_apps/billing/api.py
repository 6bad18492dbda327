"""Operator billing API (root host, /api/v1/operator/billing/): what the console does, for scripts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import Pagination
from core.exceptions import NotFoundError
from shared_apps.billing import selectors, services
from shared_apps.billing.models import Invoice, InvoiceStatus, Payment, Subscription, SubscriptionStatus
from tenants.api.operator import OperatorApi


class SubscriptionOutput(serializers.ModelSerializer[Subscription]):
    city = serializers.CharField(source="city.slug", allow_null=True, default=None)
    city_name = serializers.CharField(source="city.name", allow_null=True, default=None)
    plan = serializers.CharField(source="plan.code")

    class Meta:
        model = Subscription
        fields = (
            "id", "city", "city_name", "plan", "status", "trial_ends_on", "current_period_start",
            "current_period_end", "credit_cents", "billing_email", "created_at",
        )  # fmt: skip


class InvoiceOutput(serializers.ModelSerializer[Invoice]):
    city = serializers.CharField(source="city.slug", allow_null=True, default=None)
    balance_cents = serializers.IntegerField()

    class Meta:
        model = Invoice
        fields = (
            "id", "number", "city", "kind", "status", "period_start", "period_end", "issued_on", "due_on",
            "currency", "subtotal_cents", "vat_rate", "vat_cents", "total_cents", "paid_cents", "balance_cents",
            "payment_reference",
        )  # fmt: skip


class PaymentOutput(serializers.ModelSerializer[Payment]):
    invoice = serializers.CharField(source="invoice.number")

    class Meta:
        model = Payment
        fields = ("id", "invoice", "amount_cents", "method", "received_on", "bank_reference", "recorded_by")


class SubscriptionListApi(OperatorApi):
    class FilterSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=SubscriptionStatus.choices, required=False)
        plan = serializers.SlugField(required=False)
        country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)
        q = serializers.CharField(required=False, max_length=100)

    @extend_schema(parameters=[FilterSerializer], responses=SubscriptionOutput(many=True))
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        subscriptions = selectors.subscription_list(
            status=data.get("status"), plan_code=data.get("plan"), country=data.get("country"), query=data.get("q")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(subscriptions, request, view=self)
        return paginator.get_paginated_response(SubscriptionOutput(page, many=True).data)


class SubscriptionTransitionApi(OperatorApi):
    class InputSerializer(serializers.Serializer[Any]):
        to_status = serializers.ChoiceField(choices=SubscriptionStatus.choices)
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses=SubscriptionOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_transition(
            subscription=_subscription(pk), actor=request.user.get_username(), **data.validated_data
        )
        return Response(SubscriptionOutput(subscription).data)


class SubscriptionPlanApi(OperatorApi):
    class InputSerializer(serializers.Serializer[Any]):
        plan = serializers.SlugField()

    @extend_schema(request=InputSerializer, responses=SubscriptionOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_change_plan(
            subscription=_subscription(pk),
            plan=selectors.plan_get(code=data.validated_data["plan"]),
            actor=request.user.get_username(),
        )
        return Response(SubscriptionOutput(subscription).data)


def _subscription(pk: int) -> Subscription:
    subscription = Subscription.objects.filter(pk=pk).first()
    if subscription is None:
        raise NotFoundError("No such subscription.")
    return subscription


class RevenueApi(OperatorApi):
    class OutputSerializer(serializers.Serializer[Any]):
        currency = serializers.CharField()
        mrr_cents = serializers.IntegerField()
        arr_cents = serializers.IntegerField()
        overdue_cents = serializers.IntegerField()
        overdue_count = serializers.IntegerField()
        open_cents = serializers.IntegerField()
        billable_subscriptions = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(selectors.revenue_overview(), many=True).data)


class InvoiceListApi(OperatorApi):
    class FilterSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
        overdue = serializers.BooleanField(required=False, default=False)

    @extend_schema(parameters=[FilterSerializer], responses=InvoiceOutput(many=True))
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        invoices = selectors.invoice_list(
            status=filters.validated_data.get("status"), overdue=filters.validated_data["overdue"]
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(invoices, request, view=self)
        return paginator.get_paginated_response(InvoiceOutput(page, many=True).data)


class InvoiceDetailApi(OperatorApi):
    @extend_schema(responses=InvoiceOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(InvoiceOutput(selectors.invoice_get(invoice_id=pk)).data)


class InvoiceVoidApi(OperatorApi):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses=InvoiceOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_void(
            invoice=selectors.invoice_get(invoice_id=pk), actor=request.user.get_username(), **data.validated_data
        )
        return Response(InvoiceOutput(invoice).data)


class PaymentReconcileApi(OperatorApi):
    """Record a bank transfer found on a statement, by the payment reference it carries."""

    class InputSerializer(serializers.Serializer[Any]):
        reference = serializers.CharField(max_length=64)
        amount_cents = serializers.IntegerField(min_value=1)
        received_on = serializers.DateField(required=False)
        bank_reference = serializers.CharField(max_length=140, required=False, default="")

    @extend_schema(request=InputSerializer, responses={201: PaymentOutput})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_reconcile_transfer(actor=request.user.get_username(), **data.validated_data)
        return Response(PaymentOutput(payment).data, status=status.HTTP_201_CREATED)
