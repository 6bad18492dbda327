"""Survey pages: the resident's form, thanks and results under /consultations/<slug>/surveys/, and the
staff builder and results under /manage/consultations/<slug>/surveys/.

The server decides everything: the form works without JavaScript (every question shown, conditional ones
with a note "answer only if ..."); a small script hides the questions whose condition is not met and
disables their inputs, which the service would ignore anyway. Forms post to their own address and
redirect (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from tenant_apps.consultations import forms_surveys, permissions, selectors
from tenant_apps.consultations.models import Consultation, Question, QuestionKind, Survey, SurveyResponse
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.services import surveys as services
from tenant_apps.consultations.views.common import staff_only

View = Callable[..., HttpResponse]


def _viewer_is_staff(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and permissions.is_staff(request.user))


def _consultation(request: HttpRequest, slug: str, *, staff: bool | None = None) -> Consultation:
    try:
        return selectors.consultation_get(slug=slug, staff=_viewer_is_staff(request) if staff is None else staff)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _survey(consultation: Consultation, survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id, consultation=consultation).first()
    if survey is None:
        raise Http404(_("This survey does not exist."))
    return survey


def _questions(survey: Survey) -> list[Question]:
    return list(Question.objects.filter(survey=survey).prefetch_related("choices").order_by("position", "id"))


def results_visible(request: HttpRequest, consultation: Consultation) -> bool:
    """Staff always; everybody once the consultation's results are published."""
    return consultation.phase == Phase.RESULTS or _viewer_is_staff(request)


# --- the resident's form ----------------------------------------------------------------------------------


def question_rows(
    questions: Sequence[Question],
    *,
    values: Mapping[int, Any] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """What the form template needs per question: number, options, condition (its question's number and
    label and the option), the values to show again and the errors."""
    values = values or {}
    errors = errors or {}
    by_id = {q.pk: q for q in questions}
    numbers = {q.pk: n for n, q in enumerate(questions, start=1)}
    rows = []
    for question in questions:
        choices = list(question.choices.all())
        condition = None
        parent = by_id.get(question.show_if_question_id or 0)
        if parent is not None and question.show_if_choice_id:
            option = next((c for c in parent.choices.all() if c.pk == question.show_if_choice_id), None)
            if option is not None:
                condition = {"question": parent, "number": numbers[parent.pk], "choice": option}
        value = values.get(question.pk, [] if question.kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING) else "")
        row: dict[str, Any] = {
            "question": question,
            "number": numbers[question.pk],
            "name": forms_surveys.field_name(question),
            "choices": choices,
            "condition": condition,
            "errors": list(errors.get(str(question.pk), [])),
            "value": value,
            # ids of what describes the question: its condition note, its help, its errors
            "describedby": " ".join(
                f"question-{question.pk}-{part}"
                for part, present in (
                    ("condition", condition),
                    ("help", question.help_text),
                    ("errors", errors.get(str(question.pk))),
                )
                if present
            ),
        }
        if question.kind == QuestionKind.RANKING:
            picked = list(value) if isinstance(value, list) else []
            row["ranks"] = [
                {"rank": rank, "selected": picked[rank - 1] if rank <= len(picked) else ""}
                for rank in range(1, forms_surveys.rank_positions(question) + 1)
            ]
        if question.kind == QuestionKind.SCALE:
            row["scale"] = [str(n) for n in range(question.scale_min, question.scale_max + 1)]
        rows.append(row)
    return rows


def _state(request: HttpRequest, consultation: Consultation, survey: Survey) -> tuple[str, str]:
    """("form" | "login" | "answered" | "closed" | "refused", reason)."""
    if not request.user.is_authenticated:
        if consultation.phase != Phase.OPEN:
            return "closed", _("This survey is closed.")
        return "login", ""
    if services.has_answered(survey=survey, user=request.user):
        return "answered", ""
    decision = permissions.participation_decision(request.user, consultation, "answer_survey")
    if not decision:
        if decision.code == "not_open":
            return "closed", _("This survey is closed.") if consultation.phase != Phase.DRAFT else decision.reason
        return "refused", decision.reason
    return "form", ""


