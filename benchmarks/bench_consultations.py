#!/usr/bin/env python
"""Consultations at scale, for ``make bench-consultations``: one city, one consultation, a million contributions.

Run from the repository root::

    .venv/bin/python benchmarks/bench_consultations.py                   # 1,000,000 contributions
    .venv/bin/python benchmarks/bench_consultations.py --quick           # 50,000 contributions, fewer samples
    .venv/bin/python benchmarks/bench_consultations.py --contributions 200000 --explain
    .venv/bin/python benchmarks/bench_consultations.py --search-statistics 1000   # what-if for search plans

Method:

- Nothing touches a developer's data: ``benchmarks/bench_provisioning.py``'s helpers create a throwaway
  database ``fluicity_bench_<pid>`` on the server of ``DATABASE_URL`` and drop it at the end, even after a
  failure, Ctrl-C or SIGTERM (Redis database 14 with a per-run prefix, Celery on kombu's in-memory broker,
  ``DEBUG=false``).
- Setup (timed separately, not part of the results): public schema, one city through ``city_create``, an
  open French consultation (5 themes + "other") filled by ``manage.py consultations_seed``'s code
  (``tenant_apps.consultations.seeding``, PostgreSQL COPY, 2 writer connections): N contributions, 0.3 N
  comments, 2 N supports, 0.2 N residents, ~1% answered; then ``ANALYZE``.
- Reads, through Django's test ``Client`` on the city host (the whole request: host routing to the city,
  middleware, selectors, template or serializer), anonymous, each with 3 untimed warm-up requests then
  ``--samples`` timed ones (``time.perf_counter``; p50 = median, p95 = inclusive 95th percentile):
  ``list``: ``/consultations/<slug>/`` (newest first), the same 2, 10 and 50 pages deep through the keyset
  cursor, and 40% down the list (a cursor made with the selectors' encoder); ``filter``: answered
  contributions of the largest and of the smallest theme, most supported first; ``search``: several French
  words, common to rare, each with its own samples; ``api``: ``/api/v1/consultations/<slug>/contributions/``
  with ``page_size`` 20 and 100, and one search. Every answer must be 200; API pages must hold results.
  Each summary number is the worst p95 of its variants. For every variant the slowest SQL statement of
  one request is shown; ``--explain`` prints its ``EXPLAIN (ANALYZE, BUFFERS)``.
- Creation: ``--creates`` calls of ``services.contributions.contribution_create`` (the full service: lock
  of the consultation FOR SHARE, permission, filter, insert with the search trigger, moderation log),
  sequential, 50 different authors: contributions per second = count / wall time.
- Export: all contributions as CSV through ``services.exports.export_response`` (server-side cursor,
  streamed chunks), every chunk consumed and dropped, in a fresh child process (``spawn``) so that its
  memory is its own: wall time and RSS growth (``resource.getrusage`` peak after minus before; the peak is
  first reset to the current RSS through ``/proc/self/clear_refs``, else imports would hide it), then a
  second pass under ``tracemalloc`` (Python allocations only; slower, so not timed). ``export_peak_mb`` is
  the larger of the two: RSS growth also counts the driver's buffers and allocator slack that tracemalloc
  does not see, while tracemalloc is exact for Python objects. Flat memory shows as a peak that does not
  grow with N (the table also gives the tracemalloc peak after the first tenth of the rows).

Caveats: in-process client (no HTTP server, network or TLS); one sequential client; a 2-core machine with
PostgreSQL on it, and whatever else runs there; cold-cache effects are hidden by the warm-up. Pages that
miss the 150 ms p95 target are marked; the table's slowest statement says where the time went.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
for _entry in (REPO_ROOT, BENCH_DIR):
    if str(_entry) not in sys.path:
        sys.path.insert(0, str(_entry))

import bench_provisioning as provisioning_bench  # noqa: E402

DEFAULT_CONTRIBUTIONS = 1_000_000
QUICK_CONTRIBUTIONS = 50_000
DEFAULT_SAMPLES = 30
DEFAULT_CREATES = 500
CITY_SLUG = "benchcons"
CONSULTATION_SLUG = "wallonie-1m"
TARGET_MS = 150.0
SEED = 2024
DEEP_PAGES = (2, 10, 50)
# Common to rare in the generated French texts (see seeding/lexicon.py); the last matches nothing.
SEARCHES = ("pollution", "pistes cyclables", "médecins généralistes", "Durbuy", "géothermie", "xylophone")

log = provisioning_bench.log


@dataclass
class Variant:
    group: str  # list | filter | search | api
    label: str
    url: str
    ms: list[float] = field(default_factory=list)
    slowest_sql_ms: float = 0.0
    slowest_sql: str = ""
    results: int | None = None

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return provisioning_bench.percentile_95(self.ms)


@dataclass
class ExportOutcome:
    rows: int
    bytes: int
    seconds: float
    rss_growth_mb: float
    tracemalloc_peak_mb: float
    tracemalloc_tenth_mb: float
    rss_before_mb: float  # the child process before the export (Django, drivers, imports)
    rss_peak_mb: float

    @property
    def peak_mb(self) -> float:
        return max(self.rss_growth_mb, self.tracemalloc_peak_mb)


@dataclass
class Outcome:
    contributions: int
    postgres: str = ""
    setup_s: float = 0.0
    seed_s: float = 0.0
    seeded: str = ""
    variants: list[Variant] = field(default_factory=list)
    creates: int = 0
    create_s: float = 0.0
    create_ms: list[float] = field(default_factory=list)
    export: ExportOutcome | None = None
    explains: list[tuple[str, str]] = field(default_factory=list)
    search_statistics: int = 0  # 0: the column's statistics target as migrated

    def worst(self, group: str) -> float:
        return max(v.p95 for v in self.variants if v.group == group)

    @property
    def create_per_s(self) -> float:
        return self.creates / self.create_s if self.create_s > 0 else float("inf")


# --- Setup ---------------------------------------------------------------------------------------------


def setup(outcome: Outcome, *, workers: int) -> Any:
    """Public schema, one city, the seeded consultation; returns the City."""
    from django.core.management import call_command
    from django.db import connection

    from tenant_apps.consultations.seeding import SeedSpec, consultation_ensure, lexicon_for, seed_consultation
    from tenants.context import in_city
    from tenants.pool import pool_refill
    from tenants.services import city_create

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
        outcome.postgres = str(row[0]) if row else "?"
    started = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    if pool_refill(target=1).ready < 1:
        raise RuntimeError("pool refill failed")
    city = city_create(slug=CITY_SLUG, name="Bench consultations", admin_email=f"admin@{CITY_SLUG}.example")
    outcome.setup_s = time.perf_counter() - started
    n = outcome.contributions
    log(f"seeding {n:,} contributions ({workers} writer connections)")
    started = time.perf_counter()
    with in_city(city_id=city.id, city=city):
        consultation = consultation_ensure(slug=CONSULTATION_SLUG, lexicon=lexicon_for("fr"))
        report = seed_consultation(
            consultation=consultation,
            spec=SeedSpec(
                contributions=n,
                comments=n * 3 // 10,
                reactions=n * 2,
                users=max(100, n // 5),
                seed=SEED,
                workers=workers,
                email_domain="bench.example",
            ),
            progress=lambda message: log(f"  [{time.perf_counter() - started:6.0f}s] {message}"),
        )
    outcome.seed_s = time.perf_counter() - started
    outcome.seeded = report.summary()
    log(f"  seeded in {outcome.seed_s:.0f} s: {outcome.seeded}")
    return city


# --- Reads ---------------------------------------------------------------------------------------------


def _cursors(consultation: Any, pages: Sequence[int]) -> dict[int, str]:
    """The cursor that opens each page number (walking ``next`` from the first page; untimed)."""
    from tenant_apps.consultations import selectors

    found: dict[int, str] = {}
    cursor, page = "", 1
    while page < max(pages):
        result = selectors.contribution_page(consultation, cursor=cursor)
        if result.next_cursor is None:
            break
        cursor, page = result.next_cursor, page + 1
        if page in pages:
            found[page] = cursor
    return found


def _deep_cursor(consultation: Any, share: float) -> str | None:
    """A "next" cursor ``share`` of the way down the newest-first list, made with the selectors' own
    encoder (walking there page by page would take minutes); None if that encoder is gone."""
    from tenant_apps.consultations import selectors
    from tenant_apps.consultations.models import Contribution, ContributionStatus

    encode = getattr(selectors, "_encode_cursor", None)
    published = Contribution.objects.filter(consultation=consultation, status=ContributionStatus.PUBLISHED)
    offset = int(published.count() * share)
    row = published.order_by("-created_at", "-id").values_list("created_at", "id")[offset : offset + 1].first()
    if encode is None or row is None:
        return None
    return str(encode(row[0], row[1], "next"))


def read_variants(consultation: Any) -> list[Variant]:
    from urllib.parse import urlencode

    page = f"/consultations/{consultation.slug}/"
    api = f"/api/v1/consultations/{consultation.slug}/contributions/"
    themes = list(consultation.themes.order_by("position", "id"))
    variants = [Variant("list", "list, first page (newest)", page)]
    for number, cursor in _cursors(consultation, DEEP_PAGES).items():
        variants.append(Variant("list", f"list, page {number} (cursor)", f"{page}?{urlencode({'cursor': cursor})}"))
    deep = _deep_cursor(consultation, 0.4)
    if deep:
        variants.append(Variant("list", "list, 40% down the list (cursor)", f"{page}?{urlencode({'cursor': deep})}"))
    # The largest theme and the smallest: the rarer the match, the longer an index walk in sort order.
    for theme in (themes[0], themes[-1]):
        filtered = urlencode({"theme": theme.pk, "answered": "yes", "sort": "supported"})
        label = f"filter: {theme.name} + answered, most supported"
        variants.append(Variant("filter", label, f"{page}?{filtered}"))
    for words in SEARCHES:
        variants.append(Variant("search", f"search {words!r}", f"{page}?{urlencode({'q': words})}"))
    variants.append(Variant("api", "API, page_size=20", f"{api}?page_size=20"))
    variants.append(Variant("api", "API, page_size=100", f"{api}?page_size=100"))
    variants.append(Variant("api", "API, search 'pollution', page_size=20", f"{api}?{urlencode({'q': 'pollution'})}"))
    return variants


def measure_reads(variants: list[Variant], *, samples: int) -> None:
    """Time every variant through the test client (anonymous); the connection is left to the middleware."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=f"{CITY_SLUG}.{settings.BASE_DOMAIN}")

    def get(url: str) -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}: {response.content[:300]!r}")
        return response

    for variant in variants:
        for _ in range(3):
            response = get(variant.url)
        if variant.group == "api":
            variant.results = len(response.json()["results"])
            if variant.results == 0:
                raise RuntimeError(f"{variant.url}: no results")
        with CaptureQueriesContext(connection) as queries:
            get(variant.url)
        selects = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
        slowest = max(selects, key=lambda q: float(q["time"]))
        variant.slowest_sql_ms, variant.slowest_sql = float(slowest["time"]) * 1000, slowest["sql"]
        for _ in range(samples):
            before = time.perf_counter()
            get(variant.url)
            variant.ms.append((time.perf_counter() - before) * 1000)
        log(f"  {variant.label}: p50 {variant.p50:.1f} ms, p95 {variant.p95:.1f} ms")


