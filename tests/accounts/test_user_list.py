"""The pure parser of account lists: no database, bytes in, rows and problems out."""

import datetime
import io
import unicodedata
import zipfile

import pytest

from accounts.user_list import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    Problem,
    UserRow,
    fold,
    parse_user_list,
    sheet_extent,
)
from tests.accounts.factories import (
    ENGLISH_HEADER,
    VIETNAMESE_HEADER,
    account_row,
    csv_bytes,
    xlsx_bytes,
)


def codes(result):
    return [(p.line, p.column, p.code) for p in result.problems]


def test_csv_with_english_headers_gives_one_row_per_account():
    # Given a plain comma-separated list
    data = csv_bytes(
        [
            ENGLISH_HEADER,
            account_row("xa_ba_dinh", "00004", "reporter"),
            account_row("ha_noi_duyet", "01", "reviewer", full_name="Trần Thị Bình"),
        ]
    )

    # When it is parsed
    result = parse_user_list(data, "accounts.csv")

    # Then both rows are read, with their line numbers
    assert result.ok
    assert result.file_format == "csv"
    assert result.row_count == 2
    assert result.rows == [
        UserRow(
            line=2,
            username="xa_ba_dinh",
            full_name="Nguyễn Văn An",
            email="xa_ba_dinh@example.vn",
            unit_code="00004",
            role="reporter",
        ),
        UserRow(
            line=3,
            username="ha_noi_duyet",
            full_name="Trần Thị Bình",
            email="ha_noi_duyet@example.vn",
            unit_code="01",
            role="reviewer",
        ),
    ]


def test_csv_with_vietnamese_headers_bom_and_semicolons():
    # Given a list saved by Excel as "CSV UTF-8" with semicolons and Vietnamese headers
    data = csv_bytes(
        [
            [*VIETNAMESE_HEADER, "Cấp", "Ngày hiệu lực"],
            [
                "xa_truc_bach",
                "Lê Văn Cường",
                "c@example.vn",
                "00004",
                "Người lập báo cáo",
                "xã",
                "15/03/2024",
            ],
        ],
        delimiter=";",
        bom=True,
    )

    result = parse_user_list(data, "danh-sach.CSV")

    assert result.ok, result.problems
    (row,) = result.rows
    assert row.username == "xa_truc_bach"
    assert row.role == "reporter"
    assert row.level == "commune"
    assert row.valid_on == datetime.date(2024, 3, 15)


@pytest.mark.parametrize(
    "header",
    [
        ["USERNAME", "Full Name", "E-mail", "Unit_Code", "ROLE"],
        ["tên đăng nhập", "HỌ TÊN", "Thư điện tử", "mã đơn vị", "VAI TRÒ"],
        ["Ten dang nhap", "Ho va ten", "Dia chi email", "Ma don vi", "Vai tro"],
        [
            "Tên đăng nhập (username)",
            "Họ và tên*",
            "Email *",
            "Mã đơn vị [unit code]",
            "Vai trò",
        ],
    ],
)
def test_headers_ignore_case_accents_and_notes(header):
    data = csv_bytes([header, account_row("an")])

    result = parse_user_list(data, "list.csv")

    assert result.ok, result.problems
    assert result.rows[0].username == "an"


def test_decomposed_unicode_is_normalized_to_composed():
    # Given headers and a name typed with combining accents (NFD)
    header = [unicodedata.normalize("NFD", h) for h in VIETNAMESE_HEADER]
    name = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    data = csv_bytes([header, account_row("hoa", full_name=f"  {name}\u200b  ")])

    result = parse_user_list(data, "list.csv")

    assert result.ok
    assert result.rows[0].full_name == unicodedata.normalize("NFC", "Nguyễn Thị Hoà")


