"""Administration of approval chains; events are read-only history."""

from django.contrib import admin

from workflow.models import ApprovalChain, ApprovalEvent


@admin.register(ApprovalChain)
class ApprovalChainAdmin(admin.ModelAdmin):
    """A regime's chain, one row per version. Reports keep the chain they were
    submitted under, so a change reaches only reports submitted after it."""

    list_display = ["regime", "valid_from", "levels", "consolidates", "top_accepts"]
    list_filter = ["consolidates", "top_accepts"]
    list_select_related = ["regime"]
    search_fields = ["regime__code", "regime__name"]


@admin.register(ApprovalEvent)
class ApprovalEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "submission",
        "action",
        "level",
        "from_status",
        "to_status",
        "actor",
    ]
    list_filter = ["action", "level"]
    list_select_related = ["submission__template", "submission__org_unit", "actor"]
    raw_id_fields = ["submission", "revision", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
