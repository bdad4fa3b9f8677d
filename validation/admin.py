"""Administration of validation rules and batch runs (batches are read-only)."""

from django.contrib import admin

from validation.models import OutlierPolicy, ValidationBatch, ValidationRule


@admin.register(ValidationRule)
class ValidationRuleAdmin(admin.ModelAdmin):
    list_display = ["template", "code", "name", "operator", "importance", "is_active"]
    list_filter = ["importance", "is_active"]
    search_fields = ["code", "name", "template__code"]
    raw_id_fields = ["template"]


@admin.register(OutlierPolicy)
class OutlierPolicyAdmin(admin.ModelAdmin):
    """Thresholds of the outlier warnings, one set per form."""

    list_display = [
        "template",
        "z_score",
        "modified_z_score",
        "change_percent",
        "change_last_year_percent",
        "minimum",
        "maximum",
        "history_periods",
    ]
    list_select_related = ["template"]
    raw_id_fields = ["template"]
    search_fields = ["template__code"]


@admin.register(ValidationBatch)
class ValidationBatchAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "period",
        "template",
        "status",
        "progress_done",
        "progress_total",
        "errors",
        "warnings",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "period"]
    search_fields = ["period", "template__code"]
    readonly_fields = [field.name for field in ValidationBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
