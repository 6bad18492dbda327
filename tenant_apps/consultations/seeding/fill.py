"""Fill one consultation fast: residents, contributions, comments, reactions, official answers, survey.

Everything is written with COPY (see ``seeding.copy``) in batches of contributions; each batch is one
transaction holding its contributions together with their comments, reactions and official answers,
so that whatever has been committed is consistent: every contribution's counters (``support_count``,
``agree_count``, ``disagree_count``, ``pass_count``, ``comment_count``) equal its rows, reactions are
unique per (contribution, person), ``answer_status`` matches the official answer.

The counters are decided before the rows are written (how many reactions and comments each
contribution gets is drawn first), so no ``UPDATE`` pass is needed. ``search_vector`` is filled by the
table's row trigger (COPY fires it). Disabling the trigger for the load and filling the vectors with one
``UPDATE`` afterwards was measured slower: 161 µs of server CPU per contribution against 95 µs with the
trigger (20,000 rows), because the UPDATE writes every row and every index entry a second time; it also
needs an exclusive lock on the table (``ALTER TABLE ... DISABLE TRIGGER``).

Generated data looks like a real consultation: uneven themes, a few very active residents and many
who post once, an early rush and a last-minute rush over the five weeks, a heavy tail of popular
contributions, threads of replies, some pending and hidden contributions, about 1% answered.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import Consultation, ReactionMode, Survey, Theme, search_config_for
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.seeding.batches import BatchMaker, Shares, between, contributions_fill
from tenant_apps.consultations.seeding.copy import copy_rows, execute, next_ids, query
from tenant_apps.consultations.seeding.lexicon import Lexicon, TextFactory, ThemeWords, lexicon_for
from tenant_apps.consultations.seeding.surveys import QuestionSpec, standard_questions, survey_build, survey_fill
from tenant_apps.consultations.services.consultations import RESERVED_SLUGS
from tenants.context import current_city

Progress = Callable[[str], None]

# Wallonia 2020: 17,461 contributions from 9,370 people.
RESIDENTS_PER_CONTRIBUTION = 9_370 / 17_461
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SEED_LOCK = 0x5EED_C0  # pg_advisory_lock key: one seeder at a time per database (email numbering)


@dataclass(frozen=True)
class SeedSpec:
    contributions: int
    comments: int = 0
    reactions: int = 0
    survey_responses: int = 0
    # Residents to create for this run (None: about 0.54 per contribution, like Wallonia 2020; 0: reuse
    # the city's existing residents).
    users: int | None = None
    seed: int = 42
    answered_share: float = 0.01
    pending_share: float = 0.004
    hidden_share: float = 0.002
    location_share: float = 0.3
    email_prefix: str = "seed"
    email_domain: str = "seed.example"
    survey_questions: int = 10
    batch_size: int = 20_000
    # Threads writing batches, each with its own connection (needs committed rows: see seed_consultation).
    workers: int = 1

    def residents(self) -> int:
        if self.users is not None:
            return self.users
        return max(1, self.survey_responses, math.ceil(self.contributions * RESIDENTS_PER_CONTRIBUTION))


@dataclass
class SeedReport:
    consultation_id: int
    survey_id: int | None = None
    residents: int = 0
    contributions: int = 0
    comments: int = 0
    reactions: int = 0
    official_answers: int = 0
    survey_responses: int = 0
    survey_answers: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.residents:,} residents, {self.contributions:,} contributions, {self.comments:,} comments, "
            f"{self.reactions:,} reactions, {self.official_answers:,} official answers, "
            f"{self.survey_responses:,} survey responses ({self.survey_answers:,} answers)"
        )


def _quiet(message: str) -> None:
    return None


# --- Consultation ---------------------------------------------------------------------------------------


def consultation_ensure(
    *,
    slug: str,
    lexicon: Lexicon,
    title: str = "",
    summary: str | None = None,
    description: str | None = None,
    phase: str = Phase.OPEN,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
    reaction_mode: str = ReactionMode.SUPPORT,
    themes: Sequence[ThemeWords] | None = None,
    premoderation: bool = False,
) -> Consultation:
    """The consultation at ``slug``, created when missing with the lexicon's five themes ("other" is the
    absence of a theme) over five weeks: open since four weeks by default.

    Rows are written directly (like a fixture): the texts are ours and already clean, and going through
    the phase services would notify followers of a consultation that nobody follows yet.
    """
    existing = Consultation.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    if slug in RESERVED_SLUGS or not _SLUG.fullmatch(slug) or len(slug) > 80:
        raise ApplicationError(
            f"{slug!r} cannot be a consultation's address (lowercase letters, digits and hyphens; not reserved).",
            code="invalid_slug",
        )
    now = timezone.now()
    opens_at = opens_at or now - datetime.timedelta(days=28)
    closes_at = closes_at or opens_at + datetime.timedelta(weeks=5)
    consultation = Consultation.objects.create(
        slug=slug,
        title=title or lexicon.consultation_title,
        summary=lexicon.consultation_summary if summary is None else summary,
        description=lexicon.consultation_description if description is None else description,
        phase=phase,
        opens_at=opens_at,
        closes_at=closes_at,
        opened_at=opens_at if phase != Phase.DRAFT else None,
        closed_at=closes_at if phase in (Phase.CLOSED, Phase.RESULTS) else None,
        results_published_at=min(now, closes_at + datetime.timedelta(days=7)) if phase == Phase.RESULTS else None,
        reaction_mode=reaction_mode,
        premoderation=premoderation,
        language=lexicon.language,
        search_config=search_config_for(lexicon.language),
    )
    Theme.objects.bulk_create(
        Theme(
            consultation=consultation,
            name=theme.name,
            description=theme.description,
            colour=theme.colour,
            icon=theme.icon,
            position=position,
        )
        for position, theme in enumerate(themes if themes is not None else lexicon.themes)
    )
    return consultation


# --- Residents ------------------------------------------------------------------------------------------


def residents_create(
    *,
    count: int,
    texts: TextFactory,
    email_prefix: str,
    email_domain: str,
    joined_before: datetime.datetime,
    names: Sequence[str] | None = None,
    batch_size: int = 100_000,
    progress: Progress = _quiet,
) -> list[int]:
    """``count`` resident accounts (``core_user`` + ``accounts_profile``) with made-up names, emails
    ``<prefix>-<n>@<domain>`` numbered after the existing ones, a verified email and an unusable password
    ("!": nobody can sign in with a password; a magic link or a reset would be needed). Display names
    are made up, or taken from ``names`` (one per resident). Returns user ids, in creation order.

    accounts is another app: its table is written by name (COPY), as agreed for seeding; the profile
    columns are those of ``tenant_apps/accounts/models.py`` ``Profile``.
    """
    if count <= 0:
        return []
    if names is not None and len(names) != count:
        raise ValueError("names: one per resident")
    rng, lexicon = texts.rng, texts.lexicon
    pattern = f"^{email_prefix}-([0-9]+)@"
    row = execute(
        "SELECT coalesce(max((substring(email FROM %s))::bigint), 0) FROM core_user WHERE email LIKE %s",
        [pattern, f"{email_prefix}-%@{email_domain}"],
    )
    first = int(row[0]) + 1 if row else 1
    districts = lexicon.districts
    district_weights = list(itertools.accumulate(d.weight for d in districts))
    ids_all: list[int] = []
    for start in range(0, count, batch_size):
        size = min(batch_size, count - start)
        ids = next_ids("core_user", size)
        users, profiles = [], []
        for offset, user_id in enumerate(ids):
            number = first + start + offset
            joined = joined_before - datetime.timedelta(seconds=rng.randrange(3_600, 400 * 86_400))
            district = rng.choices(districts, cum_weights=district_weights)[0]
            users.append(
                (
                    user_id,
                    "!",
                    False,
                    f"{email_prefix}-{number:07d}@{email_domain}",
                    names[start + offset] if names else texts.display_name(),
                    lexicon.language,
                    False,
                    True,
                    joined,
                )
            )
            profiles.append(
                (
                    user_id,
                    "resident",
                    district.postal_code,
                    district.name,
                    rng.randint(1940, 2007),
                    True,
                    rng.random() < 0.3,
                    joined,
                )
            )
        with transaction.atomic():
            copy_rows(
                "core_user",
                (
                    "id",
                    "password",
                    "is_superuser",
                    "email",
                    "display_name",
                    "preferred_language",
                    "is_staff",
                    "is_active",
                    "date_joined",
                ),
                users,
            )
            copy_rows(
                "accounts_profile",
                (
                    "user_id",
                    "role",
                    "postal_code",
                    "district",
                    "birth_year",
                    "notify_replies",
                    "notify_news",
                    "email_verified_at",
                ),
                profiles,
            )
        ids_all.extend(ids)
        progress(f"residents {len(ids_all):,}/{count:,}")
    return ids_all


def existing_residents() -> list[int]:
    """Ids of the city's residents whose account is not deleted (for ``users=0``)."""
    rows = query("SELECT user_id FROM accounts_profile WHERE role = 'resident' AND deleted_at IS NULL ORDER BY user_id")
    return [int(r[0]) for r in rows]


