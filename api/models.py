"""Data API: tokens machine clients authenticate with, and the responses kept for
their Idempotency-Key headers."""

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers
from orgunits.models import OrgUnit

DEFAULT_RATE_LIMIT = 600  # requests per minute


@pghistory.track(*audit_trackers(), exclude=["last_used_at"])
class ApiToken(models.Model):
    """A key a machine client sends as ``Authorization: Bearer <key>``.

    Only the SHA-256 of the key is stored; the key itself is shown once, when the
    token is created. The token acts with its user's roles, narrowed to ``units``
    (and the units below them) when any are given.
    """

    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(_("key prefix"), max_length=8, db_index=True)
    key_hash = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("acts as user"),
    )
    units = models.ManyToManyField(
        OrgUnit,
        blank=True,
        related_name="+",
        verbose_name=_("restricted to units"),
        help_text=_("Empty: every unit of the user's roles."),
    )
    can_push = models.BooleanField(_("may push data"), default=False)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), default=DEFAULT_RATE_LIMIT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The response to a request sent with an Idempotency-Key, replayed when the
    same token sends the same key and body again."""

    token = models.ForeignKey(
        ApiToken, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key"], name="api_idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.token_id}:{self.key}"
