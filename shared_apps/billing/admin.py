"""Django admin (/admin/ on the root host): operators edit the plan catalogue here."""

from django.contrib import admin

from shared_apps.billing.models import Invoice, InvoiceLine, Payment, Plan, Subscription, SubscriptionEvent, UsageRecord


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "rank",
        "max_population",
        "yearly_price_cents",
        "currency",
        "trial_days",
        "is_public",
    )
    list_editable = ("yearly_price_cents", "trial_days", "is_public")


class EventInline(admin.TabularInline):
    model = SubscriptionEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "from_status", "to_status", "from_plan", "to_plan", "actor", "reason", "at")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("city", "plan", "status", "trial_ends_on", "current_period_end")
    list_filter = ("status", "plan")
    # Status and plan change only through the services (history, proration, city suspension).
    readonly_fields = ("city", "plan", "status", "current_period_start", "current_period_end", "credit_cents")
    inlines = [EventInline]


class LineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = ("position", "description", "amount_cents", "vat_cents")


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "city", "issued_on", "due_on", "total_cents", "paid_cents", "status")
    list_filter = ("status", "year")
    search_fields = ("number", "payment_reference", "buyer_name")
    inlines = [LineInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # an issued invoice never changes


admin.site.register(Payment)
admin.site.register(UsageRecord)
