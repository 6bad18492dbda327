"""Seeded surveys: questions of every kind, and responses whose answers follow the survey's rules.

A generated response answers every required question, skips some optional ones, never answers a
conditional question whose condition is not met, picks one choice for "single", 1..max_choices distinct
choices for "multiple", ranks distinct choices 1..n for "ranking", a number within the bounds for
"scale", and a non-empty text for "text": exactly what ``services.surveys.response_submit`` accepts.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tenant_apps.consultations.models import Choice, Question, QuestionKind, Survey
from tenant_apps.consultations.seeding.copy import copy_rows, execute, next_ids, query
from tenant_apps.consultations.seeding.lexicon import Lexicon, TextFactory


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    label: str
    choices: tuple[str, ...] = ()
    required: bool = False
    help_text: str = ""
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: str = ""
    scale_max_label: str = ""
    max_choices: int | None = None
    # (index of an earlier question in the same list, index of one of its choices)
    show_if: tuple[int, int] | None = None


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def standard_questions(lexicon: Lexicon, theme_names: Sequence[str], *, count: int | None = None) -> list[QuestionSpec]:
    """A realistic questionnaire: two profile questions, six per theme (single, multiple, scale, ranking,
    a yes/no and a text follow-up shown only after "yes"), then two closing questions.

    Five themes give 34 questions. ``count`` keeps the first ``count - 2`` plus the two closing ones
    (a follow-up is never kept without the question it depends on).
    """
    words = lexicon.words
    groups = lexicon.themes
    head = [
        QuestionSpec(QuestionKind.SINGLE, words["age"], tuple(words["ages"].split("|")), required=True),
        QuestionSpec(QuestionKind.SINGLE, words["where"], tuple(words["places"].split("|")), required=True),
    ]
    body: list[QuestionSpec] = []
    for position, name in enumerate(theme_names):
        group = next((g for g in groups if g.name == name), groups[position % len(groups)])
        options = tuple(_capitalise(s) for s in group.subjects)
        start = len(head) + len(body)
        body += [
            QuestionSpec(QuestionKind.SINGLE, words["priority"].format(theme=name), options[:5], required=True),
            QuestionSpec(QuestionKind.MULTIPLE, words["measures"].format(theme=name), options[5:11], max_choices=3),
            QuestionSpec(
                QuestionKind.SCALE,
                words["satisfaction"].format(theme=name),
                scale_min=1,
                scale_max=5,
                scale_min_label=words["not_at_all"],
                scale_max_label=words["completely"],
            ),
            QuestionSpec(QuestionKind.RANKING, words["ranking"].format(theme=name), options[-4:]),
            QuestionSpec(QuestionKind.SINGLE, words["uses"].format(theme=name), (words["yes"], words["no"])),
            QuestionSpec(QuestionKind.TEXT, words["uses_follow"], show_if=(start + 4, 0)),
        ]
    tail = [
        QuestionSpec(QuestionKind.MULTIPLE, words["heard"], tuple(words["heard_choices"].split("|"))),
        QuestionSpec(QuestionKind.TEXT, words["overall"]),
    ]
    questions = head + body
    if count is not None:
        # Follow-ups come right after their yes/no question, so a cut never keeps one alone.
        questions = questions[: max(0, count - len(tail))]
    return questions + tail


def survey_build(*, consultation_id: int, title: str, introduction: str, questions: Sequence[QuestionSpec]) -> Survey:
    """A survey with ``questions`` in order (and their choices), written with the ORM: a few dozen rows."""
    position = Survey.objects.filter(consultation_id=consultation_id).count()
    survey = Survey.objects.create(
        consultation_id=consultation_id, title=title, introduction=introduction, position=position
    )
    made: list[tuple[Question, list[Choice]]] = []
    for index, spec in enumerate(questions):
        show_question, show_choice = None, None
        if spec.show_if is not None:
            target_index, choice_index = spec.show_if
            if not 0 <= target_index < index:
                raise ValueError(f"question {index}: a condition must point to an earlier question")
            show_question, target_choices = made[target_index]
            show_choice = target_choices[choice_index]
        question = Question.objects.create(
            survey=survey,
            position=index,
            kind=spec.kind,
            label=spec.label,
            help_text=spec.help_text,
            required=spec.required,
            scale_min=spec.scale_min,
            scale_max=spec.scale_max,
            scale_min_label=spec.scale_min_label,
            scale_max_label=spec.scale_max_label,
            max_choices=spec.max_choices,
            show_if_question=show_question,
            show_if_choice=show_choice,
        )
        choices = Choice.objects.bulk_create(
            Choice(question=question, position=p, label=label) for p, label in enumerate(spec.choices)
        )
        made.append((question, choices))
    return survey


@dataclass
class _Q:
    """A question as the generator needs it (plain values, no ORM on the hot path)."""

    id: int
    kind: str
    required: bool
    choice_ids: list[int]
    cum_weights: list[float]
    scale_min: int
    scale_max: int
    max_choices: int | None
    show_if_question: int | None
    show_if_choice: int | None


def _load(survey: Survey, rng: random.Random) -> list[_Q]:
    questions = []
    for question in survey.questions.prefetch_related("choices").order_by("position", "id"):
        choice_ids = [c.pk for c in question.choices.all()]
        # Popularity per choice: some options are far more chosen than others, like real answers.
        total, cum = 0.0, []
        for _choice in choice_ids:
            total += 0.2 + rng.random() ** 2
            cum.append(total)
        questions.append(
            _Q(
                question.pk,
                question.kind,
                question.required,
                choice_ids,
                cum,
                question.scale_min,
                question.scale_max,
                question.max_choices,
                question.show_if_question_id,
                question.show_if_choice_id,
            )
        )
    return questions


def _distinct_weighted(rng: random.Random, question: _Q, count: int) -> list[int]:
    picked: list[int] = []
    while len(picked) < count:
        choice = rng.choices(question.choice_ids, cum_weights=question.cum_weights)[0]
        if choice not in picked:
            picked.append(choice)
    return picked


# (response_id, question_id, choice_id, rank, number, text)
AnswerRow = tuple[int, int, int | None, int | None, int | None, str]


def response_answers(
    rng: random.Random, texts: TextFactory, questions: Sequence[_Q], response_id: int
) -> list[AnswerRow]:
    """The answer rows of one response (see the module docstring for the rules followed)."""
    rows: list[AnswerRow] = []
    chosen: dict[int, set[int]] = {}
    for q in questions:
        if q.show_if_question is not None and q.show_if_choice not in chosen.get(q.show_if_question, set()):
            continue
        skip = 0.55 if q.kind == QuestionKind.TEXT else 0.1
        if not q.required and rng.random() < skip:
            continue
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING) and not q.choice_ids:
            continue
        if q.kind == QuestionKind.SINGLE:
            picks = [rng.choices(q.choice_ids, cum_weights=q.cum_weights)[0]]
            rows.append((response_id, q.id, picks[0], None, None, ""))
        elif q.kind == QuestionKind.MULTIPLE:
            most = min(q.max_choices or len(q.choice_ids), len(q.choice_ids))
            picks = _distinct_weighted(rng, q, rng.randint(1, most))
            rows.extend((response_id, q.id, c, None, None, "") for c in picks)
        elif q.kind == QuestionKind.RANKING:
            most = min(q.max_choices or len(q.choice_ids), len(q.choice_ids))
            picks = _distinct_weighted(rng, q, most)
            rows.extend((response_id, q.id, c, rank, None, "") for rank, c in enumerate(picks, start=1))
        elif q.kind == QuestionKind.SCALE:
            # Answers lean to the middle-upper part of the scale.
            span = q.scale_max - q.scale_min
            value = q.scale_min + min(span, max(0, round(rng.triangular(0, span, span * 0.65))))
            rows.append((response_id, q.id, None, None, value, ""))
            continue
        else:
            rows.append((response_id, q.id, None, None, None, texts.survey_text()))
            continue
        chosen[q.id] = set(picks)
    return rows


def survey_fill(
    *,
    survey: Survey,
    respondent_ids: Sequence[int],
    rng: random.Random,
    texts: TextFactory,
    when: Callable[[], datetime.datetime],
    batch_size: int = 20_000,
    progress: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """One response per person in ``respondent_ids`` (people who already answered are skipped: the
    database allows one response per person), written with COPY, with the accounts participation marker
    that ``services.surveys.response_submit`` records. Returns (responses, answer rows)."""
    questions = _load(survey, rng)
    answered = {
        int(r) for (r,) in survey.responses.exclude(respondent_id__isnull=True).values_list("respondent_id").iterator()
    }
    markers = query("SELECT user_id FROM accounts_participation WHERE process_key = %s", [survey.process_key])
    answered.update(int(r) for (r,) in markers)
    people = [p for p in respondent_ids if p not in answered]
    responses = answers = 0
    for start in range(0, len(people), batch_size):
        chunk = people[start : start + batch_size]
        ids = next_ids("consultations_surveyresponse", len(chunk))
        rows: list[AnswerRow] = []
        response_rows = []
        for response_id, person in zip(ids, chunk, strict=True):
            response_rows.append((response_id, survey.pk, person, when()))
            rows.extend(response_answers(rng, texts, questions, response_id))
        responses += copy_rows(
            "consultations_surveyresponse", ("id", "survey_id", "respondent_id", "created_at"), response_rows
        )
        answers += copy_rows(
            "consultations_answer", ("response_id", "question_id", "choice_id", "rank", "number", "text"), rows
        )
        # What response_submit records in accounts too ("who took part"; one response per person).
        copy_rows(
            "accounts_participation",
            ("process_key", "user_id", "identity_hash", "created_at"),
            ((survey.process_key, person, "", created) for (_pk, _survey, person, created) in response_rows),
        )
        if progress:
            progress(f"survey responses {responses:,}/{len(people):,}")
    if responses:
        execute("ANALYZE consultations_surveyresponse")
        execute("ANALYZE consultations_answer")
    return responses, answers
