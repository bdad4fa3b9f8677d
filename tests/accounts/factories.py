"""Builders of account lists (CSV and Excel bytes) for the accounts tests."""

import csv
import io

import openpyxl

ENGLISH_HEADER = ["username", "full_name", "email", "unit_code", "role"]
VIETNAMESE_HEADER = ["Tên đăng nhập", "Họ và tên", "Email", "Mã đơn vị", "Vai trò"]


def account_row(username, unit_code="00004", role="reporter", **extra):
    """Return one row of ENGLISH_HEADER columns (plus any extra values in order)."""
    full_name = extra.pop("full_name", "Nguyễn Văn An")
    email = extra.pop("email", f"{username}@example.vn")
    return [username, full_name, email, unit_code, role, *extra.values()]


def csv_bytes(rows, *, delimiter=",", bom=False) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows, *, first_row=1, first_column=1) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row_offset, row in enumerate(rows):
        for column_offset, value in enumerate(row):
            sheet.cell(
                row=first_row + row_offset,
                column=first_column + column_offset,
                value=value,
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
