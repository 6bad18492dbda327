"""Contributions in batches: each batch is generated whole (contributions with their comments, reactions
and official answers), then written in one transaction, so that every committed state is consistent.

Generation runs in the calling thread (one seeded generator: the data does not depend on the number
of writers). Writing is PostgreSQL's work (the search-vector trigger, a dozen indexes, foreign-key
checks): with ``workers > 1`` batches are written by that many threads, each with its own connection in
the city, so both cores of a small machine work; batches then commit out of order, each still whole.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
import queue
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from tenant_apps.consultations.models import (
    AnswerStatus,
    Comment,
    CommentStatus,
    Consultation,
    ContributionStatus,
    ReactionKind,
    ReactionMode,
)
from tenant_apps.consultations.seeding.copy import copy_rows, execute, next_ids
from tenant_apps.consultations.seeding.lexicon import Lexicon, TextFactory
from tenants.context import in_city

ANSWER_STATUS_WEIGHTS = {
    AnswerStatus.UNDER_REVIEW.value: 0.35,
    AnswerStatus.ACCEPTED.value: 0.3,
    AnswerStatus.REJECTED.value: 0.2,
    AnswerStatus.DONE.value: 0.15,
}
CONTRIBUTION_COLUMNS = (
    "id",
    "consultation_id",
    "theme_id",
    "author_id",
    "title",
    "body",
    "status",
    "moderation_reason",
    "latitude",
    "longitude",
    "district",
    "support_count",
    "agree_count",
    "disagree_count",
    "pass_count",
    "comment_count",
    "report_count",
    "answer_status",
    "search_config",
    "created_at",
    "updated_at",
)
COMMENT_COLUMNS = (
    "id",
    "contribution_id",
    "parent_id",
    "depth",
    "author_id",
    "body",
    "status",
    "moderation_reason",
    "report_count",
    "created_at",
    "updated_at",
)
REACTION_COLUMNS = ("contribution_id", "user_id", "kind", "created_at", "updated_at")
ANSWER_COLUMNS = ("contribution_id", "status", "text", "answered_by_id", "answered_at", "updated_at")

Row = tuple[Any, ...]
PUBLISHED, PENDING, HIDDEN = (
    s.value for s in (ContributionStatus.PUBLISHED, ContributionStatus.PENDING, ContributionStatus.HIDDEN)
)
COMMENT_PUBLISHED = CommentStatus.PUBLISHED.value
# Plain strings on the hot path (COPY writes them as they are).
SUPPORT, AGREE, DISAGREE, PASS = (
    k.value for k in (ReactionKind.SUPPORT, ReactionKind.AGREE, ReactionKind.DISAGREE, ReactionKind.PASS)
)


# --- Time and popularity --------------------------------------------------------------------------------


class Arrivals:
    """When contributions arrive over the window: an opening rush, a steady middle, a last-minute rush.

    ``at(u)`` is monotone in ``u`` (0..1), so contributions numbered in order get increasing dates and
    the ids follow the dates, as they would in production."""

    def __init__(self, start: datetime.datetime, end: datetime.datetime, points: int = 2_000) -> None:
        self.start, self.span = start, (end - start).total_seconds()
        xs = [i / points for i in range(points + 1)]
        density = [2.0 * math.exp(-x / 0.1) + 0.6 + 1.5 * math.exp(-(1 - x) / 0.05) for x in xs]
        cdf = [0.0]
        for i in range(1, len(xs)):
            cdf.append(cdf[-1] + (density[i] + density[i - 1]) / 2)
        self.xs, self.cdf = xs, [c / cdf[-1] for c in cdf]

    def at(self, u: float) -> datetime.datetime:
        i = min(max(bisect.bisect_left(self.cdf, u), 1), len(self.cdf) - 1)
        lo, hi = self.cdf[i - 1], self.cdf[i]
        x = self.xs[i - 1] + (self.xs[i] - self.xs[i - 1]) * ((u - lo) / (hi - lo) if hi > lo else 0)
        return self.start + datetime.timedelta(seconds=x * self.span)


def between(rng: random.Random, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
    """A moment after ``start``, early rather than late (interest fades), not after ``end``."""
    span = max(0.0, (end - start).total_seconds())
    return start + datetime.timedelta(seconds=span * rng.random() ** 2.5)


def spread(rng: random.Random, total: int, weights: Sequence[float], cap: int) -> list[int]:
    """``total`` items over len(weights) slots by weight, no slot above ``cap``; the overflow goes to
    slots with room. Returns per-slot counts (their sum is ``total`` unless every slot is full)."""
    counts = [0] * len(weights)
    if not weights or total <= 0 or cap <= 0:
        return counts
    for slot in rng.choices(range(len(weights)), weights=weights, k=total):
        counts[slot] += 1
    overflow = 0
    for slot, n in enumerate(counts):
        if n > cap:
            overflow += n - cap
            counts[slot] = cap
    if overflow:
        room = [slot for slot, n in enumerate(counts) if n < cap]
        rng.shuffle(room)
        for slot in room:
            extra = min(overflow, cap - counts[slot])
            counts[slot] += extra
            overflow -= extra
            if not overflow:
                break
    return counts


def authors_for(rng: random.Random, people: Sequence[int], count: int) -> list[int]:
    """Who writes each of ``count`` items: a few very active people and many occasional ones. When
    there are fewer people than items, everyone writes at least one."""
    if not people or count <= 0:
        return []
    order = list(people)
    rng.shuffle(order)
    cum = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(order))))
    if len(order) <= count:
        authors = order + rng.choices(order, cum_weights=cum, k=count - len(order))
        rng.shuffle(authors)
        return authors
    return rng.choices(order, cum_weights=cum, k=count)


# --- Generation -----------------------------------------------------------------------------------------


@dataclass
class Payload:
    contributions: list[Row] = field(default_factory=list)
    comments: list[Row] = field(default_factory=list)
    reactions: list[Row] = field(default_factory=list)
    answers: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Shares:
    answered: float
    pending: float
    hidden: float
    location: float


class BatchMaker:
    """Generates the rows of consecutive batches of one run (``total`` contributions)."""

    def __init__(
        self,
        *,
        consultation: Consultation,
        lexicon: Lexicon,
        texts: TextFactory,
        people: list[int],
        buckets: tuple[list[int | None], list[int], list[float]],
        total: int,
        comments: int,
        reactions: int,
        shares: Shares,
        start: datetime.datetime,
        end: datetime.datetime,
        answered_by: int | None,
    ) -> None:
        self.consultation, self.lexicon, self.texts, self.rng = consultation, lexicon, texts, texts.rng
        self.people = people
        self.theme_ids, self.groups, self.group_cum = buckets
        self.total, self.total_comments, self.total_reactions = total, comments, reactions
        self.shares, self.end, self.answered_by = shares, end, answered_by
        self.arrivals = Arrivals(start, end)
        self.authors = authors_for(self.rng, people, total)
        self.commenters = list(people)
        self.rng.shuffle(self.commenters)
        self.commenter_cum = list(itertools.accumulate(1 / (r + 1) ** 0.7 for r in range(len(self.commenters))))
        self.district_cum = list(itertools.accumulate(d.weight for d in lexicon.districts))
        self.agreement = consultation.reaction_mode == ReactionMode.AGREEMENT
        # Nobody reacts to their own contribution: one person fewer than the people available.
        self.cap = max(0, len(people) - 1)

    def batch(self, first: int, last: int) -> Payload:
        rng, size = self.rng, last - first
        ids = next_ids("consultations_contribution", size)
        created = [self.arrivals.at((g + rng.random()) / self.total) for g in range(first, last)]
        status = [self._status(rng.random()) for _ in range(size)]
        published = [i for i in range(size) if status[i] == PUBLISHED]
        popularity = [rng.paretovariate(1.3) for _ in published]
        n_reactions = self.total_reactions * last // self.total - self.total_reactions * first // self.total
        n_comments = self.total_comments * last // self.total - self.total_comments * first // self.total
        reaction_counts = dict(zip(published, spread(rng, n_reactions, popularity, self.cap), strict=True))
        comment_weights = [p**0.7 for p in popularity]
        comment_counts = dict(zip(published, spread(rng, n_comments, comment_weights, n_comments), strict=True))
        payload = Payload()
        buckets = rng.choices(range(len(self.theme_ids)), cum_weights=self.group_cum, k=size)
        for i in range(size):
            kinds = self._kinds(reaction_counts.get(i, 0))
            answer_status, updated = "", created[i]
            if status[i] == PUBLISHED and rng.random() < self.shares.answered:
                answer_status = rng.choices(list(ANSWER_STATUS_WEIGHTS), cum_weights=_ANSWER_CUM)[0]
                updated = between(rng, created[i], max(self.end, created[i]))
                text = self.texts.answer(answer_status)
                payload.answers.append((ids[i], answer_status, text, self.answered_by, updated, updated))
            payload.contributions.append(
                self._contribution(
                    ids[i],
                    self.authors[first + i],
                    buckets[i],
                    status[i],
                    kinds,
                    comment_counts.get(i, 0),
                    answer_status,
                    created[i],
                    updated,
                )
            )
            if kinds:
                self._reactions(payload, ids[i], self.authors[first + i], kinds, created[i])
            if comment_counts.get(i):
                self._comments(payload, ids[i], comment_counts[i], created[i])
        self._number_comments(payload)
        return payload

    def _status(self, draw: float) -> str:
        if draw < self.shares.pending:
            return PENDING
        if draw < self.shares.pending + self.shares.hidden:
            return HIDDEN
        return PUBLISHED

    def _kinds(self, count: int) -> list[str]:
        if not count:
            return []
        if not self.agreement:
            return [SUPPORT] * count
        # Each contribution has its own balance: some are consensual, some divisive.
        agree = self.rng.betavariate(3, 2)
        disagree = agree + (1 - agree) * 0.75
        kinds: list[str] = []
        for _ in range(count):
            draw = self.rng.random()
            kinds.append(AGREE if draw < agree else DISAGREE if draw < disagree else PASS)
        return kinds

    def _contribution(
        self,
        pk: int,
        author: int,
        bucket: int,
        status: str,
        kinds: list[str],
        comments: int,
        answer_status: str,
        created: datetime.datetime,
        updated: datetime.datetime,
    ) -> Row:
        rng, group = self.rng, self.groups[bucket]
        latitude = longitude = None
        district = ""
        if rng.random() < 0.85:
            place = rng.choices(self.lexicon.districts, cum_weights=self.district_cum)[0]
            district = place.name
            if rng.random() < self.shares.location:
                latitude = round(place.latitude + rng.uniform(-0.03, 0.03), 6)
                longitude = round(place.longitude + rng.uniform(-0.04, 0.04), 6)
        return (
            pk,
            self.consultation.pk,
            self.theme_ids[bucket],
            author,
            self.texts.title(group)[:200],
            self.texts.body(group),
            status,
            self.lexicon.hidden_reason if status == HIDDEN else "",
            latitude,
            longitude,
            district,
            kinds.count(SUPPORT),
            kinds.count(AGREE),
            kinds.count(DISAGREE),
            kinds.count(PASS),
            comments,
            0,
            answer_status,
            self.consultation.search_config,
            created,
            updated,
        )

    def _reactions(self, payload: Payload, pk: int, author: int, kinds: list[str], created: datetime.datetime) -> None:
        """Distinct people (``random.sample``), never the author."""
        drawn = self.rng.sample(self.people, min(len(self.people), len(kinds) + 1))
        voters = [p for p in drawn if p != author][: len(kinds)]
        end = max(self.end, created)
        for voter, kind in zip(voters, kinds, strict=True):
            when = between(self.rng, created, end)
            payload.reactions.append((pk, voter, kind, when, when))

    def _comments(self, payload: Payload, pk: int, count: int, created: datetime.datetime) -> None:
        """A thread: about a third of the comments answer an earlier one (replies stop at
        ``Comment.MAX_DEPTH - 1`` levels below the top). Ids are placeholders (negative, numbered within
        the batch) until ``_number_comments`` swaps in real ones."""
        rng, texts = self.rng, self.texts
        end = max(self.end, created)
        times = sorted(between(rng, created, end) for _ in range(count))
        thread: list[tuple[int, int]] = []  # (placeholder id, depth)
        for when in times:
            placeholder = -(len(payload.comments) + 1)
            parent, depth = None, 0
            if thread and rng.random() < 0.35:
                parent, parent_depth = rng.choice(thread)
                if parent_depth + 1 < Comment.MAX_DEPTH:
                    depth = parent_depth + 1
                else:
                    parent = None
            author = rng.choices(self.commenters, cum_weights=self.commenter_cum)[0]
            body = texts.reply() if parent is not None and rng.random() < 0.5 else texts.comment()
            payload.comments.append(
                (placeholder, pk, parent, depth, author, body, COMMENT_PUBLISHED, "", 0, when, when)
            )
            thread.append((placeholder, depth))

    def _number_comments(self, payload: Payload) -> None:
        if not payload.comments:
            return
        real = next_ids("consultations_comment", len(payload.comments))
        # placeholder -k is payload.comments[k - 1]
        payload.comments = [
            (real[-row[0] - 1], row[1], None if row[2] is None else real[-row[2] - 1], *row[3:])
            for row in payload.comments
        ]


_ANSWER_CUM = list(itertools.accumulate(ANSWER_STATUS_WEIGHTS.values()))


# --- Writing --------------------------------------------------------------------------------------------


@dataclass
class Written:
    contributions: int = 0
    comments: int = 0
    reactions: int = 0
    answers: int = 0

    def add(self, other: Written) -> None:
        self.contributions += other.contributions
        self.comments += other.comments
        self.reactions += other.reactions
        self.answers += other.answers


def write(payload: Payload) -> Written:
    """One batch in one transaction (a savepoint when the caller holds one)."""
    with transaction.atomic():
        # Losing the last batches in a crash is acceptable for generated data; waiting for each WAL
        # flush is not.
        execute("SET LOCAL synchronous_commit TO off")
        return Written(
            copy_rows("consultations_contribution", CONTRIBUTION_COLUMNS, payload.contributions),
            copy_rows("consultations_comment", COMMENT_COLUMNS, payload.comments),
            copy_rows("consultations_reaction", REACTION_COLUMNS, payload.reactions),
            copy_rows("consultations_officialanswer", ANSWER_COLUMNS, payload.answers),
        )


class Writers:
    """Writes payloads in this thread (``workers == 1``) or on ``workers`` threads, each with its own
    database connection inside city ``city_id``. At most ``workers`` payloads wait in the queue, so
    memory stays bounded. The first error stops the run: ``submit`` and ``close`` raise it."""

    def __init__(self, *, workers: int, city_id: int) -> None:
        self.workers, self.city_id = workers, city_id
        self.written = Written()
        self._lock = threading.Lock()
        self._errors: list[BaseException] = []
        self._queue: queue.Queue[Payload | None] = queue.Queue(maxsize=workers)
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers if workers > 1 else 0)]
        for thread in self._threads:
            thread.start()

    def submit(self, payload: Payload) -> None:
        if not self._threads:
            self.written.add(write(payload))
            return
        self._raise_first()
        self._queue.put(payload)

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []
        self._raise_first()

    def _raise_first(self) -> None:
        if self._errors:
            raise self._errors[0]

    def _run(self) -> None:
        try:
            with in_city(city_id=self.city_id):
                while (payload := self._queue.get()) is not None:
                    if self._errors:
                        continue  # drain: the producer must never block on a dead consumer
                    try:
                        done = write(payload)
                    except BaseException as exc:  # noqa: BLE001 (handed to the producer, which raises it)
                        self._errors.append(exc)
                        continue
                    with self._lock:
                        self.written.add(done)
        except BaseException as exc:  # noqa: BLE001 (in_city failed: drain, then report)
            self._errors.append(exc)
            while self._queue.get() is not None:
                pass
        finally:
            connection.close()


def contributions_fill(
    *,
    maker: BatchMaker,
    total: int,
    batch_size: int,
    workers: int,
    city_id: int,
    progress: Callable[[str], None],
    clock: Callable[[], float],
) -> Written:
    """Generate and write ``total`` contributions in batches; returns what was written."""
    writers = Writers(workers=workers, city_id=city_id)
    started = clock()
    try:
        for first in range(0, total, batch_size):
            last = min(total, first + batch_size)
            writers.submit(maker.batch(first, last))
            done = writers.written
            rate = done.contributions / max(clock() - started, 1e-9)
            progress(
                f"contributions generated {last:,}/{total:,}, written {done.contributions:,} ({rate:,.0f}/s), "
                f"comments {done.comments:,}, reactions {done.reactions:,}"
            )
    finally:
        writers.close()
    done = writers.written
    progress(
        f"contributions written {done.contributions:,} in {clock() - started:,.1f} s, comments {done.comments:,}, "
        f"reactions {done.reactions:,}, official answers {done.answers:,}"
    )
    return done
