"""Casting, revising and keying ballots; validation per ballot kind.

Integrity lives in the database: one ballot per voter token (unique constraint), one per paper sheet,
a per-voter advisory lock so concurrent submissions of one resident queue up instead of racing, and the
process row read FOR SHARE so the phase cannot close (nor the rules change) under a ballot being cast.

Voter tokens are keyed by ``BUDGETS_VOTER_TOKEN_KEY`` (else ``SECRET_KEY``), which must never change while
a vote is open (see the models' docstring). A paper sheet whose two entries differ is settled in
``services.paper`` before it can be keyed again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError, PermissionDeniedError
from tenant_apps.budgets import accounts_adapter, permissions
from tenant_apps.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    BudgetProcess,
    Channel,
    District,
    PaperEntry,
    PaperEntryStatus,
    Project,
    ProjectStatus,
)


@dataclass(frozen=True)
class Choice:
    project_id: int
    points: int = 1
    rank: int | None = None


def new_receipt() -> str:
    return secrets.token_hex(10).upper()


def voter_token_key() -> str:
    """The server-side key of voter tokens: ``BUDGETS_VOTER_TOKEN_KEY``, else ``SECRET_KEY``.

    It must never change while a vote is open (see the models' module docstring): a dedicated setting
    lets ``SECRET_KEY`` be rotated without orphaning every resident's ballot.
    """
    key = getattr(settings, "BUDGETS_VOTER_TOKEN_KEY", None)
    return str(key) if key else str(settings.SECRET_KEY)


def voter_token(*, process: BudgetProcess, user_id: int) -> str:
    """Opaque, per-process token of a voter: HMAC keyed by the voter-token key (not in the database)."""
    key = hashlib.sha256(f"budgets.voter-token:{voter_token_key()}:{process.ballot_salt}".encode()).digest()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()


def pot_budget(process: BudgetProcess, district: District | None) -> int:
    if district is not None:
        return district.budget
    if process.districts.exists():
        return process.citywide_budget or 0
    return process.total_budget


def validate_choices(
    *, process: BudgetProcess, district: District | None, choices: Sequence[Choice]
) -> list[tuple[Project, Choice]]:
    """Check ``choices`` against the process's ballot rules; raise naming every violation in ``fields``."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    eligible = {
        p.pk: p
        for p in Project.objects.filter(process=process, status=ProjectStatus.SELECTED_FOR_BALLOT).select_related(
            "district"
        )
    }
    picked: list[tuple[Project, Choice]] = []
    seen: set[int] = set()
    for choice in choices:
        project = eligible.get(choice.project_id)
        if choice.project_id in seen:
            fail("projects", _("Project %(project)s is chosen twice.") % {"project": choice.project_id})
            continue
        seen.add(choice.project_id)
        if project is None:
            fail("projects", _("Project %(project)s is not on this ballot.") % {"project": choice.project_id})
        elif project.district_id is not None and (district is None or project.district_id != district.pk):
            fail("projects", _("Project %(project)s belongs to another district.") % {"project": choice.project_id})
        else:
            picked.append((project, choice))
    count = len(choices)
    kind = process.ballot_kind
    if count < process.min_projects:
        low = process.min_projects
        fail(
            "count",
            ngettext("Choose at least %(count)s project.", "Choose at least %(count)s projects.", low) % {"count": low},
        )
    if process.max_projects is not None and count > process.max_projects:
        high = process.max_projects
        fail(
            "count",
            ngettext("Choose at most %(count)s project.", "Choose at most %(count)s projects.", high) % {"count": high},
        )
    if kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK) and any(c.points != 1 or c.rank is not None for c in choices):
        fail("points", _("This ballot takes no points nor ranks."))
    if kind == BallotKind.KNAPSACK:
        _check_knapsack(process, district, picked, fail)
    if kind == BallotKind.CUMULATIVE:
        total = sum(c.points for c in choices)
        if process.points_total is not None and total > process.points_total:
            message = ngettext(
                "Spread at most %(limit)s point (got %(total)s).",
                "Spread at most %(limit)s points (got %(total)s).",
                process.points_total,
            )
            fail("points", message % {"limit": process.points_total, "total": total})
        if any(c.points < 1 for c in choices):
            fail("points", _("Each chosen project needs at least one point."))
        cap = process.max_points_per_project
        if cap is not None and any(c.points > cap for c in choices):
            fail(
                "points",
                ngettext("At most %(cap)s point per project.", "At most %(cap)s points per project.", cap)
                % {"cap": cap},
            )
    if kind == BallotKind.RANKED:
        ranks = [c.rank for c in choices]
        limit = process.ranks or 0
        if count > limit:
            fail(
                "ranks",
                ngettext("Rank at most %(limit)s project.", "Rank at most %(limit)s projects.", limit)
                % {"limit": limit},
            )
        if any(r is None for r in ranks):
            fail("ranks", _("Every chosen project needs a rank."))
        elif sorted(r for r in ranks if r is not None) != list(range(1, count + 1)):
            message = ngettext(
                "The only rank must be %(count)s.", "Ranks must be 1 to %(count)s, each used once.", count
            )
            fail("ranks", message % {"count": count})
    if errors:
        raise ApplicationError(_("This ballot is not valid."), code="ballot_invalid", fields=errors)
    return picked