def explain(variants: list[Variant], outcome: Outcome) -> None:
    from django.db import connection

    for variant in variants:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {variant.slowest_sql}")
            plan = "\n".join(str(row[0]) for row in cursor.fetchall())
        outcome.explains.append((variant.label, f"{variant.slowest_sql}\n{plan}"))


# --- Creation ------------------------------------------------------------------------------------------


def measure_creates(outcome: Outcome, consultation: Any, count: int) -> None:
    from core.models import User
    from tenant_apps.consultations.seeding import TextFactory, lexicon_for
    from tenant_apps.consultations.services.contributions import contribution_create

    authors = list(User.objects.filter(email__endswith="@bench.example").order_by("id")[:50])
    themes = [*consultation.themes.values_list("pk", flat=True), None]
    texts = TextFactory(lexicon_for("fr"), random.Random(SEED))
    payloads = [(texts.title(i % 6), texts.body(i % 6), themes[i % len(themes)]) for i in range(count + 1)]

    def create(index: int) -> None:
        title, body, theme_id = payloads[index]
        contribution_create(
            consultation=consultation, author=authors[index % len(authors)], title=title, body=body, theme_id=theme_id
        )

    create(count)  # warm-up, untimed
    started = time.perf_counter()
    for index in range(count):
        before = time.perf_counter()
        create(index)
        outcome.create_ms.append((time.perf_counter() - before) * 1000)
    outcome.create_s = time.perf_counter() - started
    outcome.creates = count


