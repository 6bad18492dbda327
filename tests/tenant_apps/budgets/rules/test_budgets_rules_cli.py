"""The ``pb_results`` command line (tested through ``main(argv)``, without Django)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tenant_apps.budgets.rules.cli import main

from .paths import DATA_DIR

EXAMPLE = str(DATA_DIR / "Synthetic_equalshares_net_example1.pb")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_json_output_shape() -> None:
    code, out, _ = run(
        [EXAMPLE, "--rule", "equal-shares", "--utility", "cost", "--completion", "add1", "--format", "json"]
    )
    assert code == 0
    result = json.loads(out)
    assert result["selected"] == ["bike", "playground", "library"]
    assert result["cost"] == 1000
    assert result["budget"] == 1100
    assert result["rule"] == "equal-shares"
    assert result["params"]["completion"] == "add1"
    assert result["ballots_digest"].startswith("sha256:")
    assert result["steps"][0]["project"] == "bike"


def test_all_documented_options_are_accepted() -> None:
    argv = [EXAMPLE, "--rule", "equal-shares", "--utility", "cardinality", "--completion", "add1-nostop"]
    argv += ["--increment", "100", "--then-greedy", "--tie-break", "lexicographic", "--format", "json"]
    code, out, _ = run(argv)
    assert code == 0
    assert json.loads(out)["params"]["increment"] == "100"


def test_greedy_text_output() -> None:
    code, out, _ = run([EXAMPLE, "--rule", "greedy-no-skip", "--format", "text"])
    assert code == 0
    assert out.splitlines()[1:] == ["bike", "gym"]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, out, err = run([str(tmp_path / "missing.pb")])
    assert code == 2
    assert out == ""
    assert "cannot read" in err and "missing.pb" in err


def test_invalid_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pb"
    path.write_text("META\nkey;value\nvote_type;approval\n", encoding="utf-8")
    code, _, err = run([str(path)])
    assert code == 2
    assert "not a valid Pabulib file" in err and "budget" in err


def test_bad_option_exits_non_zero() -> None:
    code, out, _ = run([EXAMPLE, "--rule", "dictatorship"])
    assert code == 2
    assert out == ""


def test_bad_increment_exits_non_zero() -> None:
    code, _, _ = run([EXAMPLE, "--completion", "add1", "--increment", "-3"])
    assert code == 2


def test_completion_with_greedy_is_refused() -> None:
    code, _, err = run([EXAMPLE, "--rule", "greedy", "--completion", "add1"])
    assert code == 2
    assert "only apply" in err
