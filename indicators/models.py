"""The indicator store: the catalogue of indicators and their dimensions, the mapping
of form cells to indicators, and the observations published from approved reports."""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers
from forms.models import FormVersion, Regime
from orgunits.models import OrgUnit
from reporting.models import Revision, Submission
from workflow.models import ApprovalEvent


@pghistory.track(*audit_trackers())
class Dimension(models.Model):
    """A disaggregation (sex, urban/rural, age group, ...) with its codelist."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        ordering = ["code"]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


@pghistory.track(*audit_trackers())
class DimensionCode(models.Model):
    """One code of a dimension's codelist (SEX=F: "Nữ")."""

    dimension = models.ForeignKey(
        Dimension, on_delete=models.CASCADE, related_name="codes"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        ordering = ["dimension", "code"]
        verbose_name = _("dimension code")
        verbose_name_plural = _("dimension codes")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "code"], name="dimensioncode_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension.code}={self.code}"


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    WEIGHTED_AVERAGE = "weighted_average", _("Average weighted by another indicator")
    NONE = "none", _("Not aggregated")


@pghistory.track(*audit_trackers())
class Indicator(models.Model):
    """A statistical indicator; ``code`` follows the national indicator system where
    one exists (QĐ 05/2023/QĐ-TTg for the province, district and commune system)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=500)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=64, blank=True)
    aggregation = models.CharField(
        _("aggregation"),
        max_length=16,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
    )
    weight_indicator = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("weight indicator"),
    )
    dimensions = models.ManyToManyField(
        Dimension, blank=True, related_name="indicators", verbose_name=_("dimensions")
    )
    open_data = models.BooleanField(_("open data"), default=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


@pghistory.track(*audit_trackers())
class CellMapping(models.Model):
    """One form cell ("<row code>:<column>") feeding one indicator with fixed
    dimension values. Metadata: allowed on published versions too."""

    form_version = models.ForeignKey(
        FormVersion, on_delete=models.CASCADE, related_name="cell_mappings"
    )
    row_code = models.CharField(_("row code"), max_length=32)
    column = models.PositiveSmallIntegerField(_("column"))
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="cell_mappings",
        verbose_name=_("indicator"),
    )
    dims = models.JSONField(_("dimension values"), default=dict, blank=True)

    class Meta:
        ordering = ["form_version", "row_code", "column"]
        verbose_name = _("cell mapping")
        verbose_name_plural = _("cell mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["form_version", "row_code", "column"],
                name="cellmapping_unique",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.form_version} {self.row_code}:{self.column} → {self.indicator.code}"
        )


class ObservationStatus(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional")
    OFFICIAL = "official", _("Official")


@pghistory.track(*audit_trackers())
class PublishingPolicy(models.Model):
    """The status a regime's observations are published with (official by default)."""

    regime = models.OneToOneField(
        Regime, on_delete=models.CASCADE, related_name="publishing_policy"
    )
    status = models.CharField(
        _("observation status"),
        max_length=16,
        choices=ObservationStatus.choices,
        default=ObservationStatus.OFFICIAL,
    )

    class Meta:
        verbose_name = _("publishing policy")
        verbose_name_plural = _("publishing policies")

    def __str__(self) -> str:
        return f"{self.regime.code}: {self.status}"


class Observation(models.Model):
    """One published figure with its lineage. Rows are history: a newer figure for
    the same natural key supersedes the current one, an unapproval withdraws it;
    neither deletes anything. Not tracked by pghistory: the lineage columns (the
    revision and the approval event) are the audit trail, and millions of rows
    would double the store."""

    # Served by the (indicator, period_start) index.
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="observations", db_index=False
    )
    dim_key = models.CharField(_("dimension key"), max_length=255, blank=True)
    dims = models.JSONField(_("dimension values"), default=dict, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("unit"),
    )
    period = models.CharField(_("period"), max_length=16)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6)
    status = models.CharField(
        _("status"), max_length=16, choices=ObservationStatus.choices
    )
    is_current = models.BooleanField(_("current"), default=True)
    published_at = models.DateTimeField(_("published at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="+"
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    approval_event = models.ForeignKey(
        ApprovalEvent, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "dim_key", "org_unit", "period"],
                condition=models.Q(is_current=True),
                name="observation_one_current",
            )
        ]
        indexes = [
            models.Index(
                fields=["indicator", "period_start"], name="observation_ind_start_idx"
            ),
            models.Index(fields=["org_unit", "period"], name="observation_unit_idx"),
            # Rollups read the current rows of one indicator and period from the
            # index alone (no heap visit once vacuumed).
            models.Index(
                fields=["indicator", "period_start", "period"],
                include=["org_unit", "dim_key", "value"],
                condition=models.Q(is_current=True),
                name="observation_rollup_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.dim_key} {self.org_unit_id} {self.period}"
