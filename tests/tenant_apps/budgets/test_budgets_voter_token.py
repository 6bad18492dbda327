"""The voter-token key: a dedicated setting, so that rotating SECRET_KEY does not orphan ballots."""

from __future__ import annotations

from typing import Any

from tenant_apps.budgets.models import Ballot, BudgetProcess
from tenant_apps.budgets.services import Choice, ballot_cast
from tenant_apps.budgets.services.ballots import voter_token
from tenant_apps.budgets.views import common
from tenants.models import City
from tests.tenant_apps.budgets.conftest import ids, make_process

PROCESS = BudgetProcess(ballot_salt="a" * 64)


def test_two_keys_give_two_tokens_and_one_key_is_stable(settings: Any) -> None:
    settings.BUDGETS_VOTER_TOKEN_KEY = "first voter-token key"
    first = voter_token(process=PROCESS, user_id=7)
    assert voter_token(process=PROCESS, user_id=7) == first
    assert voter_token(process=BudgetProcess(ballot_salt="a" * 64), user_id=7) == first  # same salt, same token
    assert voter_token(process=PROCESS, user_id=8) != first
    settings.BUDGETS_VOTER_TOKEN_KEY = "second voter-token key"
    second = voter_token(process=PROCESS, user_id=7)
    assert second != first and voter_token(process=PROCESS, user_id=7) == second


def test_rotating_secret_key_keeps_tokens_when_the_key_is_set(settings: Any) -> None:
    settings.BUDGETS_VOTER_TOKEN_KEY = "pinned voter-token key"
    settings.SECRET_KEY = "an old secret key, long enough for the checks"
    before = voter_token(process=PROCESS, user_id=7)
    settings.SECRET_KEY = "a brand new secret key after a rotation"
    assert voter_token(process=PROCESS, user_id=7) == before


def test_falls_back_to_secret_key_when_unset_or_empty(settings: Any) -> None:
    settings.BUDGETS_VOTER_TOKEN_KEY = settings.SECRET_KEY
    explicit = voter_token(process=PROCESS, user_id=7)
    settings.BUDGETS_VOTER_TOKEN_KEY = ""
    assert voter_token(process=PROCESS, user_id=7) == explicit
    del settings.BUDGETS_VOTER_TOKEN_KEY
    assert voter_token(process=PROCESS, user_id=7) == explicit
    settings.SECRET_KEY = "another secret key, so another token"
    assert voter_token(process=PROCESS, user_id=7) != explicit


def test_a_voter_revises_their_ballot_across_a_secret_key_rotation(
    in_alpha: City, resident: Any, settings: Any
) -> None:
    settings.BUDGETS_VOTER_TOKEN_KEY = settings.SECRET_KEY  # pinned before the rotation, as documented
    process = make_process(costs={"A": 10, "B": 10})
    p = ids(process)
    first = ballot_cast(process_id=process.pk, voter=resident, choices=[Choice(p["A"])])
    settings.SECRET_KEY = "the secret key after a rotation, long and random"
    assert common.my_ballot(process, resident) == first  # the resident still finds their ballot
    revised = ballot_cast(process_id=process.pk, voter=resident, choices=[Choice(p["B"])])
    assert revised.pk == first.pk and Ballot.objects.filter(process=process).count() == 1
    # What the setting prevents: with another voter-token key, the resident's ballot is lost to them.
    settings.BUDGETS_VOTER_TOKEN_KEY = "a different key"
    assert common.my_ballot(process, resident) is None
