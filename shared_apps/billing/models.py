"""Billing (public schema): plans, subscriptions and their history, usage, invoices, payments.

Money is integer cents (``*_cents``); VAT rates are Decimal. A city is referenced by a foreign key to
``tenants.City``: both live in the public schema, so this is not a cross-schema reference.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import City


class Feature(models.TextChoices):
    """What a plan may allow. Boolean features are on/off; limit features have a maximum count."""

    PARTICIPATORY_BUDGETING = "participatory_budgeting", _("Participatory budgeting")
    SURVEYS = "surveys", _("Surveys")
    ANALYSIS = "analysis", _("Analysis")
    CUSTOM_DOMAIN = "custom_domain", _("Custom domain")
    VERIFICATION = "verification", _("Identity verification")
    OPEN_CONSULTATIONS = "open_consultations", _("Open consultations")
    STAFF_SEATS = "staff_seats", _("Staff seats")


BOOLEAN_FEATURES = (
    Feature.PARTICIPATORY_BUDGETING,
    Feature.SURVEYS,
    Feature.ANALYSIS,
    Feature.CUSTOM_DOMAIN,
    Feature.VERIFICATION,
)
LIMIT_FEATURES = (Feature.OPEN_CONSULTATIONS, Feature.STAFF_SEATS)


class Plan(models.Model):
    """One entry of the catalogue (seeded by a data migration, edited by operators)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0, help_text=_("Order from smallest to largest."))
    max_population = models.PositiveIntegerField(
        _("for populations below"), null=True, blank=True, help_text=_("Empty: no upper bound.")
    )
    yearly_price_cents = models.PositiveBigIntegerField(_("yearly price (cents, VAT excluded)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    trial_days = models.PositiveSmallIntegerField(_("trial length (days)"), default=30)
    allows_participatory_budgeting = models.BooleanField(_("participatory budgeting"), default=False)
    allows_surveys = models.BooleanField(_("surveys"), default=False)
    allows_analysis = models.BooleanField(_("analysis"), default=False)
    allows_custom_domain = models.BooleanField(_("custom domain"), default=False)
    verification_methods = models.JSONField(
        _("verification methods"),
        default=list,
        blank=True,
        help_text=_('Among "census", "letter", "email_domain", "sms", "eid".'),
    )
    max_open_consultations = models.PositiveIntegerField(
        _("max open consultations"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    max_staff_seats = models.PositiveIntegerField(_("max staff seats"), null=True, blank=True)
    is_default_trial = models.BooleanField(_("default plan of a trial"), default=False)
    is_public = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ("rank", "code")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default_trial"], condition=Q(is_default_trial=True), name="one_trial_plan"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


class Subscription(models.Model):
    """A city's subscription. At most one that is not cancelled per city."""

    # SET_NULL: a deleted city's subscription (cancelled first, see interface.city_release) and its
    # invoices are accounting records and stay; invoices carry the buyer's details themselves.
    city = models.ForeignKey(City, null=True, on_delete=models.SET_NULL, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.TRIALING)
    trial_ends_on = models.DateField(null=True, blank=True)
    # A trial runs on the default plan until someone chooses one; a trial that ends with no plan chosen
    # suspends the city.
    plan_chosen_at = models.DateTimeField(null=True, blank=True)
    # The yearly period being billed: [start, end).
    current_period_start = models.DateField(null=True, blank=True)
    current_period_end = models.DateField(null=True, blank=True)
    # Credit from a downgrade, deducted from the next invoice.
    credit_cents = models.BigIntegerField(default=0)
    billing_email = models.EmailField(blank=True)
    buyer_name = models.CharField(
        max_length=200, blank=True, help_text=_("Legal name of the buyer, if not the city's.")
    )
    buyer_address = models.TextField(blank=True)
    buyer_vat_number = models.CharField(max_length=32, blank=True)
    buyer_order_reference = models.CharField(
        max_length=64, blank=True, help_text=_("Purchase order / commitment number the buyer wants on invoices.")
    )
    # True only when billing itself suspended the city: a payment resumes only what billing suspended.
    city_suspended_by_billing = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["city"], condition=~Q(status="cancelled"), name="one_live_subscription_per_city"
            )
        ]

    def __str__(self) -> str:
        return f"{self.city} on {self.plan} ({self.status})"


class SubscriptionEvent(models.Model):
    """One recorded change of a subscription: a transition or a plan change (who, when, why)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        TRANSITION = "transition", _("Status change")
        PLAN_CHANGE = "plan_change", _("Plan change")
        NOTE = "note", _("Note")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    from_plan = models.CharField(max_length=32, blank=True)
    to_plan = models.CharField(max_length=32, blank=True)
    actor = models.CharField(max_length=254)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status or self.from_plan} -> {self.to_status or self.to_plan} by {self.actor}"


class FeatureSetting(models.Model):
    """The city admin's switch for one feature. No row means enabled (a feature the plan allows works
    until an admin turns it off)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="billing_features")
    feature = models.CharField(max_length=32, choices=Feature.choices)
    enabled = models.BooleanField(default=True)
    updated_by = models.CharField(max_length=254, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["city", "feature"], name="one_setting_per_city_feature")]

    def __str__(self) -> str:
        return f"{self.city_id} {self.feature}={self.enabled}"


