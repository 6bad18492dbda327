"""Forms of the survey pages: they only parse input; services/surveys.py decides.

The resident's survey form is not a Django form (its fields come from the survey's questions): its
inputs are named ``q-<question id>`` (and ``q-<question id>-r<rank>`` for ranking, one select per rank,
so that ranking works without JavaScript); ``parse_answers`` turns the POST into the service's
``answers`` mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.consultations.models import Question, QuestionKind, Survey

CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)


def rank_positions(question: Question) -> int:
    """How many rank selects a ranking question gets: its maximum, or one per option."""
    count = len(question.choices.all())
    return min(question.max_choices or count, count)


def field_name(question: Question) -> str:
    return f"q-{question.pk}"


def parse_answers(questions: Sequence[Question], data: Any) -> dict[int, Any]:
    """The raw answers of a posted survey form (``data`` a QueryDict): question id -> value.

    Values stay as posted (strings); the service checks and converts them. Blank rank selects are
    skipped, so "first: X, second: (none), third: Y" ranks X then Y.
    """
    answers: dict[int, Any] = {}
    for question in questions:
        name = field_name(question)
        if question.kind == QuestionKind.MULTIPLE:
            answers[question.pk] = [value for value in data.getlist(name) if value]
        elif question.kind == QuestionKind.RANKING:
            picked = [data.get(f"{name}-r{rank}", "") for rank in range(1, rank_positions(question) + 1)]
            answers[question.pk] = [value for value in picked if value]
        else:
            answers[question.pk] = data.get(name, "")
    return answers


def form_values(questions: Sequence[Question], answers: Mapping[int, Any]) -> dict[int, Any]:
    """What each input shows again after an error: a string, or a list of strings (multiple, ranking)."""
    values: dict[int, Any] = {}
    for question in questions:
        raw = answers.get(question.pk)
        if question.kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
            values[question.pk] = [str(v) for v in raw] if isinstance(raw, list | tuple) else []
        else:
            values[question.pk] = "" if raw is None else str(raw)
    return values


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    introduction = forms.CharField(
        label=_("Introduction"),
        help_text=_("Shown above the questions. Simple formatting is kept (bold, lists, links)."),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )


class QuestionForm(forms.Form):
    """Adding or editing a question; the condition is one select of "question: option" pairs."""

    kind = forms.ChoiceField(label=_("Kind of question"), choices=QuestionKind.choices)
    label = forms.CharField(label=_("Question"), max_length=500)
    help_text = forms.CharField(label=_("Help"), max_length=500, required=False)
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    choices = forms.CharField(
        label=_("Options"),
        help_text=_("Single choice, multiple choice and ranking: one option per line, at least two."),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    max_choices = forms.IntegerField(
        label=_("At most this many options"),
        help_text=_("Multiple choice and ranking; leave empty for no limit."),
        min_value=1,
        required=False,
    )
    scale_min = forms.IntegerField(label=_("Scale from"), initial=1, required=False)
    scale_max = forms.IntegerField(label=_("Scale to"), initial=5, required=False)
    scale_min_label = forms.CharField(label=_("Label of the bottom of the scale"), max_length=80, required=False)
    scale_max_label = forms.CharField(label=_("Label of the top of the scale"), max_length=80, required=False)
    condition = forms.ChoiceField(
        label=_("Show this question only when"),
        help_text=_("An answer to an earlier single or multiple choice question."),
        required=False,
    )

    def __init__(self, *args: Any, survey: Survey, question: Question | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options: list[tuple[str, str]] = [("", str(_("Always shown")))]
        questions = Question.objects.filter(survey=survey).prefetch_related("choices").order_by("position", "id")
        for number, candidate in enumerate(questions, start=1):
            if question is not None and (candidate.position, candidate.pk) >= (question.position, question.pk):
                break
            if candidate.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                continue
            for choice in candidate.choices.all():
                options.append((f"{candidate.pk}:{choice.pk}", f"Q{number} “{candidate.label}” = “{choice.label}”"))
        self.fields["condition"].choices = options  # type: ignore[attr-defined]

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]

    def clean_condition(self) -> tuple[int | None, int | None]:
        value = self.cleaned_data["condition"]
        if not value:
            return (None, None)
        question_id, choice_id = value.split(":")
        return (int(question_id), int(choice_id))

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as the services' keyword arguments (scale values only for scales)."""
        data = self.cleaned_data
        kind = data["kind"]
        show_if_question_id, show_if_choice_id = data["condition"]
        fields: dict[str, Any] = {
            "kind": kind,
            "label": data["label"],
            "help_text": data["help_text"],
            "required": data["required"],
            "max_choices": data["max_choices"] if kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING) else None,
            "show_if_question_id": show_if_question_id,
            "show_if_choice_id": show_if_choice_id,
        }
        if kind == QuestionKind.SCALE:
            fields.update(
                scale_min=data["scale_min"] if data["scale_min"] is not None else 1,
                scale_max=data["scale_max"] if data["scale_max"] is not None else 5,
                scale_min_label=data["scale_min_label"],
                scale_max_label=data["scale_max_label"],
            )
        return fields

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        return {
            "kind": question.kind,
            "label": question.label,
            "help_text": question.help_text,
            "required": question.required,
            "choices": "\n".join(c.label for c in question.choices.all()),
            "max_choices": question.max_choices,
            "scale_min": question.scale_min,
            "scale_max": question.scale_max,
            "scale_min_label": question.scale_min_label,
            "scale_max_label": question.scale_max_label,
            "condition": (
                f"{question.show_if_question_id}:{question.show_if_choice_id}"
                if question.show_if_question_id and question.show_if_choice_id
                else ""
            ),
        }


class ChoiceRenameForm(forms.Form):
    label = forms.CharField(label=_("Option"), max_length=300)
