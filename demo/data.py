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
    DemoUser("duyet.trunguong", "Bùi Văn Trung", "reviewer", "national", "VN", False,
             "Duyệt báo cáo, Trung ương / reviewer, national"),
    DemoUser("lapbieu.hanoi", "Ngô Thị Tỉnh", "reporter", "province", "01", False,
             "Lập báo cáo 0603-0605.N/BNV-TĐKT, TP Hà Nội / reporter, province"),
    DemoUser("lapbieu.sonv", "Đặng Văn Sở", "reporter", "province", "01-SNV", False,
             "Lập Mẫu số 04, Sở Nội vụ Hà Nội / reporter, provincial department"),
    DemoUser("lapbieu.badinh", "Vũ Văn Lập", "reporter", "commune", "00004", False,
             "Lập báo cáo, Phường Ba Đình (từ 01/07/2025) / reporter, commune"),
    DemoUser("lapbieu.phucxa", "Đỗ Thị Xã", "reporter", "commune", "00001", True,
             "Lập báo cáo, Phường Phúc Xá (đến 30/06/2025) / reporter, commune"),
]  # fmt: skip


# Agencies attached to an area, as the forms' reporters are (Mẫu số 04 is sent by the
# provincial department; since 2025 labour affairs sit with the Department of Home
# Affairs, Sở Nội vụ).
DEMO_AGENCIES = [
    # (code, name, level, parent province code in the post-2025 set)
    ("01-SNV", "Sở Nội vụ Thành phố Hà Nội", "province", "01"),
]

# Which units report which catalog form: (form code, level, unit kind, first period).
DEMO_ASSIGNMENTS = [
    ("0603.N/BNV-TĐKT", "province", "area", "2025"),
    ("0604.N/BNV-TĐKT", "province", "area", "2025"),
    ("0605.N/BNV-TĐKT", "province", "area", "2025"),
    ("Mẫu số 04/TT01-2022-BLĐTBXH", "province", "agency", "2025"),
]

# Approval chains (regime code, levels lowest first, top level accepts separately):
# provinces' reports go to the national office, which approves and then accepts;
# provincial departments report to their ministry.
DEMO_CHAINS = [
    ("TT02-2023-BNV", ["district", "province", "national"], True),
    ("TT01-2022-BLDTBXH", ["national"], False),
]

# A demo indicator catalogue for the commendation form 0603.N/BNV-TĐKT: one
# indicator disaggregated by who was commended and by the form of commendation.
# The codes are this demo's own (the national system has no code for it).
DEMO_DIMENSIONS = [
    (
        "DOI_TUONG",
        "Đối tượng khen thưởng",
        [
            ("T", "Tổng số"),
            ("TAP_THE", "Tập thể"),
            ("HO_GD", "Hộ gia đình"),
            ("CA_NHAN", "Cá nhân"),
        ],
    ),
    (
        "HINH_THUC",
        "Hình thức khen thưởng",
        [
            ("T", "Tổng số"),
            ("BANG_KHEN", "Bằng khen"),
            ("CSTD", "Chiến sĩ thi đua cấp bộ, cấp tỉnh"),
            ("CO_TD", "Cờ thi đua"),
            ("HUY_HIEU", "Huy hiệu (kỷ niệm chương)"),
        ],
    ),
]
DEMO_INDICATORS = [
    {
        "code": "TDKT.01",
        "name": "Số lượt khen thưởng cấp bộ, ngành, tỉnh",
        "unit_of_measure": "Lượt",
        "dimensions": ["DOI_TUONG", "HINH_THUC"],
        "open_data": True,
        "description": "Theo biểu 0603.N/BNV-TĐKT (Thông tư 02/2023/TT-BNV).",
    },
]
# (form code, row code, {column: form of commendation}) -> who was commended
DEMO_MAPPINGS = (
    "0603.N/BNV-TĐKT",
    {"01": "T", "02": "TAP_THE", "04": "HO_GD", "05": "CA_NHAN"},
    {1: "T", 2: "BANG_KHEN", 3: "CSTD", 4: "CO_TD", 5: "HUY_HIEU"},
)
