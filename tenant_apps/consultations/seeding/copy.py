"""PostgreSQL COPY through psycopg 3, in the schema of the active city.

The Django cursor is used on purpose: django-tenants sets the city's ``search_path`` when it opens, and
its ``copy()`` is psycopg's own (``CursorWrapper`` hands unknown attributes to the driver cursor), so
rows stream straight into the current transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from psycopg import sql


def next_ids(table: str, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` from its identity sequence.

    Drawn with ``nextval`` (one round trip), so they never collide with rows that the application
    inserts at the same time; they are increasing but not necessarily contiguous.
    """
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        row = cursor.fetchone()
        if row is None or row[0] is None:
            raise RuntimeError(f"{table}.id has no sequence")
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [row[0], count])
        return [int(r[0]) for r in cursor.fetchall()]


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """``COPY table (columns) FROM STDIN`` with ``rows``; returns how many were written."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    written = 0
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def execute(statement: str, params: Sequence[Any] = ()) -> Any:
    """Run one statement in the current schema; returns the first row, if any."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone() if cursor.description else None


def query(statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one query in the current schema; returns every row."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall())