def _form_page(
    request: HttpRequest,
    consultation: Consultation,
    survey: Survey,
    *,
    state: str,
    reason: str = "",
    rows: list[dict[str, Any]] | None = None,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    questions = _questions(survey)
    if rows is None:
        rows = question_rows(questions)
    summary = []
    if error is not None:
        numbers = {row["question"].pk: row for row in rows}
        for key, key_messages in error.fields.items():
            row = numbers.get(int(key)) if key.isdigit() else None
            for message in key_messages:
                summary.append(
                    {
                        "target": f"question-{key}" if row else "",
                        "label": f"Q{row['number']} {row['question'].label}" if row else "",
                        "message": message,
                    }
                )
    context = {
        "consultation": consultation,
        "survey": survey,
        "rows": rows,
        "state": state,
        "reason": reason,
        "error": error,
        "summary": summary,
        "results_visible": results_visible(request, consultation),
        "login_url": f"{reverse('account:login')}?{urlencode({'next': request.get_full_path()})}",
    }
    return render(request, "consultations/surveys/form.html", context, status=status)


@require_GET
def survey_list(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation(request, slug)
    surveys = list(
        Survey.objects.filter(consultation=consultation).annotate(n_questions=Count("questions")).order_by("position")
    )
    answered: set[int] = set()
    if request.user.is_authenticated:
        answered = set(
            SurveyResponse.objects.filter(survey__in=surveys, respondent_id=request.user.pk).values_list(
                "survey_id", flat=True
            )
        )
    context = {
        "consultation": consultation,
        "surveys": [(s, s.pk in answered) for s in surveys],
        "results_visible": results_visible(request, consultation),
    }
    return render(request, "consultations/surveys/list.html", context)


@require_http_methods(["GET", "POST"])
def survey_detail(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    """The survey: its form while open (a message otherwise), and the submission."""
    consultation = _consultation(request, slug)
    survey = _survey(consultation, survey_id)
    if request.method == "GET":
        state, reason = _state(request, consultation, survey)
        return _form_page(request, consultation, survey, state=state, reason=reason)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    questions = _questions(survey)
    answers = forms_surveys.parse_answers(questions, request.POST)
    try:
        services.response_submit(survey=survey, respondent=request.user, answers=answers)
    except ApplicationError as exc:
        if exc.code == "already_answered":
            return _form_page(request, consultation, survey, state="answered", status=409)
        if exc.code == "invalid_answers" or exc.fields:
            rows = question_rows(questions, values=forms_surveys.form_values(questions, answers), errors=exc.fields)
            return _form_page(request, consultation, survey, state="form", rows=rows, error=exc)
        state = "closed" if exc.code == "not_open" else "refused"
        return _form_page(
            request, consultation, survey, state=state, reason=exc.message, error=exc, status=exc.status_code
        )
    return redirect("consultations-surveys:thanks", slug=consultation.slug, survey_id=survey.pk)


@require_GET
def survey_thanks(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    consultation = _consultation(request, slug)
    survey = _survey(consultation, survey_id)
    if not services.has_answered(survey=survey, user=request.user):
        return redirect("consultations-surveys:detail", slug=consultation.slug, survey_id=survey.pk)
    context = {
        "consultation": consultation,
        "survey": survey,
        "results_visible": results_visible(request, consultation),
    }
    return render(request, "consultations/surveys/thanks.html", context)


def _results_page(request: HttpRequest, consultation: Consultation, survey: Survey, *, manage: bool) -> HttpResponse:
    results = services.survey_results(survey=survey)
    for entry in results:
        if entry["kind"] == QuestionKind.RANKING:
            entry["rank_numbers"] = list(range(1, entry["ranks"] + 1))
            entry["sorted_choices"] = sorted(entry["choices"], key=lambda c: (-c["score"], c["average_rank"] or 0))
    total = results[0]["responses"] if results else SurveyResponse.objects.filter(survey=survey).count()
    context = {
        "consultation": consultation,
        "survey": survey,
        "results": results,
        "total": total,
        "manage": manage,
        "published": consultation.phase == Phase.RESULTS,
    }
    return render(request, "consultations/surveys/results.html", context)


@require_GET
def survey_results(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    """Staff always; residents once the consultation's results are published (404 before)."""
    consultation = _consultation(request, slug)
    survey = _survey(consultation, survey_id)
    if not results_visible(request, consultation):
        raise Http404(_("The results of this survey are not published yet."))
    return _results_page(request, consultation, survey, manage=False)


# --- the staff builder ------------------------------------------------------------------------------------


def _add_errors(form: Any, exc: ApplicationError) -> None:
    """The service's errors next to the form's fields (or at the top when no field matches)."""
    aliases = {"show_if_question": "condition", "show_if_choice": "condition"}
    if not exc.fields:
        form.add_error(None, exc.message)
    for key, key_messages in exc.fields.items():
        name = aliases.get(key, key)
        for message in key_messages:
            form.add_error(name if name in form.fields else None, message)


def _manage_survey(request: HttpRequest, slug: str, survey_id: int) -> tuple[Consultation, Survey]:
    consultation = _consultation(request, slug, staff=True)
    return consultation, _survey(consultation, survey_id)


def _question(survey: Survey, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id, survey=survey).prefetch_related("choices").first()
    if question is None:
        raise Http404(_("This question does not exist."))
    return question


@staff_only
@require_http_methods(["GET", "POST"])
def manage_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The consultation's surveys, and a form to create one."""
    consultation = _consultation(request, slug, staff=True)
    form = forms_surveys.SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(
                consultation_id=consultation.pk,
                title=form.cleaned_data["title"],
                introduction=form.cleaned_data["introduction"],
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The survey is created: add its questions."))
            return redirect("consultations-surveys-manage:survey", slug=consultation.slug, survey_id=survey.pk)
    surveys = Survey.objects.filter(consultation=consultation).annotate(
        n_questions=Count("questions", distinct=True), n_responses=Count("responses", distinct=True)
    )
    context = {"consultation": consultation, "surveys": surveys.order_by("position", "id"), "form": form}
    return render(request, "consultations/surveys/manage_list.html", context)


@staff_only
@require_http_methods(["GET", "POST"])
def manage_survey(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    """The builder: the survey's title and introduction, its questions (edit, move, delete), add one."""
    consultation, survey = _manage_survey(request, slug, survey_id)
    form = forms_surveys.SurveyForm(
        request.POST or None, initial={"title": survey.title, "introduction": survey.introduction}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(
                survey_id=survey.pk, title=form.cleaned_data["title"], introduction=form.cleaned_data["introduction"]
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The survey is saved."))
            return redirect("consultations-surveys-manage:survey", slug=consultation.slug, survey_id=survey.pk)
    questions = _questions(survey)
    context = {
        "consultation": consultation,
        "survey": survey,
        "form": form,
        "rows": question_rows(questions),
        "responses": SurveyResponse.objects.filter(survey=survey).count(),
    }
    return render(request, "consultations/surveys/manage_survey.html", context)


def _back_to_builder(consultation: Consultation, survey: Survey) -> HttpResponse:
    return redirect("consultations-surveys-manage:survey", slug=consultation.slug, survey_id=survey.pk)


@staff_only
@require_POST
def manage_survey_delete(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    consultation, survey = _manage_survey(request, slug, survey_id)
    try:
        services.survey_delete(survey_id=survey.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back_to_builder(consultation, survey)
    messages.success(request, _("The survey is deleted."))
    return redirect("consultations-surveys-manage:list", slug=consultation.slug)


def _question_page(
    request: HttpRequest,
    consultation: Consultation,
    survey: Survey,
    form: forms_surveys.QuestionForm,
    *,
    question: Question | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "consultation": consultation,
        "survey": survey,
        "form": form,
        "question": question,
        "choices": list(question.choices.all()) if question else [],
        "has_responses": SurveyResponse.objects.filter(survey=survey).exists(),
    }
    return render(request, "consultations/surveys/manage_question.html", context, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def manage_question_new(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    consultation, survey = _manage_survey(request, slug, survey_id)
    form = forms_surveys.QuestionForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            services.question_add(
                survey_id=survey.pk,
                choices=form.cleaned_data["choices"] if kind in forms_surveys.CHOICE_KINDS else [],
                **form.service_fields(),
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The question is added."))
            return _back_to_builder(consultation, survey)
    return _question_page(request, consultation, survey, form)


@staff_only
@require_http_methods(["GET", "POST"])
def manage_question_edit(request: HttpRequest, slug: str, survey_id: int, question_id: int) -> HttpResponse:
    consultation, survey = _manage_survey(request, slug, survey_id)
    question = _question(survey, question_id)
    form = forms_surveys.QuestionForm(
        request.POST or None,
        survey=survey,
        question=question,
        initial=forms_surveys.QuestionForm.initial_for(question),
    )
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            services.question_update(
                question_id=question.pk,
                choices=form.cleaned_data["choices"] if kind in forms_surveys.CHOICE_KINDS else [],
                **form.service_fields(),
            )
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The question is saved."))
            return _back_to_builder(consultation, survey)
    return _question_page(request, consultation, survey, form, question=question)


@staff_only
@require_POST
def manage_question_delete(request: HttpRequest, slug: str, survey_id: int, question_id: int) -> HttpResponse:
    consultation, survey = _manage_survey(request, slug, survey_id)
    question = _question(survey, question_id)
    try:
        services.question_delete(question_id=question.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The question is deleted."))
    return _back_to_builder(consultation, survey)


@staff_only
@require_POST
def manage_question_move(request: HttpRequest, slug: str, survey_id: int, question_id: int) -> HttpResponse:
    """Move a question one place up or down (``direction``)."""
    consultation, survey = _manage_survey(request, slug, survey_id)
    question = _question(survey, question_id)
    order = [q.pk for q in _questions(survey)]
    index = order.index(question.pk)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        try:
            services.questions_reorder(survey_id=survey.pk, question_ids=order)
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return _back_to_builder(consultation, survey)


@staff_only
@require_POST
def manage_choice_rename(
    request: HttpRequest, slug: str, survey_id: int, question_id: int, choice_id: int
) -> HttpResponse:
    consultation, survey = _manage_survey(request, slug, survey_id)
    question = _question(survey, question_id)
    if not any(c.pk == choice_id for c in question.choices.all()):
        raise Http404
    form = forms_surveys.ChoiceRenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the option a label (at most 300 characters)."))
    else:
        try:
            services.choice_update(choice_id=choice_id, label=form.cleaned_data["label"])
        except ApplicationError as exc:
            messages.error(request, " ".join([exc.message, *(m for ms in exc.fields.values() for m in ms)]))
        else:
            messages.success(request, _("The option is renamed."))
    return redirect(
        "consultations-surveys-manage:question", slug=consultation.slug, survey_id=survey.pk, question_id=question.pk
    )


@staff_only
@require_GET
def manage_results(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    consultation, survey = _manage_survey(request, slug, survey_id)
    return _results_page(request, consultation, survey, manage=True)
