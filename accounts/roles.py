"""Roles a user can hold on an org unit, and the object permission each one grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REPORTER = "reporter", _("Người lập báo cáo")
    REVIEWER = "reviewer", _("Người xem xét, phê duyệt")
    DESIGNER = "designer", _("Người thiết kế biểu mẫu")
    ANALYST = "analyst", _("Người phân tích số liệu")
    ADMINISTRATOR = "administrator", _("Quản trị viên")


ROLE_PERMISSIONS: dict[str, str] = {
    Role.REPORTER: "report_orgunit",
    Role.REVIEWER: "review_orgunit",
    Role.DESIGNER: "design_forms_orgunit",
    Role.ANALYST: "analyze_orgunit",
    Role.ADMINISTRATOR: "administer_orgunit",
}
PERMISSION_ROLES: dict[str, str] = {
    perm: role for role, perm in ROLE_PERMISSIONS.items()
}

# Roles whose scope is the whole subtree below the unit they are granted on; a reporter
# acts for its own unit only.
SUBTREE_ROLES = frozenset(
    {Role.REVIEWER, Role.DESIGNER, Role.ANALYST, Role.ADMINISTRATOR}
)


def permission_for(role: str) -> str:
    """Return the org-unit permission codename that ``role`` grants."""
    return ROLE_PERMISSIONS[Role(role)]