def _check_knapsack(
    process: BudgetProcess, district: District | None, picked: list[tuple[Project, Choice]], fail: Any
) -> None:
    # One knapsack per pot: the district's money and the city-wide money are separate envelopes.
    pots: dict[int | None, int] = {}
    for project, _choice in picked:
        pots[project.district_id] = pots.get(project.district_id, 0) + project.cost
    share = Decimal(process.min_share_spent)
    for pot_district in {None, district.pk if district else None}:
        budget = pot_budget(process, district if pot_district is not None else None)
        spent = pots.get(pot_district, 0)
        amounts = {"spent": spent, "budget": budget}
        if spent > budget:
            if pot_district is not None:
                message = _("The district projects cost %(spent)s, over the budget of %(budget)s.")
            else:
                message = _("The city-wide projects cost %(spent)s, over the budget of %(budget)s.")
            fail("cost", message % amounts)
        if budget and share and Decimal(spent) < share * budget:
            if pot_district is not None:
                message = _("Spend at least %(share)s of the district budget (%(spent)s of %(budget)s).")
            else:
                message = _("Spend at least %(share)s of the city-wide budget (%(spent)s of %(budget)s).")
            fail("cost", message % {**amounts, "share": f"{share:.0%}"})


def _store_choices(ballot: Ballot, picked: list[tuple[Project, Choice]]) -> None:
    BallotChoice.objects.bulk_create(
        BallotChoice(ballot=ballot, project=project, points=choice.points, rank=choice.rank)
        for project, choice in picked
    )


def _lock_process_for_share(process_id: int) -> BudgetProcess:
    # FOR SHARE: many voters at once, but a phase change or rule change (FOR UPDATE) waits for them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM budgets_budgetprocess WHERE id = %s FOR SHARE", [process_id])
        if cursor.fetchone() is None:
            raise BudgetProcess.DoesNotExist
    return BudgetProcess.objects.get(pk=process_id)


def _advisory_lock(token: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(token[:15], 16)])


def lock_paper_sheet(*, process_id: int, paper_ref: str) -> None:
    """Serialise everything that decides how one paper sheet counts (keying, conflict resolution)."""
    _advisory_lock(hashlib.sha256(f"paper:{process_id}:{paper_ref}".encode()).hexdigest())


@transaction.atomic
def ballot_cast(*, process_id: int, voter: Any, choices: Sequence[Choice]) -> Ballot:
    """Record (or replace) a resident's ballot and return it; ``ballot.receipt`` is the receipt.

    One ballot per resident per process: the first cast records accounts' participation marker (one
    per person, even across re-created accounts) and a ballot under the voter's opaque token; later casts
    replace that ballot's choices (the last one counts) and issue a new receipt.
    """
    process = _lock_process_for_share(process_id)
    if not permissions.can_vote(process):
        raise ApplicationError(_("Voting is not open."), code="voting_closed", status_code=409)
    decision = accounts_adapter.can(voter, "vote_budget")
    if not decision:
        raise PermissionDeniedError(decision.reason, code=decision.code)
    district = _voter_district(process, voter.pk)
    picked = validate_choices(process=process, district=district, choices=choices)
    token = voter_token(process=process, user_id=voter.pk)
    _advisory_lock(token)  # concurrent submissions of this voter queue here
    ballot = Ballot.objects.select_for_update().filter(process=process, voter_token=token).first()
    if ballot is None:
        accounts_adapter.participation_record(user_id=voter.pk, process_key=process.process_key)
        ballot = Ballot.objects.create(
            process=process, district=district, receipt=new_receipt(), channel=Channel.ONLINE, voter_token=token
        )
    else:
        ballot.choices.all().delete()
        ballot.receipt = new_receipt()
        ballot.district = district
        ballot.save(update_fields=["receipt", "district", "updated_at"])
    _store_choices(ballot, picked)
    return ballot


