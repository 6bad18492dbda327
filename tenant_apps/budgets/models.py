"""Participatory budgeting: processes, districts, projects, ballots, results.

"Who voted" and "what was voted" are kept apart:

* accounts' ``Participation`` marker (user id + process key) says *who* took part; one per person;
* a ``Ballot`` says *what* was voted; it has no user column. Online ballots carry ``voter_token``, an
  HMAC of the user id keyed by a server-side key and the process's random ``ballot_salt``. The
  resident's own session can recompute it to find and revise their ballot, but a copy of the database
  alone cannot map a token back to a person (the key is not in the database), and nothing joins
  ``Ballot`` to a user by a foreign key. A unique constraint on ``(process, voter_token)`` makes "one
  ballot per resident per process" a database fact.

The voter-token key is the setting ``BUDGETS_VOTER_TOKEN_KEY`` (falling back to ``SECRET_KEY`` when it
is not set), kept apart from ``SECRET_KEY`` so that the latter can be rotated. **It must never change
while a vote is open** (nor between the vote and the end of the process): a new key gives every
resident a new token, so their ballot is orphaned: they can no longer see nor revise it, and the
database would accept a second ballot from them (accounts' participation marker still refuses it, but
the resident is then locked out of their own vote). Before rotating ``SECRET_KEY``, pin
``BUDGETS_VOTER_TOKEN_KEY`` to the current ``SECRET_KEY`` value.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenant_apps.budgets.phases import Phase


def new_salt() -> str:
    return secrets.token_hex(32)


class BallotKind(models.TextChoices):
    APPROVAL = "approval", _("Approval (pick projects)")
    KNAPSACK = "knapsack", _("Knapsack (pick projects within the budget)")
    CUMULATIVE = "cumulative", _("Cumulative (spread points)")
    RANKED = "ranked", _("Ranked (order your favourites)")


class ResultRule(models.TextChoices):
    GREEDY = "greedy", _("Greedy")
    GREEDY_NO_SKIP = "greedy-no-skip", _("Greedy without skipping")
    EQUAL_SHARES = "equal-shares", _("Method of Equal Shares")


class BudgetProcess(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Money in integer minor units (cents): rules compare ratios of money, floats would change results.
    total_budget = models.BigIntegerField(_("total budget (minor units)"))
    # The city-wide pot when the process also has districts (projects without a district draw on it).
    citywide_budget = models.BigIntegerField(_("city-wide pot (minor units)"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.PROPOSALS)
    proposals_start = models.DateField(null=True, blank=True)
    review_start = models.DateField(null=True, blank=True)
    voting_start = models.DateField(null=True, blank=True)
    results_start = models.DateField(null=True, blank=True)
    follow_up_start = models.DateField(null=True, blank=True)
    # Ballot rules (frozen once voting opens).
    ballot_kind = models.CharField(max_length=16, choices=BallotKind.choices, default=BallotKind.APPROVAL)
    min_projects = models.PositiveIntegerField(default=0)
    max_projects = models.PositiveIntegerField(null=True, blank=True)
    min_share_spent = models.DecimalField(max_digits=4, decimal_places=3, default=0)  # knapsack, 0..1
    points_total = models.PositiveIntegerField(null=True, blank=True)  # cumulative
    max_points_per_project = models.PositiveIntegerField(null=True, blank=True)  # cumulative
    ranks = models.PositiveIntegerField(null=True, blank=True)  # ranked: K
    # Results rule (frozen with the ballot rules).
    results_rule = models.CharField(max_length=16, choices=ResultRule.choices, default=ResultRule.EQUAL_SHARES)
    utility = models.CharField(max_length=16, default="cost")
    completion = models.CharField(max_length=16, default="none")
    increment = models.CharField(max_length=32, default="1")
    then_greedy = models.BooleanField(default=False)
    tie_break = models.CharField(max_length=32, default="cost-votes-id")
    paper_double_entry = models.BooleanField(default=False)
    rules_frozen_at = models.DateTimeField(null=True, blank=True)
    ballot_salt = models.CharField(max_length=64, default=new_salt, editable=False)
    # The META section of the Pabulib file a process was imported from, as ``[key, value]`` pairs: a
    # re-export describes the original election (country, unit, dates...), not the importing city.
    source_meta = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(total_budget__gte=0), name="budgets_process_budget_positive"),
            models.CheckConstraint(
                condition=Q(min_share_spent__gte=0) & Q(min_share_spent__lte=1), name="budgets_process_share_0_1"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def process_key(self) -> str:
        """The key accounts' participation markers use for this process."""
        return f"budgets.process:{self.pk}"

    def rules_dict(self) -> dict[str, Any]:
        return {name: str(getattr(self, name)) for name in RULE_FIELDS}


