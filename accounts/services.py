"""Writes about people: accounts and the roles they hold on org units. Audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from accounts.roles import permission_for
from core.audit import audit_context
from core.text import nfc
from orgunits.models import OrgUnit

User = get_user_model()


def role_grant(*, acting_user, user, unit: OrgUnit, role: str) -> None:
    """Grant ``role`` to ``user`` on ``unit`` (idempotent)."""
    perm = permission_for(role)
    with (
        transaction.atomic(),
        audit_context(
            acting_user=acting_user, action="role_grant", role=role, unit=unit.pk
        ),
    ):
        assign_perm(f"orgunits.{perm}", user, unit)
    user.__dict__.pop("_orgunit_grants", None)


def role_revoke(*, acting_user, user, unit: OrgUnit, role: str) -> None:
    """Withdraw ``role`` from ``user`` on ``unit`` (idempotent)."""
    perm = permission_for(role)
    with (
        transaction.atomic(),
        audit_context(
            acting_user=acting_user, action="role_revoke", role=role, unit=unit.pk
        ),
    ):
        remove_perm(f"orgunits.{perm}", user, unit)
    user.__dict__.pop("_orgunit_grants", None)


def user_create(
    *,
    acting_user,
    username: str,
    password: str | None,
    email: str = "",
    full_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
):
    """Create an account; without a password the user sets one by e-mail reset."""
    full_name = nfc(full_name).strip()
    first, _, last = full_name.rpartition(" ")
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="user_create"),
    ):
        user = User(
            username=nfc(username).strip(),
            email=email.strip().lower(),
            # Vietnamese names read family name first: "Nguyễn Văn An" -> last "An".
            first_name=first if first else full_name,
            last_name=last if first else "",
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        return user
