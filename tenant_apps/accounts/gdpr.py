"""GDPR: "download my data", "delete my account", and the retention purge.

Other tenant apps take part through a registry, never a static import (tenant apps are independent):
each may expose in its ``interface.py``

    gdpr_export(*, user_id: int) -> dict[str, list[dict]]        # section name -> records
    gdpr_erase(*, user_id: int, keep_contributions: bool) -> None  # anonymise or delete its records

found by importlib over ``settings.TENANT_APPS``. Ballot contents are never exported (secret vote) and
never erased (they stay counted); "who voted" is the accounts Participation marker, which stays on the
anonymous tombstone.
"""

from __future__ import annotations

import datetime
import io
import json
import secrets
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core.exceptions import ApplicationError
from core.models import User
from core.registry import tenant_app_hooks
from tenant_apps.accounts.models import (
    DataExport,
    ExportStatus,
    Participation,
    Profile,
    SmsChallenge,
    Verification,
)
from tenant_apps.accounts.selectors import profile_for
from tenant_apps.accounts.services.accounts import _send
from tenant_apps.accounts.services.links import city_url
from tenant_apps.accounts.verification.hashing import code_digest
from tenants.context import current_city

SELF = "tenant_apps.accounts"


def _hooks(name: str) -> list[tuple[str, Callable[..., Any]]]:
    """The other tenant apps' ``interface.<name>`` (accounts' own data is exported and erased here)."""
    return [(app.rsplit(".", 1)[-1], hook) for app, hook in tenant_app_hooks("interface", name) if app != SELF]


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def accounts_export(*, user_id: int) -> dict[str, list[dict[str, Any]]]:
    user = User.objects.get(pk=user_id)
    profile = profile_for(user)
    return {
        "account": [
            {
                "email": user.email,
                "display_name": user.display_name,
                "preferred_language": user.preferred_language,
                "date_joined": _iso(user.date_joined),
                "last_login": _iso(user.last_login),
                "role": profile.role,
                "postal_code": profile.postal_code,
                "district": profile.district,
                "birth_year": profile.birth_year,
                "notify_replies": profile.notify_replies,
                "notify_news": profile.notify_news,
                "email_verified_at": _iso(profile.email_verified_at),
            }
        ],
        "verifications": [
            {"method": v.method, "district": v.district, "verified_at": _iso(v.verified_at)}
            for v in Verification.objects.filter(user_id=user_id).order_by("verified_at")
        ],
        # Whether the person took part in a process, never what they voted.
        "participations": [
            {"process": p.process_key, "at": _iso(p.created_at)}
            for p in Participation.objects.filter(user_id=user_id).order_by("created_at")
        ],
    }


def export_collect(*, user_id: int) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Everything tied to the account, per app."""
    data = {"accounts": accounts_export(user_id=user_id)}
    for app, hook in _hooks("gdpr_export"):
        data[app] = hook(user_id=user_id)
    return data


def export_root() -> Path:
    root = getattr(settings, "ACCOUNTS_EXPORT_ROOT", None) or (Path(settings.EXPORT_ROOT) / "accounts")
    return Path(root) / current_city().schema_name


@transaction.atomic
def export_request(*, user: User) -> DataExport:
    """Ask for a zip of one's data; at most one in preparation at a time (a second ask returns it)."""
    pending = DataExport.objects.select_for_update().filter(user=user, status=ExportStatus.PENDING).first()
    if pending is not None:
        return pending
    export = DataExport.objects.create(user=user)
    from tenant_apps.accounts.tasks import data_export_build_task
    from tenants.tasks import enqueue_on_commit

    enqueue_on_commit(data_export_build_task, kwargs={"export_id": export.pk})
    return export


