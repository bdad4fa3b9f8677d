"""Load Vietnam's administrative units, before and after the 2025 reform."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from orgunits.services import admin_units_load

LEVEL_ORDER = ["national", "province", "district", "commune"]


class Command(BaseCommand):
    help = _(
        "Nạp danh mục đơn vị hành chính Việt Nam (trước và sau 01/07/2025) cùng bảng "
        "đơn vị kế thừa. Chạy lại không thay đổi gì."
    )

    def handle(self, *args, **options):
        report = admin_units_load()
        for level in LEVEL_ORDER:
            self.stdout.write(
                _(
                    "%(level)s: %(created)d tạo mới, %(updated)d cập nhật, %(unchanged)d giữ nguyên"
                )
                % {
                    "level": level,
                    "created": report.created[level],
                    "updated": report.updated[level],
                    "unchanged": report.unchanged[level],
                }
            )
        self.stdout.write(
            _("Bảng kế thừa: %(created)d liên kết mới, %(total)d liên kết tổng cộng")
            % {"created": report.successors_created, "total": report.successors_total}
        )
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(_("Đã nạp danh mục đơn vị hành chính."))
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Không có thay đổi: danh mục đã đầy đủ."))
            )
