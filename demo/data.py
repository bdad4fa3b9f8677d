"""Who the demo logs in as: one account per role and level, on real units."""

from dataclasses import dataclass

DEMO_PASSWORD = "baocao-demo-2026"  # noqa: S105  (printed by `make demo`; demo only)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str | None
    unit_level: str | None
    unit_code: str | None
    legacy: bool
    description: str


DEMO_USERS = [
    DemoUser("quantri", "Quản trị hệ thống", None, None, None, False,
             "Quản trị viên toàn hệ thống / system administrator"),
    DemoUser("thietke", "Nguyễn Thị Thiết Kế", "designer", "national", "VN", False,
             "Thiết kế biểu mẫu, Trung ương / form designer, national"),
    DemoUser("phantich", "Trần Văn Phân Tích", "analyst", "national", "VN", False,
             "Phân tích số liệu, Trung ương / analyst, national"),
    DemoUser("quantri.hanoi", "Lê Thị Quản Trị", "administrator", "province", "01", False,
             "Quản trị người dùng, TP Hà Nội / unit administrator, province"),
    DemoUser("duyet.hanoi", "Phạm Văn Duyệt", "reviewer", "province", "01", False,
             "Duyệt báo cáo, TP Hà Nội (từ 01/07/2025) / reviewer, province"),
    DemoUser("duyet.badinh", "Hoàng Thị Huyện", "reviewer", "district", "001", True,
             "Duyệt báo cáo, Quận Ba Đình (đến 30/06/2025) / reviewer, district"),
    DemoUser("lapbieu.badinh", "Vũ Văn Lập", "reporter", "commune", "00004", False,
             "Lập báo cáo, Phường Ba Đình (từ 01/07/2025) / reporter, commune"),
    DemoUser("lapbieu.phucxa", "Đỗ Thị Xã", "reporter", "commune", "00001", True,
             "Lập báo cáo, Phường Phúc Xá (đến 30/06/2025) / reporter, commune"),
]  # fmt: skip
