"""Survey answers as a table with stable columns, for the CSV and XLSX exports.

The columns come from the survey's definition, never from the answers: the same header whatever was
answered, so conditional questions that nobody saw still have their (empty) columns, and two exports of
one survey line up. Columns: ``response_id``, ``submitted_at``, then per question in position order

* single choice: one column, the chosen option's label;
* multiple choice: one column per option ("Q3: Bus"): 1 chosen, 0 not chosen, empty when the question
  was hidden or unanswered;
* ranking: one column per option with its rank (1 = first), empty when not ranked;
* scale: one column, the number; free text: one column, the text.

No respondent identity (GDPR): a response is known by its id only. Rows are streamed: responses are read
through a server-side cursor in id order and their answers fetched one query per chunk, so memory stays
flat for a million answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tenant_apps.consultations.models import Answer, Question, QuestionKind, Survey, SurveyResponse

FIXED_COLUMNS = ("response_id", "submitted_at")
PER_CHOICE = frozenset({QuestionKind.MULTIPLE, QuestionKind.RANKING})


@dataclass(frozen=True)
class _Column:
    header: str
    question_id: int
    kind: str
    choice_id: int | None = None


@dataclass(frozen=True)
class _Layout:
    columns: list[_Column]
    choice_labels: dict[int, str]


def _layout(survey: Survey) -> _Layout:
    questions = Question.objects.filter(survey=survey).prefetch_related("choices").order_by("position", "id")
    columns: list[_Column] = []
    labels: dict[int, str] = {}
    for number, question in enumerate(questions, start=1):
        choices = list(question.choices.all())
        labels.update({choice.pk: choice.label for choice in choices})
        if question.kind in PER_CHOICE:
            columns += [_Column(f"Q{number}: {c.label}", question.pk, question.kind, c.pk) for c in choices]
        else:
            columns.append(_Column(f"Q{number}: {question.label}", question.pk, question.kind))
    return _Layout(columns=columns, choice_labels=labels)


def survey_columns(survey: Survey) -> list[str]:
    """The header: ``response_id``, ``submitted_at``, then the questions' columns (see the module)."""
    return [*FIXED_COLUMNS, *(column.header for column in _layout(survey).columns)]


# One stored answer: (choice_id, rank, number, text).
_Row = tuple[int | None, int | None, int | None, str]


def _cell(column: _Column, answers: dict[int, list[_Row]], labels: dict[int, str]) -> Any:
    given = answers.get(column.question_id)
    if not given:
        return None  # hidden or unanswered
    if column.kind == QuestionKind.SINGLE:
        choice_id = given[0][0]
        return labels.get(choice_id) if choice_id is not None else None
    if column.kind == QuestionKind.MULTIPLE:
        return 1 if any(row[0] == column.choice_id for row in given) else 0
    if column.kind == QuestionKind.RANKING:
        return next((row[1] for row in given if row[0] == column.choice_id), None)
    if column.kind == QuestionKind.SCALE:
        return given[0][2]
    return given[0][3]


def _chunk_rows(chunk: list[tuple[int, Any]], layout: _Layout) -> Iterator[list[Any]]:
    by_response: dict[int, dict[int, list[_Row]]] = defaultdict(lambda: defaultdict(list))
    answers = Answer.objects.filter(response_id__in=[pk for pk, _at in chunk]).values_list(
        "response_id", "question_id", "choice_id", "rank", "number", "text"
    )
    for response_id, question_id, choice_id, rank, number, text in answers:
        by_response[response_id][question_id].append((choice_id, rank, number, text))
    for response_id, submitted_at in chunk:
        given = by_response.get(response_id, {})
        yield [response_id, submitted_at, *(_cell(c, given, layout.choice_labels) for c in layout.columns)]


def survey_rows(survey: Survey, *, chunk_size: int = 2000) -> Iterator[list[Any]]:
    """One row per response, in response id order, matching ``survey_columns(survey)``.

    ``submitted_at`` is an aware datetime (UTC); empty cells are None. Responses come through a
    server-side cursor; each chunk of ``chunk_size`` responses costs one query for its answers.
    """
    layout = _layout(survey)
    responses = (
        SurveyResponse.objects.filter(survey=survey)
        .order_by("id")
        .values_list("id", "created_at")
        .iterator(chunk_size=chunk_size)
    )
    chunk: list[tuple[int, Any]] = []
    for item in responses:
        chunk.append(item)
        if len(chunk) >= chunk_size:
            yield from _chunk_rows(chunk, layout)
            chunk = []
    if chunk:
        yield from _chunk_rows(chunk, layout)
