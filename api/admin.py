from django.contrib import admin

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are created and revoked on /api/tokens/ (audited)."""

    list_display = ("name", "prefix", "user", "can_push", "rate_limit", "revoked_at")
    list_filter = ("can_push",)
    search_fields = ("name", "prefix", "user__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
