"""Reading and writing Pabulib files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenant_apps.budgets.pabulib import PabulibError, format_pabulib, parse_pabulib_text, read_pabulib, write_pabulib
from tenant_apps.budgets.rules import compute

from .paths import DATA_DIR

FILES = sorted(DATA_DIR.glob("*.pb"))


def test_data_files_are_present() -> None:
    assert len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_write_then_read_is_lossless(path: Path, tmp_path: Path) -> None:
    original = read_pabulib(path)
    copy_path = tmp_path / "copy.pb"
    write_pabulib(original, copy_path)
    copy = read_pabulib(copy_path)
    assert copy.projects == original.projects
    assert copy.ballots == original.ballots
    assert copy.points == original.points
    assert copy.budget == original.budget
    assert copy.vote_type == original.vote_type
    assert dict(copy.meta)["budget"] == dict(original.meta)["budget"]
    assert compute(copy).ballots_digest == compute(original).ballots_digest


def test_reader_handles_quotes_decimals_and_points() -> None:
    text = (
        "META\nkey;value\nbudget;1000,5\nvote_type;cumulative\ncurrency;EUR\n"
        'PROJECTS\nproject_id;cost;name;category\n1;500.25;"Park; trees and ""benches""";green\n2;400;Library;\n'
        "VOTES\nvoter_id;vote;points;age\nv1;1,2;3,2;40\nv2;2;5;\n"
    )
    instance = parse_pabulib_text(text)
    assert str(instance.budget) == "2001/2"
    assert instance.projects[0].name == 'Park; trees and "benches"'
    assert str(instance.projects[0].cost) == "2001/4"
    assert instance.projects[0].extra == (("category", "green"),)
    assert instance.ballots == (("1", "2"), ("2",))
    assert instance.points == ((3, 2), (5,))
    assert instance.voter_ids == ("v1", "v2")
    again = parse_pabulib_text(format_pabulib(instance))
    assert again.projects == instance.projects and again.points == instance.points
    assert "age" not in format_pabulib(instance)  # voter metadata is not exported


def test_writer_anonymises_voter_ids() -> None:
    text = "META\nkey;value\nbudget;10\nvote_type;approval\n"
    text += "PROJECTS\nproject_id;cost\na;5\nVOTES\nvoter_id;vote\nalice;a\n"
    assert "alice" not in format_pabulib(parse_pabulib_text(text))


def test_ordinal_ballots_keep_their_order() -> None:
    text = "META\nkey;value\nbudget;10\nvote_type;ordinal\n"
    text += "PROJECTS\nproject_id;cost\na;5\nb;5\nVOTES\nvoter_id;vote\n1;b,a\n"
    assert parse_pabulib_text(text).ballots == (("b", "a"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("META\nkey;value\nvote_type;approval\nPROJECTS\nproject_id;cost\na;5\nVOTES\nvoter_id;vote\n1;a\n", "budget"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;5\nVOTES\nvoter_id;vote\n1;z\n", "unknown project"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;five\n", "not a number"),
        ("META\nkey;value\nbudget;10\nvote_type;quadratic\nPROJECTS\nproject_id;cost\na;5\n", "vote_type"),
        ("hello;world\n", "before the META"),
        (
            "META\nkey;value\nbudget;10\nvote_type;cumulative\nPROJECTS\nproject_id;cost\na;5\nVOTES\nvoter_id;vote;points\n1;a;1,2\n",
            "points",
        ),
    ],
)
def test_malformed_files_are_rejected_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(PabulibError, match=message):
        parse_pabulib_text(text)


def test_choose_one_ballots_count_as_approvals() -> None:
    text = "META\nkey;value\nbudget;10\nvote_type;choose-1\n"
    text += "PROJECTS\nproject_id;cost\na;6\nb;6\nVOTES\nvoter_id;vote\n1;b\n2;b\n3;a\n"
    instance = parse_pabulib_text(text)
    assert instance.vote_type == "choose-1"
    assert compute(instance, rule="greedy").selected == ("b",)
    assert compute(instance, rule="equal-shares").selected == ("b",)


def test_gzipped_file_reads_like_the_plain_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import gzip
    import shutil

    from tenant_apps.budgets.pabulib import read_pabulib
    from tests.tenant_apps.budgets.rules.paths import DATA_DIR

    plain = DATA_DIR / "Netherlands_Assen_2024.pb"
    packed = tmp_path / "assen.pb.gz"
    with plain.open("rb") as source, gzip.open(packed, "wb") as sink:
        shutil.copyfileobj(source, sink)
    assert read_pabulib(packed) == read_pabulib(plain)