def city_admin_id() -> int | None:
    """Who signs the official answers: the first city admin (by accounts role, else by staff flag)."""
    row = execute("SELECT user_id FROM accounts_profile WHERE role = 'city_admin' ORDER BY user_id LIMIT 1")
    if row is None:
        row = execute("SELECT id FROM core_user WHERE is_staff AND is_active ORDER BY id LIMIT 1")
    return int(row[0]) if row else None


def counters_refresh(*, consultation_id: int) -> int:
    """Set every contribution's reaction and comment counters of ``consultation_id`` from the rows, in one
    ``UPDATE ... FROM (SELECT ... GROUP BY)`` (published comments only, as the services count them).
    Returns how many contributions changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE consultations_contribution AS c
               SET support_count = t.support, agree_count = t.agree, disagree_count = t.disagree,
                   pass_count = t.pass, comment_count = t.comments
              FROM (
                SELECT c2.id,
                       coalesce(r.support, 0) AS support, coalesce(r.agree, 0) AS agree,
                       coalesce(r.disagree, 0) AS disagree, coalesce(r.pass, 0) AS pass,
                       coalesce(m.comments, 0) AS comments
                  FROM consultations_contribution c2
                  LEFT JOIN (
                    SELECT contribution_id,
                           count(*) FILTER (WHERE kind = 'support') AS support,
                           count(*) FILTER (WHERE kind = 'agree') AS agree,
                           count(*) FILTER (WHERE kind = 'disagree') AS disagree,
                           count(*) FILTER (WHERE kind = 'pass') AS pass
                      FROM consultations_reaction
                     WHERE contribution_id IN (SELECT id FROM consultations_contribution WHERE consultation_id = %s)
                     GROUP BY contribution_id
                  ) r ON r.contribution_id = c2.id
                  LEFT JOIN (
                    SELECT contribution_id, count(*) AS comments
                      FROM consultations_comment
                     WHERE status = 'published'
                       AND contribution_id IN (SELECT id FROM consultations_contribution WHERE consultation_id = %s)
                     GROUP BY contribution_id
                  ) m ON m.contribution_id = c2.id
                 WHERE c2.consultation_id = %s
              ) AS t
             WHERE c.id = t.id
               AND (c.support_count, c.agree_count, c.disagree_count, c.pass_count, c.comment_count)
                   IS DISTINCT FROM (t.support, t.agree, t.disagree, t.pass, t.comments)
            """,
            [consultation_id, consultation_id, consultation_id],
        )
        return cursor.rowcount