class UsageRecord(models.Model):
    """What a city used on one day (UTC). One row per city per day; collected once."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="usage_records")
    day = models.DateField()
    participants_active = models.PositiveIntegerField(default=0)
    contributions = models.PositiveIntegerField(default=0)
    ballots = models.PositiveIntegerField(default=0)
    storage_bytes = models.PositiveBigIntegerField(default=0)
    # What each tenant app reported, as it reported it (for support and future metrics).
    details = models.JSONField(default=dict, blank=True)
    collected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-day",)
        constraints = [models.UniqueConstraint(fields=["city", "day"], name="one_usage_record_per_city_day")]

    def __str__(self) -> str:
        return f"usage {self.city_id} {self.day}"


class InvoiceCounter(models.Model):
    """Last invoice number issued in a year; its row is locked (FOR UPDATE) by the transaction that
    inserts the next invoice, so numbers are sequential with no gap even under concurrency."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Awaiting payment")
    PAID = "paid", _("Paid")
    VOID = "void", _("Cancelled")


class Invoice(models.Model):
    class Kind(models.TextChoices):
        PERIOD = "period", _("Yearly subscription")
        PRORATION = "proration", _("Plan change")

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="invoices")
    # Denormalised from the subscription: every city-facing read filters on it.
    city = models.ForeignKey(City, null=True, on_delete=models.SET_NULL, related_name="invoices")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERIOD)
    number = models.CharField(max_length=32, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    period_start = models.DateField()
    period_end = models.DateField(help_text=_("Exclusive."))
    issued_on = models.DateField()
    due_on = models.DateField()
    currency = models.CharField(max_length=3)
    subtotal_cents = models.BigIntegerField()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4)
    vat_cents = models.BigIntegerField()
    total_cents = models.BigIntegerField()
    paid_cents = models.BigIntegerField(default=0)
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    payment_reference = models.CharField(max_length=32, unique=True)
    vat_note = models.CharField(max_length=200, blank=True)
    # Buyer and plan as they were when the invoice was issued (an invoice never changes afterwards).
    buyer_name = models.CharField(max_length=200)
    buyer_address = models.TextField(blank=True)
    buyer_country = models.CharField(max_length=2)
    buyer_vat_number = models.CharField(max_length=32, blank=True)
    buyer_order_reference = models.CharField(max_length=64, blank=True)
    plan_code = models.CharField(max_length=32)
    # Idempotency of proration invoices (one per plan change event).
    source_event = models.OneToOneField(
        SubscriptionEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    last_reminder_on = models.DateField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-year", "-sequence")
        constraints = [
            # Exactly one yearly invoice per subscription and period, whatever runs twice or concurrently.
            models.UniqueConstraint(
                fields=["subscription", "period_start"], condition=Q(kind="period"), name="one_invoice_per_period"
            ),
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_sequence_unique_per_year"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="invoice_status_due_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.paid_cents


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    amount_cents = models.BigIntegerField(help_text=_("Net amount, VAT excluded; negative for a credit."))
    vat_cents = models.BigIntegerField()

    class Meta:
        ordering = ("position",)

    def __str__(self) -> str:
        return self.description


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        PROVIDER = "provider", _("Online payment")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount_cents = models.BigIntegerField()
    method = models.CharField(max_length=16, choices=Method.choices)
    received_on = models.DateField()
    bank_reference = models.CharField(max_length=140, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    # A provider's payment is recorded once, however many times its confirmation arrives.
    provider_payment_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    recorded_by = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.amount_cents} on {self.invoice}"
