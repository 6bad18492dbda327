"""Surveys inside a consultation: building them (staff), answering them (residents), counting the answers.

Integrity rules, and where each one lives:

* one response per person: the ``consultations_one_response_per_person`` unique constraint (a race
  between two submissions ends in one row and a 409 "already_answered"), plus accounts' participation
  marker keyed on the survey, which also catches a verified person answering again from a new account;
* a survey that has responses keeps its shape: builder services lock the survey row ``FOR UPDATE``
  before checking for responses, and ``response_submit`` locks it ``FOR KEY SHARE`` (which conflicts
  with ``FOR UPDATE`` only, so responses do not wait for each other) *before* reading the questions it
  validates against. The lock is taken explicitly: Django's foreign keys are ``DEFERRABLE INITIALLY
  DEFERRED``, so the insert's own foreign key check only runs at commit, too late to order anything
  (tests/.../test_surveys_concurrency.py caught exactly that race);
* the consultation row is read ``FOR SHARE`` while a response is recorded, so the phase cannot close
  under a response being written (concurrent responses do not block each other);
* conditional display: a question is shown when its condition's question is shown and that question's
  answer includes the condition's choice. Answers to hidden questions are ignored and not stored, and
  "required" only applies to shown questions. Conditions always point to an earlier question of kind
  single or multiple, so one pass in position order decides everything.

Results are counted with a fixed number of ``GROUP BY`` queries per survey, whatever the number of
responses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError
from core.models import User
from tenant_apps.consultations import accounts_adapter, permissions
from tenant_apps.consultations.models import (
    Answer,
    Choice,
    Consultation,
    Question,
    QuestionKind,
    Survey,
    SurveyResponse,
)
from tenant_apps.consultations.sanitize import clean_html

CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING})
# Kinds a condition may test ("show B when A = x").
CONDITION_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
MAX_QUESTIONS = 200
MAX_CHOICES = 100
MAX_SCALE_SPAN = 10
SCALE_BOUND = 1000  # |scale_min|, |scale_max| (stored as small integers)
MAX_TEXT = 5_000
LATEST_TEXTS = 50
UNIQUE_RESPONSE = "consultations_one_response_per_person"

# Fields question_update accepts besides ``choices``.
QUESTION_FIELDS = frozenset(
    {
        "kind",
        "label",
        "help_text",
        "required",
        "scale_min",
        "scale_max",
        "scale_min_label",
        "scale_max_label",
        "max_choices",
        "show_if_question_id",
        "show_if_choice_id",
    }
)


# --- helpers ----------------------------------------------------------------------------------------------


def _not_found(what: str) -> ApplicationError:
    return ApplicationError(what, code="not_found", status_code=404)


def _lock_survey(survey_id: int) -> Survey:
    """The survey row, locked FOR UPDATE: no response can be inserted until this transaction ends."""
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None:
        raise _not_found(_("This survey does not exist."))
    return survey


def _has_responses(survey: Survey) -> bool:
    return SurveyResponse.objects.filter(survey=survey).exists()


def _locked_error(fields: Mapping[str, Sequence[str]] | None = None) -> ApplicationError:
    return ApplicationError(
        _("People have already answered this survey: this change would break their answers."),
        code="survey_has_responses",
        fields=fields,
        status_code=409,
    )


def _order_key(question: Question) -> tuple[int, int]:
    return (question.position, question.pk)


def _clean_labels(labels: Iterable[Any]) -> list[str]:
    return [str(label).strip() for label in labels if str(label).strip()]


def _choice_label_errors(labels: list[str]) -> list[str]:
    errors: list[str] = []
    if len(labels) < 2:
        errors.append(_("Give at least two options."))
    if len(labels) > MAX_CHOICES:
        errors.append(_("Give at most %(n)d options.") % {"n": MAX_CHOICES})
    if any(len(label) > 300 for label in labels):
        errors.append(_("Keep each option under 300 characters."))
    folded = [label.casefold() for label in labels]
    if len(set(folded)) != len(folded):
        errors.append(_("Each option must be different."))
    return errors


@dataclass
class _Spec:
    """The values of a question being added or updated, checked together."""

    kind: str
    label: str
    help_text: str = ""
    required: bool = False
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: str = ""
    scale_max_label: str = ""
    max_choices: int | None = None
    show_if_question_id: int | None = None
    show_if_choice_id: int | None = None

    @classmethod
    def of(cls, question: Question) -> _Spec:
        return cls(
            kind=question.kind,
            label=question.label,
            help_text=question.help_text,
            required=question.required,
            scale_min=question.scale_min,
            scale_max=question.scale_max,
            scale_min_label=question.scale_min_label,
            scale_max_label=question.scale_max_label,
            max_choices=question.max_choices,
            show_if_question_id=question.show_if_question_id,
            show_if_choice_id=question.show_if_choice_id,
        )


def _as_int(value: Any) -> int | None:
    """An int from an int or a string of digits (never from a bool or a float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    return None


def _normalise_spec(spec: _Spec) -> None:
    spec.label = (spec.label or "").strip()
    spec.help_text = (spec.help_text or "").strip()
    spec.scale_min_label = (spec.scale_min_label or "").strip()
    spec.scale_max_label = (spec.scale_max_label or "").strip()
    spec.required = bool(spec.required)


def _spec_errors(
    spec: _Spec, *, survey: Survey, choice_count: int, question: Question | None = None
) -> dict[str, list[str]]:
    """Field -> messages for everything wrong with ``spec`` (empty when valid).

    ``question`` is the question being updated (None when adding: it will be the last one).
    """
    errors: dict[str, list[str]] = defaultdict(list)
    if spec.kind not in QuestionKind.values:
        errors["kind"].append(_("Choose a kind of question."))
    if not spec.label:
        errors["label"].append(_("Write the question."))
    elif len(spec.label) > 500:
        errors["label"].append(_("Keep the question under 500 characters."))
    if len(spec.help_text) > 500:
        errors["help_text"].append(_("Keep the help under 500 characters."))
    if spec.kind == QuestionKind.SCALE:
        low, high = _as_int(spec.scale_min), _as_int(spec.scale_max)
        if low is None or high is None or abs(low) > SCALE_BOUND or abs(high) > SCALE_BOUND:
            errors["scale_min"].append(_("Enter whole numbers between -1000 and 1000."))
        elif low >= high:
            errors["scale_max"].append(_("The top of the scale must be greater than its bottom."))
        elif high - low > MAX_SCALE_SPAN:
            errors["scale_max"].append(_("A scale spans at most %(n)d steps.") % {"n": MAX_SCALE_SPAN})
        for name in ("scale_min_label", "scale_max_label"):
            if len(getattr(spec, name)) > 80:
                errors[name].append(_("Keep this label under 80 characters."))
    if spec.max_choices is not None:
        max_choices = _as_int(spec.max_choices)
        if spec.kind not in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
            errors["max_choices"].append(_("Only multiple choice and ranking questions have a maximum."))
        elif max_choices is None or max_choices < 1:
            errors["max_choices"].append(_("Enter a whole number of at least 1."))
        elif choice_count and max_choices > choice_count:
            errors["max_choices"].append(
                _("The maximum cannot exceed the number of options (%(n)d).") % {"n": choice_count}
            )
    errors.update(_condition_errors(spec, survey=survey, question=question))
    return {key: value for key, value in errors.items() if value}


def _condition_errors(spec: _Spec, *, survey: Survey, question: Question | None) -> dict[str, list[str]]:
    q_id, c_id = spec.show_if_question_id, spec.show_if_choice_id
    if q_id is None and c_id is None:
        return {}
    if q_id is None:
        return {"show_if_question": [_("Choose the question this one depends on.")]}
    if c_id is None:
        return {"show_if_choice": [_("Choose the answer that shows this question.")]}
    target = Question.objects.filter(pk=q_id, survey=survey).first()
    if target is None or (question is not None and target.pk == question.pk):
        return {"show_if_question": [_("Choose an earlier question of this survey.")]}
    if question is not None and _order_key(target) >= _order_key(question):
        return {"show_if_question": [_("A question can only depend on an earlier question.")]}
    if target.kind not in CONDITION_KINDS:
        return {"show_if_question": [_("A question can only depend on a single or multiple choice question.")]}
    if not Choice.objects.filter(pk=c_id, question=target).exists():
        return {"show_if_choice": [_("Choose one of the options of that question.")]}
    return {}


def _invalid_question(errors: Mapping[str, Sequence[str]]) -> ApplicationError:
    return ApplicationError(_("The question is not valid."), code="invalid_question", fields=errors)


def _dependents(question: Question) -> list[Question]:
    return list(Question.objects.filter(show_if_question=question).order_by("position", "id"))


# --- building (staff) -------------------------------------------------------------------------------------


@transaction.atomic
def survey_create(*, consultation_id: int, title: str, introduction: str = "") -> Survey:
    """A new, empty survey at the end of the consultation's surveys. ``introduction`` is rich text,
    sanitised here."""
    consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
    if consultation is None:
        raise _not_found(_("This consultation does not exist."))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ApplicationError(
            _("Give the survey a title (at most 200 characters)."),
            code="invalid_survey",
            fields={"title": [_("Give the survey a title (at most 200 characters).")]},
        )
    last = Survey.objects.filter(consultation=consultation).aggregate(m=Max("position"))["m"]
    return Survey.objects.create(
        consultation=consultation,
        title=title,
        introduction=clean_html(introduction),
        position=0 if last is None else last + 1,
    )


@transaction.atomic
def survey_update(*, survey_id: int, title: str | None = None, introduction: str | None = None) -> Survey:
    """Fix a survey's title or introduction (allowed even once people answered)."""
    survey = _lock_survey(survey_id)
    if title is not None:
        title = title.strip()
        if not title or len(title) > 200:
            raise ApplicationError(
                _("Give the survey a title (at most 200 characters)."),
                code="invalid_survey",
                fields={"title": [_("Give the survey a title (at most 200 characters).")]},
            )
        survey.title = title
    if introduction is not None:
        survey.introduction = clean_html(introduction)
    survey.save(update_fields=["title", "introduction"])
    return survey


@transaction.atomic
def survey_delete(*, survey_id: int) -> None:
    """Delete a survey that nobody answered yet (answers are never thrown away by a click)."""
    survey = _lock_survey(survey_id)
    if _has_responses(survey):
        raise _locked_error()
    survey.delete()


@transaction.atomic
def question_add(
    *,
    survey_id: int,
    kind: str,
    label: str,
    required: bool = False,
    choices: Sequence[str] = (),
    help_text: str = "",
    scale_min: int = 1,
    scale_max: int = 5,
    scale_min_label: str = "",
    scale_max_label: str = "",
    max_choices: int | None = None,
    show_if_question_id: int | None = None,
    show_if_choice_id: int | None = None,
) -> Question:
    """Append a question to a survey.

    Choice questions (single, multiple, ranking) need at least two distinct options; a scale spans at
    most ten steps; a condition names an earlier single or multiple choice question and one of its
    options. Once people answered, only optional questions may be added.
    """
    survey = _lock_survey(survey_id)
    spec = _Spec(
        kind=kind,
        label=label,
        help_text=help_text,
        required=required,
        scale_min=scale_min,
        scale_max=scale_max,
        scale_min_label=scale_min_label,
        scale_max_label=scale_max_label,
        max_choices=max_choices,
        show_if_question_id=show_if_question_id,
        show_if_choice_id=show_if_choice_id,
    )
    _normalise_spec(spec)
    labels = _clean_labels(choices)
    errors = _spec_errors(spec, survey=survey, choice_count=len(labels))
    if spec.kind in CHOICE_KINDS:
        choice_errors = _choice_label_errors(labels)
        if choice_errors:
            errors["choices"] = choice_errors
    elif labels:
        errors["choices"] = [_("Only choice and ranking questions have options.")]
    if errors:
        raise _invalid_question(errors)
    questions = Question.objects.filter(survey=survey)
    if questions.count() >= MAX_QUESTIONS:
        raise ApplicationError(
            _("A survey has at most %(n)d questions.") % {"n": MAX_QUESTIONS}, code="too_many_questions"
        )
    if spec.required and _has_responses(survey):
        raise _locked_error({"required": [_("People have already answered: a new question can only be optional.")]})
    last = questions.aggregate(m=Max("position"))["m"]
    question = Question.objects.create(
        survey=survey,
        position=0 if last is None else last + 1,
        kind=spec.kind,
        label=spec.label,
        help_text=spec.help_text,
        required=spec.required,
        scale_min=spec.scale_min if spec.kind == QuestionKind.SCALE else 1,
        scale_max=spec.scale_max if spec.kind == QuestionKind.SCALE else 5,
        scale_min_label=spec.scale_min_label if spec.kind == QuestionKind.SCALE else "",
        scale_max_label=spec.scale_max_label if spec.kind == QuestionKind.SCALE else "",
        max_choices=spec.max_choices,
        show_if_question_id=spec.show_if_question_id,
        show_if_choice_id=spec.show_if_choice_id,
    )
    Choice.objects.bulk_create(
        [Choice(question=question, position=position, label=text) for position, text in enumerate(labels)]
    )
    return question


@transaction.atomic
def question_update(*, question_id: int, choices: Sequence[str] | None = None, **fields: Any) -> Question:
    """Change a question: any of ``QUESTION_FIELDS``, and ``choices`` (the full list of option labels,
    in order: options are matched by label, so existing ones keep their identity and may be reordered).

    Once people answered, what would change the meaning of their answers is refused with a 409
    ("survey_has_responses"): the kind, the scale's bounds, a lower maximum, the condition, making the
    question required, removing an option. Labels, help texts and new options stay allowed (rename an
    option with ``choice_update``).
    """
    unknown = set(fields) - QUESTION_FIELDS
    if unknown:
        raise ApplicationError(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}, code="invalid_question"
        )
    current = Question.objects.filter(pk=question_id).first()
    if current is None:
        raise _not_found(_("This question does not exist."))
    survey = _lock_survey(current.survey_id)
    question = Question.objects.get(pk=question_id)  # read again under the survey's lock
    before = _Spec.of(question)
    spec = _Spec.of(question)
    for name, value in fields.items():
        setattr(spec, name, value)
    _normalise_spec(spec)
    existing = list(question.choices.all())
    labels = _clean_labels(choices) if choices is not None else [c.label for c in existing]
    errors = _spec_errors(spec, survey=survey, choice_count=len(labels), question=question)
    if spec.kind in CHOICE_KINDS:
        choice_errors = _choice_label_errors(labels)
        if choice_errors:
            errors["choices"] = choice_errors
    elif choices:
        errors["choices"] = [_("Only choice and ranking questions have options.")]
    kept = {label.casefold() for label in labels} if spec.kind in CHOICE_KINDS else set()
    removed = [c for c in existing if c.label.casefold() not in kept]
    dependents = _dependents(question)
    if dependents and spec.kind not in CONDITION_KINDS:
        errors.setdefault("kind", []).append(
            _("“%(label)s” depends on this question: remove that condition first.") % {"label": dependents[0].label}
        )
    for choice in removed:
        for dependent in dependents:
            if dependent.show_if_choice_id == choice.pk:
                errors.setdefault("choices", []).append(
                    _("“%(choice)s” shows “%(label)s”: change that condition first.")
                    % {"choice": choice.label, "label": dependent.label}
                )
    if errors:
        raise _invalid_question(errors)
    if _has_responses(survey):
        locked: dict[str, list[str]] = {}
        if spec.kind != before.kind:
            locked["kind"] = [_("The kind of a question cannot change once people answered it.")]
        if spec.kind == QuestionKind.SCALE and (spec.scale_min, spec.scale_max) != (before.scale_min, before.scale_max):
            locked["scale_max"] = [_("The scale cannot change once people answered it.")]
        if spec.max_choices is not None and (before.max_choices is None or spec.max_choices < before.max_choices):
            locked["max_choices"] = [_("The maximum can only be raised or removed once people answered.")]
        if (spec.show_if_question_id, spec.show_if_choice_id) != (before.show_if_question_id, before.show_if_choice_id):
            locked["show_if_question"] = [_("The condition cannot change once people answered.")]
        if spec.required and not before.required:
            locked["required"] = [_("A question cannot become required once people answered.")]
        if removed:
            locked["choices"] = [
                _("Options cannot be removed once people answered: %(labels)s.")
                % {"labels": ", ".join(f"“{c.label}”" for c in removed)}
            ]
        if locked:
            raise _locked_error(locked)
    is_scale = spec.kind == QuestionKind.SCALE
    question.kind = spec.kind
    question.label = spec.label
    question.help_text = spec.help_text
    question.required = spec.required
    question.scale_min = spec.scale_min if is_scale else 1
    question.scale_max = spec.scale_max if is_scale else 5
    question.scale_min_label = spec.scale_min_label if is_scale else ""
    question.scale_max_label = spec.scale_max_label if is_scale else ""
    question.max_choices = spec.max_choices
    question.show_if_question_id = spec.show_if_question_id
    question.show_if_choice_id = spec.show_if_choice_id
    question.save()
    if removed:
        Choice.objects.filter(pk__in=[c.pk for c in removed]).delete()
    by_label = {c.label.casefold(): c for c in existing if c not in removed}
    if spec.kind in CHOICE_KINDS:
        to_update, to_create = [], []
        for position, text in enumerate(labels):
            found = by_label.get(text.casefold())
            if found is None:
                to_create.append(Choice(question=question, position=position, label=text))
            else:
                found.position, found.label = position, text
                to_update.append(found)
        Choice.objects.bulk_update(to_update, ["position", "label"])
        Choice.objects.bulk_create(to_create)
    return question


