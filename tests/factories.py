"""Builders shared by tests of every app: users with roles on units."""

import itertools

from django.contrib.auth import get_user_model

from accounts.services import role_grant, user_create

_sequence = itertools.count(1)
PASSWORD = "mat-khau-thu-nghiem-2026"  # noqa: S105


def make_user(*, role=None, unit=None, password=PASSWORD, **fields):
    """Create a user, optionally holding ``role`` on ``unit``."""
    username = fields.pop("username", None) or f"user{next(_sequence)}"
    user = user_create(acting_user=None, username=username, password=password, **fields)
    if role is not None:
        role_grant(acting_user=None, user=user, unit=unit, role=role)
    return get_user_model().objects.get(pk=user.pk)
