"""Read and write Pabulib ``.pb`` files (https://pabulib.org/format).

A ``.pb`` file has three ``;``-separated sections, each introduced by a line with
its name and followed by a header line:

* ``META`` (``key;value``): budget, vote_type, currency, ...
* ``PROJECTS`` (``project_id;cost;...``): one line per project;
* ``VOTES`` (``voter_id;vote[;points];...``): one line per voter, ``vote`` being a
  comma-separated list of project ids (in rank order for ordinal ballots).

Fields may be double-quoted (the ``csv`` module handles that). The reader streams
the file line by line, so multi-megabyte files load in well under a second. Voter
metadata columns (age, sex, ...) are deliberately dropped: the rules only need the
ballots, and the writer produces anonymised files.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO, cast

from tenant_apps.budgets.rules.model import (
    POINTS_VOTE_TYPES,
    VOTE_TYPES,
    Instance,
    Number,
    Project,
    VoteType,
    exact_number,
    number_to_text,
)

_SECTIONS = ("meta", "projects", "votes")


class PabulibError(ValueError):
    """The content is not a valid Pabulib file; the message says where and why."""


def read_pabulib(path: str | Path) -> Instance:
    """Parse the ``.pb`` file at ``path`` (gzip-compressed when its name ends in ``.gz``).

    Raises :class:`PabulibError` for malformed content and ``OSError`` when the
    file cannot be read.
    """
    if str(path).endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as compressed:
            return parse_pabulib(compressed)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return parse_pabulib(handle)


def parse_pabulib_text(text: str) -> Instance:
    """Parse the content of a ``.pb`` file given as a string."""
    return parse_pabulib(io.StringIO(text.lstrip("\ufeff"), newline=""))


def parse_pabulib(lines: Iterable[str]) -> Instance:
    """Parse a ``.pb`` file from an iterable of text lines (e.g. an open file)."""
    meta: list[tuple[str, str]] = []
    project_rows: list[tuple[int, list[str], list[str]]] = []
    ballots: list[tuple[str, ...]] = []
    points: list[tuple[Number, ...]] = []
    voter_ids: list[str] = []
    section = ""
    header: list[str] = []
    vote_column = points_column = voter_column = -1
    # Interning the project ids met in votes keeps big profiles small and hashing fast.
    known_ids: dict[str, str] = {}
    reader = csv.reader(lines, delimiter=";")
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        first = row[0].strip().lower()
        if first in _SECTIONS and len(row) <= 2 and (len(row) == 1 or not row[1].strip()):
            section = first
            header = [column.strip() for column in next(reader, [])]
            if section == "votes":
                vote_column = _column(header, "vote", line + 1)
                points_column = header.index("points") if "points" in header else -1
                voter_column = header.index("voter_id") if "voter_id" in header else -1
                known_ids = {}
                for _, cells, columns in project_rows:
                    project_id = dict(zip(columns, cells, strict=False)).get("project_id", "")
                    known_ids[project_id] = project_id
            continue
        if section == "meta":
            if len(row) < 2:
                raise PabulibError(f"line {line}: META entries need a key and a value")
            meta.append((row[0].strip(), row[1].strip()))
        elif section == "projects":
            project_rows.append((line, [cell.strip() for cell in row], header))
        elif section == "votes":
            ballot = _split_ids(_cell(row, vote_column, line), known_ids, line)
            ballots.append(ballot)
            if voter_column >= 0:
                voter_ids.append(_cell(row, voter_column, line).strip())
            if points_column >= 0:
                points.append(_split_points(_cell(row, points_column, line), len(ballot), line))
        else:
            raise PabulibError(f"line {line}: content before the META section")
    return _build_instance(meta, project_rows, ballots, points, voter_ids)


def _column(header: Sequence[str], name: str, line: int) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise PabulibError(f"line {line}: header has no {name!r} column") from None


def _cell(row: Sequence[str], index: int, line: int) -> str:
    if index >= len(row):
        raise PabulibError(f"line {line}: expected at least {index + 1} fields")
    return row[index]


def _split_ids(text: str, known_ids: dict[str, str], line: int) -> tuple[str, ...]:
    text = text.strip()
    if not text:
        return ()
    ids = []
    for raw in text.split(","):
        project_id = raw.strip()
        if not project_id:
            continue
        interned = known_ids.get(project_id)
        if interned is None:
            raise PabulibError(f"line {line}: vote for unknown project {project_id!r}")
        ids.append(interned)
    return tuple(ids)


def _split_points(text: str, expected: int, line: int) -> tuple[Number, ...]:
    text = text.strip()
    values = tuple(exact_number(raw) for raw in text.split(",") if raw.strip()) if text else ()
    if len(values) != expected:
        raise PabulibError(f"line {line}: {len(values)} points for {expected} voted projects")
    return values


def _build_instance(
    meta: list[tuple[str, str]],
    project_rows: list[tuple[int, list[str], list[str]]],
    ballots: list[tuple[str, ...]],
    points: list[tuple[Number, ...]],
    voter_ids: list[str],
) -> Instance:
    meta_map = dict(meta)
    if "budget" not in meta_map:
        raise PabulibError("META has no budget")
    vote_type = meta_map.get("vote_type", "approval")
    if vote_type not in VOTE_TYPES:
        raise PabulibError(f"unsupported vote_type {vote_type!r}")
    if (vote_type in POINTS_VOTE_TYPES) and len(points) != len(ballots):
        raise PabulibError(f"{vote_type} ballots need a points column")
    projects = tuple(_build_project(line, cells, header) for line, cells, header in project_rows)
    seen: set[str] = set()
    for project in projects:
        if project.id in seen:
            raise PabulibError(f"duplicate project id {project.id!r}")
        seen.add(project.id)
    try:
        budget = exact_number(meta_map["budget"])
    except ValueError:
        raise PabulibError(f"budget {meta_map['budget']!r} is not a number") from None
    return Instance(
        budget=budget,
        projects=projects,
        ballots=tuple(ballots),
        vote_type=cast(VoteType, vote_type),
        points=tuple(points) if vote_type in POINTS_VOTE_TYPES else None,
        meta=tuple(meta),
        voter_ids=tuple(voter_ids) if len(voter_ids) == len(ballots) else None,
    )


def _build_project(line: int, cells: list[str], header: list[str]) -> Project:
    values = dict(zip(header, cells, strict=False))
    if not values.get("project_id"):
        raise PabulibError(f"line {line}: project without project_id")
    try:
        cost = exact_number(values.get("cost", ""))
    except ValueError:
        raise PabulibError(f"line {line}: cost {values.get('cost')!r} is not a number") from None
    extra = tuple(
        (key, value) for key, value in zip(header, cells, strict=False) if key not in ("project_id", "cost", "name")
    )
    return Project(id=values["project_id"], cost=cost, name=values.get("name", ""), extra=extra)


def write_pabulib(instance: Instance, path: str | Path) -> None:
    """Write ``instance`` to ``path`` in Pabulib format (see :func:`dump_pabulib`)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        dump_pabulib(instance, handle)


