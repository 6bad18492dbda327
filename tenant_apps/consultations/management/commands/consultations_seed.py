"""``manage.py consultations_seed --city <slug> --contributions N``: fill a city's consultation fast.

Made-up residents, contributions, comments, reactions, official answers and survey responses, written
with PostgreSQL COPY (see ``tenant_apps.consultations.seeding``). For load tests, benchmarks and demos;
running it again adds to the same consultation. Never point it at a city with real residents: the
accounts it creates are real accounts of that city (unusable passwords, ``@seed.example`` addresses).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import ApplicationError
from tenant_apps.consultations.seeding import LEXICONS, SeedSpec, consultation_ensure, lexicon_for, seed_consultation
from tenants.context import dangerously_all_cities, in_city


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError as exc:
        raise ValueError(f"not a whole number: {value!r}") from exc
    if number < 0:
        raise ValueError("must not be negative")
    return number


class Command(BaseCommand):
    help = (
        "Fill a city's consultation with N made-up contributions, comments, reactions and survey answers, "
        "fast (PostgreSQL COPY). Creates the consultation (5 themes + other) when it does not exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, help="Slug of the city.")
        parser.add_argument("--contributions", type=_count, required=True, help="Contributions to add.")
        parser.add_argument("--comments", type=_count, help="Comments to add (default: 30%% of contributions).")
        parser.add_argument("--reactions", type=_count, help="Reactions to add (default: 2 per contribution).")
        parser.add_argument("--survey-responses", type=_count, default=0, help="Survey responses to add (0).")
        parser.add_argument(
            "--users",
            type=_count,
            help="Residents to create (default: 0.54 per contribution, as in Wallonia 2020; 0 reuses the "
            "city's residents).",
        )
        parser.add_argument("--consultation", default="", help="Slug of the consultation (created if missing).")
        parser.add_argument(
            "--language",
            default="fr",
            choices=sorted(LEXICONS),
            help="Language of a new consultation and its texts (fr).",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (42).")
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="Connections writing in parallel (2: PostgreSQL does most of the work; use the core count).",
        )
        parser.add_argument("--batch-size", type=_count, default=20_000, help="Contributions per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["city"]
        city = next((c for c in dangerously_all_cities(status=None) if c.slug == slug), None)
        if city is None:
            raise CommandError(f"No city with the slug {slug!r}.")
        contributions = options["contributions"]
        spec = SeedSpec(
            contributions=contributions,
            comments=options["comments"] if options["comments"] is not None else contributions * 3 // 10,
            reactions=options["reactions"] if options["reactions"] is not None else contributions * 2,
            survey_responses=options["survey_responses"],
            users=options["users"],
            seed=options["seed"],
            workers=max(1, options["workers"]),
            batch_size=max(1, options["batch_size"]),
        )
        lexicon = lexicon_for(options["language"])
        consultation_slug = options["consultation"] or ("grande-consultation" if lexicon.language == "fr" else "big")
        started = time.perf_counter()

        def progress(message: str) -> None:
            self.stdout.write(f"  [{time.perf_counter() - started:7.1f}s] {message}")

        with in_city(city_id=city.id):
            consultation = consultation_ensure(slug=consultation_slug, lexicon=lexicon)
            if consultation.language[:2] != lexicon.language:
                self.stdout.write(
                    f"{consultation_slug} is in {consultation.language!r}: its texts follow that language."
                )
            self.stdout.write(f"Seeding {city.slug}/{consultation.slug} (consultation {consultation.pk})")
            try:
                report = seed_consultation(consultation=consultation, spec=spec, progress=progress)
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Added {report.summary()} in {elapsed:.1f} s."))
        timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.seconds.items())
        self.stdout.write(f"  {timings}")
