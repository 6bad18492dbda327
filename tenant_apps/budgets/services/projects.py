"""Project proposals and their review by staff."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, PermissionDeniedError
from tenant_apps.budgets import accounts_adapter, permissions
from tenant_apps.budgets.models import BudgetProcess, Category, District, Project, ProjectStatus
from tenant_apps.budgets.services.images import images_check, images_store

COORDINATE_STEP = Decimal("0.000001")  # the precision stored (about 10 cm)


def _coordinate(value: Any, *, limit: int, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not -limit <= number <= limit:
        errors.setdefault(field, []).append(_("Enter a number between -%(limit)s and %(limit)s.") % {"limit": limit})
        return None
    return number.quantize(COORDINATE_STEP, rounding=ROUND_HALF_EVEN)


def location_check(
    *, latitude: Any, longitude: Any, errors: dict[str, list[str]]
) -> tuple[Decimal | None, Decimal | None]:
    """A project's point: both coordinates in range, or none (errors go to ``errors``)."""
    lat = _coordinate(latitude, limit=90, field="latitude", errors=errors)
    lon = _coordinate(longitude, limit=180, field="longitude", errors=errors)
    if "latitude" in errors or "longitude" in errors:
        return None, None
    if (lat is None) != (lon is None):
        errors.setdefault("latitude" if lat is None else "longitude", []).append(
            _("Give both the latitude and the longitude, or neither.")
        )
        return None, None
    return lat, lon


@transaction.atomic
def project_submit(
    *,
    process_id: int,
    author: Any,
    title: str,
    estimated_cost: int,
    description: str = "",
    district_id: int | None = None,
    category_id: int | None = None,
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    images: Sequence[UploadedFile] = (),
) -> Project:
    """A resident proposes a project (only during the proposals phase).

    The location is optional (both coordinates or none, in range); up to three images, each checked by
    its content (see ``services.images``). Every problem is reported at once and nothing is stored then.
    """
    process = BudgetProcess.objects.get(pk=process_id)
    if not permissions.can_propose(process):
        raise ApplicationError("Proposals are closed.", code="proposals_closed", status_code=409)
    decision = accounts_adapter.can(author, "propose_project")
    if not decision:
        raise PermissionDeniedError(decision.reason, code=decision.code)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["A title is required."]
    if estimated_cost <= 0:
        errors["estimated_cost"] = ["The cost must be positive."]
    district = District.objects.filter(process=process, pk=district_id).first() if district_id else None
    if district_id and district is None:
        errors["district"] = ["Unknown district."]
    category = Category.objects.filter(process=process, pk=category_id).first() if category_id else None
    if category_id and category is None:
        errors["category"] = ["Unknown category."]
    lat, lon = location_check(latitude=latitude, longitude=longitude, errors=errors)
    image_types, image_errors = images_check(list(images))
    if image_errors:
        errors["images"] = image_errors
    if errors:
        raise ApplicationError("The proposal is incomplete.", code="invalid", fields=errors)
    project = Project.objects.create(
        process=process,
        author=author,
        title=title.strip(),
        description=description,
        estimated_cost=estimated_cost,
        district=district,
        category=category,
        latitude=lat,
        longitude=lon,
        status=ProjectStatus.SUBMITTED,
    )
    images_store(project=project, uploads=list(images), content_types=image_types)
    return project


REVIEW_DECISIONS = (
    ProjectStatus.FEASIBLE,
    ProjectStatus.NOT_FEASIBLE,
    ProjectStatus.MERGED,
    ProjectStatus.SELECTED_FOR_BALLOT,
)


@transaction.atomic
def project_review(
    *,
    project_id: int,
    reviewer: Any,
    decision: str,
    public_reason: str = "",
    official_cost: int | None = None,
    merged_into_id: int | None = None,
) -> Project:
    """Staff decide on a proposal: feasible, not feasible (with a public reason), merged, or on the ballot."""
    project = Project.objects.select_for_update().select_related("process").get(pk=project_id)
    if reviewer is None or not accounts_adapter.is_staff(user_id=reviewer.pk):
        raise PermissionDeniedError("Only city staff review projects.")
    if not permissions.can_review(project.process):
        raise ApplicationError("Projects can no longer be reviewed.", code="review_closed", status_code=409)
    errors: dict[str, list[str]] = {}
    if decision not in REVIEW_DECISIONS:
        errors["decision"] = [f"Expected one of {', '.join(REVIEW_DECISIONS)}."]
    if decision in (ProjectStatus.NOT_FEASIBLE, ProjectStatus.MERGED) and not public_reason.strip():
        errors["public_reason"] = ["Say publicly why."]
    if official_cost is not None and official_cost <= 0:
        errors["official_cost"] = ["The cost must be positive."]
    target = None
    if decision == ProjectStatus.MERGED:
        target = Project.objects.filter(process=project.process, pk=merged_into_id or 0).exclude(pk=project.pk).first()
        if target is None:
            errors["merged_into"] = ["Choose another project of this process."]
    if errors:
        raise ApplicationError("The review is incomplete.", code="invalid", fields=errors)
    project.status = decision
    project.public_reason = public_reason
    if official_cost is not None:
        project.official_cost = official_cost
    project.merged_into = target
    project.save(update_fields=["status", "public_reason", "official_cost", "merged_into"])
    return project
