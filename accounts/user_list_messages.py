"""Human-readable text for lists of accounts: column labels, the message of each
problem code, and the sample file offered to administrators."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import user_list
from accounts.user_list import Problem

COLUMN_LABELS = {
    user_list.USERNAME: gettext_lazy("Username"),
    user_list.FULL_NAME: gettext_lazy("Full name"),
    user_list.EMAIL: gettext_lazy("E-mail"),
    user_list.UNIT_CODE: gettext_lazy("Unit code"),
    user_list.ROLE: gettext_lazy("Role"),
    user_list.LEVEL: gettext_lazy("Level"),
    user_list.VALID_ON: gettext_lazy("Valid on"),
}

LEVEL_LABELS = {
    "national": gettext_lazy("national"),
    "province": gettext_lazy("province"),
    "district": gettext_lazy("district"),
    "commune": gettext_lazy("commune"),
}

PROBLEM_MESSAGES = {
    # The file as a whole.
    "file_empty": gettext_lazy("The file is empty."),
    "file_too_large": gettext_lazy("The file is larger than %(max_mb)d MB."),
    "file_type_unsupported": gettext_lazy(
        "“%(name)s” is not a CSV or Excel (.xlsx) file."
    ),
    "file_not_csv": gettext_lazy(
        "The file is named .csv but is not a text file: save the list as “CSV UTF-8”."
    ),
    "csv_not_utf8": gettext_lazy(
        "The file is not in UTF-8: in Excel choose “Save as”, type “CSV UTF-8”."
    ),
    "csv_malformed": gettext_lazy(
        "The CSV text cannot be read here (a quote is not closed or a cell is too long)."
    ),
    "file_not_xlsx": gettext_lazy(
        "The file is named .xlsx but is not an Excel workbook, or it is damaged."
    ),
    "xlsx_encrypted": gettext_lazy(
        "The workbook is protected by a password: remove the password and upload it again."
    ),
    "xlsx_too_large": gettext_lazy(
        "The workbook is far larger inside than a list of accounts can be."
    ),
    "xlsx_sheet_too_large": gettext_lazy(
        "A sheet has content down to row %(rows)d and across to column %(columns)d; "
        "keep the list within %(max_rows)d rows and %(max_columns)d columns, and "
        "delete other content."
    ),
    "no_rows": gettext_lazy("The file has a header row but no accounts below it."),
    "too_many_rows": gettext_lazy(
        "The file lists %(rows)d accounts; at most %(max_rows)d can be created at "
        "once, so split the list into several files."
    ),
    "column_missing": gettext_lazy("The required column “%(column)s” is missing."),
    "column_duplicate": gettext_lazy(
        "The column “%(column)s” appears again in position %(position)d."
    ),
    # One line of the file.
    "value_required": gettext_lazy("“%(column)s” is required."),
    "value_too_long": gettext_lazy(
        "“%(column)s” has %(length)d characters; at most %(max_length)d are allowed."
    ),
    "username_invalid": gettext_lazy(
        "“%(value)s” is not a valid username: use letters, digits and @ . + - _ "
        "only, without spaces."
    ),
    "role_unknown": gettext_lazy(
        "Unknown role “%(value)s”; write one of: %(choices)s."
    ),
    "level_unknown": gettext_lazy(
        "Unknown level “%(value)s”; write one of: %(choices)s."
    ),
    "date_invalid": gettext_lazy("“%(value)s” is not a date; write it as dd/mm/yyyy."),
    "username_repeated": gettext_lazy(
        "The username %(value)s is already used on line %(first_line)d of the file."
    ),
    "username_taken": gettext_lazy("An account named %(value)s already exists."),
    "email_invalid": gettext_lazy("“%(value)s” is not a valid e-mail address."),
    "unit_unknown": gettext_lazy("Unknown unit code %(code)s."),
    "unit_not_in_force": gettext_lazy(
        "Unit %(code)s exists but is not in force on %(date)s; give the date on which "
        "it is valid."
    ),
    "unit_level_mismatch": gettext_lazy(
        "No unit at the %(level)s level has the code %(code)s on %(date)s."
    ),
    "unit_ambiguous": gettext_lazy(
        "Several units have the code %(code)s on %(date)s; fill in the level column."
    ),
    "unit_not_administered": gettext_lazy(
        "You do not administer unit %(code)s (%(name)s), so you cannot create "
        "accounts for it."
    ),
    # The run.
    "import_conflict": gettext_lazy(
        "Some of these accounts were created by someone else meanwhile; upload the "
        "file again to see which."
    ),
    "file_missing": gettext_lazy("The uploaded file can no longer be read."),
    "internal_error": gettext_lazy(
        "An unexpected error stopped the import; no account was created."
    ),
}


def column_label(column: str | None) -> str:
    """Return the translated label of a column key ("unit_code" -> "Unit code")."""
    if not column:
        return ""
    return str(COLUMN_LABELS.get(column, column))


def problem_message(problem: Problem | Mapping) -> str:
    """Return the translated message of a problem (a Problem or its dict form)."""
    data = problem.as_dict() if isinstance(problem, Problem) else problem
    template = PROBLEM_MESSAGES.get(data.get("code", ""))
    if template is None:
        return _("Unexpected problem (%(code)s).") % {"code": data.get("code")}
    params = dict(data.get("params") or {})
    params["column"] = column_label(data.get("column"))
    if "level" in params:
        params["level"] = str(LEVEL_LABELS.get(params["level"], params["level"]))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def sample_csv() -> bytes:
    """Return a sample list of accounts in the active language, ready for Excel."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([column_label(column) for column in user_list.COLUMNS])
    writer.writerow(
        [
            "xa_ba_dinh_lap",
            "Nguyễn Văn An",
            "an.nguyen@example.vn",
            "00004",
            "reporter",
            "commune",
            "",
        ]
    )
    writer.writerow(
        [
            "ha_noi_duyet",
            "Trần Thị Bình",
            "binh.tran@example.vn",
            "01",
            "reviewer",
            "province",
            "01/07/2025",
        ]
    )
    # The byte-order mark makes Excel open the file as UTF-8 (Vietnamese letters).
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