@transaction.atomic
def choice_update(*, choice_id: int, label: str) -> Choice:
    """Rename an option (allowed once people answered: fixing a typo keeps their answers)."""
    current = Choice.objects.select_related("question").filter(pk=choice_id).first()
    if current is None:
        raise _not_found(_("This option does not exist."))
    _lock_survey(current.question.survey_id)
    label = (label or "").strip()
    errors: list[str] = []
    if not label or len(label) > 300:
        errors.append(_("Give the option a label (at most 300 characters)."))
    elif Choice.objects.filter(question_id=current.question_id, label__iexact=label).exclude(pk=choice_id).exists():
        errors.append(_("Each option must be different."))
    if errors:
        raise _invalid_question({"label": errors})
    current.label = label
    current.save(update_fields=["label"])
    return current


@transaction.atomic
def question_delete(*, question_id: int) -> None:
    """Delete a question nobody answered yet, unless another question depends on it."""
    current = Question.objects.filter(pk=question_id).first()
    if current is None:
        raise _not_found(_("This question does not exist."))
    survey = _lock_survey(current.survey_id)
    if _has_responses(survey):
        raise _locked_error()
    dependents = _dependents(current)
    if dependents:
        raise ApplicationError(
            _("“%(label)s” depends on this question: remove that condition first.") % {"label": dependents[0].label},
            code="question_in_use",
            status_code=409,
        )
    current.delete()


