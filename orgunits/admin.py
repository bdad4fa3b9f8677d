"""Admin for the unit tree: levels, units and the successor map of the 2025 reform.

A unit is created through ``orgunits.services.org_unit_create`` (it allocates the id
and the materialized path); afterwards only its names may change, since moving or
re-dating a unit would rewrite the paths and history of the units below it.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgunits.models import OrgLevel, OrgUnit, OrgUnitSuccessor
from orgunits.services import org_unit_create, org_unit_rename

UNIT_ADD_FIELDS = (
    "code",
    "name",
    "type_name",
    "level",
    "kind",
    "parent",
    "valid_from",
    "valid_to",
)
UNIT_CHANGE_FIELDS = (
    "code",
    "name",
    "short_name",
    "type_name",
    "level",
    "kind",
    "parent",
    "valid_from",
    "valid_to",
    "path",
    "depth",
)
UNIT_EDITABLE_FIELDS = ("name", "short_name", "type_name")


@admin.register(OrgLevel)
class OrgLevelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "rank")
    ordering = ("rank",)

    def get_readonly_fields(self, request, obj=None):
        # Level codes are referenced by code in imports and settings.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False


class ValidityListFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [
            ("current", _("In force today")),
            ("ended", _("Ended")),
            ("future", _("Not yet in force")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "current":
            return queryset.filter(
                Q(valid_from__isnull=True) | Q(valid_from__lte=today),
                Q(valid_to__isnull=True) | Q(valid_to__gte=today),
            )
        if self.value() == "ended":
            return queryset.filter(valid_to__lt=today)
        if self.value() == "future":
            return queryset.filter(valid_from__gt=today)
        return queryset


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "type_name",
        "level",
        "kind",
        "parent",
        "valid_from",
        "valid_to",
    )
    list_filter = ("level", "kind", ValidityListFilter)
    list_select_related = ("level", "parent")
    search_fields = ("=code", "name")
    raw_id_fields = ("parent",)
    ordering = ("path",)
    list_per_page = 100
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        return UNIT_ADD_FIELDS if obj is None else UNIT_CHANGE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return tuple(f for f in UNIT_CHANGE_FIELDS if f not in UNIT_EDITABLE_FIELDS)

    def has_delete_permission(self, request, obj=None):
        # Units carry reports and history: they end (valid_to), never disappear.
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            unit = org_unit_create(
                acting_user=request.user,
                **{name: form.cleaned_data[name] for name in UNIT_ADD_FIELDS},
            )
            # The admin goes on with ``obj`` (log entry, redirect): make it the row.
            obj.pk, obj.path, obj.depth = unit.pk, unit.path, unit.depth
            obj._state.adding = False
            obj._state.db = unit._state.db
            return
        if any(name in UNIT_EDITABLE_FIELDS for name in form.changed_data):
            org_unit_rename(
                acting_user=request.user,
                unit=obj,
                name=obj.name,
                short_name=obj.short_name,
                type_name=obj.type_name,
            )


@admin.register(OrgUnitSuccessor)
class OrgUnitSuccessorAdmin(admin.ModelAdmin):
    list_display = ("predecessor", "successor", "kind", "is_default", "effective_on")
    list_filter = ("kind", "is_default")
    list_select_related = ("predecessor", "successor")
    search_fields = (
        "=predecessor__code",
        "predecessor__name",
        "=successor__code",
        "successor__name",
    )
    ordering = ("predecessor__path", "successor__path")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
