"""Roles a user can hold on an org unit, and the object permission each one grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    REVIEWER = "reviewer", _("Reviewer and approver")
    DESIGNER = "designer", _("Form designer")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")


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