# --- The fill -------------------------------------------------------------------------------------------


def _group_plan(consultation: Consultation, lexicon: Lexicon) -> tuple[list[int | None], list[int], list[float]]:
    """(theme id or None for "other", lexicon group index, cumulative weight) per bucket."""
    themes = list(consultation.themes.order_by("position", "id"))
    default = [t.weight for t in lexicon.themes]
    theme_ids: list[int | None] = []
    groups: list[int] = []
    weights: list[float] = []
    for position, theme in enumerate(themes):
        by_name = next((i for i, g in enumerate(lexicon.themes) if g.name == theme.name), None)
        group = by_name if by_name is not None else position % len(lexicon.themes)
        theme_ids.append(theme.pk)
        groups.append(group)
        weights.append(default[group] if by_name is not None else default[position % len(default)])
    theme_ids.append(None)
    groups.append(len(lexicon.themes))
    weights.append(lexicon.other_weight if themes else 1.0)
    return theme_ids, groups, list(itertools.accumulate(weights))


def seed_consultation(
    *,
    consultation: Consultation,
    spec: SeedSpec,
    progress: Progress = _quiet,
    survey_questions: Sequence[QuestionSpec] | None = None,
    survey_title: str = "",
) -> SeedReport:
    """Add ``spec``'s residents, contributions, comments, reactions, official answers and survey
    responses to ``consultation`` in the current city. Safe to run again: it adds to what is there
    (new residents numbered after the previous ones, reactions only on the new contributions, survey
    responses only from people who have not answered).

    Dates fall within the consultation's window (``opens_at``..``closes_at``, never after now).

    With ``spec.workers > 1`` batches are written by that many threads on their own connections: they
    cannot see rows that the caller has not committed, so inside an atomic block (a test, a demo seeded
    in one transaction) the batches are written in this thread instead.
    """
    try:
        lexicon = lexicon_for(consultation.language)
    except KeyError as exc:
        raise ApplicationError(
            f"No word lists for language {consultation.language!r} (available: fr, en).", code="unsupported_language"
        ) from exc
    for name in ("contributions", "comments", "reactions", "survey_responses", "batch_size"):
        if getattr(spec, name) < 0 or (name == "batch_size" and spec.batch_size < 1):
            raise ApplicationError(f"{name} must be a positive number.", code="invalid")
    execute("SELECT pg_advisory_lock(%s)", [SEED_LOCK])
    try:
        return _seed(consultation, spec, lexicon, progress, survey_questions, survey_title)
    finally:
        execute("SELECT pg_advisory_unlock(%s)", [SEED_LOCK])


