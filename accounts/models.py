"""Accounts: roles live as object permissions on org units (orgunits.models); this app
keeps the bulk account imports and the audit of user records."""

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers

pghistory.track(
    *audit_trackers(),
    exclude=["password", "last_login"],
    model_name="UserEvent",
    app_label="accounts",
)(get_user_model())


class UserImportStatus(models.TextChoices):
    PENDING = "pending", _("Đang chờ xử lý")
    RUNNING = "running", _("Đang xử lý")
    DONE = "done", _("Hoàn tất")
    FAILED = "failed", _("Có lỗi, không tạo tài khoản nào")


@pghistory.track(*audit_trackers())
class UserImportJob(models.Model):
    """A list of accounts to create at once (CSV or Excel), processed by a worker."""

    file = models.FileField(_("tệp"), upload_to="user-imports/%Y/%m/")
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    status = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=UserImportStatus.choices,
        default=UserImportStatus.PENDING,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người tải lên"),
    )
    created_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)
    finished_at = models.DateTimeField(_("thời điểm xong"), null=True, blank=True)
    created_count = models.PositiveIntegerField(_("số tài khoản đã tạo"), default=0)
    problems = models.JSONField(_("lỗi"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lượt tạo tài khoản hàng loạt")
        verbose_name_plural = _("lượt tạo tài khoản hàng loạt")

    def __str__(self) -> str:
        return self.original_name
