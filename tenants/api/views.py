"""Platform API (root host): the public list of cities; city API: the current city's profile."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination
from tenants.models import City


class CityOutputSerializer(serializers.Serializer[City]):
    slug = serializers.CharField()
    name = serializers.CharField()
    country = serializers.CharField()
    default_language = serializers.CharField()
    time_zone = serializers.CharField()
    brand_color = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, city: City) -> str:
        return city.absolute_url()


class CityListApi(APIView):
    """Active cities on the platform (root host)."""

    class FilterSerializer(serializers.Serializer[Any]):
        country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, help_text="ISO 3166 alpha-2 code.")
        search = serializers.CharField(required=False, max_length=100)

    @extend_schema(parameters=[FilterSerializer], responses=CityOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cities = City.objects.active().order_by("name")
        if country := filters.validated_data.get("country"):
            cities = cities.filter(country=country.upper())
        if search := filters.validated_data.get("search"):
            cities = cities.filter(name__icontains=search)
        paginator = Pagination()
        page = paginator.paginate_queryset(cities, request, view=self)
        data = CityOutputSerializer(page, many=True).data  # type: ignore[arg-type]
        return paginator.get_paginated_response(data)


class CurrentCityApi(APIView):
    """The city this host belongs to."""

    @extend_schema(responses=CityOutputSerializer)
    def get(self, request: Request) -> Response:
        django_request: HttpRequest = request._request
        return Response(CityOutputSerializer(django_request.city).data)  # type: ignore[attr-defined]