def _seed(
    consultation: Consultation,
    spec: SeedSpec,
    lexicon: Lexicon,
    progress: Progress,
    survey_questions: Sequence[QuestionSpec] | None,
    survey_title: str,
) -> SeedReport:
    report = SeedReport(consultation_id=consultation.pk)
    existing = consultation.contributions.count()
    # The run's generator depends on what is there already: a second run adds different texts.
    rng = random.Random(f"{spec.seed}:{consultation.pk}:{existing}")  # noqa: S311 (made-up data)
    texts = TextFactory(lexicon, rng)
    now = timezone.now()
    start = consultation.opens_at or consultation.opened_at or now - datetime.timedelta(weeks=5)
    end = min(now, consultation.closes_at or start + datetime.timedelta(weeks=5))
    if end <= start:
        end = start + datetime.timedelta(hours=1)

    clock = time.perf_counter()
    wanted = spec.residents()
    if wanted > 0:
        people = residents_create(
            count=wanted,
            texts=texts,
            email_prefix=spec.email_prefix,
            email_domain=spec.email_domain,
            joined_before=start,
            progress=progress,
        )
        report.residents = len(people)
    else:
        people = existing_residents()
    report.seconds["residents"] = time.perf_counter() - clock
    if not people and (spec.contributions or spec.survey_responses):
        raise ApplicationError("There are no residents to write as (use users > 0).", code="no_residents")

    clock = time.perf_counter()
    if spec.contributions:
        workers = spec.workers if not connection.in_atomic_block else 1
        if workers != spec.workers:
            progress("inside a transaction: writing with one connection")
        maker = BatchMaker(
            consultation=consultation,
            lexicon=lexicon,
            texts=texts,
            people=people,
            buckets=_group_plan(consultation, lexicon),
            total=spec.contributions,
            comments=spec.comments,
            reactions=spec.reactions,
            shares=Shares(spec.answered_share, spec.pending_share, spec.hidden_share, spec.location_share),
            start=start,
            end=end,
            answered_by=city_admin_id(),
        )
        written = contributions_fill(
            maker=maker,
            total=spec.contributions,
            batch_size=spec.batch_size,
            workers=max(1, workers),
            city_id=current_city().id,
            progress=progress,
            clock=time.perf_counter,
        )
        report.contributions, report.comments = written.contributions, written.comments
        report.reactions, report.official_answers = written.reactions, written.answers
        for table in ("contribution", "comment", "reaction", "officialanswer"):
            execute(f"ANALYZE consultations_{table}")
        if report.residents:
            execute("ANALYZE core_user")
            execute("ANALYZE accounts_profile")
    report.seconds["contributions"] = time.perf_counter() - clock

    clock = time.perf_counter()
    if spec.survey_responses:
        title = survey_title or lexicon.survey_title
        survey = Survey.objects.filter(consultation=consultation, title=title).first()
        if survey is None:
            theme_names = list(consultation.themes.order_by("position", "id").values_list("name", flat=True))
            questions = survey_questions or standard_questions(lexicon, theme_names, count=spec.survey_questions)
            survey = survey_build(
                consultation_id=consultation.pk, title=title, introduction=lexicon.survey_intro, questions=questions
            )
        respondents = rng.sample(people, min(spec.survey_responses, len(people)))
        with transaction.atomic():
            report.survey_responses, report.survey_answers = survey_fill(
                survey=survey,
                respondent_ids=respondents,
                rng=rng,
                texts=texts,
                when=lambda: between(rng, start, end),
                progress=progress,
            )
        report.survey_id = survey.pk
    report.seconds["survey"] = time.perf_counter() - clock
    return report
