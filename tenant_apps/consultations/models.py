"""Consultations: themes, contributions, comments, reactions, official answers, follows, surveys,
moderation, exports and notifications. Everything here lives in one city's schema.

Built to serve a town of 3,000 and a region with a million contributions from the same tables:

* lists read one index each (``(consultation, status, <sort key>)``) and never count the whole table:
  counters are denormalised on ``Contribution`` (updated with ``F()`` in the transaction that inserts
  the reaction or the comment) and per-consultation figures come from ``GROUP BY`` on indexed columns;
* full-text search uses a stored ``tsvector`` kept by a database trigger (so bulk inserts and COPY get
  it too), weighted title A / body B, in the consultation's language (``search_config``), under a GIN
  index;
* reactions are unique per (contribution, user) in the database; a race between two clicks ends in one
  row and consistent counters.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenant_apps.consultations.phases import Phase

# PostgreSQL text search configurations by language code; anything else uses "simple".
SEARCH_CONFIGS: dict[str, str] = {
    "fr": "french",
    "en": "english",
    "nl": "dutch",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
}


def search_config_for(language: str) -> str:
    return SEARCH_CONFIGS.get((language or "")[:2].lower(), "simple")


class Participation(models.TextChoices):
    SIGNED_IN = "signed_in", _("Anyone with an account")
    VERIFIED = "verified", _("Verified residents only")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: listed on the city's site")
    UNLISTED = "unlisted", _("Unlisted: only people with the link")


class ReactionMode(models.TextChoices):
    SUPPORT = "support", _("Support")
    AGREEMENT = "agreement", _("Agree / disagree / pass")


class ReactionKind(models.TextChoices):
    SUPPORT = "support", _("Support")
    AGREE = "agree", _("Agree")
    DISAGREE = "disagree", _("Disagree")
    PASS = "pass", _("Pass")


REACTION_KINDS_BY_MODE: dict[str, tuple[str, ...]] = {
    ReactionMode.SUPPORT: (ReactionKind.SUPPORT,),
    ReactionMode.AGREEMENT: (ReactionKind.AGREE, ReactionKind.DISAGREE, ReactionKind.PASS),
}


class Consultation(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # Rich text, stored already sanitised (nh3 allow-list) by the services; templates mark it safe.
    description = models.TextField(_("description"), blank=True)
    cover_image = models.ImageField(_("cover image"), upload_to="consultations/covers/", blank=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.DRAFT)
    # Planned dates, aware instants (entered and shown in the city's time zone).
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    results_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    participation = models.CharField(
        _("who may take part"), max_length=16, choices=Participation.choices, default=Participation.SIGNED_IN
    )
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    reaction_mode = models.CharField(
        _("reactions"), max_length=16, choices=ReactionMode.choices, default=ReactionMode.SUPPORT
    )
    premoderation = models.BooleanField(
        _("pre-moderation"), default=False, help_text=_("Contributions wait for a moderator before being shown.")
    )
    allow_attachments = models.BooleanField(_("attachments allowed"), default=True)
    allow_location = models.BooleanField(_("location allowed"), default=True)
    # Language of the contributions (text search configuration and notification default).
    language = models.CharField(_("language"), max_length=8, default="fr")
    search_config = models.CharField(max_length=32, default="french", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def process_key(self) -> str:
        return f"consultations.consultation:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.phase == Phase.OPEN

    @property
    def reaction_kinds(self) -> tuple[str, ...]:
        return REACTION_KINDS_BY_MODE[self.reaction_mode]


class Theme(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    colour = models.CharField(_("colour"), max_length=7, default="#3355aa")  # "#rrggbb"
    icon = models.CharField(_("icon"), max_length=32, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "name"], name="consultations_theme_name_unique"),
            models.CheckConstraint(condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="consultations_theme_colour"),
        ]

    def __str__(self) -> str:
        return self.name


class ContributionStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    PENDING = "pending", _("Pending moderation")
    HIDDEN = "hidden", _("Hidden")
    MERGED = "merged", _("Merged into another contribution")


class AnswerStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DONE = "done", _("Done")


class Contribution(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="contributions")
    # Null theme: the "other" bucket.
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=10_000)  # plain text; escaped on output
    status = models.CharField(max_length=16, choices=ContributionStatus.choices, default=ContributionStatus.PUBLISHED)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")
    # Why it is pending or hidden (shown to the author).
    moderation_reason = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    # Denormalised counters, kept in the transaction that changes the rows they count.
    support_count = models.IntegerField(default=0)
    agree_count = models.IntegerField(default=0)
    disagree_count = models.IntegerField(default=0)
    pass_count = models.IntegerField(default=0)
    comment_count = models.IntegerField(default=0)
    report_count = models.IntegerField(default=0)
    # Copy of the official answer's status ("" = not answered), for the "answered" filter.
    answer_status = models.CharField(max_length=16, blank=True, default="")
    search_config = models.CharField(max_length=32, default="simple")
    # Maintained by the trigger created in migration 0002 (title weight A, body weight B).
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["consultation", "status", "-created_at", "-id"], name="contrib_newest"),
            models.Index(fields=["consultation", "status", "-support_count", "-id"], name="contrib_supported"),
            models.Index(fields=["consultation", "status", "-agree_count", "-id"], name="contrib_agreed"),
            models.Index(fields=["consultation", "status", "-comment_count", "-id"], name="contrib_commented"),
            models.Index(fields=["consultation", "status", "theme", "-created_at", "-id"], name="contrib_theme"),
            models.Index(fields=["consultation", "status", "district", "-created_at", "-id"], name="contrib_district"),
            models.Index(fields=["consultation", "status", "answer_status", "-created_at"], name="contrib_answered"),
            models.Index(fields=["author", "-created_at"], name="contrib_author"),
            GinIndex(fields=["search_vector"], name="contrib_search"),
            # "Answered" (answer_status <> ''): the few answered rows, in the two orders the lists use.
            models.Index(
                fields=["consultation", "status", "-created_at", "-id"],
                condition=~Q(answer_status=""),
                name="contrib_answered_newest",
            ),
            models.Index(
                fields=["consultation", "status", "-support_count", "-id"],
                condition=~Q(answer_status=""),
                name="contrib_answered_supported",
            ),
            # The moderation queue: the few rows waiting for a decision, whatever the table's size.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(status__in=["pending", "hidden"]) | Q(report_count__gt=0),
                name="contrib_queue",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="consultations_contribution_lat",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="consultations_contribution_lon",
            ),
            models.CheckConstraint(
                condition=~Q(status=ContributionStatus.MERGED) | Q(merged_into__isnull=False),
                name="consultations_contribution_merged_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("Image")
    PDF = "pdf", _("PDF document")


class Attachment(models.Model):
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="consultations/attachments/%Y/%m/")
    kind = models.CharField(max_length=8, choices=AttachmentKind.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class OfficialAnswer(models.Model):
    """The city's public answer to one contribution; the author is notified at each change."""

    contribution = models.OneToOneField(Contribution, on_delete=models.CASCADE, related_name="official_answer")
    status = models.CharField(_("status"), max_length=16, choices=AnswerStatus.choices)
    text = models.TextField(_("answer"), max_length=10_000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.contribution_id}"


class CommentStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    PENDING = "pending", _("Pending moderation")
    HIDDEN = "hidden", _("Hidden")


class Comment(models.Model):
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    depth = models.PositiveSmallIntegerField(default=0)  # 0 = top level; replies are capped (MAX_DEPTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"), max_length=5_000)
    status = models.CharField(max_length=16, choices=CommentStatus.choices, default=CommentStatus.PUBLISHED)
    moderation_reason = models.CharField(max_length=300, blank=True)
    report_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    MAX_DEPTH = 3

    class Meta:
        indexes = [
            models.Index(fields=["contribution", "created_at", "id"], name="comment_thread"),
            models.Index(fields=["author", "-created_at"], name="comment_author"),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(status__in=["pending", "hidden"]) | Q(report_count__gt=0),
                name="comment_queue",
            ),
        ]

    def __str__(self) -> str:
        return self.body[:50]


class Reaction(models.Model):
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=ReactionKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contribution", "user"], name="consultations_reaction_one_per_person")
        ]
        indexes = [models.Index(fields=["user"], name="reaction_user")]

    def __str__(self) -> str:
        return f"{self.kind} {self.contribution_id}"


class DigestFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("As it happens")
    DAILY = "daily", _("Once a day (digest)")


class Follow(models.Model):
    """A resident following a consultation: told when it opens, closes, publishes results or answers."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=16, choices=DigestFrequency.choices, default=DigestFrequency.IMMEDIATE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "user"], name="consultations_follow_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.consultation_id}"


# --- Moderation -------------------------------------------------------------------------------------------


class ModerationSettings(models.Model):
    """The city's moderation settings (one row, created on first use)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    # Content reported by this many different people is hidden until a moderator decides (0 = never).
    auto_hide_threshold = models.PositiveIntegerField(_("hide after this many reports"), default=5)
    # language code -> list of words or phrases that send content to pending moderation.
    word_lists = models.JSONField(_("blocked words per language"), default=dict, blank=True)
    # More links than this in one text sends it to pending (link spam).
    max_links = models.PositiveIntegerField(_("links allowed before moderation"), default=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="consultations_modsettings_singleton")]

    def __str__(self) -> str:
        return str(_("Moderation settings"))


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    OFFENSIVE = "offensive", _("Offensive, hateful or abusive")
    PERSONAL_DATA = "personal_data", _("Reveals personal data")
    OFF_TOPIC = "off_topic", _("Off topic")
    ILLEGAL = "illegal", _("Illegal content")
    OTHER = "other", _("Other")


