#!/usr/bin/env python
"""Participatory-budgeting benchmark for ``make bench-budgets``: rules engine, and ballots cast through the API.

Run from the repository root::

    .venv/bin/python benchmarks/bench_budgets.py                      # full rules comparison, 2000 ballots
    .venv/bin/python benchmarks/bench_budgets.py --quick              # rules --quick (slow pabutools add1 skipped)
    .venv/bin/python benchmarks/bench_budgets.py --skip-rules-comparison --ballots 1000   # no pabutools at all

Part 1, rules: ``benchmarks/bench_budgets_rules.py`` (``run_benchmark(quick=...)``): our engine against
pabutools on the largest Pabulib files (outcomes checked identical), then our engine on 1,000,000 synthetic
approval ballots. ``--skip-rules-comparison`` skips pabutools and the Pabulib files and only times our engine
on the same 1M synthetic ballots (same generator, same seed); the ratio and identity are then "skipped".

Part 2, ballots per second through the city API:

- Nothing touches a developer's data: ``benchmarks/bench_provisioning.py``'s helpers create a throwaway
  database ``fluicity_bench_<pid>`` on the server of ``DATABASE_URL`` and drop it at the end, even after a
  failure, Ctrl-C or SIGTERM. Redis is database 14 with a per-run key prefix; the Celery broker is kombu's
  in-memory transport. Settings: ``fluicity.settings.local`` with ``DEBUG=false``.
- Setup (untimed): public schema migrated, warm pool filled (``pool_refill(target=2)``), one city through
  ``tenants.services.city_create``; in it an approval process in voting with 20 projects (as the tests'
  ``make_process``), N+1 residents with a verified email (the default rules ask no residency verification
  for ``vote_budget``, as in the tests' ``make_user``), no password (no hashing cost), and a DRF token each.
- Timed: N sequential ``PUT /api/v1/budgets/processes/<id>/ballot/`` through ``rest_framework.test.APIClient``
  with ``HTTP_HOST=<slug>.<BASE_DOMAIN>`` and ``Authorization: Token ...``, each voter approving 1-5 random
  projects (fixed seed), every answer asserted 2xx. The whole request path runs: host routing to the city,
  token authentication, throttling (Redis), the cast service (row locks, advisory lock, participation marker,
  ballot and choices) and serialisation. One untimed warm-up ballot (the extra resident) comes first.
  ballots/s = N / wall time of the loop (``time.perf_counter``); per-ballot p50/p95 are also shown.
  Afterwards the process holds exactly N+1 ballots (asserted).

Part 3, results for 1,000,000 ballots through the database: in the same city, an approval process with the
synthetic election of part 1 (same generator and seed: 50 projects, 1M ballots, ~3.3M choices) loaded with
PostgreSQL COPY (untimed), moved to the results phase, then ``results_compute(process_id=...)`` is timed: the
function the results Celery job runs (reads every ballot and choice from the database, runs MES with cost
utilities, stores the result with its digest and step log). Its selection is checked equal to the in-memory
computation of part 1. ``results_1m_ballots_s`` in the summary line is this database figure.

Caveats: in-process (Django test client: no HTTP server, no network, no TLS, no WSGI/ASGI worker), a single
sequential client, on a 2-core machine with PostgreSQL on it (the database competes with Python for the CPU).
It measures per-request server cost, not a concurrent load test; production throughput depends on the worker
count. ``--quick`` only affects part 1.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
for _entry in (REPO_ROOT, BENCH_DIR):
    if str(_entry) not in sys.path:
        sys.path.insert(0, str(_entry))

import bench_budgets_rules as rules_bench  # noqa: E402
import bench_provisioning as provisioning_bench  # noqa: E402

DEFAULT_BALLOTS = 2000
PROJECTS = 20
MAX_APPROVALS = 5
BALLOT_SEED = 20260412
POOL_TARGET = 2
CITY_SLUG = "benchpb"

log = provisioning_bench.log


@dataclass(frozen=True)
class RulesOutcome:
    """Part 1: ``ratio`` and ``identical`` are None when the pabutools comparison was skipped."""

    ratio: float | None
    identical: bool | None
    results_1m_s: float
    report: str


@dataclass(frozen=True)
class BallotOutcome:
    ballots: int
    elapsed_s: float
    latencies_ms: tuple[float, ...]
    approvals: int
    setup_s: float
    postgres: str

    @property
    def per_second(self) -> float:
        return self.ballots / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95_ms(self) -> float:
        return provisioning_bench.percentile_95(self.latencies_ms)


# --- Part 1: rules ---------------------------------------------------------------------------------


def run_rules(*, quick: bool, skip_comparison: bool) -> RulesOutcome:
    if skip_comparison:
        from tenant_apps.budgets.rules import compute

        seed = rules_bench.SYNTHETIC_SEED
        log(f"  generating {rules_bench.SYNTHETIC_BALLOTS:,} synthetic approval ballots (seed {seed})")
        instance = rules_bench.synthetic_instance()
        started = time.perf_counter()
        outcome = compute(instance, rule="equal-shares", utility="cost")
        elapsed = time.perf_counter() - started
        report = (
            "pabutools comparison skipped (--skip-rules-comparison)\n"
            f"{rules_bench.SYNTHETIC_BALLOTS:,} synthetic approval ballots, {rules_bench.SYNTHETIC_PROJECTS} projects: "
            f"MES (cost) {elapsed:.2f}s ({len(outcome.selected)} projects funded)"
        )
        return RulesOutcome(None, None, elapsed, report)
    if quick:
        log(f"--quick: pabutools add1 runs on {', '.join(sorted(rules_bench.SLOW_PABUTOOLS_ADD1))} are skipped")
    result = rules_bench.run_benchmark(quick=quick, log=log)
    report = rules_bench.format_table(result) + "\n" + result.summary_line()
    return RulesOutcome(result.add1_ratio, result.identical, result.synthetic_s, report)


# --- Part 2: ballots through the API (Django is set up from here on) -----------------------------


def _setup_city() -> Any:
    from django.core.management import call_command

    from tenants.pool import pool_refill
    from tenants.services import city_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    report = pool_refill(target=POOL_TARGET)
    if report.ready < 1:
        raise RuntimeError(f"pool refill failed: {report}")
    return city_create(slug=CITY_SLUG, name="Bench PB", admin_email=f"admin@{CITY_SLUG}.example")


def _setup_process_and_voters(voters: int) -> tuple[int, list[int], list[str]]:
    """In the current city: an approval process in voting, ``voters`` residents and their tokens."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from core.models import User
    from tenant_apps.accounts.models import Profile, Role
    from tenant_apps.budgets import services
    from tenant_apps.budgets.models import Project, ProjectStatus
    from tenant_apps.budgets.phases import Phase

    rng = random.Random(BALLOT_SEED)
    process = services.process_create(title="Bench PB", total_budget=1_000_000)
    for k in range(PROJECTS):
        Project.objects.create(
            process=process,
            title=f"Project {k + 1}",
            estimated_cost=rng.randrange(10_000, 200_000, 1_000),
            status=ProjectStatus.SELECTED_FOR_BALLOT,
        )
    process = services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW)
    process = services.process_advance_phase(process_id=process.pk, to=Phase.VOTING)
    project_ids = list(Project.objects.filter(process=process).values_list("pk", flat=True))
    tokens: list[str] = []
    now = timezone.now()
    for i in range(voters):
        user = User.objects.create_user(email=f"voter-{i:06d}@people.example", password=None)
        Profile.objects.create(user=user, role=Role.RESIDENT, email_verified_at=now)
        tokens.append(Token.objects.create(user=user).key)
    return process.pk, project_ids, tokens


