"""Benchmark of the participatory-budgeting rules engine against pabutools.

Run ``.venv/bin/python benchmarks/bench_budgets_rules.py [--quick]`` from the repository
root. For the largest Pabulib files in ``benchmarks/data/pabulib`` it times, side by
side, our engine and pabutools (1.2.3, exact ``gmpy2`` fractions) on the Method of
Equal Shares with cost and cardinality utilities, without completion and with the
``add1`` completion (exhaustive stop; increment 1, or 100 for HUF files), checks
that the outcomes are identical (same projects, same order, pabutools' lexicographic
tie-breaking), then times our engine on 1,000,000 synthetic approval ballots.

Only the rule computation is timed on both sides (not file parsing); ours includes
grouping the ballots and computing their digest. ``--quick`` skips the pabutools
add1 runs on Warszawa and Budapest (several minutes each) and says so.

:func:`run_benchmark` returns the measurements for reuse (e.g. ``make bench-budgets``).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tenant_apps.budgets.pabulib import read_pabulib  # noqa: E402
from tenant_apps.budgets.rules import compute  # noqa: E402
from tenant_apps.budgets.rules.model import Instance, Project  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent / "data" / "pabulib"
# (file stem, add1 increment per voter in the file's currency)
FILES: tuple[tuple[str, int], ...] = (
    ("Poland_Lodz_2022", 1),
    ("Poland_Warszawa_2026", 1),
    ("Hungary_Budapest_2024", 100),
)
# pabutools add1 on these takes minutes: skipped by --quick.
SLOW_PABUTOOLS_ADD1 = frozenset({"Poland_Warszawa_2026", "Hungary_Budapest_2024"})
SYNTHETIC_BALLOTS = 1_000_000
SYNTHETIC_PROJECTS = 100
SYNTHETIC_SEED = 20260411
UTILITIES: tuple[Literal["cost", "cardinality"], ...] = ("cost", "cardinality")
COMPLETIONS: tuple[Literal["none", "add1"], ...] = ("none", "add1")

T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One (file, rule variant) measurement; pabutools fields are None when skipped."""

    file: str
    variant: str
    ours_s: float
    pabutools_s: float | None
    identical: bool | None

    @property
    def ratio(self) -> float | None:
        return None if self.pabutools_s is None else self.pabutools_s / self.ours_s


@dataclass(frozen=True)
class BenchmarkResult:
    rows: tuple[Row, ...]
    synthetic_s: float
    synthetic_greedy_s: float
    synthetic_selected: int

    def _ratio(self, add1_only: bool) -> float | None:
        measured = [r for r in self.rows if r.pabutools_s is not None and (r.variant.endswith("add1") or not add1_only)]
        if not measured:
            return None
        return sum(r.pabutools_s or 0.0 for r in measured) / sum(r.ours_s for r in measured)

    @property
    def add1_ratio(self) -> float | None:
        """pabutools time / our time, summed over the measured add1 runs."""
        return self._ratio(add1_only=True)

    @property
    def overall_ratio(self) -> float | None:
        """pabutools time / our time, summed over every measured run."""
        return self._ratio(add1_only=False)

    @property
    def identical(self) -> bool:
        return all(r.identical is not False for r in self.rows)

    def summary_line(self) -> str:
        ratio = "n/a" if self.add1_ratio is None else f"{self.add1_ratio:.1f}"
        return (
            f"budgets-rules mes_add1_ratio_vs_pabutools={ratio} identical={'yes' if self.identical else 'no'} "
            f"results_1m_ballots_s={self.synthetic_s:.2f}"
        )


def _timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def _pabutools_mes(path: Path) -> Callable[[str, int | None], list[str]]:
    """Closure computing pabutools' MES on the file (parsed once, outside the timing)."""
    from pabutools.election import Cardinality_Sat, Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares

    instance, profile = parse_pabulib(str(path))
    satisfactions = {"cost": Cost_Sat, "cardinality": Cardinality_Sat}

    def run(utility: str, increment: int | None) -> list[str]:
        outcome = method_of_equal_shares(
            instance, profile, sat_class=satisfactions[utility], voter_budget_increment=increment
        )
        return [project.name for project in outcome]

    return run


def _decompressed(stem: str) -> Path:
    """The benchmark files are stored gzipped (kept small in the repository); pabutools reads plain files,
    so each is written out once to a temporary folder."""
    target = Path(tempfile.gettempdir()) / "fluicity-bench-pabulib" / f"{stem}.pb"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(DATA_DIR / f"{stem}.pb.gz", "rb") as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)
    return target


