"""Approval chains, the events of every transition, and reviewers' cell comments."""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers
from forms.models import Regime
from reporting.models import Revision, Submission


@pghistory.track(*audit_trackers())
class ApprovalChain(models.Model):
    """The levels that review a regime's reports from a date on, lowest first.

    A report uses the chain in force on its period's first day, and of that chain
    only the levels above its own unit where the unit has an ancestor: before July
    2025 a commune's report goes to its district, after the reform the same chain
    skips the district the commune no longer has. When levels consolidate (the
    usual case) only the next level approves a report, and compiles it with its
    siblings into its own report; otherwise every level above approves it. A new version is a new row
    with a later ``valid_from``: reports already sent keep the chain they started.
    """

    regime = models.ForeignKey(
        Regime,
        on_delete=models.PROTECT,
        related_name="approval_chains",
        verbose_name=_("regime"),
    )
    valid_from = models.DateField(_("in force for periods from"))
    levels = ArrayField(
        models.SlugField(max_length=32),
        verbose_name=_("approving levels"),
        help_text=_("Level codes that review and approve, lowest first."),
    )
    top_accepts = models.BooleanField(
        _("the top level accepts as a separate step"), default=False
    )
    consolidates = models.BooleanField(
        _("each level compiles the reports below it"),
        default=True,
        help_text=_(
            "On: a report is approved by the next level above its unit, which compiles "
            "the approved reports into its own report for the level above it. Off: "
            "every level of the chain above the unit approves the report itself."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["regime", "-valid_from"]
        verbose_name = _("approval chain")
        verbose_name_plural = _("approval chains")
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "valid_from"], name="approvalchain_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.regime.code} {self.valid_from:%d/%m/%Y}: " + " → ".join(
            self.levels
        )

    def clean(self) -> None:
        """Check that the levels exist, appear once, and run from lowest to top."""
        from django.core.exceptions import ValidationError

        from orgunits.models import OrgLevel

        ranks = dict(OrgLevel.objects.values_list("code", "rank"))
        unknown = [level for level in self.levels if level not in ranks]
        if unknown:
            raise ValidationError(
                {
                    "levels": _("Unknown level codes: %(codes)s.")
                    % {"codes": ", ".join(unknown)}
                }
            )
        if len(set(self.levels)) != len(self.levels):
            raise ValidationError({"levels": _("A level appears twice in the chain.")})
        order = [ranks[level] for level in self.levels]
        if order != sorted(order, reverse=True):
            raise ValidationError(
                {"levels": _("List the levels from the lowest to the top.")}
            )


class EventAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    VALIDATION_PASSED = "validation_passed", _("Passed the checks")
    VALIDATION_FAILED = "validation_failed", _("Failed the checks")
    RETURN = "return", _("Returned")
    APPROVE = "approve", _("Approved")
    UNAPPROVE = "unapprove", _("Approval withdrawn")
    ACCEPT = "accept", _("Accepted")
    STALE = "stale", _("Marked out of date")
    RECOMPUTE = "recompute", _("Recompiled")


@pgtrigger.register(
    pgtrigger.Protect(
        name="approvalevent_is_immutable",
        operation=pgtrigger.Update | pgtrigger.Delete,
    )
)
class ApprovalEvent(models.Model):
    """One transition of one report: who, when, from which state to which, why.

    Rows are only ever inserted; the report's current state is on the submission.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="approval_events"
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=24, choices=EventAction.choices)
    level = models.SlugField(_("level"), max_length=32, blank=True)
    from_status = models.CharField(_("from"), max_length=16)
    to_status = models.CharField(_("to"), max_length=16)
    approved_levels = ArrayField(
        models.SlugField(max_length=32), default=list, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["submission", "created_at", "id"]
        verbose_name = _("approval event")
        verbose_name_plural = _("approval events")
        indexes = [models.Index(fields=["submission", "-id"], name="event_latest_idx")]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.from_status} → {self.to_status}"


@pghistory.track(*audit_trackers())
class CellComment(models.Model):
    """A reviewer's remark on one cell ("<row code>:<column>"), shown on the grid."""

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="cell_comments"
    )
    event = models.ForeignKey(
        ApprovalEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cell_comments",
    )
    cell = models.CharField(_("cell"), max_length=80)
    text = models.TextField(_("comment"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["submission", "created_at", "id"]
        verbose_name = _("cell comment")
        verbose_name_plural = _("cell comments")

    def __str__(self) -> str:
        return f"{self.submission_id} {self.cell}"


# --- Reviewer's desk: bulk approval jobs ------------------------------------------------


class BulkApprovalStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class BulkApproval(models.Model):
    """A reviewer's request to approve many reports at once, run by a worker.

    ``outcomes`` grows chunk by chunk with one entry per report
    ({submission_id, approved, status, message}), so a retried run skips the reports
    it has already handled and the progress page shows how far it got.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    submission_ids = ArrayField(models.IntegerField(), default=list)
    total = models.PositiveIntegerField(_("reports"), default=0)
    done = models.PositiveIntegerField(_("handled"), default=0)
    outcomes = models.JSONField(_("outcomes"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BulkApprovalStatus.choices,
        default=BulkApprovalStatus.QUEUED,
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk approval")
        verbose_name_plural = _("bulk approvals")

    def __str__(self) -> str:
        return f"{self.pk}: {self.done}/{self.total}"

    @property
    def is_working(self) -> bool:
        return self.status in (BulkApprovalStatus.QUEUED, BulkApprovalStatus.RUNNING)

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def approved_count(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.get("approved"))


# --- Consolidation ("tổng hợp") -------------------------------------------------------


@pghistory.track(*audit_trackers())
class Consolidation(models.Model):
    """How an upper unit's report was last compiled from the approved reports of the
    units directly below it: the revision it produced, and who was missing."""

    submission = models.OneToOneField(
        Submission,
        on_delete=models.PROTECT,
        related_name="consolidation",
        verbose_name=_("compiled report"),
    )
    revision = models.ForeignKey(
        Revision,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("compiled revision"),
    )
    compiled_at = models.DateTimeField(_("compiled at"))
    compiled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compiled by"),
    )
    # Units below that must report but were left out: [{unit_id, code, name, status}].
    missing = models.JSONField(_("missing units"), default=list, blank=True)

    class Meta:
        verbose_name = _("consolidation")
        verbose_name_plural = _("consolidations")

    def __str__(self) -> str:
        return f"{self.submission_id} r{self.revision_id}"


class ConsolidationSource(models.Model):
    """One approved report a consolidation included, at the revision it read."""

    consolidation = models.ForeignKey(
        Consolidation, on_delete=models.CASCADE, related_name="sources"
    )
    source = models.ForeignKey(
        Submission,
        on_delete=models.PROTECT,
        related_name="consolidated_into",
        verbose_name=_("included report"),
    )
    source_revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )

    class Meta:
        ordering = ["consolidation", "org_unit__code"]
        verbose_name = _("included report")
        verbose_name_plural = _("included reports")
        constraints = [
            models.UniqueConstraint(
                fields=["consolidation", "source"], name="consolidationsource_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consolidation_id} ← {self.source_id}"