def run_ballots(count: int) -> BallotOutcome:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection as raw_connection
    from rest_framework.test import APIClient

    from tenant_apps.budgets.models import Ballot
    from tenants.context import in_city, in_public

    with raw_connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
        postgres = str(row[0]) if row else "?"

    log(f"setup: public schema, warm pool, city '{CITY_SLUG}', process with {PROJECTS} projects, {count + 1} residents")
    started = time.perf_counter()
    city = _setup_city()
    with in_city(city_id=city.id, city=city):
        process_id, project_ids, tokens = _setup_process_and_voters(count + 1)
    setup_s = time.perf_counter() - started
    log(f"  setup done in {setup_s:.1f} s")

    rng = random.Random(BALLOT_SEED)
    payloads = [
        {"choices": [{"project": pid} for pid in rng.sample(project_ids, rng.randint(1, MAX_APPROVALS))]}
        for _ in tokens
    ]
    client = APIClient()
    client.defaults["HTTP_HOST"] = f"{CITY_SLUG}.{settings.BASE_DOMAIN}"
    url = f"/api/v1/budgets/processes/{process_id}/ballot/"

    def cast(index: int) -> None:
        response = client.put(url, payloads[index], format="json", HTTP_AUTHORIZATION=f"Token {tokens[index]}")
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"ballot {index}: HTTP {response.status_code}: {response.content[:300]!r}")

    latencies: list[float] = []
    with in_public():
        cast(count)  # warm-up, untimed: the extra resident
        log(f"casting {count} ballots through the API")
        loop_started = time.perf_counter()
        for index in range(count):
            before = time.perf_counter()
            cast(index)
            latencies.append((time.perf_counter() - before) * 1000)
        elapsed = time.perf_counter() - loop_started
    with in_city(city_id=city.id):
        stored = Ballot.objects.filter(process_id=process_id).count()
    if stored != count + 1:
        raise RuntimeError(f"expected {count + 1} ballots stored, found {stored}")
    approvals = sum(len(p["choices"]) for p in payloads[:count])
    return BallotOutcome(count, elapsed, tuple(latencies), approvals, setup_s, postgres)


