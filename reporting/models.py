"""Reporting obligations, submissions and their immutable revisions."""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers
from forms.models import FormTemplate, FormVersion
from orgunits.models import OrgLevel, OrgUnit


@pghistory.track(*audit_trackers())
class Assignment(models.Model):
    """Which units report a form, from which period, and how entry opens and locks.

    The units are those below ``root`` (itself included) of ``levels`` and ``kinds``
    (empty means any), plus ``units`` named one by one, counting only units valid
    during each period: pre-2025 periods fall to the old units, later ones to the new.
    """

    form_version = models.ForeignKey(
        FormVersion,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("form version"),
    )
    template = models.ForeignKey(
        FormTemplate,
        on_delete=models.PROTECT,
        related_name="assignments",
        editable=False,
    )
    root = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("within unit"),
    )
    levels = models.ManyToManyField(OrgLevel, blank=True, verbose_name=_("unit levels"))
    kinds = ArrayField(
        models.CharField(max_length=16),
        default=list,
        blank=True,
        verbose_name=_("unit kinds"),
    )
    units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("named units")
    )
    first_period = models.CharField(_("first period"), max_length=16)
    last_period = models.CharField(_("last period"), max_length=16, blank=True)
    periods_ahead = models.PositiveSmallIntegerField(
        _("opens periods ahead"),
        default=0,
        help_text=_("0: a period opens when it starts."),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("late entry days"),
        null=True,
        blank=True,
        default=30,
        help_text=_(
            "Days after the deadline during which late reports are accepted; empty: never locks."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reporting assignment")
        verbose_name_plural = _("reporting assignments")

    def __str__(self) -> str:
        return f"{self.form_version} – {self.root.name} – {self.first_period}"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, being checked")
    RETURNED = "returned", _("Returned")
    AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
    APPROVED = "approved", _("Approved, awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")


class RevisionSource(models.TextChoices):
    WEB = "web", _("Web entry")
    EXCEL = "excel", _("Excel upload")
    API = "api", _("API")
    CONSOLIDATED = "consolidated", _("Consolidated")
    RESTORE = "restore", _("Restored")


@pghistory.track(*audit_trackers())
class Submission(models.Model):
    """One unit's report of one form for one period; its values live in revisions."""

    template = models.ForeignKey(
        FormTemplate, on_delete=models.PROTECT, related_name="submissions"
    )
    form_version = models.ForeignKey(
        FormVersion,
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name=_("form version"),
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name=_("unit"),
    )
    period = models.CharField(_("period"), max_length=16)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.DRAFT,
    )
    revision_count = models.PositiveIntegerField(_("revisions"), default=0)
    current_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_late = models.BooleanField(_("submitted late"), default=False)
    # The approval chain this report climbs, fixed when it is submitted (levels
    # above the unit, lowest first), and how far it has climbed.
    chain_levels = ArrayField(
        models.SlugField(max_length=32), default=list, blank=True, editable=False
    )
    chain_top_accepts = models.BooleanField(default=False, editable=False)
    approved_levels = ArrayField(
        models.SlugField(max_length=32),
        default=list,
        blank=True,
        editable=False,
        verbose_name=_("approved by levels"),
    )
    # A compiled report whose sources changed since it was compiled.
    is_stale = models.BooleanField(_("out of date"), default=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "org_unit", "period"], name="submission_unique"
            )
        ]
        indexes = [
            models.Index(fields=["period", "template"], name="submission_period_idx")
        ]

    def __str__(self) -> str:
        return f"{self.template.code} – {self.org_unit.name} – {self.period}"


@pghistory.track(*audit_trackers())
@pgtrigger.register(
    pgtrigger.Protect(
        name="revision_is_immutable", operation=pgtrigger.Update | pgtrigger.Delete
    )
)
class Revision(models.Model):
    """An immutable snapshot of a report's values, made by every save.

    ``values`` maps "<row code>:<column number>" to the canonical text of the value
    (numbers in plain notation, text in NFC); ``comments`` maps the same keys to the
    reporter's explanation of a cell.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("revision"))
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    source = models.CharField(
        _("source"), max_length=16, choices=RevisionSource.choices
    )
    values = models.JSONField(_("values"), default=dict)
    comments = models.JSONField(_("comments"), default=dict, blank=True)
    digest = models.CharField(_("SHA-256 of the values"), max_length=64)
    restored_from = models.PositiveIntegerField(
        _("restored from revision"), null=True, blank=True
    )

    class Meta:
        ordering = ["submission", "-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "number"], name="revision_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission} r{self.number}"


@pghistory.track(*audit_trackers())
class Receipt(models.Model):
    """Proof of a submission: who sent which values of which report, and when."""

    number = models.CharField(_("receipt number"), max_length=32, unique=True)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="receipts"
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="receipts"
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    digest = models.CharField(_("SHA-256 of the values"), max_length=64)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.number


@pghistory.track(*audit_trackers())
class LockException(models.Model):
    """Entry reopened for one unit, form and period after it locked, until a day."""

    template = models.ForeignKey(
        FormTemplate, on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=16)
    until = models.DateField(_("open until"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lock exception")
        verbose_name_plural = _("lock exceptions")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "org_unit", "period"], name="lockexception_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template.code} – {self.org_unit.name} – {self.period}"


class Notification(models.Model):
    """An in-app message to one person; ``key`` makes sending idempotent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=200)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"))
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="notification_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.subject
