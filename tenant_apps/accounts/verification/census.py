"""Census CSV: parsing with per-row errors. Columns: document_number, birth_date (YYYY-MM-DD),
postal_code, district (postal_code and district optional; ``;`` or ``,`` separated; UTF-8)."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tenant_apps.accounts.verification.hashing import normalise_document, normalise_postal_code

REQUIRED_COLUMNS = ("document_number", "birth_date")
MAX_ROWS = 2_000_000


@dataclass(frozen=True)
class CensusRow:
    line: int
    document: str
    birth_date: datetime.date
    postal_code: str
    district: str


def parse_birth_date(value: str) -> datetime.date | None:
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def parse_census_csv(content: bytes) -> tuple[list[CensusRow], dict[str, list[str]]]:
    """Rows and errors keyed by "line N" (the header is line 1). Any error means: import nothing."""
    errors: dict[str, list[str]] = {}
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], {"file": [_("The file is not UTF-8 text: save it as 'CSV UTF-8' and upload it again.")]}
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], {"file": [_("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}]}
    reader.fieldnames = columns
    rows: list[CensusRow] = []
    seen: dict[str, int] = {}
    today = datetime.date.today()
    for index, raw in enumerate(reader, start=2):
        if index - 1 > MAX_ROWS:
            errors["file"] = [_("The file has more than %(max)s rows.") % {"max": MAX_ROWS}]
            break
        problems: list[str] = []
        document = normalise_document(raw.get("document_number") or "")
        birth_date = parse_birth_date(raw.get("birth_date") or "")
        if not document:
            problems.append(_("the document number is empty"))
        elif len(document) < 4 or len(document) > 40:
            problems.append(_("the document number must have 4 to 40 characters"))
        elif document in seen:
            problems.append(_("the same document number is on line %(line)s") % {"line": seen[document]})
        if birth_date is None:
            problems.append(_("the date of birth is missing or not a date (YYYY-MM-DD)"))
        elif birth_date > today or birth_date.year < 1900:
            problems.append(_("the date of birth is not plausible"))
        if problems:
            errors[f"line {index}"] = problems
            continue
        assert birth_date is not None
        seen[document] = index
        rows.append(
            CensusRow(
                line=index,
                document=document,
                birth_date=birth_date,
                postal_code=normalise_postal_code(raw.get("postal_code") or ""),
                district=(raw.get("district") or "").strip()[:100],
            )
        )
    if not rows and not errors:
        errors["file"] = [_("The file has no rows.")]
    return rows, errors
