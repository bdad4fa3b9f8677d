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

    code = models.SlugField(_("mã cấp"), max_length=32, unique=True)
    name = models.CharField(_("tên cấp"), max_length=100)
    rank = models.PositiveSmallIntegerField(
        _("thứ bậc"), help_text=_("0 là cấp trung ương; số lớn hơn là cấp thấp hơn.")
    )

    class Meta:
        ordering = ["rank"]
        verbose_name = _("cấp đơn vị")
        verbose_name_plural = _("cấp đơn vị")

    def __str__(self) -> str:
        return self.name


class OrgUnitKind(models.TextChoices):
    AREA = "area", _("Đơn vị hành chính")
    AGENCY = "agency", _("Cơ quan, tổ chức")


@pghistory.track(*audit_trackers())
class OrgUnit(models.Model):
    """A reporting unit: an administrative area or an agency attached to one.

    Identity is (level, code, valid_from): the 2025 reform reuses codes, so a new ward
    may carry an old ward's code. ``path`` is the materialized chain of ids from the
    root, so "every unit below X" is one indexed prefix query.
    """

    code = models.CharField(_("mã"), max_length=32)
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên ngắn"), max_length=255, blank=True)
    type_name = models.CharField(
        _("loại"), max_length=64, blank=True, help_text=_("Ví dụ: Tỉnh, Phường, Xã.")
    )
    level = models.ForeignKey(
        OrgLevel, on_delete=models.PROTECT, related_name="units", verbose_name=_("cấp")
    )
    kind = models.CharField(
        _("loại đơn vị"),
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
        verbose_name=_("đơn vị cấp trên"),
    )
    path = models.CharField(_("đường dẫn"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("độ sâu"), editable=False)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
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
            ("report_orgunit", _("Lập và gửi báo cáo của đơn vị")),
            ("review_orgunit", _("Xem xét, phê duyệt báo cáo các đơn vị cấp dưới")),
            ("design_forms_orgunit", _("Thiết kế biểu mẫu")),
            ("analyze_orgunit", _("Xem số liệu và chỉ tiêu")),
            ("administer_orgunit", _("Quản trị người dùng của đơn vị")),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class SuccessorKind(models.TextChoices):
    UNCHANGED = "unchanged", _("Giữ nguyên")
    MERGED = "merged", _("Sáp nhập")
    SPLIT = "split", _("Chia tách")
    ABOLISHED = "abolished", _("Giải thể cấp")


@pghistory.track(*audit_trackers())
class OrgUnitSuccessor(models.Model):
    """A link from a unit that ended to a unit that continues it (the 2025 reform)."""

    predecessor = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="successor_links",
        verbose_name=_("đơn vị cũ"),
    )
    successor = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="predecessor_links",
        verbose_name=_("đơn vị mới"),
    )
    kind = models.CharField(
        _("hình thức"), max_length=16, choices=SuccessorKind.choices
    )
    is_default = models.BooleanField(
        _("đơn vị kế thừa chính"),
        default=True,
        help_text=_("Khi đơn vị cũ bị chia, đơn vị mới nhận phần lớn được đánh dấu."),
    )
    effective_on = models.DateField(_("ngày hiệu lực"))

    class Meta:
        verbose_name = _("đơn vị kế thừa")
        verbose_name_plural = _("bảng đơn vị kế thừa")
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
        verbose_name = _("quyền của người dùng trên đơn vị")
        verbose_name_plural = _("quyền của người dùng trên đơn vị")


@pghistory.track(*audit_trackers())
class OrgUnitGroupObjectPermission(GroupObjectPermissionBase):
    """A role granted to a group on a unit."""

    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("quyền của nhóm trên đơn vị")
        verbose_name_plural = _("quyền của nhóm trên đơn vị")
