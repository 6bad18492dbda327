"""Survey answers as a table: columns from the definition (stable whatever the answers), hidden conditional
questions empty, one answers query per chunk, no respondent identity."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.consultations.models import Consultation
from tenant_apps.consultations.services import surveys as services
from tenant_apps.consultations.survey_tables import survey_columns, survey_rows
from tests.tenant_apps.consultations.conftest import make_user
from tests.tenant_apps.consultations.test_surveys_helpers import Built, build_survey

HEADER = [
    "response_id",
    "submitted_at",
    "Q1: How do you get to work?",
    "Q2: 1",
    "Q2: 2",
    "Q2: 3",
    "Q3: How crowded is line 2?",
    "Q4: Safety",
    "Q4: Speed",
    "Q4: Price",
    "Q5: Anything else?",
]


@pytest.fixture
def built(consultation: Consultation) -> Built:
    return build_survey(consultation)


def submit(built: Built, user: Any = None, **values: Any) -> int:
    return services.response_submit(
        survey=built.survey, respondent=user or make_user(), answers=built.answers(**values)
    ).pk


def test_columns_come_from_the_definition_not_the_answers(built: Built) -> None:
    assert survey_columns(built.survey) == HEADER
    assert list(survey_rows(built.survey)) == []
    submit(built, transport="Car")
    assert survey_columns(built.survey) == HEADER
    submit(built, transport="Bus", lines=["1", "2"], crowded=2, priorities=["Speed"], comment="Hi")
    assert survey_columns(built.survey) == HEADER
    assert all(len(row) == len(HEADER) for row in survey_rows(built.survey))


def test_rows_hold_labels_flags_ranks_numbers_and_texts(built: Built, resident: Any) -> None:
    car = submit(built, resident, transport="Car", lines=["2"], crowded=5)  # lines and crowded hidden
    bus = submit(built, transport="Bus", lines=["1", "3"], priorities=["Price", "Safety"], comment="=1+1")
    rows = list(survey_rows(built.survey))
    assert [row[0] for row in rows] == [car, bus]
    assert isinstance(rows[0][1], datetime.datetime) and rows[0][1].tzinfo is not None
    assert rows[0][2:] == ["Car", None, None, None, None, None, None, None, None]
    assert rows[1][2:] == ["Bus", 1, 0, 1, None, 2, None, 1, "=1+1"]
    # no respondent identity anywhere (GDPR): the response id only
    cells = [str(cell) for row in rows for cell in row]
    assert resident.email not in cells and not any("@" in cell for cell in cells)


def test_rows_are_read_in_chunks_with_one_answers_query_each(built: Built) -> None:
    ids = [submit(built, transport="Bike", comment=f"n{n}") for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        rows = list(survey_rows(built.survey, chunk_size=2))
    assert [row[0] for row in rows] == ids
    assert [row[-1] for row in rows] == [f"n{n}" for n in range(5)]
    answer_queries = [q for q in queries if "consultations_answer" in q["sql"] and "response_id" in q["sql"]]
    assert len(answer_queries) == 3  # chunks of 2, 2 and 1
    # the definition (questions, choices), the responses cursor, and one query per chunk
    assert len(queries) == 2 + 1 + 3
