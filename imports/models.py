"""Excel uploads: the stored file, its dry run and what its commit did, report by report."""

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers
from forms.models import FormTemplate, FormVersion
from orgunits.models import OrgUnit


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be read")
    PARSING = "parsing", _("Reading the file")
    PREVIEW = "preview", _("Ready to import")
    REFUSED = "refused", _("Refused, nothing imported")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")
    CANCELLED = "cancelled", _("Cancelled, nothing imported")
    FAILED = "failed", _("Failed")


FINISHED_STATUSES = {
    ImportJobStatus.REFUSED,
    ImportJobStatus.DONE,
    ImportJobStatus.CANCELLED,
    ImportJobStatus.FAILED,
}


@pghistory.track(*audit_trackers())
class ImportJob(models.Model):
    """One uploaded workbook: read and checked by a worker (the dry run), then, once
    its uploader confirms, committed as one revision per report it holds.

    ``summary`` follows DHIS2's ImportSummary: status, counts (created, updated,
    unchanged, ignored) and conflicts, each at its sheet and cell.
    """

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    form = models.ForeignKey(
        FormTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("form of the long tables"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    language = models.CharField(_("language"), max_length=8, default="vi")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ImportJobStatus.choices,
        default=ImportJobStatus.QUEUED,
    )
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps"), default=0)
    parsed_at = models.DateTimeField(_("read at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Excel upload")
        verbose_name_plural = _("Excel uploads")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_working(self) -> bool:
        return self.status in {
            ImportJobStatus.QUEUED,
            ImportJobStatus.PARSING,
            ImportJobStatus.COMMITTING,
        }

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ImportReportStatus(models.TextChoices):
    READY = "ready", _("Ready")
    REFUSED = "refused", _("Refused")
    COMMITTED = "committed", _("Imported")
    UNCHANGED = "unchanged", _("Unchanged")
    CONFLICT = "conflict", _("Not imported: changed meanwhile")


class ImportReport(models.Model):
    """The part of an upload that is one report: one form, unit and period.

    ``values`` are the canonical input values read from the file; ``cells`` the
    dry run, cell by cell: {"01:2": [state, new, old, address]}, the state being
    created, updated, unchanged or rejected; ``problems`` the conflicts found there.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="reports")
    position = models.PositiveIntegerField(_("position"))
    sheet = models.CharField(_("sheet"), max_length=255, blank=True)
    layout = models.CharField(_("layout"), max_length=16)
    form_code = models.CharField(_("form code"), max_length=64, blank=True)
    form_version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit_code = models.CharField(_("unit code"), max_length=32, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period = models.CharField(_("period"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportReportStatus.choices
    )
    base_revision = models.PositiveIntegerField(null=True, blank=True)
    values = models.JSONField(default=dict, blank=True)
    cells = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    revision_number = models.PositiveIntegerField(_("revision"), null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        verbose_name = _("report in an upload")
        verbose_name_plural = _("reports in an upload")
        constraints = [
            models.UniqueConstraint(
                fields=["job", "position"], name="importreport_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.form_code} – {self.unit_code} – {self.period}"

    @property
    def is_importable(self) -> bool:
        return self.status == ImportReportStatus.READY
