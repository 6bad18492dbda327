"""Residents and staff of one city (this module's tables live in each city's schema).

Identifiers used for "one person, one vote" (census document numbers, letter codes, phone numbers,
email addresses) are kept only as HMAC-SHA256 digests keyed by a random salt of this city
(``CitySecret``): the same document number gives unrelated digests in two cities, and a dump of one
schema does not reveal it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    MODERATOR = "moderator", _("Moderator")
    CITY_ADMIN = "city_admin", _("City administrator")


STAFF_ROLES = (Role.MODERATOR, Role.CITY_ADMIN)


class Method(models.TextChoices):
    CENSUS = "census", _("Census (population register)")
    LETTER = "letter", _("Code received by post")
    EMAIL_DOMAIN = "email_domain", _("Email address of an allowed organisation")
    SMS = "sms", _("Code received by text message")


class Action(models.TextChoices):
    COMMENT = "comment", _("Comment")
    CONTRIBUTE = "contribute", _("Contribute to a consultation")
    REACT = "react", _("React to a contribution")
    ANSWER_SURVEY = "answer_survey", _("Answer a survey")
    PROPOSE_PROJECT = "propose_project", _("Propose a budget project")
    VOTE_BUDGET = "vote_budget", _("Vote in a participatory budget")


class CitySecret(models.Model):
    """The city's salt for identifier digests: one row, created on first use, never shown."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    salt = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="accounts_citysecret_singleton")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class AccountsSettings(models.Model):
    """What verification this city offers and what each action requires (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    enabled_methods = models.JSONField(_("enabled verification methods"), default=list, blank=True)
    # action -> list of methods, any one of which is enough; an action absent or empty needs an account only.
    requirements = models.JSONField(_("requirements per action"), default=dict, blank=True)
    email_domains = models.JSONField(_("allowed email domains"), default=list, blank=True)
    census_second_factor = models.CharField(
        _("census check"),
        max_length=16,
        choices=[("birth_date", _("Date of birth")), ("postal_code", _("Postal code"))],
        default="birth_date",
    )
    passwordless_login = models.BooleanField(_("sign-in by emailed link"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("accounts settings")
        verbose_name_plural = _("accounts settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="accounts_settings_singleton")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.RESIDENT)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    notify_replies = models.BooleanField(_("email me when someone replies to me"), default=True)
    notify_news = models.BooleanField(_("email me news of consultations and budgets"), default=False)
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    # Set when the person deleted their account: the row stays as an anonymous tombstone.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email_verified_at"], name="accounts_profile_emailver")]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.role})"


class CensusImport(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class CensusEntry(models.Model):
    """One resident of the register: digests only, plus the district and year of birth for statistics."""

    census_import = models.ForeignKey(CensusImport, on_delete=models.CASCADE, related_name="entries")
    identity_hash = models.CharField(max_length=64, unique=True)
    birth_date_hash = models.CharField(max_length=64, blank=True)
    postal_code_hash = models.CharField(max_length=64, blank=True)
    district = models.CharField(max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class LetterBatch(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(_("label"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class LetterCode(models.Model):
    # Kept readable so that staff can print the batch again; a code is worth nothing once redeemed.
    batch = models.ForeignKey(LetterBatch, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=32, unique=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Verification(models.Model):
    """Proof that an account is a distinct person (and, for residency methods, a resident).

    ``identity_hash`` is unique: one census identity, letter code, phone or email verifies one account.
    When its account is deleted, the row stays attached to the anonymous tombstone, so a new account of
    the same person takes it over (see services.verification) and keeps that person's participations.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verifications")
    method = models.CharField(max_length=16, choices=Method.choices)
    identity_hash = models.CharField(max_length=64, unique=True)
    district = models.CharField(max_length=100, blank=True)
    verified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "method"], name="accounts_one_verification_per_method")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class SmsChallenge(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    phone_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Participation(models.Model):
    """ "Who took part" in a process, kept apart from "what" (ballot contents live in budgets).

    Unique per account and per verified identity: a deleted-and-recreated account of the same person
    (same census identity) cannot take part twice.
    """

    process_key = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations")
    identity_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["process_key", "user"], name="accounts_participation_per_user"),
            models.UniqueConstraint(
                fields=["process_key", "identity_hash"],
                condition=~Q(identity_hash=""),
                name="accounts_participation_per_identity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class StaffInvitation(models.Model):
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=[(r.value, r.label) for r in STAFF_ROLES])
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready")
    DOWNLOADED = "downloaded", _("Downloaded")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class DataExport(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
