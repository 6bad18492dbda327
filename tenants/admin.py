"""Django admin (root host, operators): read-mostly views of the platform's tables.

Creating, suspending, exporting and deleting cities go through the console or the `city` command, which
run the services (pool claim, routing invalidation, export checks); the admin does not bypass them.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tenants.models import City, CityDeletion, CityExport, Domain, PoolSchema, ProvisioningJob


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "country", "default_language", "created_at")
    list_filter = ("status", "country", "default_language")
    search_fields = ("name", "slug")
    readonly_fields = ("schema_name", "slug", "status", "migration_state", "created_at", "updated_at")
    fields = (
        "name",
        "slug",
        "schema_name",
        "status",
        "country",
        "default_language",
        "time_zone",
        "brand_color",
        "logo",
        "migration_state",
        "created_at",
        "updated_at",
    )
    inlines = [DomainInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # provisioning goes through the console: pool claim, first admin, bootstrap

    def has_delete_permission(self, request: HttpRequest, obj: City | None = None) -> bool:
        return False  # deletion requires an export first: console or `city delete`


@admin.register(ProvisioningJob)
class ProvisioningJobAdmin(admin.ModelAdmin):
    list_display = ("slug", "status", "source", "requested_by", "used_pool", "attempts", "created_at")
    list_filter = ("status", "source", "used_pool")
    search_fields = ("slug", "name", "admin_email", "requested_by")
    readonly_fields = [f.name for f in ProvisioningJob._meta.fields]


@admin.register(CityExport)
class CityExportAdmin(admin.ModelAdmin):
    list_display = ("city_slug", "status", "size_bytes", "requested_by", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in CityExport._meta.fields]


@admin.register(CityDeletion)
class CityDeletionAdmin(admin.ModelAdmin):
    list_display = ("city_slug", "city_name", "deleted_by", "deleted_at", "export")
    readonly_fields = [f.name for f in CityDeletion._meta.fields]


@admin.register(PoolSchema)
class PoolSchemaAdmin(admin.ModelAdmin):
    list_display = ("schema_name", "status", "migration_state", "build_ms", "created_at", "ready_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in PoolSchema._meta.fields]
