"""Operator API (root host): the console's actions for scripts. Token or session of an operator."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination
from core.exceptions import NotFoundError
from tenants import operations, services
from tenants.models import City, CityExport, CityStatus, JobStatus, ProvisioningJob
from tenants.provisioning import provisioning_request


class IsOperator(BasePermission):
    message = "Operators only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class OperatorApi(APIView):
    permission_classes = [IsOperator]


class OperatorCitySerializer(serializers.ModelSerializer[City]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = City
        fields = (
            "slug",
            "name",
            "status",
            "country",
            "default_language",
            "time_zone",
            "schema_name",
            "created_at",
            "url",
        )

    def get_url(self, city: City) -> str:
        return city.absolute_url()


class JobSerializer(serializers.ModelSerializer[ProvisioningJob]):
    city: serializers.SlugRelatedField[City] = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ProvisioningJob
        fields = (
            "public_id",
            "slug",
            "name",
            "status",
            "steps",
            "error",
            "attempts",
            "used_pool",
            "city",
            "source",
            "created_at",
            "started_at",
            "finished_at",
        )


class ExportSerializer(serializers.ModelSerializer[CityExport]):
    download_url = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    progress_label = serializers.SerializerMethodField()

    class Meta:
        model = CityExport
        fields = (
            "public_id",
            "city_slug",
            "status",
            "percent",
            "progress_label",
            "size_bytes",
            "sha256",
            "error",
            "requested_by",
            "created_at",
            "finished_at",
            "download_url",
        )

    def get_percent(self, export: CityExport) -> int:
        return operations.export_percent(export)

    def get_progress_label(self, export: CityExport) -> str:
        return operations.export_progress(export)[2]

    def get_download_url(self, export: CityExport) -> str | None:
        if export.status != JobStatus.SUCCEEDED:
            return None
        request = self.context.get("request")
        path = reverse("console:export-download", args=[export.public_id])
        url = f"{path}?token={operations.export_download_token(export)}"
        return request.build_absolute_uri(url) if request else url


class CityListCreateApi(OperatorApi):
    class FilterSerializer(serializers.Serializer[Any]):
        q = serializers.CharField(required=False, max_length=100)
        status = serializers.ChoiceField(choices=CityStatus.choices, required=False)
        country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)

    class InputSerializer(serializers.Serializer[Any]):
        slug = serializers.CharField(max_length=40)
        name = serializers.CharField(max_length=200)
        admin_email = serializers.EmailField()
        country = serializers.RegexField(r"^[A-Za-z]{2}$", default="FR")
        language = serializers.CharField(default="fr")
        time_zone = serializers.CharField(default="Europe/Paris")

    @extend_schema(parameters=[FilterSerializer], responses=OperatorCitySerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cities = City.objects.order_by("name")
        data = filters.validated_data
        if data.get("q"):
            cities = cities.filter(Q(name__icontains=data["q"]) | Q(slug__icontains=data["q"]))
        if data.get("status"):
            cities = cities.filter(status=data["status"])
        if data.get("country"):
            cities = cities.filter(country=data["country"].upper())
        paginator = Pagination()
        page = paginator.paginate_queryset(cities, request, view=self)
        return paginator.get_paginated_response(OperatorCitySerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={202: JobSerializer})
    def post(self, request: Request) -> Response:
        from tenants.tasks import provision_city_task

        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = provisioning_request(
            **data.validated_data, source=ProvisioningJob.Source.API, requested_by=request.user.get_username()
        )
        transaction.on_commit(
            lambda: provision_city_task.apply_async(kwargs={"job_id": job.id}, headers={"_schema_name": "public"})
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CityDetailApi(OperatorApi):
    class DeleteSerializer(serializers.Serializer[Any]):
        export_id = serializers.UUIDField(help_text="A finished export of this city, recent enough.")
        confirm = serializers.CharField(help_text="The city's subdomain, typed again.")

    @extend_schema(responses=OperatorCitySerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(OperatorCitySerializer(operations.city_get(slug=slug)).data)

    @extend_schema(request=DeleteSerializer, responses={204: None})
    def delete(self, request: Request, slug: str) -> Response:
        city = operations.city_get(slug=slug)
        data = self.DeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        operations.city_delete(
            city=city,
            export_public_id=str(data.validated_data["export_id"]),
            confirm_slug=data.validated_data["confirm"],
            deleted_by=request.user.get_username(),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CitySuspendApi(OperatorApi):
    @extend_schema(request=None, responses=OperatorCitySerializer)
    def post(self, request: Request, slug: str) -> Response:
        city = services.city_suspend(city=operations.city_get(slug=slug))
        return Response(OperatorCitySerializer(city).data)


class CityResumeApi(OperatorApi):
    @extend_schema(request=None, responses=OperatorCitySerializer)
    def post(self, request: Request, slug: str) -> Response:
        city = services.city_resume(city=operations.city_get(slug=slug))
        return Response(OperatorCitySerializer(city).data)


class CityExportsApi(OperatorApi):
    @extend_schema(responses=ExportSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        city = operations.city_get(slug=slug)
        exports = city.exports.all()[:50]
        return Response(ExportSerializer(exports, many=True, context={"request": request}).data)

    @extend_schema(request=None, responses={202: ExportSerializer})
    def post(self, request: Request, slug: str) -> Response:
        export = operations.export_request(
            city=operations.city_get(slug=slug), requested_by=request.user.get_username()
        )
        return Response(ExportSerializer(export, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(OperatorApi):
    @extend_schema(responses=ExportSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        export = CityExport.objects.filter(public_id=public_id).first()
        if export is None:
            raise NotFoundError("No such export.")
        return Response(ExportSerializer(export, context={"request": request}).data)


class JobDetailApi(OperatorApi):
    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        job = ProvisioningJob.objects.filter(public_id=public_id).first()
        if job is None:
            raise NotFoundError("No such job.")
        return Response(JobSerializer(job).data)
