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
from tenant_apps.budgets.models import BudgetProcess, Project, ProjectComment, ProjectMilestone
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
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    support_count = serializers.IntegerField()
    comment_count = serializers.IntegerField(help_text="Comments residents can read (hidden ones do not count).")


class ProjectImageOut(serializers.Serializer):
    url = serializers.CharField()
    content_type = serializers.CharField()


class MilestoneOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    planned_date = serializers.DateField()
    done_date = serializers.DateField(allow_null=True)
    position = serializers.IntegerField()


class FollowUpOut(serializers.Serializer):
    funded = serializers.BooleanField(help_text="Funded by the stored results: only these have a follow-up.")
    status = serializers.CharField(help_text="planned, in_progress, done, cancelled; empty until staff set it.")
    note = serializers.CharField()
    updated_at = serializers.DateTimeField(allow_null=True)
    milestones = MilestoneOut(many=True)


class ProjectDetailOut(ProjectOut):
    images = ProjectImageOut(many=True)
    supported = serializers.BooleanField(help_text="Whether the signed-in person supports this project.")
    follow_up = FollowUpOut()


class ProjectCommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    # DRF's metaclass takes declared fields off the class, so this "parent" never shadows Field.parent.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        allow_null=True, help_text="The top-level comment this one replies to."
    )
    author = serializers.CharField(allow_null=True, help_text="Display name; null for a former participant.")
    body = serializers.CharField(help_text="Plain text; empty when hidden or removed.")
    hidden = serializers.BooleanField()
    hidden_reason = serializers.CharField()
    removed = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ProjectSupportOut(serializers.Serializer):
    supported = serializers.BooleanField()
    support_count = serializers.IntegerField()


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
        latitude = serializers.DecimalField(
            max_digits=20, decimal_places=12, required=False, allow_null=True, help_text="-90 to 90."
        )
        longitude = serializers.DecimalField(
            max_digits=20, decimal_places=12, required=False, allow_null=True, help_text="-180 to 180."
        )
        images = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            default=list,
            help_text="Up to 3 JPEG, PNG or WebP images of 5 MB at most (multipart).",
        )

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
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            images=data.get("images") or [],
        )
        return Response(ProjectOut(project).data, status=status.HTTP_201_CREATED)


def _visible_project(request: Request, process_id: int, project_id: int) -> Project:
    """A project the requester may see (reviewed, or their own proposal); 404 otherwise."""
    process = _process(process_id)
    project = selectors.project_list_public(process=process, user=request.user).filter(pk=project_id).first()
    if project is None:
        raise Http404
    return project


def _milestone_data(milestone: ProjectMilestone) -> dict[str, Any]:
    return {
        "id": milestone.pk,
        "title": milestone.title,
        "description": milestone.description,
        "planned_date": milestone.planned_date,
        "done_date": milestone.done_date,
        "position": milestone.position,
    }


def _follow_up_data(project: Project) -> dict[str, Any]:
    process = project.process
    funded = common.results_published(process) and project.pk in selectors.funded_project_ids(process=process)
    milestones: list[ProjectMilestone] = list(selectors.milestone_list_qs().filter(project=project)) if funded else []
    return {
        "funded": funded,
        "status": project.follow_up_status,
        "note": project.follow_up_note,
        "updated_at": project.follow_up_updated_at,
        "milestones": [_milestone_data(m) for m in milestones],
    }


def _project_detail(request: Request, project: Project) -> dict[str, Any]:
    data = dict(ProjectOut(project).data)
    data["images"] = [
        {"url": request.build_absolute_uri(image.file.url), "content_type": image.content_type}
        for image in project.images.order_by("position", "id")
    ]
    data["supported"] = selectors.has_supported(project=project, user=request.user)
    data["follow_up"] = FollowUpOut(_follow_up_data(project)).data
    return data


