"""Admin of the indicator store. The catalogue and the mappings are edited through
their pages (services with audit); here they are read-only. Observations are never
edited: publishing and withdrawal are the only writers."""

from django.contrib import admin

from indicators.models import (
    CellMapping,
    Dimension,
    Indicator,
    Observation,
    PublishingPolicy,
)
from indicators.services import publishing_policy_set


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dimension)
class DimensionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "unit_of_measure", "aggregation", "open_data")
    search_fields = ("code", "name")


@admin.register(CellMapping)
class CellMappingAdmin(ReadOnlyAdmin):
    list_display = ("form_version", "row_code", "column", "indicator", "dims")


@admin.register(Observation)
class ObservationAdmin(ReadOnlyAdmin):
    list_display = (
        "indicator",
        "dim_key",
        "org_unit",
        "period",
        "value",
        "status",
        "is_current",
        "published_at",
        "withdrawn_at",
    )
    list_filter = ("status", "is_current")
    list_select_related = ("indicator", "org_unit")
    raw_id_fields = ("org_unit", "submission", "revision", "approval_event")


@admin.register(PublishingPolicy)
class PublishingPolicyAdmin(admin.ModelAdmin):
    list_display = ("regime", "status")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = publishing_policy_set(
            acting_user=request.user, regime=obj.regime, status=obj.status
        )
        obj.pk = saved.pk
