"""API /api/v1/consultations/<slug>/surveys/: read surveys, answer them, read results; staff build them.

Errors in the one shape of core.api (``{"error": {"code", "message", "fields"}}``); answer errors are keyed
by question id in ``fields``. A survey is only found through its consultation, in the host's city.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.consultations import permissions, selectors
from tenant_apps.consultations.models import Consultation, Question, QuestionKind, Survey
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import surveys as services

KINDS = "One of: " + ", ".join(f"`{value}`" for value in QuestionKind.values) + "."


# --- shapes -----------------------------------------------------------------------------------------------


class ChoiceOut(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField(help_text=KINDS)
    label = serializers.CharField()  # type: ignore[assignment]
    help_text = serializers.CharField()  # type: ignore[assignment]
    required = serializers.BooleanField()  # type: ignore[assignment]
    scale_min = serializers.IntegerField()
    scale_max = serializers.IntegerField()
    scale_min_label = serializers.CharField()
    scale_max_label = serializers.CharField()
    max_choices = serializers.IntegerField(allow_null=True)
    show_if_question = serializers.IntegerField(
        source="show_if_question_id", allow_null=True, help_text="Shown only when this question's answer…"
    )
    show_if_choice = serializers.IntegerField(
        source="show_if_choice_id", allow_null=True, help_text="…includes this option (null: always shown)."
    )
    choices = ChoiceOut(many=True, source="choices.all")


class SurveyOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    introduction = serializers.CharField(help_text="Sanitised HTML.")
    position = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class SurveyDetailOut(SurveyOut):
    questions = QuestionOut(many=True)
    answered = serializers.BooleanField(help_text="Whether the signed-in viewer already answered (false if anonymous).")
    results_published = serializers.BooleanField()


class ResponseOut(serializers.Serializer):
    id = serializers.IntegerField()
    survey = serializers.IntegerField(source="survey_id")
    submitted_at = serializers.DateTimeField(source="created_at")


class ResultChoiceOut(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField(required=False, help_text="Single and multiple choice.")
    percent = serializers.FloatField(
        help_text="Share of the people who answered (choices) or of the best score (ranking)."
    )
    counts = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Ranking: people per rank, first rank first."
    )
    ranked = serializers.IntegerField(required=False)
    average_rank = serializers.FloatField(required=False, allow_null=True)
    score = serializers.IntegerField(required=False, help_text="Ranking: Borda score (first of N ranks: N points).")


class HistogramOut(serializers.Serializer):
    value = serializers.IntegerField()
    count = serializers.IntegerField()
    percent = serializers.FloatField()


class ResultOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.CharField(help_text=KINDS)
    required = serializers.BooleanField()  # type: ignore[assignment]
    answered = serializers.IntegerField(help_text="Responses that answered this question.")
    responses = serializers.IntegerField(help_text="All the survey's responses.")
    choices = ResultChoiceOut(many=True, required=False)
    ranks = serializers.IntegerField(required=False)
    scale_min = serializers.IntegerField(required=False)
    scale_max = serializers.IntegerField(required=False)
    scale_min_label = serializers.CharField(required=False)
    scale_max_label = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False)
    mean = serializers.FloatField(required=False, allow_null=True)
    histogram = HistogramOut(many=True, required=False)
    texts = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="The latest 50 texts (plain text: escape them)."
    )


# --- helpers ----------------------------------------------------------------------------------------------


def _viewer_is_staff(request: Request) -> bool:
    return bool(request.user and request.user.is_authenticated and permissions.is_staff(request.user))


def _consultation(request: Request, slug: str) -> Consultation:
    return selectors.consultation_get(slug=slug, staff=_viewer_is_staff(request))


def _survey(request: Request, slug: str, survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id, consultation=_consultation(request, slug)).first()
    if survey is None:
        raise ApplicationError(_("This survey does not exist."), code="not_found", status_code=404)
    return survey


def _require_staff(request: Request) -> None:
    permissions.staff_require(request.user.pk if request.user and request.user.is_authenticated else None)


def _question(survey: Survey, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id, survey=survey).prefetch_related("choices").first()
    if question is None:
        raise ApplicationError(_("This question does not exist."), code="not_found", status_code=404)
    return question


def _detail(request: Request, survey: Survey) -> dict[str, Any]:
    questions = Question.objects.filter(survey=survey).prefetch_related("choices").order_by("position", "id")
    return {
        "id": survey.pk,
        "title": survey.title,
        "introduction": survey.introduction,
        "position": survey.position,
        "created_at": survey.created_at,
        "questions": list(questions),
        "answered": services.has_answered(survey=survey, user=request.user),
        "results_published": survey.consultation.phase == Phase.RESULTS,
    }


class _WritesNeedSignIn(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]


# --- surveys ----------------------------------------------------------------------------------------------


class SurveyListApi(_WritesNeedSignIn):
    """The consultation's surveys; POST creates one (staff)."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        introduction = serializers.CharField(required=False, allow_blank=True, default="", help_text="HTML, sanitised.")

    @extend_schema(responses=SurveyOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        consultation = _consultation(request, slug)
        surveys = Survey.objects.filter(consultation=consultation).order_by("position", "id")
        return Response(SurveyOut(surveys, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: SurveyOut})
    def post(self, request: Request, slug: str) -> Response:
        _require_staff(request)
        consultation = _consultation(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        survey = services.survey_create(consultation_id=consultation.pk, **serializer.validated_data)
        return Response(SurveyOut(survey).data, status=status.HTTP_201_CREATED)


class SurveyDetailApi(_WritesNeedSignIn):
    """A survey with its questions, options and conditions; PATCH and DELETE for staff."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False)
        introduction = serializers.CharField(required=False, allow_blank=True, help_text="HTML, sanitised.")

    @extend_schema(responses=SurveyDetailOut)
    def get(self, request: Request, slug: str, survey_id: int) -> Response:
        survey = _survey(request, slug, survey_id)
        return Response(SurveyDetailOut(_detail(request, survey)).data)

    @extend_schema(request=InputSerializer, responses=SurveyDetailOut)
    def patch(self, request: Request, slug: str, survey_id: int) -> Response:
        _require_staff(request)
        survey = _survey(request, slug, survey_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        survey = services.survey_update(survey_id=survey.pk, **serializer.validated_data)
        return Response(SurveyDetailOut(_detail(request, survey)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str, survey_id: int) -> Response:
        _require_staff(request)
        services.survey_delete(survey_id=_survey(request, slug, survey_id).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SurveyResponseApi(APIView):
    """Answer the survey (once): ``answers`` maps question ids to values."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        answers = serializers.DictField(
            child=serializers.JSONField(allow_null=True),
            help_text=(
                "Question id -> value: an option id (single), a list of option ids (multiple), a list of option "
                "ids in preference order (ranking), an integer (scale) or a text. Answers to questions hidden by "
                "their condition are ignored."
            ),
        )

    @extend_schema(request=InputSerializer, responses={201: ResponseOut})
    def post(self, request: Request, slug: str, survey_id: int) -> Response:
        survey = _survey(request, slug, survey_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = services.response_submit(
            survey=survey, respondent=cast(User, request.user), answers=serializer.validated_data["answers"]
        )
        return Response(ResponseOut(response).data, status=status.HTTP_201_CREATED)


class SurveyResultsApi(APIView):
    """Counts per question: staff always, everybody once the consultation's results are published."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ResultOut(many=True))
    def get(self, request: Request, slug: str, survey_id: int) -> Response:
        survey = _survey(request, slug, survey_id)
        if survey.consultation.phase != Phase.RESULTS and not _viewer_is_staff(request):
            raise ApplicationError(
                _("The results of this survey are not published yet."), code="results_not_published", status_code=409
            )
        return Response(ResultOut(services.survey_results(survey=survey), many=True).data)


# --- questions (staff) ------------------------------------------------------------------------------------


class _QuestionFields(serializers.Serializer):
    kind = serializers.CharField(help_text=KINDS)
    label = serializers.CharField(max_length=500)  # type: ignore[assignment]
    help_text = serializers.CharField(max_length=500, required=False, allow_blank=True)  # type: ignore[assignment]
    required = serializers.BooleanField(required=False)  # type: ignore[assignment]
    choices = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, help_text="Option labels, in order."
    )
    scale_min = serializers.IntegerField(required=False)
    scale_max = serializers.IntegerField(required=False)
    scale_min_label = serializers.CharField(max_length=80, required=False, allow_blank=True)
    scale_max_label = serializers.CharField(max_length=80, required=False, allow_blank=True)
    max_choices = serializers.IntegerField(required=False, allow_null=True)
    show_if_question = serializers.IntegerField(required=False, allow_null=True)
    show_if_choice = serializers.IntegerField(required=False, allow_null=True)


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    renamed = {"show_if_question": "show_if_question_id", "show_if_choice": "show_if_choice_id"}
    return {renamed.get(key, key): value for key, value in data.items()}


class QuestionListApi(APIView):
    """Append a question (staff)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(_QuestionFields):
        pass

    @extend_schema(request=InputSerializer, responses={201: QuestionOut})
    def post(self, request: Request, slug: str, survey_id: int) -> Response:
        _require_staff(request)
        survey = _survey(request, slug, survey_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = services.question_add(survey_id=survey.pk, **_service_fields(dict(serializer.validated_data)))
        return Response(QuestionOut(_question(survey, question.pk)).data, status=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    """Change (PATCH: only the fields given; ``choices`` is the full list of labels) or delete a question."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(_QuestionFields):
        kind = serializers.CharField(help_text=KINDS, required=False)
        label = serializers.CharField(max_length=500, required=False)

    @extend_schema(request=InputSerializer, responses=QuestionOut)
    def patch(self, request: Request, slug: str, survey_id: int, question_id: int) -> Response:
        _require_staff(request)
        survey = _survey(request, slug, survey_id)
        question = _question(survey, question_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.question_update(question_id=question.pk, **_service_fields(dict(serializer.validated_data)))
        return Response(QuestionOut(_question(survey, question.pk)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str, survey_id: int, question_id: int) -> Response:
        _require_staff(request)
        question = _question(_survey(request, slug, survey_id), question_id)
        services.question_delete(question_id=question.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuestionOrderApi(APIView):
    """Put the questions in this order (every question id once)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        question_ids = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(request=InputSerializer, responses=QuestionOut(many=True))
    def put(self, request: Request, slug: str, survey_id: int) -> Response:
        _require_staff(request)
        survey = _survey(request, slug, survey_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.questions_reorder(survey_id=survey.pk, question_ids=serializer.validated_data["question_ids"])
        questions = Question.objects.filter(survey=survey).prefetch_related("choices").order_by("position", "id")
        return Response(QuestionOut(questions, many=True).data)


class ChoiceDetailApi(APIView):
    """Rename an option (allowed once people answered)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        label = serializers.CharField(max_length=300)  # type: ignore[assignment]

    @extend_schema(request=InputSerializer, responses=ChoiceOut)
    def patch(self, request: Request, slug: str, survey_id: int, question_id: int, choice_id: int) -> Response:
        _require_staff(request)
        question = _question(_survey(request, slug, survey_id), question_id)
        if not any(choice.pk == choice_id for choice in question.choices.all()):
            raise ApplicationError(_("This option does not exist."), code="not_found", status_code=404)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        choice = services.choice_update(choice_id=choice_id, label=serializer.validated_data["label"])
        return Response(ChoiceOut(choice).data)
