"""Excel uploads in the admin: read-only, for support and audit."""

from django.contrib import admin

from imports.models import ImportJob, ImportReport


class ImportReportInline(admin.TabularInline):
    model = ImportReport
    fields = (
        "position",
        "sheet",
        "form_code",
        "unit_code",
        "period",
        "status",
        "revision_number",
        "counts",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "created_by", "created_at", "status")
    list_filter = ("status",)
    search_fields = ("original_name", "sha256", "created_by__username")
    readonly_fields = [field.name for field in ImportJob._meta.fields]
    inlines = [ImportReportInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