@transaction.atomic
def questions_reorder(*, survey_id: int, question_ids: Sequence[int]) -> None:
    """Put the survey's questions in this order (every question, once); conditions must still point to
    an earlier question."""
    survey = _lock_survey(survey_id)
    questions = {q.pk: q for q in Question.objects.filter(survey=survey)}
    wanted = [int(pk) for pk in question_ids]
    if sorted(wanted) != sorted(questions):
        raise ApplicationError(
            _("Give every question of the survey exactly once."),
            code="invalid_order",
            fields={"question_ids": [_("Give every question of the survey exactly once.")]},
        )
    rank = {pk: index for index, pk in enumerate(wanted)}
    for question in questions.values():
        parent = question.show_if_question_id
        if parent is not None and parent in rank and rank[parent] > rank[question.pk]:
            message = _("“%(label)s” must stay after the question it depends on.") % {"label": question.label}
            raise ApplicationError(message, code="invalid_order", fields={"question_ids": [message]})
    for pk, question in questions.items():
        question.position = rank[pk]
    Question.objects.bulk_update(questions.values(), ["position"])


# --- answering (residents) --------------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


@dataclass
class _Cleaned:
    rows: list[Answer] = field(default_factory=list)
    chosen: set[int] = field(default_factory=set)
    error: str | None = None