# --- Export (child process) ----------------------------------------------------------------------------


def _export_child(results: Any, city_id: int, consultation_id: int) -> None:
    """Runs in a fresh interpreter (spawn): its peak RSS is the export's own."""
    import contextlib
    import gc
    import resource
    import tracemalloc

    import django

    django.setup()
    from tenant_apps.consultations.models import Consultation
    from tenant_apps.consultations.services.exports import export_response
    from tenants.context import in_city

    def consume(*, traced: bool) -> tuple[int, int, float]:
        """(rows, bytes, tracemalloc peak in MB once a tenth of the rows went by)."""
        chunks = size = 0
        tenth = 0.0
        with in_city(city_id=city_id):
            consultation = Consultation.objects.get(pk=consultation_id)
            total = consultation.contributions.count() if traced else 0
            response = export_response(consultation=consultation, kind="contributions", fmt="csv")
            with open(os.devnull, "wb") as sink:
                for chunk in response.streaming_content:  # type: ignore[union-attr]
                    sink.write(chunk)
                    size += len(chunk)
                    chunks += 1
                    # csv_chunks yields about one chunk per 500 rows
                    if traced and not tenth and chunks * 500 >= total / 10:
                        tenth = tracemalloc.get_traced_memory()[1] / 2**20
            response.close()
        return total, size, tenth

    gc.collect()
    # ru_maxrss is a high-water mark: importing Django may have set it above anything the export reaches.
    # Linux lets a process reset it to its current RSS (clear_refs "5"), so the growth is the export's.
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    _rows, size, _tenth = consume(traced=False)
    seconds = time.perf_counter() - started
    after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gc.collect()
    tracemalloc.start()
    rows, _size, tenth = consume(traced=True)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    results.put((rows, size, seconds, (after_kb - before_kb) / 1024, peak, tenth, before_kb / 1024, after_kb / 1024))


