"""Settling paper sheets whose two entries differ (double entry).

A sheet in conflict does not count and cannot be keyed again until a staff member settles it: accept
one entry (it must pass the ballot rules, like any ballot, and becomes a paper ballot) or discard both
(the sheet can then be keyed again, twice). Four eyes: the person who settles it keyed neither entry;
only a city admin may settle a sheet they keyed themselves (small cities may have two staff members),
and the record says so. Every settlement is a ``PaperResolution`` (who, when, which entry, which ballot).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, PermissionDeniedError
from tenant_apps.budgets import accounts_adapter, permissions
from tenant_apps.budgets.models import (
    Ballot,
    Channel,
    PaperDecision,
    PaperEntry,
    PaperEntryStatus,
    PaperResolution,
)
from tenant_apps.budgets.services.ballots import (
    Choice,
    _lock_process_for_share,
    _store_choices,
    lock_paper_sheet,
    new_receipt,
    validate_choices,
)

# A city admin may settle a sheet they keyed (recorded); a moderator never may.
OVERRIDE_ROLE = "city_admin"


def entry_choices(entry: PaperEntry) -> list[Choice]:
    """The choices of a keyed entry (stored as sorted ``[project_id, points, rank]`` triples)."""
    return [Choice(project_id=int(project), points=int(points), rank=rank) for project, points, rank in entry.choices]


@transaction.atomic
def paper_conflict_resolve(
    *, process_id: int, staff: Any, paper_ref: str, decision: str, entry_id: int | None = None
) -> PaperResolution:
    """Settle the conflicting entries of sheet ``paper_ref``: ``decision`` is ``accept`` (with the
    ``entry_id`` to count) or ``discard``. Returns the resolution; ``resolution.ballot`` is the paper
    ballot an accepted entry became.
    """
    process = _lock_process_for_share(process_id)
    role = accounts_adapter.role_of(user_id=staff.pk) if staff is not None else None
    if role is None or role not in accounts_adapter.STAFF_ROLES:
        raise PermissionDeniedError(_("Only city staff resolve paper ballot conflicts."))
    if not permissions.can_vote(process):
        raise ApplicationError(_("Voting is not open."), code="voting_closed", status_code=409)
    if decision not in PaperDecision.values:
        raise ApplicationError(_("Choose to accept one entry or to discard both."), code="invalid")
    lock_paper_sheet(process_id=process.pk, paper_ref=paper_ref)
    entries = list(
        PaperEntry.objects.select_for_update(of=("self",))
        .filter(process=process, paper_ref=paper_ref, status=PaperEntryStatus.CONFLICT)
        .select_related("district")
        .order_by("pk")
    )
    if not entries:
        raise ApplicationError(
            _("Sheet %(ref)s has no conflict to resolve (it may have just been resolved).") % {"ref": paper_ref},
            code="no_conflict",
            status_code=409,
        )
    keyed_it = any(entry.entered_by_id == staff.pk for entry in entries)
    if keyed_it and role != OVERRIDE_ROLE:
        raise PermissionDeniedError(
            _("You keyed one of these entries: another staff member (or a city admin) must resolve it."),
            code="four_eyes",
        )
    accepted: PaperEntry | None = None
    ballot: Ballot | None = None
    if decision == PaperDecision.ACCEPT:
        accepted = next((entry for entry in entries if entry.pk == entry_id), None)
        if accepted is None:
            raise ApplicationError(_("Choose one of the entries of this sheet."), code="invalid")
        if Ballot.objects.filter(process=process, paper_ref=paper_ref).exists():
            raise ApplicationError(_("This sheet was already counted."), code="already_counted", status_code=409)
        try:
            picked = validate_choices(process=process, district=accepted.district, choices=entry_choices(accepted))
        except ApplicationError as exc:
            raise ApplicationError(
                _("This entry cannot be accepted: it breaks the ballot rules."), code=exc.code, fields=exc.fields
            ) from exc
        ballot = Ballot.objects.create(
            process=process,
            district=accepted.district,
            receipt=new_receipt(),
            channel=Channel.PAPER,
            paper_ref=paper_ref,
        )
        _store_choices(ballot, picked)
    resolution = PaperResolution.objects.create(
        process=process,
        paper_ref=paper_ref,
        decision=decision,
        accepted_entry=accepted,
        ballot=ballot,
        resolved_by=staff,
        resolver_role=role,
        resolver_keyed_an_entry=keyed_it,
    )
    for entry in entries:
        entry.resolution = resolution
        entry.status = PaperEntryStatus.CONFIRMED if entry is accepted else PaperEntryStatus.DISCARDED
        entry.ballot = ballot if entry is accepted else None
    PaperEntry.objects.bulk_update(entries, ["resolution", "status", "ballot"])
    return resolution
