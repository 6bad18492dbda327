"""The database keeps what the models promise: search vectors by trigger, one reaction per person."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import IntegrityError, transaction

from tenant_apps.consultations.models import Contribution, Reaction
from tests.tenant_apps.consultations.conftest import make_consultation

pytestmark = pytest.mark.django_db


def test_search_vector_is_kept_by_the_trigger_in_the_consultation_language(in_alpha: Any, resident: Any) -> None:
    consultation = make_consultation(language="fr", search_config="french")
    c = Contribution.objects.create(
        consultation=consultation,
        author=resident,
        title="Pistes cyclables",
        body="Des vélos partout",
        search_config="french",
    )
    found = Contribution.objects.filter(search_vector=SearchQuery("cyclable", config="french"))
    assert list(found) == [c]  # French stemming: "cyclables" ~ "cyclable"
    Contribution.objects.filter(pk=c.pk).update(title="Bancs publics")
    assert not Contribution.objects.filter(search_vector=SearchQuery("cyclable", config="french")).exists()


def test_one_reaction_per_person_is_a_database_fact(in_alpha: Any, resident: Any) -> None:
    consultation = make_consultation()
    c = Contribution.objects.create(consultation=consultation, author=resident, title="t", body="b")
    Reaction.objects.create(contribution=c, user=resident, kind="support")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reaction.objects.create(contribution=c, user=resident, kind="support")