def ballot_report(outcome: BallotOutcome) -> str:
    return "\n".join(
        [
            f"Ballots through the city API: PostgreSQL {outcome.postgres}, {os.cpu_count()} CPUs",
            "In-process (Django test client: no HTTP server, no network), one sequential client, "
            "PostgreSQL on the same 2-core machine.",
            f"PUT /api/v1/budgets/processes/<id>/ballot/ with a DRF token, approval ballot of {PROJECTS} projects, "
            f"1-{MAX_APPROVALS} approvals each (seed {BALLOT_SEED}), all answers 2xx",
            f"{outcome.ballots} ballots ({outcome.approvals} approvals) in {outcome.elapsed_s:.2f} s: "
            f"{outcome.per_second:.1f} ballots/s; per ballot p50 {outcome.p50_ms:.1f} ms, p95 {outcome.p95_ms:.1f} ms",
            f"setup (untimed: migrate public, pool, city, process, residents, tokens): {outcome.setup_s:.1f} s",
        ]
    )


# --- Part 3: results for 1M ballots through the database -------------------------------------------


@dataclass(frozen=True)
class ResultsOutcome:
    ballots: int
    choices: int
    load_s: float
    compute_s: float
    selected: int
    matches_in_memory: bool


def run_results_1m() -> ResultsOutcome:
    """Load the 1M synthetic ballots into a process with COPY, then time the results job's service."""
    from django.db import connection

    from tenant_apps.budgets import services
    from tenant_apps.budgets.models import Ballot, BallotChoice, Project, ProjectStatus
    from tenant_apps.budgets.phases import Phase
    from tenant_apps.budgets.rules import compute
    from tenant_apps.budgets.services.results import results_compute
    from tenants.context import in_city
    from tenants.models import City

    seed = rules_bench.SYNTHETIC_SEED
    log(f"  generating {rules_bench.SYNTHETIC_BALLOTS:,} synthetic approval ballots (seed {seed})")
    instance = rules_bench.synthetic_instance()
    expected = list(compute(instance, rule="equal-shares", utility="cost").selected)
    city = City.objects.get(slug=CITY_SLUG)
    with in_city(city_id=city.id, city=city):
        started = time.perf_counter()
        process = services.process_create(
            title="Bench 1M", total_budget=int(instance.budget), results_rule="equal-shares", utility="cost"
        )
        pk_of: dict[str, int] = {}
        for project in instance.projects:
            row = Project.objects.create(
                process=process,
                title=project.id,
                estimated_cost=int(project.cost),
                status=ProjectStatus.SELECTED_FOR_BALLOT,
            )
            pk_of[project.id] = row.pk
        process = services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW)
        process = services.process_advance_phase(process_id=process.pk, to=Phase.VOTING)
        ballot_table, choice_table = Ballot._meta.db_table, BallotChoice._meta.db_table
        choices = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {ballot_table}")
            first_id = int(cursor.fetchone()[0]) + 1
            raw = cursor.connection  # psycopg 3
            with raw.cursor() as copy_cursor:
                with copy_cursor.copy(
                    f"COPY {ballot_table} (id, process_id, receipt, channel, created_at, updated_at) FROM STDIN"
                ) as copy:
                    for offset in range(len(instance.ballots)):
                        copy.write_row((first_id + offset, process.pk, f"b1m{offset}", "imported", "now", "now"))
                with copy_cursor.copy(f"COPY {choice_table} (ballot_id, project_id, points) FROM STDIN") as copy:
                    for offset, ballot in enumerate(instance.ballots):
                        for project_id in ballot:
                            copy.write_row((first_id + offset, pk_of[project_id], 1))
                            choices += 1
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{ballot_table}', 'id'), (SELECT max(id) FROM {ballot_table}))"
            )
            cursor.execute(f"ANALYZE {ballot_table}; ANALYZE {choice_table}")
        process = services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
        load_s = time.perf_counter() - started
        log(f"  loaded {len(instance.ballots):,} ballots and {choices:,} choices in {load_s:.1f} s (COPY, untimed)")
        compute_started = time.perf_counter()
        (result,) = results_compute(process_id=process.pk)
        compute_s = time.perf_counter() - compute_started
        by_pk = {str(pk): name for name, pk in pk_of.items()}
        selected = [by_pk[key] for key in result.selected]
        if result.ballot_count != len(instance.ballots):
            raise RuntimeError(f"expected {len(instance.ballots)} ballots counted, got {result.ballot_count}")
    log(f"  results_compute over the database: {compute_s:.2f} s")
    return ResultsOutcome(len(instance.ballots), choices, load_s, compute_s, len(selected), selected == expected)


