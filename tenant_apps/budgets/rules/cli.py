"""Command-line front end: compute a result straight from a Pabulib file.

Used by ``manage.py pb_results`` and runnable without Django::

    python -m tenant_apps.budgets.rules.cli FILE.pb --rule equal-shares --utility cost \\
        --completion add1 --increment 1 --then-greedy --format json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Protocol

from tenant_apps.budgets.pabulib import PabulibError, read_pabulib
from tenant_apps.budgets.rules import COMPLETIONS, RULES, TIE_BREAKS, UTILITIES, Outcome, compute
from tenant_apps.budgets.rules.model import Number, exact_number, number_to_text


class Writer(Protocol):
    """Anything text can be written to: a file, ``sys.stdout``, Django's ``OutputWrapper``."""

    def write(self, text: str, /) -> object: ...


def build_parser(prog: str = "pb_results") -> argparse.ArgumentParser:
    """Argument parser shared by the script and the management command."""
    parser = argparse.ArgumentParser(prog=prog, description="Compute participatory-budgeting results from a .pb file.")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options (also used by the Django command's own parser)."""
    parser.add_argument("file", help="Pabulib .pb file")
    parser.add_argument("--rule", choices=RULES, default="equal-shares")
    parser.add_argument("--utility", choices=UTILITIES, default="cost")
    parser.add_argument("--completion", choices=COMPLETIONS, default="none")
    parser.add_argument("--increment", type=_increment, default=1, help="per-voter budget step for add1 (default 1)")
    parser.add_argument("--then-greedy", action="store_true", help="finish equal-shares with greedy")
    parser.add_argument("--tie-break", choices=TIE_BREAKS, default="cost-votes-id")
    parser.add_argument("--format", choices=("json", "text"), default="json")


def _increment(text: str) -> Number:
    try:
        value = exact_number(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def run(options: argparse.Namespace, out: Writer, err: Writer) -> int:
    """Compute and print the result for parsed ``options``; returns the exit code."""
    try:
        instance = read_pabulib(options.file)
    except OSError as error:
        err.write(f"error: cannot read {options.file}: {error.strerror or error}\n")
        return 2
    except PabulibError as error:
        err.write(f"error: {options.file} is not a valid Pabulib file: {error}\n")
        return 2
    try:
        outcome = compute(
            instance,
            rule=options.rule,
            utility=options.utility,
            completion=options.completion,
            increment=options.increment,
            then_greedy=options.then_greedy,
            tie_break=options.tie_break,
        )
    except ValueError as error:
        err.write(f"error: {error}\n")
        return 2
    # One write call: Django's OutputWrapper appends a newline to every write.
    if options.format == "json":
        text = json.dumps(outcome_to_json(outcome, budget=instance.budget), ensure_ascii=False, indent=2) + "\n"
    else:
        header = (
            f"{outcome.rule} ({outcome.rule_version}): {len(outcome.selected)} projects, "
            f"cost {number_to_text(outcome.cost_used)} of {number_to_text(instance.budget)}\n"
        )
        text = header + "".join(f"{project_id}\n" for project_id in outcome.selected)
    out.write(text)
    return 0


def outcome_to_json(outcome: Outcome, *, budget: Number) -> dict[str, object]:
    """JSON-ready view of an outcome (exact numbers as decimal strings when not integral)."""
    return {
        "selected": list(outcome.selected),
        "cost": _json_number(outcome.cost_used),
        "budget": _json_number(budget),
        "rule": outcome.rule,
        "rule_version": outcome.rule_version,
        "params": dict(outcome.params),
        "ballots_digest": outcome.ballots_digest,
        "steps": [dict(step) for step in outcome.steps],
    }


def _json_number(value: Number) -> int | str:
    return value if isinstance(value, int) else number_to_text(value)


def main(argv: Sequence[str] | None = None, *, out: Writer | None = None, err: Writer | None = None) -> int:
    """Entry point: parse ``argv``, compute, print; returns the process exit code.

    Bad options exit with code 2 and a usage message (argparse), unreadable or
    invalid files with code 2 and an ``error:`` line on ``err``.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return run(options, out, err)


if __name__ == "__main__":
    sys.exit(main())