def _voter_district(process: BudgetProcess, user_id: int) -> District | None:
    if not process.districts.exists():
        return None
    code = accounts_adapter.verified_district(user_id=user_id)
    district = District.objects.filter(process=process, code=code).first() if code else None
    if district is None:
        raise PermissionDeniedError(
            _("Only residents verified in one of this budget's districts can vote."), code="not_eligible"
        )
    return district


@transaction.atomic
def paper_ballot_enter(
    *, process_id: int, staff: Any, paper_ref: str, choices: Sequence[Choice], district_id: int | None = None
) -> PaperEntry:
    """Key a paper ballot. With double entry, it counts once two different staff keyed identical choices.

    Returns the entry; ``entry.ballot`` is set when the sheet now counts.
    """
    process = _lock_process_for_share(process_id)
    if staff is None or not accounts_adapter.is_staff(user_id=staff.pk):
        raise PermissionDeniedError(_("Only city staff enter paper ballots."))
    if not permissions.can_vote(process):
        raise ApplicationError(_("Voting is not open."), code="voting_closed", status_code=409)
    district = District.objects.filter(process=process, pk=district_id).first() if district_id else None
    if district_id and district is None:
        raise ApplicationError(_("Unknown district."), code="invalid", fields={"district": [_("Unknown district.")]})
    if district is None and process.districts.exists():
        raise ApplicationError(_("Say which district."), code="invalid", fields={"district": [_("Required.")]})
    picked = validate_choices(process=process, district=district, choices=choices)
    canonical = sorted([c.project_id, c.points, c.rank] for c in choices)
    lock_paper_sheet(process_id=process.pk, paper_ref=paper_ref)
    if Ballot.objects.filter(process=process, paper_ref=paper_ref).exists():
        raise ApplicationError(_("This sheet was already counted."), code="already_counted", status_code=409)
    if PaperEntry.objects.filter(process=process, paper_ref=paper_ref, status=PaperEntryStatus.CONFLICT).exists():
        # Keying it a third time would race the resolution page; the conflict is settled there first.
        raise ApplicationError(
            _("The entries of this sheet differ: the conflict must be resolved before it is keyed again."),
            code="sheet_in_conflict",
            status_code=409,
        )
    entry = PaperEntry(process=process, paper_ref=paper_ref, entered_by=staff, district=district, choices=canonical)
    if process.paper_double_entry:
        first = PaperEntry.objects.filter(process=process, paper_ref=paper_ref, status=PaperEntryStatus.PENDING).first()
        if first is None:
            entry.save()
            return entry
        if first.entered_by_id == staff.pk:
            raise ApplicationError(
                _("The second entry must be made by another person."), code="same_operator", status_code=409
            )
        if first.choices != canonical or first.district_id != (district.pk if district else None):
            first.status = entry.status = PaperEntryStatus.CONFLICT
            first.save(update_fields=["status"])
            entry.save()
            return entry
        first.status = PaperEntryStatus.CONFIRMED
        first.save(update_fields=["status"])
    ballot = Ballot.objects.create(
        process=process, district=district, receipt=new_receipt(), channel=Channel.PAPER, paper_ref=paper_ref
    )
    _store_choices(ballot, picked)
    entry.status = PaperEntryStatus.CONFIRMED
    entry.ballot = ballot
    entry.save()
    if process.paper_double_entry:
        PaperEntry.objects.filter(process=process, paper_ref=paper_ref, status=PaperEntryStatus.CONFIRMED).update(
            ballot=ballot
        )
    return entry