def _clean_answer(question: Question, raw: Any, choice_ids: list[int]) -> _Cleaned:
    """The Answer rows for one shown question's raw value, or the reason it is not valid."""
    out = _Cleaned()
    kind = question.kind
    if kind == QuestionKind.SINGLE:
        pk = _as_int(raw)
        if pk is None or pk not in choice_ids:
            out.error = _("Choose one of the options.")
            return out
        out.rows.append(Answer(question=question, choice_id=pk))
        out.chosen.add(pk)
    elif kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
        values = list(raw) if isinstance(raw, list | tuple) else None
        if values is None:
            out.error = _("Choose among the options of this question.")
            return out
        picked = [_as_int(value) for value in values]
        if any(pk is None or pk not in choice_ids for pk in picked):
            out.error = _("Choose among the options of this question.")
            return out
        ids = [pk for pk in picked if pk is not None]
        if kind == QuestionKind.MULTIPLE:
            ids = list(dict.fromkeys(ids))  # a repeated tick is still one tick
        elif len(set(ids)) != len(ids):
            out.error = _("Rank each option only once.")
            return out
        limit = question.max_choices
        if limit is not None and len(ids) > limit:
            out.error = ngettext("Choose at most %(n)d option.", "Choose at most %(n)d options.", limit) % {"n": limit}
            return out
        for rank, pk in enumerate(ids, start=1):
            out.rows.append(
                Answer(question=question, choice_id=pk, rank=rank if kind == QuestionKind.RANKING else None)
            )
        out.chosen.update(ids)
    elif kind == QuestionKind.SCALE:
        number = _as_int(raw)
        if number is None or not question.scale_min <= number <= question.scale_max:
            out.error = _("Choose a whole number from %(min)d to %(max)d.") % {
                "min": question.scale_min,
                "max": question.scale_max,
            }
            return out
        out.rows.append(Answer(question=question, number=number))
    else:
        if not isinstance(raw, str):
            out.error = _("Write your answer as text.")
            return out
        text = raw.replace("\x00", "").strip()
        if len(text) > MAX_TEXT:
            out.error = _("Keep your answer under %(max)d characters (it has %(n)d).") % {
                "max": MAX_TEXT,
                "n": len(text),
            }
            return out
        out.rows.append(Answer(question=question, text=text))
    return out