def results_report(outcome: ResultsOutcome) -> str:
    same = "identical to" if outcome.matches_in_memory else "DIFFERENT FROM"
    return (
        f"Results through the database: {outcome.ballots:,} approval ballots ({outcome.choices:,} choices, loaded with "
        f"COPY in {outcome.load_s:.1f} s, untimed); results_compute (the Celery job's service: read, MES cost, store) "
        f"{outcome.compute_s:.2f} s; {outcome.selected} projects funded, {same} the in-memory computation"
    )


# --- Entry point -----------------------------------------------------------------------------------


def summary_line(rules: RulesOutcome, ballots: BallotOutcome, results: ResultsOutcome) -> str:
    if rules.identical is None:
        ratio, identical = "skipped", "skipped"
    else:
        ratio = "n/a" if rules.ratio is None else f"{rules.ratio:.1f}"
        identical = "yes" if rules.identical else "no"
    return (
        f"budgets mes_add1_ratio_vs_pabutools={ratio} identical={identical} "
        f"ballots_per_s={ballots.per_second:.1f} results_1m_ballots_s={results.compute_s:.2f}"
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="rules part: skip the slowest pabutools runs")
    parser.add_argument("--ballots", type=int, default=DEFAULT_BALLOTS, help=f"ballots to cast ({DEFAULT_BALLOTS})")
    parser.add_argument(
        "--skip-rules-comparison",
        action="store_true",
        help="no pabutools: only time our engine on the 1M synthetic ballots (ratio and identity 'skipped')",
    )
    args = parser.parse_args(list(argv))
    if args.ballots < 1:
        parser.error("--ballots must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from django.conf import settings

    if settings.configured:
        log("Django is already configured in this process: refusing to run (it must own a throwaway database).")
        return 2
    started = time.perf_counter()
    try:
        log("part 1: rules engine")
        rules = run_rules(quick=args.quick, skip_comparison=args.skip_rules_comparison)
        log("part 2: ballots through the API")
        server_url = os.environ.get("DATABASE_URL", provisioning_bench.DEFAULT_DATABASE_URL)
        with provisioning_bench.sigterm_as_interrupt(), provisioning_bench.throwaway_database(server_url) as url:
            provisioning_bench.configure_environment(url, POOL_TARGET)
            ballots = run_ballots(args.ballots)
            log("part 3: results for 1,000,000 ballots through the database")
            results = run_results_1m()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print(rules.report)
    print()
    print(ballot_report(ballots))
    print()
    print(results_report(results))
    print(f"total run time: {time.perf_counter() - started:.0f} s")
    print(summary_line(rules, ballots, results))
    return 1 if rules.identical is False or not results.matches_in_memory else 0


if __name__ == "__main__":
    sys.exit(main())
