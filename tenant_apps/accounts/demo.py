"""Demo data for `make run`: a few residents, a moderator, a small census, one batch of letter codes.
Idempotent: a second run changes nothing."""

from __future__ import annotations

from django.utils import timezone

from core.models import User
from tenant_apps.accounts.models import CensusEntry, LetterBatch, Method, Profile, Role
from tenant_apps.accounts.selectors import accounts_settings
from tenant_apps.accounts.verification.hashing import city_salt, digest
from tenants.context import CityRef

DEMO_PASSWORD = "demo-password-2024"  # noqa: S105 (demo accounts on a development machine)
RESIDENTS = (
    ("alice", "Alice", "Centre", 1985),
    ("bruno", "Bruno", "Centre", 1972),
    ("chloe", "Chloé", "Nord", 1999),
    ("david", "David", "Sud", 1958),
)
CENSUS = [
    (f"DEMO{n:05d}", f"19{50 + n % 50:02d}-0{1 + n % 9}-1{n % 10}", ("Centre", "Nord", "Sud")[n % 3]) for n in range(60)
]


def seed(*, city: CityRef) -> None:
    config = accounts_settings()
    if not config.enabled_methods:
        config.enabled_methods = [Method.CENSUS, Method.LETTER]
        config.requirements = {"vote_budget": [Method.CENSUS, Method.LETTER]}
        config.save()
    now = timezone.now()
    for slug, name, district, year in RESIDENTS:
        email = f"{slug}@{city.slug}.fluicity.example"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, display_name=name)
        Profile.objects.get_or_create(
            user=user,
            defaults={"role": Role.RESIDENT, "district": district, "birth_year": year, "email_verified_at": now},
        )
    moderator_email = f"moderator@{city.slug}.fluicity.example"
    moderator = User.objects.filter(email=moderator_email).first()
    if moderator is None:
        moderator = User.objects.create_user(
            email=moderator_email, password=DEMO_PASSWORD, display_name="Modération", is_staff=True
        )
    Profile.objects.get_or_create(user=moderator, defaults={"role": Role.MODERATOR, "email_verified_at": now})
    salt = city_salt()
    if not CensusEntry.objects.exists():
        from tenant_apps.accounts.models import CensusImport

        batch = CensusImport.objects.create(filename="demo.csv", row_count=len(CENSUS))
        CensusEntry.objects.bulk_create(
            [
                CensusEntry(
                    census_import=batch,
                    identity_hash=digest("census", doc, salt=salt),
                    birth_date_hash=digest("census-birth", doc, born, salt=salt),
                    district=district,
                    birth_year=int(born[:4]),
                )
                for doc, born, district in CENSUS
            ]
        )
    if not LetterBatch.objects.exists():
        from tenant_apps.accounts.services.verification import letter_batch_create

        letter_batch_create(actor=None, size=20, label="Demo", district="Centre")
