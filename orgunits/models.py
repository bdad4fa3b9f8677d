"""Organisation units: the administrative tree and the agencies attached to it."""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.audit import audit_trackers

PATH_SEGMENT_WIDTH = 10
PATH_SEPARATOR = "/"


def path_segment(pk: int) -> str:
    """Return the fixed-width path segment of a unit id."""
    return str(pk).zfill(PATH_SEGMENT_WIDTH) + PATH_SEPARATOR


class OrgLevel(models.Model):
    """A level of the tree (national, province, district, commune, ...): data, not code."""

    code = models.SlugField(_("level code"), max_length=32, unique=True)
    name = models.CharField(_("level name"), max_length=100)
    rank = models.PositiveSmallIntegerField(
        _("rank"),
        help_text=_("0 is the national level; larger numbers are lower levels."),
    )

    class Meta:
        ordering = ["rank"]
        verbose_name = _("unit level")
        verbose_name_plural = _("unit level")

    def __str__(self) -> str:
        return self.name


class OrgUnitKind(models.TextChoices):
    AREA = "area", _("Administrative area")
    AGENCY = "agency", _("Agency or organisation")


@pghistory.track(*audit_trackers())
class OrgUnit(models.Model):
    """A reporting unit: an administrative area or an agency attached to one.

    Identity is (level, code, valid_from): the 2025 reform reuses codes, so a new ward
    may carry an old ward's code. ``path`` is the materialized chain of ids from the
    root, so "every unit below X" is one indexed prefix query.
    """

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=255, blank=True)
    type_name = models.CharField(
        _("type"),
        max_length=64,
        blank=True,
        help_text=_("For example: Province, Ward, Commune."),
    )
    level = models.ForeignKey(
        OrgLevel,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("level"),
    )
    kind = models.CharField(
        _("unit kind"),
        max_length=16,
        choices=OrgUnitKind.choices,
        default=OrgUnitKind.AREA,
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(_("path"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("unit")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code", "valid_from"],
                nulls_distinct=False,
                name="orgunit_identity_unique",
            ),
            models.UniqueConstraint(fields=["path"], name="orgunit_path_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="orgunit_validity_ordered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["path"],
                name="orgunit_path_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["code"], name="orgunit_code_idx"),
        ]
        permissions = [
            ("report_orgunit", _("Prepare and submit the unit's reports")),
            ("review_orgunit", _("Review and approve the reports of units below")),
            ("design_forms_orgunit", _("Design report forms")),
            ("analyze_orgunit", _("Read figures and indicators")),
            ("administer_orgunit", _("Administer the unit's users")),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class SuccessorKind(models.TextChoices):
    UNCHANGED = "unchanged", _("Unchanged")
    MERGED = "merged", _("Merged")
    SPLIT = "split", _("Split")
    ABOLISHED = "abolished", _("Level abolished")


@pghistory.track(*audit_trackers())
class OrgUnitSuccessor(models.Model):
    """A link from a unit that ended to a unit that continues it (the 2025 reform)."""

    predecessor = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="successor_links",
        verbose_name=_("former unit"),
    )
    successor = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="predecessor_links",
        verbose_name=_("new unit"),
    )
    kind = models.CharField(
        _("kind of change"), max_length=16, choices=SuccessorKind.choices
    )
    is_default = models.BooleanField(
        _("main successor"),
        default=True,
        help_text=_(
            "When an old unit was split, the new unit that took most of it is marked."
        ),
    )
    effective_on = models.DateField(_("effective date"))

    class Meta:
        verbose_name = _("successor")
        verbose_name_plural = _("successor map")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="orgunit_successor_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


@pghistory.track(*audit_trackers())
class OrgUnitUserObjectPermission(UserObjectPermissionBase):
    """A role granted to a user on a unit (direct foreign key, not generic)."""

    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("user role on unit")
        verbose_name_plural = _("user role on unit")


@pghistory.track(*audit_trackers())
class OrgUnitGroupObjectPermission(GroupObjectPermissionBase):
    """A role granted to a group on a unit."""

    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("group role on unit")
        verbose_name_plural = _("group role on unit")
