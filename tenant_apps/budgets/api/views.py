"""City API /api/v1/budgets/: session or token auth; errors in the one shape of core.api.

Lists are paginated by page number (``?page=``, ``?page_size=`` up to 100, 20 by default) and answer
``{"count", "next", "previous", "results"}``: ``pagination_class`` both paginates and tells
drf-spectacular to document that envelope and the two query parameters.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination
from core.exceptions import ApplicationError
from tenant_apps.budgets import selectors, services
from tenant_apps.budgets.models import BudgetProcess
from tenant_apps.budgets.views import common


class ProcessOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    phase = serializers.CharField()
    total_budget = serializers.IntegerField(help_text="Minor units (cents).")
    citywide_budget = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    ballot_kind = serializers.CharField()
    results_rule = serializers.CharField()
    min_projects = serializers.IntegerField()
    max_projects = serializers.IntegerField(allow_null=True)
    points_total = serializers.IntegerField(allow_null=True)
    ranks = serializers.IntegerField(allow_null=True)


class ProjectOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    cost = serializers.IntegerField(help_text="Minor units: the official cost once reviewed.")
    status = serializers.CharField()
    public_reason = serializers.CharField()
    district = serializers.CharField(source="district.code", allow_null=True, default=None)
    category = serializers.CharField(source="category.name", allow_null=True, default=None)


class ChoiceIn(serializers.Serializer):
    project = serializers.IntegerField()
    points = serializers.IntegerField(min_value=0, default=1)
    rank = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class BallotIn(serializers.Serializer):
    choices = ChoiceIn(many=True)


class BallotStatusOut(serializers.Serializer):
    has_voted = serializers.BooleanField()
    receipt = serializers.CharField(allow_null=True)
    choices = ChoiceIn(many=True)


class PotOut(serializers.Serializer):
    district = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    rule = serializers.CharField()
    budget = serializers.IntegerField()
    money_used = serializers.IntegerField()
    ballot_count = serializers.IntegerField()
    ballots_digest = serializers.CharField()
    selected = serializers.ListField(child=serializers.IntegerField())
    votes = serializers.DictField(child=serializers.IntegerField())
    what_if = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def _process(process_id: int) -> BudgetProcess:
    return get_object_or_404(BudgetProcess, pk=process_id)


def _paginated(view: APIView, request: Request, queryset: Any, serializer: type[serializers.Serializer]) -> Response:
    """One page of ``queryset``: a COUNT and one SELECT, whatever the page size (related rows must be
    joined by the caller's ``select_related``)."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view) or []
    return paginator.get_paginated_response(serializer(page, many=True).data)


class ProcessListApi(APIView):
    """Every participatory budget of the city, newest first, one page at a time."""

    permission_classes = [AllowAny]
    pagination_class = Pagination

    @extend_schema(responses=ProcessOut(many=True))
    def get(self, request: Request) -> Response:
        return _paginated(self, request, selectors.process_list(), ProcessOut)


class ProcessDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProcessOut)
    def get(self, request: Request, process_id: int) -> Response:
        return Response(ProcessOut(_process(process_id)).data)


class ProjectListApi(APIView):
    """Public projects of a process (the signed-in author also sees their pending proposals), by id, one
    page at a time; POST proposes one (proposals phase, signed in)."""

    pagination_class = Pagination

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        estimated_cost = serializers.IntegerField(help_text="Minor units (cents).")
        district = serializers.IntegerField(required=False, allow_null=True)
        category = serializers.IntegerField(required=False, allow_null=True)

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(responses=ProjectOut(many=True))
    def get(self, request: Request, process_id: int) -> Response:
        projects = selectors.project_list_public(process=_process(process_id), user=request.user)
        return _paginated(self, request, projects, ProjectOut)

    @extend_schema(request=InputSerializer, responses={201: ProjectOut})
    def post(self, request: Request, process_id: int) -> Response:
        process = _process(process_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = services.project_submit(
            process_id=process.pk,
            author=request.user,
            title=data["title"],
            description=data["description"],
            estimated_cost=data["estimated_cost"],
            district_id=data.get("district"),
            category_id=data.get("category"),
        )
        return Response(ProjectOut(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProjectOut)
    def get(self, request: Request, process_id: int, project_id: int) -> Response:
        process = _process(process_id)
        project = selectors.project_list_public(process=process, user=request.user).filter(pk=project_id).first()
        if project is None:
            raise Http404
        return Response(ProjectOut(project).data)


def _ballot_status(process: BudgetProcess, user: Any) -> dict[str, Any]:
    ballot = common.my_ballot(process, user)
    return {
        "has_voted": ballot is not None,
        "receipt": ballot.receipt if ballot else None,
        "choices": [
            {"project": c.project_id, "points": c.points, "rank": c.rank}
            for c in (ballot.choices.all() if ballot else [])
        ],
    }


class BallotApi(APIView):
    """My ballot: GET its status, PUT (or POST) to cast or revise it; the last one counts."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BallotStatusOut)
    def get(self, request: Request, process_id: int) -> Response:
        return Response(_ballot_status(_process(process_id), request.user))

    @extend_schema(request=BallotIn, responses=BallotStatusOut)
    def put(self, request: Request, process_id: int) -> Response:
        process = _process(process_id)
        serializer = BallotIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        choices = [
            services.Choice(project_id=c["project"], points=c["points"], rank=c.get("rank"))
            for c in serializer.validated_data["choices"]
        ]
        services.ballot_cast(process_id=process.pk, voter=request.user, choices=choices)
        return Response(_ballot_status(process, request.user))

    @extend_schema(request=BallotIn, responses=BallotStatusOut)
    def post(self, request: Request, process_id: int) -> Response:
        return self.put(request, process_id)


class ResultsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=PotOut(many=True))
    def get(self, request: Request, process_id: int) -> Response:
        process = _process(process_id)
        if not common.results_published(process):
            raise ApplicationError("The results are not published yet.", code="results_not_published", status_code=409)
        votes = common.votes_per_project(process)
        data = []
        for section in common.results_view(process):
            result = section["result"]
            data.append(
                {
                    "district": section["district"].code if section["district"] else None,
                    "status": result.status if result else None,
                    "rule": result.rule if result else process.results_rule,
                    "budget": result.budget if result else 0,
                    "money_used": result.money_used if result else 0,
                    "ballot_count": result.ballot_count if result else 0,
                    "ballots_digest": result.ballots_digest if result else "",
                    "selected": [p.pk for p in section["funded"]],
                    "votes": {str(bar["project"].pk): votes.get(bar["project"].pk, 0) for bar in section["bars"]},
                    "what_if": section["what_if"],
                }
            )
        return Response(PotOut(data, many=True).data)
