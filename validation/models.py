"""Validation rules of a form, and the results of checking each revision."""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers
from forms.models import FormTemplate
from reporting.models import Revision, Submission
from validation.engine.rules import Importance, MissingValueStrategy, Operator


def _choices(enum_class, labels):
    return [(member.value, labels[member.value]) for member in enum_class]


OPERATOR_CHOICES = _choices(
    Operator,
    {
        "==": _("equal to"),
        "!=": _("not equal to"),
        ">": _("greater than"),
        ">=": _("greater than or equal to"),
        "<": _("less than"),
        "<=": _("less than or equal to"),
        "compulsory_pair": _("compulsory pair"),
        "exclusive_pair": _("exclusive pair"),
    },
)
STRATEGY_CHOICES = _choices(
    MissingValueStrategy,
    {
        "skip_if_any_value_missing": _("skip if any value is missing"),
        "skip_if_all_values_missing": _("skip if all values are missing"),
        "never_skip": _("never skip (missing counts as 0)"),
    },
)
IMPORTANCE_CHOICES = _choices(
    Importance, {"error": _("error"), "warning": _("warning"), "info": _("information")}
)


@pghistory.track(*audit_trackers())
class ValidationRule(models.Model):
    """A rule a designer added to a form (declared formulas become rules by
    themselves, see validation/declared.py)."""

    template = models.ForeignKey(
        FormTemplate,
        on_delete=models.CASCADE,
        related_name="validation_rules",
        verbose_name=_("report form"),
    )
    code = models.CharField(_("rule code"), max_length=32)
    name = models.CharField(_("name"), max_length=255)
    left = models.TextField(_("left side"))
    operator = models.CharField(_("operator"), max_length=16, choices=OPERATOR_CHOICES)
    right = models.TextField(_("right side"))
    left_strategy = models.CharField(
        _("missing values (left)"),
        max_length=32,
        choices=STRATEGY_CHOICES,
        default="skip_if_any_value_missing",
    )
    right_strategy = models.CharField(
        _("missing values (right)"),
        max_length=32,
        choices=STRATEGY_CHOICES,
        default="skip_if_any_value_missing",
    )
    importance = models.CharField(
        _("importance"), max_length=16, choices=IMPORTANCE_CHOICES, default="error"
    )
    message = models.CharField(
        _("message"),
        max_length=500,
        help_text=_(
            "Shown to the reporter; {left}, {right}, {row} and {column} are filled in."
        ),
    )
    period_types = ArrayField(
        models.CharField(max_length=16),
        default=list,
        blank=True,
        verbose_name=_("only for period types"),
    )
    levels = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        verbose_name=_("only for unit levels"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["template", "code"]
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "code"], name="validationrule_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template.code} {self.code}: {self.name}"


class ValidationResult(models.Model):
    """The violations found in one revision (a revision never changes, so neither
    does its result; re-running replaces it with the same content)."""

    revision = models.OneToOneField(
        Revision, on_delete=models.CASCADE, related_name="validation"
    )
    ran_at = models.DateTimeField(_("checked at"), auto_now=True)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    violations = models.JSONField(_("violations"), default=list)

    class Meta:
        verbose_name = _("validation result")
        verbose_name_plural = _("validation results")

    def __str__(self) -> str:
        return f"{self.revision}: {self.errors} / {self.warnings}"


@pghistory.track(*audit_trackers())
class WarningExplanation(models.Model):
    """Why a figure that raised a warning is right, as the reporter explains it."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="explanations"
    )
    rule = models.CharField(_("rule code"), max_length=32)
    cell = models.CharField(_("cell"), max_length=40, blank=True)
    text = models.TextField(_("explanation"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(_("written at"), auto_now=True)

    class Meta:
        verbose_name = _("explanation of a warning")
        verbose_name_plural = _("explanations of warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "rule", "cell"], name="explanation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.rule} {self.cell}"


class OutlierPolicy(models.Model):
    """Outlier checks of a form's figures against the unit's own history (warnings)."""

    template = models.OneToOneField(
        FormTemplate, on_delete=models.CASCADE, related_name="outlier_policy"
    )
    z_score = models.DecimalField(
        _("z-score above"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        default=3,
    )
    modified_z_score = models.DecimalField(
        _("modified z-score above"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        default=3.5,
    )
    change_percent = models.DecimalField(
        _("change against the previous period above (%)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
    )
    change_last_year_percent = models.DecimalField(
        _("change against the same period last year above (%)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
    )
    minimum = models.DecimalField(
        _("minimum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    maximum = models.DecimalField(
        _("maximum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    history_periods = models.PositiveSmallIntegerField(
        _("periods of history"), default=12
    )

    class Meta:
        verbose_name = _("outlier policy")
        verbose_name_plural = _("outlier policies")

    def __str__(self) -> str:
        return str(self.template)


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ValidationBatch(models.Model):
    """A national run of the rules over every report of a period ("validate every
    report of 2026M10"), with its progress and a downloadable CSV of violations."""

    period = models.CharField(_("period"), max_length=16)
    template = models.ForeignKey(
        FormTemplate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("report form"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BatchStatus.choices,
        default=BatchStatus.QUEUED,
    )
    progress_done = models.PositiveIntegerField(_("reports checked"), default=0)
    progress_total = models.PositiveIntegerField(_("reports to check"), default=0)
    reports_with_violations = models.PositiveIntegerField(
        _("reports with violations"), default=0
    )
    errors = models.PositiveIntegerField(_("errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    result = models.FileField(
        _("result (CSV)"), upload_to="validation/batches/", blank=True
    )
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("validation batch")
        verbose_name_plural = _("validation batches")

    def __str__(self) -> str:
        return f"{self.period} #{self.pk}"

    @property
    def is_working(self) -> bool:
        return self.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0 if self.is_working else 100
        return min(100, self.progress_done * 100 // self.progress_total)
