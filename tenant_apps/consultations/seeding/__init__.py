"""Fast fill of consultations for demos, load tests and benchmarks (``manage.py consultations_seed``).

``seed_consultation`` writes residents, contributions, comments, reactions, official answers and survey
responses with PostgreSQL COPY in the active city's schema; ``consultation_ensure`` creates the
consultation (five themes, "other" being no theme) when it is missing. See ``fill`` for the guarantees
(counters equal rows, unique reactions, consistent survey answers) and ``lexicon`` for the texts.
"""

from tenant_apps.consultations.seeding.fill import (
    SeedReport,
    SeedSpec,
    consultation_ensure,
    residents_create,
    seed_consultation,
)
from tenant_apps.consultations.seeding.lexicon import LEXICONS, Lexicon, TextFactory, lexicon_for
from tenant_apps.consultations.seeding.surveys import QuestionSpec, standard_questions, survey_build, survey_fill

__all__ = [
    "LEXICONS",
    "Lexicon",
    "QuestionSpec",
    "SeedReport",
    "SeedSpec",
    "TextFactory",
    "consultation_ensure",
    "lexicon_for",
    "residents_create",
    "seed_consultation",
    "standard_questions",
    "survey_build",
    "survey_fill",
]