RULE_FIELDS: tuple[str, ...] = (
    "ballot_kind",
    "min_projects",
    "max_projects",
    "min_share_spent",
    "points_total",
    "max_points_per_project",
    "ranks",
    "results_rule",
    "utility",
    "completion",
    "increment",
    "then_greedy",
    "tie_break",
    "paper_double_entry",
    "total_budget",
    "citywide_budget",
)


class District(models.Model):
    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="districts")
    # The value accounts' census/letter verification stores as the resident's district.
    code = models.CharField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    budget = models.BigIntegerField(_("budget (minor units)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["process", "code"], name="budgets_district_code_unique")]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["process", "name"], name="budgets_category_unique")]

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    FEASIBLE = "feasible", _("Feasible")
    NOT_FEASIBLE = "not_feasible", _("Not feasible")
    MERGED = "merged", _("Merged")
    SELECTED_FOR_BALLOT = "selected_for_ballot", _("On the ballot")


class FollowUpStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("project follow-up", "Done")
    CANCELLED = "cancelled", pgettext_lazy("project follow-up", "Cancelled")


class Project(models.Model):
    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    estimated_cost = models.BigIntegerField(_("estimated cost (minor units)"))
    official_cost = models.BigIntegerField(_("official cost (minor units)"), null=True, blank=True)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="projects")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects")
    status = models.CharField(max_length=24, choices=ProjectStatus.choices, default=ProjectStatus.SUBMITTED)
    public_reason = models.TextField(_("public reason"), blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")
    # The proposer (null once erased or for imported projects): proposals are public contributions.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="budget_projects"
    )
    # Pabulib project id when imported (kept so that a re-export gives the same ids).
    external_id = models.CharField(max_length=100, blank=True)
    # Where the project would be (optional; the district, when there is one, says it more coarsely).
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Denormalised counters, moved with F() in the transaction that changes the rows they count:
    # supports, and the comments residents can read (hidden and removed ones do not count).
    support_count = models.IntegerField(default=0)
    comment_count = models.IntegerField(default=0)
    # Follow-up of a funded project, set by staff once the results are out ("" until then).
    follow_up_status = models.CharField(
        _("follow-up status"), max_length=16, choices=FollowUpStatus.choices, blank=True, default=""
    )
    follow_up_note = models.TextField(_("public note"), blank=True)
    follow_up_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["process", "status"], name="budgets_project_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(estimated_cost__gte=0), name="budgets_project_cost_positive"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="budgets_project_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="budgets_project_longitude_range",
            ),
            # A point has both coordinates or none.
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="budgets_project_location_pair",
            ),
            models.CheckConstraint(condition=Q(support_count__gte=0), name="budgets_project_supports_positive"),
            models.CheckConstraint(condition=Q(comment_count__gte=0), name="budgets_project_comments_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def cost(self) -> int:
        """The cost the ballot and the rules use: the official one once reviewed."""
        return self.official_cost if self.official_cost is not None else self.estimated_cost


class ProjectImage(models.Model):
    """An image of a proposal: its content was checked with Pillow, it is stored under a random name."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="budgets/projects/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    MAX_PER_PROJECT = 3

    class Meta:
        indexes = [models.Index(fields=["project", "position"], name="budgets_image_project_idx")]

    def __str__(self) -> str:
        return self.file.name


class ProjectSupport(models.Model):
    """A person supports a proposal (proposals phase): one per person per project, a database fact."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="budgets_support_one_per_person")]
        indexes = [models.Index(fields=["user"], name="budgets_support_user_idx")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.user_id}"


class ProjectComment(models.Model):
    """A comment on a proposal, or a reply to one (one level: replies hang from a top-level comment).

    The body is plain text, escaped on output. Staff may hide a comment (with a public reason); a comment
    whose author erased their account without keeping contributions is removed: its text is gone, the
    row stays only while replies hang from it.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"), max_length=3000)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("reason"), max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    BODY_MAX = 3000

    class Meta:
        indexes = [
            models.Index(fields=["project", "created_at", "id"], name="budgets_comment_thread_idx"),
            models.Index(fields=["author"], name="budgets_comment_author_idx"),
        ]

    def __str__(self) -> str:
        return self.body[:50]

    @property
    def is_visible(self) -> bool:
        return self.hidden_at is None and self.removed_at is None


class ProjectMilestone(models.Model):
    """One step of a funded project's delivery, shown to residents as a timeline."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    planned_date = models.DateField(_("planned date"))
    done_date = models.DateField(_("date done"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project", "position"], name="budgets_milestone_project_idx")]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper")
    IMPORTED = "imported", _("Imported (Pabulib)")


class Ballot(models.Model):
    """What was voted: no reference to a person (see the module docstring)."""

    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="ballots")
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="ballots")
    receipt = models.CharField(max_length=32, unique=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    # NULL (not "") for paper and imported ballots, so the unique constraints skip them.
    voter_token = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The number printed on a paper ballot: one count per sheet.
    paper_ref = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["process", "voter_token"],
                condition=Q(voter_token__isnull=False),
                name="budgets_one_ballot_per_voter",
            ),
            models.UniqueConstraint(
                fields=["process", "paper_ref"],
                condition=Q(paper_ref__isnull=False),
                name="budgets_one_ballot_per_paper_sheet",
            ),
        ]
        indexes = [models.Index(fields=["process", "created_at"], name="budgets_ballot_process_idx")]

    def __str__(self) -> str:
        return self.receipt