def measure_export(city_id: int, consultation_id: int) -> ExportOutcome:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_export_child, args=(results, city_id, consultation_id))
    child.start()
    try:
        rows, size, seconds, rss_mb, peak_mb, tenth_mb, rss_before, rss_peak = results.get(timeout=3600)
    finally:
        child.join(60)
    return ExportOutcome(rows, size, seconds, rss_mb, peak_mb, tenth_mb, rss_before, rss_peak)


# --- Run and report ------------------------------------------------------------------------------------


def run(
    outcome: Outcome, *, samples: int, creates: int, workers: int, with_explain: bool, search_statistics: int
) -> None:
    import django

    django.setup()
    from django.db import connection

    from tenant_apps.consultations.models import Consultation
    from tenants.context import in_city, in_public

    city = setup(outcome, workers=workers)
    with in_city(city_id=city.id, city=city):
        outcome.search_statistics = search_statistics
        if search_statistics:
            # What-if: a larger statistics sample for the tsvector column (see the report's search rows).
            log(f"search_vector statistics target {search_statistics}, then ANALYZE")
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE consultations_contribution ALTER COLUMN search_vector SET STATISTICS %s",
                    [search_statistics],
                )
                cursor.execute("ANALYZE consultations_contribution")
        consultation = Consultation.objects.get(slug=CONSULTATION_SLUG)
        variants = read_variants(consultation)
    log(f"reads: {len(variants)} variants, 3 warm-up + {samples} samples each")
    with in_public():
        measure_reads(variants, samples=samples)
    outcome.variants = variants
    if with_explain:
        with in_city(city_id=city.id, city=city):
            explain(variants, outcome)
    log(f"creation: {creates} contributions through contribution_create")
    with in_city(city_id=city.id, city=city):
        measure_creates(outcome, Consultation.objects.get(slug=CONSULTATION_SLUG), creates)
    log("export: every contribution as CSV, in a child process")
    outcome.export = measure_export(city.id, consultation.pk)


