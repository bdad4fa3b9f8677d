"""Permission-checked reads of the org-unit tree.

Every view and API reaches units through ``visible_to`` or an ``access_*`` helper, so
there is one place that decides that a commune officer never sees another commune.
"""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.roles import PERMISSION_ROLES, ROLE_PERMISSIONS, SUBTREE_ROLES, Role
from orgunits.models import (
    PATH_SEGMENT_WIDTH,
    OrgUnit,
    OrgUnitGroupObjectPermission,
    OrgUnitUserObjectPermission,
)


@dataclass(frozen=True)
class Grant:
    """A role a user holds on a unit (directly or through a group)."""

    role: str
    unit_id: int
    path: str

    @property
    def covers_subtree(self) -> bool:
        return self.role in SUBTREE_ROLES


def grants_of(user) -> list[Grant]:
    """Return every role ``user`` holds on any unit, direct or through groups."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = getattr(user, "_orgunit_grants", None)
    if cache is not None:
        return cache
    codenames = list(ROLE_PERMISSIONS.values())
    rows = list(
        OrgUnitUserObjectPermission.objects.filter(
            user=user, permission__codename__in=codenames
        ).values_list(
            "permission__codename", "content_object_id", "content_object__path"
        )
    ) + list(
        OrgUnitGroupObjectPermission.objects.filter(
            group__user=user, permission__codename__in=codenames
        ).values_list(
            "permission__codename", "content_object_id", "content_object__path"
        )
    )
    grants = sorted(
        {
            Grant(PERMISSION_ROLES[codename], unit_id, path)
            for codename, unit_id, path in rows
        },
        key=lambda grant: (grant.path, grant.role),
    )
    user._orgunit_grants = grants
    return grants


def _scope_filter(grants: list[Grant]) -> Q | None:
    clauses = [
        Q(path__startswith=grant.path) if grant.covers_subtree else Q(pk=grant.unit_id)
        for grant in grants
    ]
    return reduce(operator.or_, clauses) if clauses else None


def visible_to(user, *, roles: set[str] | None = None) -> QuerySet[OrgUnit]:
    """Return the units ``user`` may see: the subtrees below their reviewer, analyst,
    designer and administrator roles, and the units they report for.

    ``roles`` narrows the scope to some roles only. Superusers see everything.
    """
    units = OrgUnit.objects.select_related("level", "parent")
    if getattr(user, "is_superuser", False) and user.is_active:
        return units
    grants = [g for g in grants_of(user) if roles is None or g.role in roles]
    scope = _scope_filter(grants)
    return units.filter(scope) if scope is not None else units.none()


def user_has_role(user, role: str, unit: OrgUnit) -> bool:
    """Return whether ``user`` holds ``role`` for ``unit`` (on it, or above it for
    roles that cover a subtree)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    for grant in grants_of(user):
        if grant.role != role:
            continue
        if grant.unit_id == unit.pk:
            return True
        if grant.covers_subtree and unit.path.startswith(grant.path):
            return True
    return False


def access_org_unit_by_id(
    user, unit_id: int, *, roles: set[str] | None = None
) -> OrgUnit:
    """Return the unit if ``user`` may see it; raise Http404 otherwise (never 403, so
    foreign ids reveal nothing)."""
    try:
        return visible_to(user, roles=roles).get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404("No such unit") from None


def access_org_unit_by_code(
    user, code: str, *, on: datetime.date | None = None, level: str | None = None
) -> OrgUnit:
    """Return the unit with ``code`` valid on ``on`` (today by default) if visible."""
    day = on or datetime.date.today()
    units = (
        visible_to(user)
        .filter(code=code)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )
    )
    if level:
        units = units.filter(level__code=level)
    unit = units.first()
    if unit is None:
        raise Http404("No such unit")
    return unit


def subtree_of(unit: OrgUnit, *, include_self: bool = True) -> QuerySet[OrgUnit]:
    """Return every unit below ``unit`` (one indexed prefix query)."""
    units = OrgUnit.objects.filter(path__startswith=unit.path)
    return units if include_self else units.exclude(pk=unit.pk)


def ancestor_ids(unit: OrgUnit) -> list[int]:
    """Return the ids on the path from the root down to ``unit``'s parent."""
    step = PATH_SEGMENT_WIDTH + 1
    return [
        int(unit.path[i : i + PATH_SEGMENT_WIDTH])
        for i in range(0, len(unit.path) - step, step)
    ]


def ancestors_of(unit: OrgUnit) -> list[OrgUnit]:
    units = OrgUnit.objects.select_related("level").in_bulk(ancestor_ids(unit))
    return [units[pk] for pk in ancestor_ids(unit) if pk in units]


def children_visible_to(user, unit: OrgUnit, *, on: datetime.date | None = None):
    """Return the children of a unit the user can see, valid on ``on`` when given."""
    children = visible_to(user).filter(parent=unit)
    if on is not None:
        children = children.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        )
    return children.order_by("code")


def top_units_of(user) -> list[OrgUnit]:
    """Return the highest units of the user's scope (roots of what they may browse)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return list(OrgUnit.objects.select_related("level").filter(parent__isnull=True))
    grants = grants_of(user)
    paths = sorted({g.path for g in grants})
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    units = OrgUnit.objects.select_related("level").filter(path__in=tops)
    return list(units.order_by("path"))


def roles_by_unit(user) -> list[tuple[OrgUnit, list[str]]]:
    """Return each unit the user holds roles on, with the role labels, for display."""
    grants = grants_of(user)
    units = OrgUnit.objects.select_related("level").in_bulk({g.unit_id for g in grants})
    by_unit: dict[int, list[str]] = {}
    for grant in grants:
        by_unit.setdefault(grant.unit_id, []).append(str(Role(grant.role).label))
    return [(units[pk], labels) for pk, labels in by_unit.items() if pk in units]


def role_holders_on(role: str, unit_ids) -> dict[int, list]:
    """Return the active users holding ``role`` on each of ``unit_ids`` (directly or
    through a group), by unit id, sorted by name; units without any are left out."""
    from django.contrib.auth import get_user_model

    codename = ROLE_PERMISSIONS[Role(role)]
    unit_ids = list(unit_ids)
    pairs = set(
        OrgUnitUserObjectPermission.objects.filter(
            permission__codename=codename,
            content_object_id__in=unit_ids,
            user__is_active=True,
        ).values_list("content_object_id", "user_id")
    ) | set(
        OrgUnitGroupObjectPermission.objects.filter(
            permission__codename=codename,
            content_object_id__in=unit_ids,
            group__user__is_active=True,
        ).values_list("content_object_id", "group__user")
    )
    users = get_user_model().objects.in_bulk({user_id for _unit, user_id in pairs})
    holders: dict[int, list] = {}
    for unit_id, user_id in pairs:
        if user_id in users:
            holders.setdefault(unit_id, []).append(users[user_id])
    for found in holders.values():
        found.sort(key=lambda user: (user.get_full_name() or user.username).casefold())
    return holders