def benchmark_file(stem: str, increment: int, *, quick: bool, log: Callable[[str], None]) -> list[Row]:
    """Time both engines on one file for the four MES variants."""
    path = _decompressed(stem)
    ours_instance = read_pabulib(path)
    reference = _pabutools_mes(path)
    rows = []
    for utility in UTILITIES:
        for completion in COMPLETIONS:
            variant = f"mes-{utility}" + ("-add1" if completion == "add1" else "")
            ours_s, outcome = _timed(
                compute,
                ours_instance,
                rule="equal-shares",
                utility=utility,
                completion=completion,
                increment=increment,
                tie_break="lexicographic",
            )
            if quick and completion == "add1" and stem in SLOW_PABUTOOLS_ADD1:
                log(f"  {stem} {variant}: pabutools skipped (--quick)")
                rows.append(Row(stem, variant, ours_s, None, None))
                continue
            pabutools_s, expected = _timed(reference, utility, increment if completion == "add1" else None)
            rows.append(Row(stem, variant, ours_s, pabutools_s, list(outcome.selected) == expected))
            log(f"  {stem} {variant}: ours {ours_s:.2f}s, pabutools {pabutools_s:.2f}s")
    return rows


def synthetic_instance(
    *, ballots: int = SYNTHETIC_BALLOTS, projects: int = SYNTHETIC_PROJECTS, seed: int = SYNTHETIC_SEED
) -> Instance:
    """Approval election with skewed popularity (Zipf-like) and 1-10 approvals per ballot."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, projects + 1) ** 0.8
    log_weights = np.log(popularity / popularity.sum())
    costs = rng.integers(20, 1000, size=projects) * 1000
    ids = [f"P{k:03d}" for k in range(projects)]
    # Most ballots are short: 1 + binomial gives a mean around 3.3, capped at 10.
    lengths = np.minimum(1 + rng.binomial(9, 0.25, size=ballots), 10)
    rows: list[tuple[str, ...]] = []
    chunk = 100_000
    for start in range(0, ballots, chunk):
        size = min(chunk, ballots - start)
        # Gumbel top-k: weighted sampling without replacement, vectorised per chunk.
        keys = log_weights + rng.gumbel(size=(size, projects))
        ranked = np.argsort(-keys, axis=1)[:, :10].tolist()
        for order, length in zip(ranked, lengths[start : start + size].tolist(), strict=False):
            rows.append(tuple(ids[k] for k in order[:length]))
    return Instance(
        budget=int(costs.sum()) // 5,
        projects=tuple(Project(id=project_id, cost=int(cost)) for project_id, cost in zip(ids, costs, strict=False)),
        ballots=tuple(rows),
    )


def run_benchmark(*, quick: bool = False, log: Callable[[str], None] = print) -> BenchmarkResult:
    """Run every measurement and return them (printing progress through ``log``)."""
    rows: list[Row] = []
    for stem, increment in FILES:
        rows += benchmark_file(stem, increment, quick=quick, log=log)
    log(f"  generating {SYNTHETIC_BALLOTS:,} synthetic approval ballots (seed {SYNTHETIC_SEED})")
    instance = synthetic_instance()
    synthetic_s, outcome = _timed(compute, instance, rule="equal-shares", utility="cost")
    greedy_s, _ = _timed(compute, instance, rule="greedy")
    return BenchmarkResult(tuple(rows), synthetic_s, greedy_s, len(outcome.selected))


def format_table(result: BenchmarkResult) -> str:
    lines = [f"{'file':<24} {'rule':<22} {'ours s':>8} {'pabutools s':>12} {'ratio':>8} {'identical':>9}"]
    for row in result.rows:
        pabutools = "skipped" if row.pabutools_s is None else f"{row.pabutools_s:.2f}"
        ratio = "-" if row.ratio is None else f"{row.ratio:.1f}x"
        identical = "-" if row.identical is None else ("yes" if row.identical else "NO")
        lines.append(f"{row.file:<24} {row.variant:<22} {row.ours_s:>8.2f} {pabutools:>12} {ratio:>8} {identical:>9}")
    overall = "n/a" if result.overall_ratio is None else f"{result.overall_ratio:.1f}x"
    lines.append(f"overall ratio (sum pabutools / sum ours, measured rows): {overall}")
    lines.append(
        f"1,000,000 synthetic approval ballots, {SYNTHETIC_PROJECTS} projects: MES (cost) {result.synthetic_s:.2f}s "
        f"({result.synthetic_selected} projects funded), greedy {result.synthetic_greedy_s:.2f}s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="skip the slowest pabutools runs")
    options = parser.parse_args(argv)
    if options.quick:
        print(f"--quick: pabutools add1 runs on {', '.join(sorted(SLOW_PABUTOOLS_ADD1))} are skipped")
    result = run_benchmark(quick=options.quick)
    print(format_table(result))
    print(result.summary_line())
    return 0 if result.identical else 1


if __name__ == "__main__":
    sys.exit(main())