def format_report(outcome: Outcome, total_s: float) -> str:
    lines = [
        f"Consultations at scale: PostgreSQL {outcome.postgres}, {os.cpu_count()} CPUs, in-process test client, "
        "one sequential client",
        f"seeded: {outcome.seeded}",
        f"search_vector statistics target: {outcome.search_statistics or 'as migrated (default)'}",
        f"setup {outcome.setup_s:.0f} s (public schema, city); seeding {outcome.seed_s:.0f} s "
        f"({outcome.contributions / max(outcome.seed_s, 1e-9):,.0f} contributions/s with their comments and reactions)",
        "",
        f"{'request':58} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'rows':>5} {'slowest SQL ms':>15}",
    ]
    for v in outcome.variants:
        mark = "ok" if v.p95 < TARGET_MS else "MISSED"
        rows = "" if v.results is None else str(v.results)
        lines.append(f"{v.label[:58]:58} {v.p50:8.1f} {v.p95:8.1f} {mark:>7} {rows:>5} {v.slowest_sql_ms:15.1f}")
    lines.append("")
    if outcome.create_ms:
        lines.append(
            f"creation: {outcome.creates} contributions in {outcome.create_s:.2f} s = {outcome.create_per_s:.1f}/s "
            f"(p50 {statistics.median(outcome.create_ms):.1f} ms, "
            f"p95 {provisioning_bench.percentile_95(outcome.create_ms):.1f} ms per call)"
        )
    if outcome.export:
        e = outcome.export
        lines.append(
            f"export CSV: {e.rows:,} rows, {e.bytes / 2**20:,.0f} MB in {e.seconds:.1f} s "
            f"({e.rows / max(e.seconds, 1e-9):,.0f} rows/s); memory: RSS {e.rss_before_mb:.0f} MB before, "
            f"peak {e.rss_peak_mb:.0f} MB (growth {e.rss_growth_mb:.1f} MB), tracemalloc peak "
            f"{e.tracemalloc_peak_mb:.1f} MB (after the first tenth: {e.tracemalloc_tenth_mb:.1f} MB)"
        )
    for label, plan in outcome.explains:
        lines += ["", f"EXPLAIN ANALYZE, slowest statement of: {label}", plan]
    lines.append(f"total run time: {total_s:.0f} s")
    return "\n".join(lines)


def summary_line(outcome: Outcome) -> str:
    export = outcome.export
    return (
        f"consultations contributions={outcome.contributions} list_p95_ms={outcome.worst('list'):.1f} "
        f"filter_p95_ms={outcome.worst('filter'):.1f} search_p95_ms={outcome.worst('search'):.1f} "
        f"api_p95_ms={outcome.worst('api'):.1f} create_per_s={outcome.create_per_s:.1f} "
        f"export_s={export.seconds if export else float('nan'):.1f} "
        f"export_peak_mb={export.peak_mb if export else float('nan'):.1f}"
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CONTRIBUTIONS:,} contributions, fewer samples")
    parser.add_argument("--contributions", type=int, help=f"contributions to seed ({DEFAULT_CONTRIBUTIONS:,})")
    parser.add_argument("--samples", type=int, help=f"timed requests per variant ({DEFAULT_SAMPLES})")
    parser.add_argument("--creates", type=int, help=f"contributions created through the service ({DEFAULT_CREATES})")
    parser.add_argument("--workers", type=int, default=2, help="connections writing the seed (2)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each slowest statement")
    parser.add_argument(
        "--search-statistics",
        type=int,
        default=0,
        help="what-if: SET STATISTICS on contribution.search_vector before measuring (0: as migrated)",
    )
    args = parser.parse_args(list(argv))
    if args.contributions is None:
        args.contributions = QUICK_CONTRIBUTIONS if args.quick else DEFAULT_CONTRIBUTIONS
    if args.samples is None:
        args.samples = DEFAULT_SAMPLES
    if args.creates is None:
        args.creates = 100 if args.quick else DEFAULT_CREATES
    if args.contributions < 1000 or args.samples < 2 or args.creates < 1:
        parser.error("--contributions >= 1000, --samples >= 2, --creates >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from django.conf import settings

    if settings.configured:
        log("Django is already configured in this process: refusing to run (it must own a throwaway database).")
        return 2
    started = time.perf_counter()
    outcome = Outcome(contributions=args.contributions)
    server_url = os.environ.get("DATABASE_URL", provisioning_bench.DEFAULT_DATABASE_URL)
    try:
        with provisioning_bench.sigterm_as_interrupt(), provisioning_bench.throwaway_database(server_url) as url:
            provisioning_bench.configure_environment(url, 1)
            run(
                outcome,
                samples=args.samples,
                creates=args.creates,
                workers=args.workers,
                with_explain=args.explain,
                search_statistics=args.search_statistics,
            )
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print(format_report(outcome, time.perf_counter() - started))
    print(summary_line(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