def format_pabulib(instance: Instance) -> str:
    """Return ``instance`` serialised in Pabulib format."""
    buffer = io.StringIO(newline="")
    dump_pabulib(instance, buffer)
    return buffer.getvalue()


def dump_pabulib(instance: Instance, handle: TextIO) -> None:
    """Serialise ``instance`` to ``handle``.

    META always states ``budget``, ``vote_type``, ``num_projects`` and ``num_votes``
    (taken from the instance, overriding stale values in ``instance.meta``).
    Voters are numbered 1..n: the file is anonymised, whatever ``voter_ids`` holds.
    """
    writer = csv.writer(handle, delimiter=";", lineterminator="\n")
    handle.write("META\n")
    writer.writerow(("key", "value"))
    authoritative = {
        "num_projects": str(len(instance.projects)),
        "num_votes": str(len(instance.ballots)),
        "budget": number_to_text(instance.budget),
        "vote_type": instance.vote_type,
    }
    for key, value in instance.meta:
        writer.writerow((key, authoritative.pop(key, value)))
    for key, value in authoritative.items():
        writer.writerow((key, value))
    handle.write("PROJECTS\n")
    extra_columns: list[str] = []
    for project in instance.projects:
        for key, _ in project.extra:
            if key not in extra_columns:
                extra_columns.append(key)
    writer.writerow(("project_id", "cost", "name", *extra_columns))
    for project in instance.projects:
        extra = dict(project.extra)
        writer.writerow(
            (project.id, number_to_text(project.cost), project.name, *(extra.get(key, "") for key in extra_columns))
        )
    handle.write("VOTES\n")
    writer.writerows(_vote_rows(instance))


def _vote_rows(instance: Instance) -> Iterator[tuple[str, ...]]:
    if instance.points is None:
        yield ("voter_id", "vote")
        for number, ballot in enumerate(instance.ballots, start=1):
            yield (str(number), ",".join(ballot))
        return
    yield ("voter_id", "vote", "points")
    for number, (ballot, scores) in enumerate(zip(instance.ballots, instance.points, strict=False), start=1):
        yield (str(number), ",".join(ballot), ",".join(number_to_text(score) for score in scores))
