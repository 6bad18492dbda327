"""Helpers shared by the survey tests (no tests here): a survey with every kind and a chain of conditions.

1. How do you get to work?      single, required          Car / Bus / Bike
2. Which bus lines?             multiple, required        1 / 2 / 3          shown when 1 = Bus
3. How crowded is line 2?       scale 1..5                                   shown when 2 includes "2"
4. Rank these priorities        ranking, at most 2        Safety / Speed / Price
5. Anything else?               text
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenant_apps.consultations.models import Consultation, Question, QuestionKind, Survey
from tenant_apps.consultations.services import surveys as services


@dataclass
class Built:
    survey: Survey
    transport: Question
    lines: Question
    crowded: Question
    priorities: Question
    comment: Question

    def choice(self, question: Question, label: str) -> int:
        return question.choices.get(label=label).pk

    def answers(self, **values: Any) -> dict[int, Any]:
        """Answers by question attribute name, e.g. ``answers(transport="Bus", lines=["2"], crowded=4)``;
        choice labels are turned into ids."""
        out: dict[int, Any] = {}
        for name, value in values.items():
            question: Question = getattr(self, name)
            if question.kind == QuestionKind.SINGLE and isinstance(value, str):
                out[question.pk] = self.choice(question, value)
            elif question.kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING) and isinstance(value, list):
                out[question.pk] = [self.choice(question, v) for v in value]
            else:
                out[question.pk] = value
        return out


def build_survey(consultation: Consultation, *, title: str = "Mobility habits") -> Built:
    survey = services.survey_create(consultation_id=consultation.pk, title=title, introduction="<p>Five minutes</p>")
    transport = services.question_add(
        survey_id=survey.pk,
        kind=QuestionKind.SINGLE,
        label="How do you get to work?",
        required=True,
        choices=["Car", "Bus", "Bike"],
    )
    bus = transport.choices.get(label="Bus")
    lines = services.question_add(
        survey_id=survey.pk,
        kind=QuestionKind.MULTIPLE,
        label="Which bus lines?",
        required=True,
        choices=["1", "2", "3"],
        show_if_question_id=transport.pk,
        show_if_choice_id=bus.pk,
    )
    crowded = services.question_add(
        survey_id=survey.pk,
        kind=QuestionKind.SCALE,
        label="How crowded is line 2?",
        scale_min=1,
        scale_max=5,
        scale_min_label="Empty",
        scale_max_label="Packed",
        show_if_question_id=lines.pk,
        show_if_choice_id=lines.choices.get(label="2").pk,
    )
    priorities = services.question_add(
        survey_id=survey.pk,
        kind=QuestionKind.RANKING,
        label="Rank these priorities",
        choices=["Safety", "Speed", "Price"],
        max_choices=2,
    )
    comment = services.question_add(survey_id=survey.pk, kind=QuestionKind.TEXT, label="Anything else?")
    return Built(survey, transport, lines, crowded, priorities, comment)