def validate_answers(*, questions: Sequence[Question], answers: Mapping[Any, Any]) -> list[Answer]:
    """The Answer rows (without their response) for ``answers`` (question id -> raw value), keeping only
    shown questions; raises ApplicationError with one message per question id in ``fields``.

    ``questions`` in position order, with their choices prefetched.
    """
    by_id = {q.pk: q for q in questions}
    values: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        pk = _as_int(key)
        if pk is None or pk not in by_id:
            errors[str(key)] = [_("This question is not part of the survey.")]
        else:
            values[pk] = value
    rows: list[Answer] = []
    chosen: dict[int, set[int]] = {}
    shown: set[int] = set()
    for question in questions:
        parent, option = question.show_if_question_id, question.show_if_choice_id
        if parent is not None and option is not None and not (parent in shown and option in chosen.get(parent, ())):
            continue  # hidden: its answer, if any, is ignored and not stored
        shown.add(question.pk)
        raw = values.get(question.pk)
        if _is_blank(raw):
            if question.required:
                errors[str(question.pk)] = [_("This question requires an answer.")]
            continue
        cleaned = _clean_answer(question, raw, [c.pk for c in question.choices.all()])
        if cleaned.error:
            errors[str(question.pk)] = [cleaned.error]
            continue
        rows.extend(cleaned.rows)
        chosen[question.pk] = cleaned.chosen
    if errors:
        named = [f"“{by_id[int(key)].label}”" for key in errors if key.isdigit() and int(key) in by_id]
        message = (
            _("Please check your answers to: %(questions)s.") % {"questions": ", ".join(named)}
            if named
            else _("Some answers are not part of this survey.")
        )
        raise ApplicationError(message, code="invalid_answers", fields=errors)
    return rows