class ProjectDetailApi(APIView):
    """One project: its location, images, supports, and (once funded) its follow-up and milestones."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ProjectDetailOut)
    def get(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _visible_project(request, process_id, project_id)
        # Built by hand (ProjectOut's own data plus the detail's parts); ProjectDetailOut documents it.
        return Response(_project_detail(request, project))


def _comment_data(comment: ProjectComment) -> dict[str, Any]:
    shown = comment.is_visible
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "author": comment.author.get_short_name() if comment.author and comment.removed_at is None else None,
        "body": comment.body if shown else "",
        "hidden": comment.hidden_at is not None,
        "hidden_reason": comment.hidden_reason if comment.hidden_at is not None else "",
        "removed": comment.removed_at is not None,
        "created_at": comment.created_at,
    }


class ProjectCommentsApi(APIView):
    """The comments of a project, oldest first, one page at a time (hidden ones stay as placeholders);
    POST comments or replies (``parent``), signed in, while proposals are made and reviewed."""

    pagination_class = Pagination

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=3000, help_text="Plain text, 1 to 3000 characters.")
        parent = serializers.IntegerField(  # type: ignore[assignment]  # see ProjectCommentOut.parent
            required=False, allow_null=True, default=None
        )

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(responses=ProjectCommentOut(many=True))
    def get(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _visible_project(request, process_id, project_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.comment_list(project=project), request, view=self) or []
        return paginator.get_paginated_response(ProjectCommentOut([_comment_data(c) for c in page], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ProjectCommentOut})
    def post(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _visible_project(request, process_id, project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_create(
            process_id=project.process_id,
            project_id=project.pk,
            author=request.user,
            body=serializer.validated_data["body"],
            parent_id=serializer.validated_data["parent"],
        )
        return Response(ProjectCommentOut(_comment_data(comment)).data, status=status.HTTP_201_CREATED)


class ProjectSupportApi(APIView):
    """My support of a project: PUT to support it (idempotent), DELETE to withdraw; proposals phase only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ProjectSupportOut)
    def put(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _visible_project(request, process_id, project_id)
        state = services.project_support(process_id=project.process_id, project_id=project.pk, user=request.user)
        return Response(ProjectSupportOut({"supported": state.supported, "support_count": state.support_count}).data)

    @extend_schema(request=None, responses=ProjectSupportOut)
    def delete(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _visible_project(request, process_id, project_id)
        state = services.project_unsupport(process_id=project.process_id, project_id=project.pk, user=request.user)
        return Response(ProjectSupportOut({"supported": state.supported, "support_count": state.support_count}).data)


def _project_of(process_id: int, project_id: int) -> Project:
    return get_object_or_404(Project.objects.select_related("process"), pk=project_id, process_id=process_id)


class ProjectFollowUpApi(APIView):
    """Staff: PUT the public follow-up status (and note) of a funded project (results and follow-up phases)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        status = serializers.CharField(help_text="planned, in_progress, done or cancelled.")
        note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required if cancelled.")

    @extend_schema(request=InputSerializer, responses=FollowUpOut)
    def put(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _project_of(process_id, project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_follow_up_set(
            project_id=project.pk,
            actor=request.user,
            status=serializer.validated_data["status"],
            note=serializer.validated_data["note"],
        )
        return Response(FollowUpOut(_follow_up_data(project)).data)


class MilestoneIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    planned_date = serializers.DateField()
    done_date = serializers.DateField(required=False, allow_null=True, default=None)
    position = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)


class MilestonePatchIn(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    planned_date = serializers.DateField(required=False)
    done_date = serializers.DateField(required=False, allow_null=True)
    position = serializers.IntegerField(required=False, min_value=0)


class ProjectMilestonesApi(APIView):
    """A funded project's milestones (GET, public, timeline order); staff POST a new one."""

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(responses=MilestoneOut(many=True))
    def get(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _visible_project(request, process_id, project_id)
        return Response(MilestoneOut(_follow_up_data(project)["milestones"], many=True).data)

    @extend_schema(request=MilestoneIn, responses={201: MilestoneOut})
    def post(self, request: Request, process_id: int, project_id: int) -> Response:
        project = _project_of(process_id, project_id)
        serializer = MilestoneIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        milestone = services.milestone_create(
            project_id=project.pk,
            actor=request.user,
            title=data["title"],
            description=data["description"],
            planned_date=data["planned_date"],
            done_date=data["done_date"],
            position=data["position"],
        )
        return Response(MilestoneOut(_milestone_data(milestone)).data, status=status.HTTP_201_CREATED)


class ProjectMilestoneApi(APIView):
    """Staff: PATCH (only the fields given change) or DELETE one milestone of a funded project."""

    permission_classes = [IsAuthenticated]

    @staticmethod
    def _milestone(process_id: int, project_id: int, milestone_id: int) -> ProjectMilestone:
        return get_object_or_404(
            ProjectMilestone, pk=milestone_id, project_id=project_id, project__process_id=process_id
        )

    @extend_schema(request=MilestonePatchIn, responses=MilestoneOut)
    def patch(self, request: Request, process_id: int, project_id: int, milestone_id: int) -> Response:
        milestone = self._milestone(process_id, project_id, milestone_id)
        serializer = MilestonePatchIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        merged = {**_milestone_data(milestone), **serializer.validated_data}
        updated = services.milestone_update(
            milestone_id=milestone.pk,
            actor=request.user,
            title=merged["title"],
            description=merged["description"],
            planned_date=merged["planned_date"],
            done_date=merged["done_date"],
            position=merged["position"],
        )
        return Response(MilestoneOut(_milestone_data(updated)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, process_id: int, project_id: int, milestone_id: int) -> Response:
        milestone = self._milestone(process_id, project_id, milestone_id)
        services.milestone_delete(milestone_id=milestone.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
