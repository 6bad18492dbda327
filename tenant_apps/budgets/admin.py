from django.contrib import admin

from tenant_apps.budgets.models import BudgetProcess, District, Project, Result


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0


@admin.register(BudgetProcess)
class BudgetProcessAdmin(admin.ModelAdmin):
    list_display = ("title", "phase", "ballot_kind", "results_rule", "rules_frozen_at")
    # Rules and phase change through services only (freezing, audit trail).
    readonly_fields = ("phase", "rules_frozen_at")
    inlines = [DistrictInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("title", "process", "status", "estimated_cost", "official_cost")
    list_filter = ("status",)


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("process", "district", "rule", "status", "computed_at")
    readonly_fields = [f.name for f in Result._meta.fields]
