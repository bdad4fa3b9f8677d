"""Permission-checked reads of API tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from api.models import ApiToken
from orgunits.models import OrgUnit
from orgunits.selectors import grants_of, visible_to


def user_administers_tokens(user) -> bool:
    """Superusers and holders of the administrator role manage API tokens."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(grant.role == "administrator" for grant in grants_of(user))


def units_administered_by(user) -> QuerySet[OrgUnit]:
    return visible_to(user, roles={"administrator"})


def units_granted_administrator(user) -> QuerySet[OrgUnit]:
    """Return the units on which ``user`` holds the administrator role: the tops of
    the subtrees they administer."""
    granted = {
        grant.unit_id for grant in grants_of(user) if grant.role == "administrator"
    }
    return OrgUnit.objects.filter(pk__in=granted).order_by("path")


def tokens_visible_to(user) -> QuerySet[ApiToken]:
    """Superusers see every token; an administrator those they created, and those
    restricted to units they administer."""
    tokens = ApiToken.objects.select_related("user", "created_by").prefetch_related(
        "units"
    )
    if not user_administers_tokens(user):
        return tokens.none()
    if user.is_superuser:
        return tokens
    administered = units_administered_by(user)
    return (
        tokens.filter(created_by=user) | tokens.filter(units__in=administered)
    ).distinct()


def access_token_by_id(user, token_id) -> ApiToken:
    try:
        return tokens_visible_to(user).get(pk=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("No such token") from None