@pytest.mark.parametrize(
    ("written", "role"),
    [
        ("reporter", "reporter"),
        ("Người lập báo cáo", "reporter"),
        ("lập báo cáo", "reporter"),
        ("DUYỆT", "reviewer"),
        ("Người duyệt", "reviewer"),
        ("Reviewer", "reviewer"),
        ("thiết kế biểu mẫu", "designer"),
        ("analyst", "analyst"),
        ("Phân tích", "analyst"),
        ("Quản trị", "administrator"),
        ("administrator", "administrator"),
    ],
)
def test_roles_are_read_in_english_or_vietnamese(written, role):
    data = csv_bytes([ENGLISH_HEADER, account_row("an", role=written)])

    assert parse_user_list(data, "list.csv").rows[0].role == role


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("province", "province"),
        ("Tỉnh", "province"),
        ("huyện", "district"),
        ("Quận", "district"),
        ("xã", "commune"),
        ("Phường", "commune"),
        ("commune", "commune"),
    ],
)
def test_levels_are_read_in_english_or_vietnamese(written, level):
    data = csv_bytes([[*ENGLISH_HEADER, "level"], account_row("an", level=written)])

    assert parse_user_list(data, "list.csv").rows[0].level == level


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("01/07/2025", datetime.date(2025, 7, 1)),
        ("1/7/2025", datetime.date(2025, 7, 1)),
        ("30-06-2025", datetime.date(2025, 6, 30)),
        ("2025-06-30", datetime.date(2025, 6, 30)),
    ],
)
def test_valid_on_dates(written, day):
    data = csv_bytes([[*ENGLISH_HEADER, "valid_on"], account_row("an", day=written)])

    assert parse_user_list(data, "list.csv").rows[0].valid_on == day


def test_every_problem_is_listed_with_its_line_and_column():
    # Given a list where several lines have several mistakes each
    data = csv_bytes(
        [
            [*VIETNAMESE_HEADER, "Cấp", "Ngày hiệu lực"],
            ["tot", "Người Tốt", "tot@example.vn", "00004", "duyệt", "", ""],
            ["co dau cach", "", "", "00004", "chủ tịch", "thôn", "31/02/2025"],
            ["", "Vô Danh", "vd@example.vn", "", "", "", "hôm qua"],
            ["dai", "x" * 151, "d@example.vn", "0" * 33, "reporter", "", ""],
        ]
    )

    result = parse_user_list(data, "list.csv")

    # Then every problem is reported, none is lost after the first
    assert codes(result) == [
        (3, "username", "username_invalid"),
        (3, "full_name", "value_required"),
        (3, "email", "value_required"),
        (3, "role", "role_unknown"),
        (3, "level", "level_unknown"),
        (3, "valid_on", "date_invalid"),
        (4, "username", "value_required"),
        (4, "unit_code", "value_required"),
        (4, "role", "value_required"),
        (4, "valid_on", "date_invalid"),
        (5, "full_name", "value_too_long"),
        (5, "unit_code", "value_too_long"),
    ]
    # And every line is kept for the checks that need the database
    assert [row.line for row in result.rows] == [2, 3, 4, 5]
    assert result.rows[1].role == ""
    assert result.row_count == 4
    role_problem = result.problems[3]
    assert role_problem.params == {
        "value": "chủ tịch",
        "choices": "reporter, reviewer, designer, analyst, administrator",
    }


def test_missing_and_repeated_columns_are_all_reported():
    data = csv_bytes([["Email", "email", "vai trò"], ["a@example.vn", "", "duyệt"]])

    result = parse_user_list(data, "list.csv")

    assert codes(result) == [
        (1, "email", "column_duplicate"),
        (1, "username", "column_missing"),
        (1, "full_name", "column_missing"),
        (1, "unit_code", "column_missing"),
    ]
    assert result.problems[0].params == {"position": 2}
    assert result.rows == []


def test_a_title_above_the_table_is_skipped():
    data = xlsx_bytes(
        [
            ["DANH SÁCH TÀI KHOẢN CẤP XÃ"],
            ["(Kèm theo công văn số 12/CTK)"],
            [],
            VIETNAMESE_HEADER,
            account_row("an"),
        ]
    )

    result = parse_user_list(data, "list.xlsx")

    assert result.ok, result.problems
    assert [row.line for row in result.rows] == [5]


def test_without_a_recognisable_header_the_first_row_is_reported():
    data = csv_bytes([["Danh sách"], ["a", "b"], ["c", "d"]])

    result = parse_user_list(data, "list.csv")

    assert {(p.line, p.code) for p in result.problems} == {(1, "column_missing")}
    assert len(result.problems) == 5