class BallotChoice(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(default=1)
    rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "project"], name="budgets_choice_once_per_ballot"),
            models.UniqueConstraint(
                fields=["ballot", "rank"], condition=Q(rank__isnull=False), name="budgets_rank_once_per_ballot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}:{self.project_id}"


class PaperEntryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the second entry")
    CONFIRMED = "confirmed", _("Confirmed")
    CONFLICT = "conflict", _("Entries differ")
    DISCARDED = "discarded", _("Set aside when a conflict was resolved")


class PaperEntry(models.Model):
    """One staff member's keying of a paper ballot (double entry: two must agree before it counts)."""

    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="paper_entries")
    paper_ref = models.CharField(max_length=64)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=PaperEntryStatus.choices, default=PaperEntryStatus.PENDING)
    ballot = models.ForeignKey(Ballot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set on both entries of a conflicting sheet once a staff member settled it.
    resolution = models.ForeignKey(
        "PaperResolution", null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["process", "paper_ref"], name="budgets_paper_entry_ref_idx")]

    def __str__(self) -> str:
        return f"{self.process_id}:{self.paper_ref}"


class PaperDecision(models.TextChoices):
    ACCEPT = "accept", _("One entry accepted")
    DISCARD = "discard", _("Both entries discarded")


class PaperResolution(models.Model):
    """How a conflict between the entries of one paper sheet was settled, by whom and when (the audit
    record: the settled entries point to it)."""

    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="paper_resolutions")
    paper_ref = models.CharField(max_length=64)
    decision = models.CharField(max_length=16, choices=PaperDecision.choices)
    accepted_entry = models.ForeignKey(PaperEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ballot = models.ForeignKey(Ballot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    resolver_role = models.CharField(max_length=16)
    # True when a city admin resolved a sheet they had keyed themselves (four-eyes waived, on record).
    resolver_keyed_an_entry = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.process_id}:{self.paper_ref}:{self.decision}"


class ResultStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Result(models.Model):
    """One computed outcome per pot (a district, or the city-wide pot when ``district`` is null)."""

    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="results")
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.CASCADE, related_name="results")
    rule = models.CharField(max_length=32)
    rule_version = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict)
    budget = models.BigIntegerField(default=0)
    ballot_count = models.PositiveIntegerField(default=0)
    ballots_digest = models.CharField(max_length=80, blank=True)
    selected = models.JSONField(default=list)  # project ids, in the order the rule funded them
    money_used = models.BigIntegerField(default=0)
    step_log = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=ResultStatus.choices, default=ResultStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["process", "district"], name="budgets_result_per_district"),
            models.UniqueConstraint(
                fields=["process"], condition=Q(district__isnull=True), name="budgets_result_citywide"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process_id}:{self.district_id or 'city'}"


class ProcessEvent(models.Model):
    """Audit trail of a process: phase changes, rule changes and refused attempts."""

    process = models.ForeignKey(BudgetProcess, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=48)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.process_id}:{self.kind}"
