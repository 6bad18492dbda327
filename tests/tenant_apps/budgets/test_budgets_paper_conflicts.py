"""Paper sheets whose two entries differ: accept one entry (valid ones only), or discard both and key again;
four eyes; every resolution on record; the staff page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from core.exceptions import ApplicationError
from tenant_apps.budgets import interface, services
from tenant_apps.budgets.models import (
    Ballot,
    BudgetProcess,
    PaperEntry,
    PaperEntryStatus,
    PaperResolution,
)
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.services import Choice
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process


@pytest.fixture
def staff(in_alpha: City) -> dict[str, Any]:
    """Two keyers (an admin and a moderator) and a third staff member who keyed nothing."""
    return {
        "admin": make_user(role="city_admin"),
        "keyer": make_user(role="moderator"),
        "checker": make_user(role="moderator"),
    }


def key(process: BudgetProcess, who: Any, ref: str, *choices: Choice) -> PaperEntry:
    return services.paper_ballot_enter(process_id=process.pk, staff=who, paper_ref=ref, choices=list(choices))


def conflict(process: BudgetProcess, staff: dict[str, Any], ref: str = "S1") -> tuple[PaperEntry, PaperEntry]:
    """Sheet ``ref`` keyed as A by the admin and as B by the keyer: entries (A, B)."""
    p = ids(process)
    first = key(process, staff["admin"], ref, Choice(p["A"]))
    second = key(process, staff["keyer"], ref, Choice(p["B"]))
    assert second.status == PaperEntryStatus.CONFLICT
    first.refresh_from_db()
    return first, second


def resolve(process: BudgetProcess, who: Any, decision: str, entry: PaperEntry | None = None, ref: str = "S1") -> Any:
    return services.paper_conflict_resolve(
        process_id=process.pk, staff=who, paper_ref=ref, decision=decision, entry_id=entry.pk if entry else None
    )


def test_accepting_entry_a_counts_exactly_one_paper_ballot(in_alpha: City, staff: dict[str, Any]) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True)
    p = ids(process)
    entry_a, entry_b = conflict(process, staff)
    assert not Ballot.objects.filter(process=process).exists()
    resolution = resolve(process, staff["checker"], "accept", entry_a)
    ballot = Ballot.objects.get(process=process)  # exactly one
    assert (ballot.channel, ballot.paper_ref, ballot.voter_token) == ("paper", "S1", None)
    assert list(ballot.choices.values_list("project_id", flat=True)) == [p["A"]]
    resolution.refresh_from_db()
    assert (resolution.decision, resolution.accepted_entry, resolution.ballot) == ("accept", entry_a, ballot)
    assert resolution.resolved_by == staff["checker"] and resolution.resolver_role == "moderator"
    assert resolution.resolver_keyed_an_entry is False and resolution.created_at is not None
    entry_a.refresh_from_db()
    entry_b.refresh_from_db()
    assert (entry_a.status, entry_a.ballot, entry_a.resolution) == (PaperEntryStatus.CONFIRMED, ballot, resolution)
    assert (entry_b.status, entry_b.ballot, entry_b.resolution) == (PaperEntryStatus.DISCARDED, None, resolution)
    # Settled once: a second resolution or a new keying of the sheet changes nothing.
    with pytest.raises(ApplicationError) as error:
        resolve(process, staff["checker"], "accept", entry_b)
    assert error.value.code == "no_conflict"
    with pytest.raises(ApplicationError) as error:
        key(process, staff["checker"], "S1", Choice(p["B"]))
    assert error.value.code == "already_counted"
    assert Ballot.objects.filter(process=process).count() == 1 and PaperResolution.objects.count() == 1


def test_an_entry_breaking_the_ballot_rules_cannot_be_accepted(in_alpha: City, staff: dict[str, Any]) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True, max_projects=1)
    p = ids(process)
    # Keying validates each entry, so an invalid entry only comes from older data: made by hand here.
    too_many = PaperEntry.objects.create(
        process=process,
        paper_ref="S9",
        entered_by=staff["admin"],
        choices=[[p["A"], 1, None], [p["B"], 1, None]],
        status=PaperEntryStatus.CONFLICT,
    )
    valid = PaperEntry.objects.create(
        process=process,
        paper_ref="S9",
        entered_by=staff["keyer"],
        choices=[[p["B"], 1, None]],
        status=PaperEntryStatus.CONFLICT,
    )
    with pytest.raises(ApplicationError) as error:
        resolve(process, staff["checker"], "accept", too_many, ref="S9")
    assert error.value.code == "ballot_invalid" and error.value.status_code == 400
    assert error.value.message == "This entry cannot be accepted: it breaks the ballot rules."
    assert error.value.fields == {"count": ["Choose at most 1 project."]}
    assert not Ballot.objects.filter(process=process).exists() and not PaperResolution.objects.exists()
    assert set(PaperEntry.objects.filter(paper_ref="S9").values_list("status", flat=True)) == {"conflict"}
    resolve(process, staff["checker"], "accept", valid, ref="S9")
    assert list(Ballot.objects.get(process=process).choices.values_list("project_id", flat=True)) == [p["B"]]


def test_discarding_both_lets_the_sheet_be_keyed_again(in_alpha: City, staff: dict[str, Any]) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True)
    p = ids(process)
    entry_a, entry_b = conflict(process, staff)
    with pytest.raises(ApplicationError) as error:
        key(process, staff["checker"], "S1", Choice(p["A"]))
    assert error.value.code == "sheet_in_conflict" and error.value.status_code == 409
    resolution = resolve(process, staff["checker"], "discard")
    assert (resolution.decision, resolution.accepted_entry, resolution.ballot) == ("discard", None, None)
    assert set(PaperEntry.objects.filter(pk__in=[entry_a.pk, entry_b.pk]).values_list("status", flat=True)) == {
        PaperEntryStatus.DISCARDED
    }
    assert not Ballot.objects.filter(process=process).exists()
    again = key(process, staff["admin"], "S1", Choice(p["B"]))
    assert again.status == PaperEntryStatus.PENDING and again.ballot is None
    confirmed = key(process, staff["checker"], "S1", Choice(p["B"]))
    assert confirmed.status == PaperEntryStatus.CONFIRMED
    ballot = Ballot.objects.get(process=process)
    assert ballot.channel == "paper" and list(ballot.choices.values_list("project_id", flat=True)) == [p["B"]]


def test_four_eyes_with_a_recorded_exception_for_city_admins(in_alpha: City, staff: dict[str, Any]) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True)
    entry_a, _entry_b = conflict(process, staff)
    with pytest.raises(ApplicationError) as error:
        resolve(process, staff["keyer"], "accept", entry_a)  # a moderator who keyed entry B
    assert error.value.code == "four_eyes" and error.value.status_code == 403
    resolution = resolve(process, staff["admin"], "accept", entry_a)  # the admin keyed entry A: allowed, on record
    assert resolution.resolver_keyed_an_entry is True and resolution.resolver_role == "city_admin"
    assert Ballot.objects.filter(process=process).count() == 1
    # The resolver's identity is personal data like the keyers': erased with the person.
    interface.gdpr_erase(user_id=staff["admin"].pk, keep_contributions=True)
    resolution.refresh_from_db()
    assert resolution.resolved_by is None and resolution.resolver_keyed_an_entry is True


def test_residents_are_refused(in_alpha: City, staff: dict[str, Any], alpha_client: Client) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True)
    entry_a, _entry_b = conflict(process, staff)
    resident = make_user()
    with pytest.raises(ApplicationError) as error:
        resolve(process, resident, "accept", entry_a)
    assert error.value.status_code == 403 and error.value.code == "forbidden"
    url = f"/manage/budgets/{process.pk}/paper/conflicts/"
    assert alpha_client.get(url)["Location"].startswith("/account/login/")
    alpha_client.force_login(resident)
    # Like every back-office page, it is not even shown to residents (404, not 403).
    assert alpha_client.get(url).status_code == 404
    posted = alpha_client.post(url, {"paper_ref": "S1", "decision": "accept", "entry": entry_a.pk})
    assert posted.status_code == 404
    assert not Ballot.objects.filter(process=process).exists() and not PaperResolution.objects.exists()


def test_resolving_needs_open_voting(in_alpha: City, staff: dict[str, Any]) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True)
    entry_a, _entry_b = conflict(process, staff)
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    with pytest.raises(ApplicationError) as error:
        resolve(process, staff["checker"], "accept", entry_a)
    assert error.value.code == "voting_closed"


def test_staff_page_shows_both_entries_and_resolves(
    in_alpha: City, staff: dict[str, Any], alpha_client: Client
) -> None:
    process = make_process(costs={"Park": 10, "Pool": 10}, paper_double_entry=True)
    p = ids(process)
    key(process, staff["admin"], "S-7", Choice(p["Park"]))
    key(process, staff["keyer"], "S-7", Choice(p["Pool"]))
    alpha_client.force_login(staff["checker"])
    process_page = alpha_client.get(f"/manage/budgets/{process.pk}/").content.decode()
    assert "1 paper sheet has conflicting entries." in process_page
    assert "1 paper sheet is in conflict: it does not count unless resolved before voting closes." in process_page
    assert f'href="/manage/budgets/{process.pk}/paper/conflicts/"' in process_page
    url = f"/manage/budgets/{process.pk}/paper/conflicts/"
    page = alpha_client.get(url).content.decode()
    assert "Sheet S-7" in page and "Entry A" in page and "Entry B" in page
    assert staff["admin"].email in page and staff["keyer"].email in page
    assert page.index("Park") < page.index("Pool")  # entry A (Park) in the first column
    assert page.count("(differs)") == 2 and "Accept entry A" in page and "Discard both entries" in page
    entry_b = PaperEntry.objects.get(paper_ref="S-7", entered_by=staff["keyer"])
    done = alpha_client.post(url, {"paper_ref": "S-7", "decision": "accept", "entry": entry_b.pk})
    assert done.status_code == 302 and done["Location"] == url
    assert list(Ballot.objects.get(process=process).choices.values_list("project_id", flat=True)) == [p["Pool"]]
    after = alpha_client.get(url).content.decode()
    assert "No sheet is in conflict." in after and "One entry accepted" in after and staff["checker"].email in after


def test_staff_page_explains_a_refusal(in_alpha: City, staff: dict[str, Any], alpha_client: Client) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True, max_projects=1)
    p = ids(process)
    invalid = PaperEntry.objects.create(
        process=process,
        paper_ref="S2",
        entered_by=staff["admin"],
        choices=[[p["A"], 1, None], [p["B"], 1, None]],
        status=PaperEntryStatus.CONFLICT,
    )
    PaperEntry.objects.create(
        process=process, paper_ref="S2", entered_by=staff["keyer"], choices=[], status=PaperEntryStatus.CONFLICT
    )
    url = f"/manage/budgets/{process.pk}/paper/conflicts/"
    alpha_client.force_login(staff["keyer"])
    page = alpha_client.get(url).content.decode()
    assert "You keyed one of these entries: another staff member must resolve this sheet." in page
    assert "Accept entry" not in page and "Discard both" not in page
    alpha_client.force_login(staff["checker"])
    page = alpha_client.get(url).content.decode()
    assert "Choose at most 1 project." in page and "Cannot be accepted." in page and "Accept entry B" in page
    refused = alpha_client.post(url, {"paper_ref": "S2", "decision": "accept", "entry": invalid.pk})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'id="error-summary"' in body
    assert "This entry cannot be accepted: it breaks the ballot rules." in body
    assert not Ballot.objects.filter(process=process).exists()
    discarded = alpha_client.post(url, {"paper_ref": "S2", "decision": "discard"})
    assert discarded.status_code == 302
    assert set(PaperEntry.objects.filter(paper_ref="S2").values_list("status", flat=True)) == {"discarded"}
    assert "Both entries discarded" in alpha_client.get(url).content.decode()