class Report(models.Model):
    """One person's report of a contribution or of a comment (exactly one of the two)."""

    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    note = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(contribution__isnull=False) & Q(comment__isnull=True))
                | (Q(contribution__isnull=True) & Q(comment__isnull=False)),
                name="consultations_report_one_target",
            ),
            models.UniqueConstraint(
                fields=["contribution", "reporter"],
                condition=Q(contribution__isnull=False),
                name="consultations_report_once_contribution",
            ),
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(comment__isnull=False),
                name="consultations_report_once_comment",
            ),
        ]

    def __str__(self) -> str:
        return self.reason


class ModerationAction(models.TextChoices):
    PUBLISH = "publish", _("Published")
    HIDE = "hide", _("Hidden")
    MERGE = "merge", _("Merged")
    AUTO_PENDING = "auto_pending", _("Sent to moderation by the filter")
    PREMODERATION = "premoderation", _("Held for pre-moderation")
    AUTO_HIDE = "auto_hide", _("Hidden after reports")
    DISMISS_REPORTS = "dismiss_reports", _("Reports dismissed")


class ModerationDecision(models.Model):
    """The audit log: every moderation decision, by a person or by the platform (``actor`` null)."""

    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_log"
    )
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_log")
    action = models.CharField(max_length=16, choices=ModerationAction.choices)
    previous_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"], name="moderation_log_recent")]

    def __str__(self) -> str:
        return self.action


# --- Surveys ----------------------------------------------------------------------------------------------


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")
    SCALE = "scale", _("Scale")
    RANKING = "ranking", _("Ranking")


class Survey(models.Model):
    """A questionnaire inside a consultation; answered while the consultation is open."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="surveys")
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def process_key(self) -> str:
        return f"consultations.survey:{self.pk}"


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    label = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("help"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # Scale bounds and labels.
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    scale_min_label = models.CharField(max_length=80, blank=True)
    scale_max_label = models.CharField(max_length=80, blank=True)
    # Multiple choice / ranking: at most this many choices (null: no limit).
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    # Conditional display: shown only when ``show_if_question``'s answer includes ``show_if_choice``.
    show_if_question = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    show_if_choice = models.ForeignKey("Choice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_min__lt=models.F("scale_max")), name="consultations_question_scale"
            )
        ]

    def __str__(self) -> str:
        return self.label


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(_("choice"), max_length=300)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class SurveyResponse(models.Model):
    """One participant's answers to one survey; at most one per person (database constraint)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent"],
                condition=Q(respondent__isnull=False),
                name="consultations_one_response_per_person",
            )
        ]
        indexes = [models.Index(fields=["survey", "id"], name="response_survey")]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.pk}"


class Answer(models.Model):
    """One answer row: a chosen choice (single, multiple, ranking with ``rank``), a number (scale) or a
    text. Multiple choice and ranking answers are one row per choice."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choice = models.ForeignKey(Choice, null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    rank = models.PositiveSmallIntegerField(null=True, blank=True)  # ranking: 1 = first
    number = models.SmallIntegerField(null=True, blank=True)  # scale
    text = models.TextField(blank=True, max_length=5_000)

    class Meta:
        indexes = [
            models.Index(fields=["question", "choice"], name="answer_question_choice"),
            models.Index(fields=["response"], name="answer_response"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.choice_id or self.number or self.text[:20]}"


# --- Exports and notifications ----------------------------------------------------------------------------


class ExportKind(models.TextChoices):
    CONTRIBUTIONS = "contributions", _("Contributions")
    COMMENTS = "comments", _("Comments")
    REACTIONS = "reactions", _("Reactions")
    SURVEY = "survey", _("Survey answers")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A large export built by Celery, with progress; the requester gets an emailed, expiring link."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="exports")
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="consultations/exports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} ({self.status})"


class NotificationKind(models.TextChoices):
    OFFICIAL_ANSWER = "official_answer", _("The city answered your contribution")
    COMMENT_ON_CONTRIBUTION = "comment", _("New comment on your contribution")
    REPLY = "reply", _("Reply to your comment")
    CONSULTATION_OPENED = "opened", _("A consultation you follow opened")
    CONSULTATION_CLOSED = "closed", _("A consultation you follow closed")
    RESULTS_PUBLISHED = "results", _("Results published")
    MODERATION = "moderation", _("Moderation decision about your content")


class Notification(models.Model):
    """An email owed to one person. Immediate ones are sent in batches by Celery after the commit that
    created them; daily ones wait for the digest. ``sent_at`` makes sending idempotent."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    consultation = models.ForeignKey(Consultation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contribution = models.ForeignKey(Contribution, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Plain values for the email (texts are rendered in the recipient's language at send time).
    payload = models.JSONField(default=dict, blank=True)
    digest = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["digest", "sent_at", "recipient"], name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.recipient_id}"
