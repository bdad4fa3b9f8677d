"""Writes of the data API: tokens (created and revoked by administrators) and the
responses kept for Idempotency-Key headers."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.auth import key_hash
from api.models import DEFAULT_RATE_LIMIT, ApiToken, IdempotencyRecord
from api.selectors import units_administered_by, user_administers_tokens
from core.audit import audit_context
from core.text import nfc


def token_create(
    *,
    acting_user,
    name: str,
    user,
    units=(),
    can_push: bool = False,
    rate_limit: int = DEFAULT_RATE_LIMIT,
) -> tuple[ApiToken, str]:
    """Create a token acting as ``user`` within ``units``; return it and its key,
    which is never shown again."""
    if not user_administers_tokens(acting_user):
        raise PermissionDenied
    units = list(units)
    if units and not getattr(acting_user, "is_superuser", False):
        allowed = set(
            units_administered_by(acting_user)
            .filter(pk__in=[u.pk for u in units])
            .values_list("pk", flat=True)
        )
        outside = [u for u in units if u.pk not in allowed]
        if outside:
            raise ValidationError(
                _("%(unit)s is outside the units you administer.")
                % {"unit": outside[0].name},
                code="unit_outside_scope",
            )
    if not units and not getattr(acting_user, "is_superuser", False):
        raise ValidationError(
            _("Choose the units the token may act for."), code="units_required"
        )
    key = secrets.token_urlsafe(32)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="token_create"),
    ):
        token = ApiToken(
            name=nfc(name).strip(),
            prefix=key[:8],
            key_hash=key_hash(key),
            user=user,
            can_push=can_push,
            rate_limit=rate_limit,
            created_by=acting_user if getattr(acting_user, "pk", None) else None,
        )
        token.full_clean()
        token.save()
        token.units.set(units)
    return token, key


def token_revoke(*, acting_user, token: ApiToken) -> ApiToken:
    """Revoke a token at once; a revoked token stays listed for the audit."""
    if not user_administers_tokens(acting_user):
        raise PermissionDenied
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="token_revoke", token=token.pk),
    ):
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
        return locked


# --- Idempotency -------------------------------------------------------------------------


def request_hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def idempotency_lock(token: ApiToken, key: str) -> IdempotencyRecord | None:
    """Serialise requests with the same token and key until the transaction ends;
    return the response kept for them, if any."""
    lock_id = int.from_bytes(
        hashlib.sha256(f"api-idempotency:{token.pk}:{key}".encode()).digest()[:8],
        "big",
        signed=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
    return IdempotencyRecord.objects.filter(token=token, key=key).first()


def idempotency_record(
    *, token: ApiToken, key: str, hashed: str, status_code: int, response: dict
) -> IdempotencyRecord:
    """Keep the response to a request sent with an Idempotency-Key."""
    return IdempotencyRecord.objects.create(
        token=token,
        key=key,
        request_hash=hashed,
        status_code=status_code,
        response=response,
    )
