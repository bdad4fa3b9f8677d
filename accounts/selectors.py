"""Permission-checked reads about accounts and bulk account imports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import UserImportJob
from accounts.roles import Role
from orgunits.models import OrgUnit
from orgunits.selectors import grants_of


def can_import_users(user) -> bool:
    """Return whether ``user`` may upload lists of accounts: an active staff member
    who is a superuser or administers at least one unit."""
    if not (getattr(user, "is_active", False) and getattr(user, "is_staff", False)):
        return False
    return user.is_superuser or any(
        grant.role == Role.ADMINISTRATOR for grant in grants_of(user)
    )


def user_import_jobs_visible_to(user) -> QuerySet[UserImportJob]:
    """Return the imports ``user`` may see: their own, or every one for superusers."""
    jobs = UserImportJob.objects.select_related("created_by")
    if not can_import_users(user):
        return jobs.none()
    return jobs if user.is_superuser else jobs.filter(created_by=user)


def org_units_by_code(codes: Iterable[str]) -> dict[str, list[OrgUnit]]:
    """Return the units (of any date and level) carrying each of ``codes``, in one
    query, with their levels."""
    by_code: dict[str, list[OrgUnit]] = defaultdict(list)
    for unit in OrgUnit.objects.select_related("level").filter(code__in=set(codes)):
        by_code[unit.code].append(unit)
    return dict(by_code)
