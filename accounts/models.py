"""Accounts: roles live as object permissions on org units (orgunits.models); this app
keeps the bulk account imports and the audit of user records."""

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers


@pghistory.track(
    *audit_trackers(),
    exclude=["password", "last_login"],
    model_name="UserEvent",
)
class AuditedUser(get_user_model()):
    """The user table, audited. A proxy, so that the audit triggers live in this
    app's migrations and not in django.contrib.auth's (which the project does not
    own and a fresh install would not have)."""

    class Meta:
        proxy = True
        verbose_name = _("user")
        verbose_name_plural = _("users")


class UserImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed, no account created")


@pghistory.track(*audit_trackers())
class UserImportJob(models.Model):
    """A list of accounts to create at once (CSV or Excel), processed by a worker."""

    file = models.FileField(_("file"), upload_to="user-imports/%Y/%m/")
    original_name = models.CharField(_("original file name"), max_length=255)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=UserImportStatus.choices,
        default=UserImportStatus.PENDING,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Not a URLField: an intranet host such as "http://baocao/" must be accepted.
    site_url = models.CharField(
        _("site address"),
        max_length=255,
        blank=True,
        help_text=_("Start of the links in the e-mails sent to the new accounts."),
    )
    row_count = models.PositiveIntegerField(_("accounts listed"), default=0)
    created_count = models.PositiveIntegerField(_("accounts created"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulk account import")
        verbose_name_plural = _("bulk account import")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_finished(self) -> bool:
        return self.status in {UserImportStatus.DONE, UserImportStatus.FAILED}