def _already_answered() -> ApplicationError:
    return ApplicationError(_("You have already answered this survey."), code="already_answered", status_code=409)


def _lock_for_response(consultation: Consultation, survey: Survey) -> None:
    """Read the consultation's phase FOR SHARE (closing it waits for the responses being recorded) and
    lock the survey FOR KEY SHARE (the builder's FOR UPDATE waits for them too, and they for it)."""
    consultations = connection.ops.quote_name(Consultation._meta.db_table)
    surveys = connection.ops.quote_name(Survey._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phase FROM {consultations} WHERE id = %s FOR SHARE", [consultation.pk])
        row = cursor.fetchone()
        if row is None:
            raise _not_found(_("This consultation does not exist."))
        consultation.phase = row[0]
        cursor.execute(f"SELECT id FROM {surveys} WHERE id = %s FOR KEY SHARE", [survey.pk])
        if cursor.fetchone() is None:
            raise _not_found(_("This survey does not exist."))


@transaction.atomic
def response_submit(*, survey: Survey, respondent: User, answers: Mapping[Any, Any]) -> SurveyResponse:
    """Record ``respondent``'s answers to ``survey``: question id -> choice id (single) | list of choice ids
    (multiple) | list of choice ids in rank order (ranking) | int (scale) | str (text).

    Only while the consultation is open and the person may take part; one response per person (409
    "already_answered"); answers to hidden questions are ignored; errors per question id in ``fields``.
    """
    if respondent is None or not respondent.is_authenticated:
        raise ApplicationError(_("Sign in to answer this survey."), code="login_required", status_code=403)
    consultation = Consultation.objects.get(pk=survey.consultation_id)
    _lock_for_response(consultation, survey)
    permissions.participation_require(respondent, consultation, "answer_survey")
    # The questions are read after the survey's lock, below: they cannot change until this transaction ends.
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(survey_id=survey.pk, respondent=respondent)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        if constraint == UNIQUE_RESPONSE:
            raise _already_answered() from exc
        raise
    try:
        accounts_adapter.participation_record(user_id=respondent.pk, process_key=survey.process_key)
    except ApplicationError as exc:
        if exc.code == "already_participated":
            raise _already_answered() from exc
        raise
    questions = list(
        Question.objects.filter(survey_id=survey.pk).prefetch_related("choices").order_by("position", "id")
    )
    if not questions:
        raise ApplicationError(_("This survey has no questions yet."), code="empty_survey", status_code=409)
    rows = validate_answers(questions=questions, answers=answers)
    if not rows:
        raise ApplicationError(
            _("Answer at least one question."),
            code="empty_response",
            fields={"answers": [_("Answer at least one question.")]},
        )
    for row in rows:
        row.response = response
    Answer.objects.bulk_create(rows, batch_size=1000)
    return response


def has_answered(*, survey: Survey, user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return SurveyResponse.objects.filter(survey=survey, respondent_id=user.pk).exists()


# --- results ----------------------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def survey_results(*, survey: Survey) -> list[dict[str, Any]]:
    """Per question, in position order: ``id``, ``number``, ``label``, ``kind``, ``required``,
    ``answered`` (responses that answered it), ``responses`` (all responses), and by kind:

    * single, multiple: ``choices`` [{id, label, count, percent of ``answered``}];
    * ranking: ``ranks`` (positions), ``choices`` [{id, label, counts per rank, ranked, average_rank,
      score}] where ``score`` is a Borda count (first of N ranks gets N points, last 1);
    * scale: ``scale_min``, ``scale_max``, their labels, ``mean`` and ``histogram`` [{value, count, percent}];
    * text: ``texts``, the latest 50 (plain text: escape on output).

    Six queries whatever the number of responses.
    """
    questions = list(Question.objects.filter(survey=survey).prefetch_related("choices").order_by("position", "id"))
    ids = [q.pk for q in questions]
    total = SurveyResponse.objects.filter(survey=survey).count()
    answered = {
        row["question_id"]: row["n"]
        for row in Answer.objects.filter(question_id__in=ids)
        .values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    }
    counts: dict[int, list[tuple[int | None, int | None, int | None, int]]] = defaultdict(list)
    grouped = (
        Answer.objects.filter(question_id__in=[q.pk for q in questions if q.kind != QuestionKind.TEXT])
        .values("question_id", "choice_id", "rank", "number")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in grouped:
        counts[row["question_id"]].append((row["choice_id"], row["rank"], row["number"], row["n"]))
    texts: dict[int, list[str]] = defaultdict(list)
    text_ids = [q.pk for q in questions if q.kind == QuestionKind.TEXT]
    if text_ids:
        latest = (
            Answer.objects.filter(question_id__in=text_ids)
            .annotate(row=Window(RowNumber(), partition_by=[F("question_id")], order_by=F("id").desc()))
            .filter(row__lte=LATEST_TEXTS)
            .order_by("question_id", "-id")
            .values_list("question_id", "text")
        )
        for question_id, text in latest:
            texts[question_id].append(text)
    results = []
    for number, question in enumerate(questions, start=1):
        n_answered = answered.get(question.pk, 0)
        entry: dict[str, Any] = {
            "id": question.pk,
            "number": number,
            "label": question.label,
            "kind": question.kind,
            "required": question.required,
            "answered": n_answered,
            "responses": total,
        }
        rows = counts.get(question.pk, [])
        choices = list(question.choices.all())
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            per_choice: dict[int | None, int] = defaultdict(int)
            for choice_id, _rank, _number, n in rows:
                per_choice[choice_id] += n
            entry["choices"] = [
                {
                    "id": c.pk,
                    "label": c.label,
                    "count": per_choice[c.pk],
                    "percent": _percent(per_choice[c.pk], n_answered),
                }
                for c in choices
            ]
        elif question.kind == QuestionKind.RANKING:
            entry.update(_ranking(question, choices, rows))
        elif question.kind == QuestionKind.SCALE:
            entry.update(_scale(question, rows, n_answered))
        else:
            entry["texts"] = texts.get(question.pk, [])
        results.append(entry)
    return results


def _ranking(
    question: Question, choices: list[Choice], rows: list[tuple[int | None, int | None, int | None, int]]
) -> dict[str, Any]:
    ranks = min(question.max_choices or len(choices), len(choices)) or 1
    per: dict[int, list[int]] = {c.pk: [0] * ranks for c in choices}
    for choice_id, rank, _number, n in rows:
        if choice_id in per and rank is not None and 1 <= rank <= ranks:
            per[choice_id][rank - 1] += n
    out: list[dict[str, Any]] = []
    for choice in choices:
        by_rank = per[choice.pk]
        ranked = sum(by_rank)
        rank_sum = sum((index + 1) * n for index, n in enumerate(by_rank))
        out.append(
            {
                "id": choice.pk,
                "label": choice.label,
                "counts": by_rank,
                "ranked": ranked,
                "average_rank": round(rank_sum / ranked, 2) if ranked else None,
                "score": sum((ranks - index) * n for index, n in enumerate(by_rank)),
            }
        )
    top = max([0, *(int(c["score"]) for c in out)])
    for item in out:
        item["percent"] = _percent(item["score"], top)
    return {"ranks": ranks, "choices": out}


def _scale(
    question: Question, rows: list[tuple[int | None, int | None, int | None, int]], n_answered: int
) -> dict[str, Any]:
    per_value: dict[int, int] = defaultdict(int)
    for _choice, _rank, number, n in rows:
        if number is not None:
            per_value[number] += n
    count = sum(per_value.values())
    mean = round(sum(value * n for value, n in per_value.items()) / count, 2) if count else None
    top = max([*per_value.values(), 0])
    return {
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "scale_min_label": question.scale_min_label,
        "scale_max_label": question.scale_max_label,
        "count": count,
        "mean": mean,
        "histogram": [
            {
                "value": value,
                "count": per_value.get(value, 0),
                "percent": _percent(per_value.get(value, 0), n_answered),
                "bar": _percent(per_value.get(value, 0), top),
            }
            for value in range(question.scale_min, question.scale_max + 1)
        ],
    }