def test_unknown_columns_are_ignored():
    data = csv_bytes([[*ENGLISH_HEADER, "Ghi chú"], [*account_row("an"), "note"]])

    assert parse_user_list(data, "list.csv").ok


def test_blank_lines_are_skipped_and_lines_keep_their_physical_numbers():
    # Given blank lines and a cell spanning two lines
    text = (
        "\n"
        "username,full_name,email,unit_code,role\n"
        "\n"
        'an,"Nguyễn\nVăn An",an@example.vn,00004,reporter\n'
        ",,,,\n"
        "binh,Bình,not-checked-here,00004,sếp\n"
    )

    result = parse_user_list(text.encode(), "list.csv")

    assert [row.line for row in result.rows] == [4, 7]
    assert result.rows[0].full_name == "Nguyễn Văn An"
    assert codes(result) == [(7, "role", "role_unknown")]


def test_xlsx_reads_numbers_dates_and_excel_row_numbers():
    # Given a sheet whose table starts at C3, with a number and a date cell
    data = xlsx_bytes(
        [
            [*VIETNAMESE_HEADER, "Ngày hiệu lực"],
            [
                "so_123",
                "Phạm Văn Dũng",
                "d@example.vn",
                4,
                "lập báo cáo",
                datetime.date(2024, 1, 2),
            ],
            [],
            ["thieu", "", "t@example.vn", "00008", "duyệt", None],
        ],
        first_row=3,
        first_column=3,
    )

    result = parse_user_list(data, "Danh sách.xlsx")

    assert result.file_format == "xlsx"
    assert result.rows == [
        UserRow(
            line=4,
            username="so_123",
            full_name="Phạm Văn Dũng",
            email="d@example.vn",
            unit_code="4",
            role="reporter",
            valid_on=datetime.date(2024, 1, 2),
        ),
        UserRow(
            line=6,
            username="thieu",
            full_name="",
            email="t@example.vn",
            unit_code="00008",
            role="reviewer",
        ),
    ]
    assert codes(result) == [(6, "full_name", "value_required")]


def test_empty_files_are_refused():
    for data, name in (
        (b"", "a.csv"),
        (b" \r\n\n ", "a.csv"),
        (b"\xef\xbb\xbf\n;;\n", "a.csv"),
    ):
        assert codes(parse_user_list(data, name)) == [(None, None, "file_empty")]
    assert codes(parse_user_list(xlsx_bytes([]), "a.xlsx")) == [
        (None, None, "file_empty")
    ]


def test_header_without_rows_is_refused():
    result = parse_user_list(csv_bytes([ENGLISH_HEADER]), "a.csv")

    assert codes(result) == [(None, None, "no_rows")]


def test_more_than_the_row_limit_is_refused():
    rows = [account_row(f"user{i}") for i in range(MAX_ROWS + 1)]

    result = parse_user_list(csv_bytes([ENGLISH_HEADER, *rows]), "a.csv")

    assert codes(result) == [(None, None, "too_many_rows")]
    assert result.problems[0].params == {"max_rows": MAX_ROWS, "rows": MAX_ROWS + 1}
    assert result.rows == []


def test_exactly_the_row_limit_is_accepted():
    rows = [account_row(f"user{i}") for i in range(MAX_ROWS)]

    result = parse_user_list(csv_bytes([ENGLISH_HEADER, *rows]), "a.csv")

    assert result.ok
    assert len(result.rows) == MAX_ROWS


def test_files_over_the_size_limit_are_refused():
    data = csv_bytes([ENGLISH_HEADER]) + b"x" * MAX_FILE_BYTES

    assert parse_user_list(data, "a.csv").problems == [
        Problem("file_too_large", params={"max_mb": 5})
    ]