def export_build(*, export_id: int) -> DataExport | None:
    """Write the zip and email a single-use link (idempotent: only a pending export is built)."""
    with transaction.atomic():
        export = DataExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status != ExportStatus.PENDING:
            return export
        user = export.user
        data = export_collect(user_id=user.pk)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "README.txt",
                _("Your data on %(city)s, exported on %(date)s. One JSON file per part of the platform.")
                % {"city": current_city().name, "date": timezone.now().date().isoformat()},
            )
            for app, sections in data.items():
                archive.writestr(f"{app}.json", json.dumps(sections, ensure_ascii=False, indent=2, default=str))
        root = export_root()
        root.mkdir(parents=True, exist_ok=True)
        path = root / f"export-{export.pk}-{secrets.token_hex(8)}.zip"
        path.write_bytes(buffer.getvalue())
        token = secrets.token_urlsafe(32)
        max_age = int(getattr(settings, "ACCOUNTS_EXPORT_LINK_MAX_AGE", 7 * 86400))
        export.status = ExportStatus.READY
        export.ready_at = timezone.now()
        export.expires_at = export.ready_at + datetime.timedelta(seconds=max_age)
        export.token_hash = code_digest(token)
        export.path = str(path)
        export.save(update_fields=["status", "ready_at", "expires_at", "token_hash", "path"])
        _send(
            user_email=user.email,
            language=user.preferred_language,
            subject=_("Your data is ready to download"),
            template="accounts/email/export_ready.txt",
            context={
                "link": city_url(reverse("accounts:export_download", kwargs={"export_id": export.pk, "token": token}))
            },
        )
    return export


def export_download(*, user: User, export_id: int, token: str) -> bytes:
    """The zip, once: the link is tied to its owner, expires, and the file is deleted when fetched."""
    refused = ApplicationError(_("This download link does not work any more."), code="bad_link", status_code=404)
    with transaction.atomic():
        won = DataExport.objects.filter(
            pk=export_id,
            user=user,
            status=ExportStatus.READY,
            token_hash=code_digest(token),
            expires_at__gt=timezone.now(),
        ).update(status=ExportStatus.DOWNLOADED, downloaded_at=timezone.now())
        if won != 1:
            raise refused
        export = DataExport.objects.get(pk=export_id)
    path = Path(export.path)
    content = path.read_bytes()
    path.unlink(missing_ok=True)
    return content


def _export_files_delete(user_id: int) -> None:
    for export in DataExport.objects.filter(user_id=user_id).exclude(path=""):
        Path(export.path).unlink(missing_ok=True)


@transaction.atomic
def account_delete(*, user: User, keep_contributions: bool) -> None:
    """Anonymise the person: contributions stay as "former participant" (or go, if they choose);
    ballots stay counted. The row becomes a tombstone keeping the verification and participation
    markers, so the same person cannot verify a new account and take part twice in the same process."""
    for _app, hook in _hooks("gdpr_erase"):
        hook(user_id=user.pk, keep_contributions=keep_contributions)
    profile = profile_for(user)
    Profile.objects.filter(pk=profile.pk).update(
        postal_code="",
        district="",
        birth_year=None,
        notify_replies=False,
        notify_news=False,
        deleted_at=timezone.now(),
        role="resident",
    )
    Verification.objects.filter(user=user).update(district="")
    SmsChallenge.objects.filter(user=user).delete()
    _export_files_delete(user.pk)
    DataExport.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    user.email = f"deleted-{user.pk}-{secrets.token_hex(6)}@deleted.invalid"
    user.display_name = ""
    user.preferred_language = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    # A new password hash also ends every session of the account (Django checks the session hash).
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def unverified_purge(*, older_than_days: int | None = None, now: datetime.datetime | None = None) -> int:
    """Delete accounts whose email was never confirmed, older than the retention age. Such accounts could
    not take part (every action needs a confirmed address) and hold no verification."""
    days = (
        older_than_days
        if older_than_days is not None
        else int(getattr(settings, "ACCOUNTS_UNVERIFIED_RETENTION_DAYS", 30))
    )
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    candidates = (
        User.objects.filter(
            date_joined__lt=cutoff,
            is_staff=False,
            is_superuser=False,
            profile__email_verified_at__isnull=True,
            profile__deleted_at__isnull=True,
        )
        .exclude(verifications__isnull=False)
        .exclude(participations__isnull=False)
        .values_list("pk", flat=True)
    )
    deleted = 0
    for user_id in list(candidates[:10_000]):
        with transaction.atomic():
            _export_files_delete(user_id)
            count, _detail = User.objects.filter(pk=user_id).delete()
            deleted += 1 if count else 0
    return deleted