@pytest.mark.parametrize(
    "name", ["list.pdf", "list.xls", "list", "list.csv.exe", "list.ods"]
)
def test_other_file_types_are_refused(name):
    data = csv_bytes([ENGLISH_HEADER, account_row("an")])

    result = parse_user_list(data, name)

    assert result.problems == [Problem("file_type_unsupported", params={"name": name})]


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (PDF, "list.csv", "file_not_csv"),
        (PDF, "list.xlsx", "file_not_xlsx"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "list.csv", "file_not_csv"),
        (bytes(range(256)) * 10, "list.csv", "file_not_csv"),
        (b"username,full_name\x00,email", "list.csv", "file_not_csv"),
        (csv_bytes([ENGLISH_HEADER, account_row("an")]), "list.xlsx", "file_not_xlsx"),
        (b"PK\x03\x04 truncated", "list.xlsx", "file_not_xlsx"),
    ],
)
def test_renamed_or_binary_files_are_refused(data, name, code):
    result = parse_user_list(data, name)

    assert codes(result) == [(None, None, code)]
    assert result.rows == []


def test_an_excel_file_renamed_to_csv_is_refused():
    result = parse_user_list(xlsx_bytes([ENGLISH_HEADER]), "list.csv")

    assert codes(result) == [(None, None, "file_not_csv")]


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")

    assert codes(parse_user_list(buffer.getvalue(), "list.xlsx")) == [
        (None, None, "file_not_xlsx")
    ]


def test_a_csv_in_a_legacy_encoding_names_the_line():
    text = (
        "username,full_name,email,unit_code,role\nan,Nguyễn Văn An,a@x.vn,1,reporter\n"
    )

    result = parse_user_list(text.encode("utf-16-le")[2:], "a.csv")
    assert codes(result) == [(None, None, "file_not_csv")]

    result = parse_user_list(
        text.replace("ễ", "e").replace("ă", "\xe2").encode("latin-1"), "a.csv"
    )
    assert codes(result) == [(2, None, "csv_not_utf8")]


def test_a_csv_cell_beyond_the_csv_field_limit_is_refused():
    data = (
        csv_bytes([ENGLISH_HEADER])
        + b'an,"'
        + b"x" * 200_000
        + b'",a@x.vn,1,reporter\n'
    )

    assert codes(parse_user_list(data, "a.csv")) == [(2, None, "csv_malformed")]


def test_a_workbook_inflating_far_beyond_its_size_is_refused():
    # Given a "zip bomb": a small file that inflates to tens of megabytes
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (60 * 1024 * 1024))
    assert len(buffer.getvalue()) < MAX_FILE_BYTES

    assert codes(parse_user_list(buffer.getvalue(), "a.xlsx")) == [
        (None, None, "xlsx_too_large")
    ]


@pytest.mark.parametrize("far_cell", ["XFD1048576", "A20000", "CW2"])
def test_a_cell_far_away_is_refused_before_the_sheet_is_read(far_cell):
    # Given a tiny workbook naming one distant cell: reading it whole would allocate
    # the rectangle up to that cell (hundreds of gigabytes for XFD1048576)
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = "username"
    workbook.active[far_cell] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = parse_user_list(buffer.getvalue(), "a.xlsx")

    assert codes(result) == [(None, None, "xlsx_sheet_too_large")]


def test_sheet_extent_counts_cells_with_content_only():
    xml = (
        b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"/></row>'
        b'<row r="7" spans="1:3"><c t="n"><v>1</v></c><c><v>2</v></c></row>'
        b'<row r="9000"/><x:row r="8"><x:c foo="a>b r=&quot;A1&quot;" r="C8">'
        b"<x:v>1</x:v></x:c></x:row></sheetData>"
    )

    assert sheet_extent(xml) == (8, 3)


@pytest.mark.parametrize(
    "xml",
    [
        b'<c r="&#88;FD1048576"><v>1</v></c>',
        b'<c r="A1" r="XFD1048576"><v>1</v></c>',
        b'<row r="0"><c><v>1</v></c></row>',
    ],
)
def test_sheet_extent_refuses_references_excel_never_writes(xml):
    with pytest.raises(ValueError):
        sheet_extent(xml)


def test_sheet_extent_is_not_fooled_by_a_decoy_attribute():
    xml = b"""<c foo='x r="A1"' r="XFD1048576"><v>1</v></c>"""

    assert sheet_extent(xml) == (1048576, 16384)


def test_fold_removes_case_accents_and_punctuation():
    assert fold("  Mã ĐƠN-VỊ_(*) ") == "ma don vi"
    assert (
        fold(unicodedata.normalize("NFD", "Người lập báo cáo")) == "nguoi lap bao cao"
    )
