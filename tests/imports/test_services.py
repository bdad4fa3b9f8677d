"""Uploads on the real PostgreSQL: dry run, commit, idempotence, authorization,
bulk workbooks, and every value landing in its cell."""

import io
import json
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from forms.definition.periods import parse_period
from forms.services import form_version_publish, form_version_start_next
from imports.export import bulk_workbook, escape_text, report_workbook
from imports.models import ImportJobStatus, ImportReportStatus
from imports.services import import_job_cancel, import_job_commit, import_job_confirm
from reporting.models import Revision, Submission, SubmissionStatus
from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.imports.factories import (
    PERIOD,
    fill,
    report_setup,
    template_bytes,
    typed_version,
    upload,
)

pytestmark = pytest.mark.django_db


def commit(user, job):
    import_job_confirm(acting_user=user, job=job, enqueue=False)
    return import_job_commit(job_id=job.pk)


def stored(unit, period=PERIOD) -> dict:
    submission = Submission.objects.get(org_unit=unit, period=period)
    return submission.current_revision.values


def test_dry_run_shows_each_cell_and_stores_nothing():
    # given a filled template (row 02 is sheet row 13, column 2 is E)
    setup = report_setup()
    data = fill(template_bytes(setup.version, setup.unit), {"E13": 5, "F13": 2})

    # when it is uploaded
    job = upload(setup.reporter, data)

    # then the dry run says what would be created, and nothing is stored
    assert job.status == ImportJobStatus.PREVIEW
    assert job.summary["status"] == "SUCCESS"
    assert job.summary["dry_run"] is True
    assert job.summary["counts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "ignored": 0,
    }
    report = job.reports.get()
    assert report.cells["02:2"] == ["created", "5", "", "E13"]
    assert not Submission.objects.exists()
    assert not Revision.objects.exists()


def test_commit_makes_one_excel_revision_and_reupload_creates_nothing():
    setup = report_setup()
    data = fill(template_bytes(setup.version, setup.unit), {"E13": 5, "F15": 7})
    job = commit(setup.reporter, upload(setup.reporter, data))

    assert job.status == ImportJobStatus.DONE
    assert job.summary["dry_run"] is False
    assert job.summary["counts"]["created"] == 2
    revision = Revision.objects.get()
    assert revision.source == "excel"
    assert revision.created_by == setup.reporter
    assert revision.values["02:2"] == "5"
    assert revision.values["04:3"] == "7"
    assert revision.values["01:2"] == "5"  # computed by the form: 02 + 04 + 05
    assert job.reports.get().revision_number == 1
    assert job.file.read() == data  # the original is kept for the audit

    # when the same file is uploaded again
    again = upload(setup.reporter, data)
    assert again.summary["counts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "ignored": 0,
    }
    again = commit(setup.reporter, again)

    # then it reports "unchanged" and creates nothing
    assert again.summary["counts"]["unchanged"] == 2
    assert Revision.objects.count() == 1
    assert again.reports.get().status == ImportReportStatus.UNCHANGED


def test_updated_values_and_blank_cells_keep_what_is_stored():
    setup = report_setup()
    commit(
        setup.reporter,
        upload(
            setup.reporter,
            fill(template_bytes(setup.version, setup.unit), {"E13": 5, "F13": 3}),
        ),
    )

    job = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E13": 6})
    )

    assert job.reports.get().cells["02:2"] == ["updated", "6", "5", "E13"]
    commit(setup.reporter, job)
    values = stored(setup.unit)
    assert values["02:2"] == "6"
    assert values["02:3"] == "3"


def test_a_foreign_unit_is_refused_by_name():
    # given the template of a commune the reporter does not report for
    setup = report_setup()
    foreign = setup.tree.other_commune
    data = fill(template_bytes(setup.version, foreign), {"E13": 5})

    job = upload(setup.reporter, data)

    assert job.status == ImportJobStatus.REFUSED
    assert job.summary["status"] == "ERROR"
    (conflict,) = job.summary["conflicts"]
    assert conflict["code"] == "unit_not_permitted"
    assert foreign.name in conflict["message"] and foreign.code in conflict["message"]
    assert conflict["unit"] == foreign.code
    assert not Submission.objects.exists()


def test_rows_inserted_and_sorted_still_map_by_their_code():
    setup = report_setup()

    def reorder(sheet):
        # a row typed in between, then rows 04 (sheet row 15) and 02 (13) swapped
        for column in "ABCDEFGH":
            sheet[f"{column}13"].value, sheet[f"{column}15"].value = (
                sheet[f"{column}15"].value,
                sheet[f"{column}13"].value,
            )
        sheet.insert_rows(14)
        sheet["A14"] = "Dòng người dùng thêm"
        sheet["B14"] = "99"
        sheet["E14"] = 1000

    data = fill(
        template_bytes(setup.version, setup.unit), {"E13": 40, "E15": 20}, edit=reorder
    )
    job = upload(setup.reporter, data)
    report = job.reports.get()

    # row 04 now sits in sheet row 13, row 02 in row 16 (after the inserted row)
    assert report.cells["04:2"][1:] == ["20", "", "E13"]
    assert report.cells["02:2"][1:] == ["40", "", "E16"]
    assert [c["code"] for c in job.summary["conflicts"]] == ["row_unknown"]
    assert job.summary["counts"]["ignored"] == 1
    commit(setup.reporter, job)
    values = stored(setup.unit)
    assert (values["02:2"], values["04:2"]) == ("40", "20")


def test_bad_cells_are_named_and_keep_their_report_out():
    setup = report_setup()
    data = fill(
        template_bytes(setup.version, setup.unit),
        {"E13": "abc", "F13": 2.5, "G13": "1.5e3", "E15": 4},
    )
    job = upload(setup.reporter, data)

    conflicts = {c["cell"]: c for c in job.summary["conflicts"]}
    assert set(conflicts) == {"E13", "F13", "G13"}
    assert conflicts["E13"]["row_code"] == "02" and conflicts["E13"]["column"] == 2
    assert conflicts["E13"]["value"] == "abc"
    assert conflicts["F13"]["code"] == "not_whole"
    assert job.reports.get().cells["02:2"][0] == "rejected"
    assert job.status == ImportJobStatus.REFUSED


def test_formula_without_saved_result_in_an_input_cell_is_reported():
    setup = report_setup()
    data = fill(template_bytes(setup.version, setup.unit), {"E13": "=2+3"})
    job = upload(setup.reporter, data)
    (conflict,) = job.summary["conflicts"]
    assert (conflict["code"], conflict["cell"]) == ("formula_without_value", "E13")


def test_typed_columns_decimal_points_and_nfd_text_round_trip():
    version = typed_version()
    setup = report_setup(version)
    # rows 01, (header), 02..05 are sheet rows 10..15; columns 1..5 are D..H
    data = fill(
        template_bytes(version, setup.unit),
        {
            "D10": 12,
            "E10": 1.234,
            "F10": "12,5%",
            "G10": "Ghi chu\u0301 =x",
            "H10": "Có",
        },
    )
    job = commit(setup.reporter, upload(setup.reporter, data))
    assert job.summary["status"] == "SUCCESS", job.summary["conflicts"]
    values = stored(setup.unit)
    assert values["01:1"] == "12"
    assert values["01:2"] == "1.234"  # not one thousand two hundred and thirty-four
    assert values["01:3"] == "12.5"
    assert values["01:4"] == "Ghi chú =x"
    assert values["01:5"] == "1"


def test_old_version_is_refused_naming_both_versions():
    setup = report_setup()
    old_template = template_bytes(setup.version, setup.unit)
    draft = form_version_start_next(acting_user=None, template=setup.version.template)
    new_version = form_version_publish(acting_user=None, version=draft)
    from tests.reporting.factories import assign

    assign(new_version, setup.tree.province, first_period="2025", grace_days=None)

    job = upload(setup.reporter, fill(old_template, {"E13": 5}))

    (conflict,) = job.summary["conflicts"]
    assert conflict["code"] == "version_outdated"
    assert "version 1" in conflict["message"] and "version 2" in conflict["message"]
    assert conflict["params"]["current_version_id"] == new_version.pk


def test_submitted_report_is_refused():
    setup = report_setup()
    submission = submission_open(
        acting_user=setup.reporter,
        form_version=setup.version,
        unit=setup.unit,
        period=PERIOD,
    )
    submission_save_draft(
        acting_user=setup.reporter,
        submission=submission,
        raw_values={"02:2": "1"},
        base_revision=0,
    )
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.APPROVED)

    job = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E13": 5})
    )

    assert [c["code"] for c in job.summary["conflicts"]] == ["report_not_editable"]


def test_someone_saving_after_the_preview_wins_and_is_reported():
    setup = report_setup()
    job = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E13": 5})
    )
    submission = submission_open(
        acting_user=setup.reporter,
        form_version=setup.version,
        unit=setup.unit,
        period=PERIOD,
    )
    submission_save_draft(
        acting_user=setup.reporter,
        submission=submission,
        raw_values={"02:2": "9"},
        base_revision=0,
    )
    job = commit(setup.reporter, job)
    assert job.reports.get().status == ImportReportStatus.CONFLICT
    assert stored(setup.unit)["02:2"] == "9"


def test_bulk_workbook_of_several_units_and_periods():
    setup = report_setup()
    from accounts.services import role_grant

    role_grant(
        acting_user=None,
        user=setup.reporter,
        unit=setup.tree.sibling_commune,
        role="reporter",
    )
    reports = [
        (setup.unit, parse_period("2025"), {"02:2": "1"}),
        (setup.tree.sibling_commune, parse_period("2025"), {"02:2": "2"}),
        (setup.unit, parse_period("2024"), {"02:2": "3", "04:5": "4"}),
    ]
    data = bulk_workbook(setup.version, reports)

    job = commit(setup.reporter, upload(setup.reporter, data))

    assert job.summary["status"] == "SUCCESS", job.summary["conflicts"]
    assert job.summary["counts"]["created"] == 4
    assert stored(setup.unit, "2025")["02:2"] == "1"
    assert stored(setup.tree.sibling_commune, "2025")["02:2"] == "2"
    assert stored(setup.unit, "2024")["04:5"] == "4"
    assert Revision.objects.filter(source="excel").count() == 3


def test_long_table_layout():
    setup = report_setup()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã biểu", "Mã đơn vị", "Kỳ", "Mã số", "Cột", "Giá trị"])
    code = setup.version.template.code
    sheet.append([code, setup.unit.code, "2025", "02", 2, 5])
    sheet.append([code, setup.unit.code, "2025", 4, 3, "1.234"])  # row code as a number
    sheet.append([code, setup.unit.code, "2025", "99", 1, 8])  # not on the form
    sheet.append([code, setup.tree.other_commune.code, "2025", "02", 2, 1])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = upload(setup.reporter, buffer.getvalue())

    codes = sorted(c["code"] for c in job.summary["conflicts"])
    assert codes == ["cell_unknown", "unit_not_permitted"]
    commit(setup.reporter, job)
    values = stored(setup.unit)
    assert (values["02:2"], values["04:3"]) == ("5", "1234")


def test_cancel_stores_nothing():
    setup = report_setup()
    job = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E13": 5})
    )
    job = import_job_cancel(acting_user=setup.reporter, job=job)
    assert job.status == ImportJobStatus.CANCELLED
    assert not Submission.objects.exists()


def test_another_users_upload_cannot_be_confirmed():
    setup = report_setup()
    job = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E13": 5})
    )
    intruder = make_user(role="reporter", unit=setup.unit)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_job_confirm(acting_user=intruder, job=job, enqueue=False)


def test_export_escapes_formula_text_and_uploads_back_unchanged():
    version = typed_version("T06.N/THU-NGHIEM")
    setup = report_setup(version)
    dangerous = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\x00\tNUL"]
    codes = ["01", "02", "03", "04", "05"]
    values = {f"{code}:4": text for code, text in zip(codes, dangerous, strict=True)}
    data = report_workbook(version, setup.unit, parse_period(PERIOD), values)

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [sheet[f"G{row}"] for row in (10, 12, 13, 14, 15)]
    assert all(cell.value.startswith("'") for cell in cells)
    assert all(cell.data_type == "s" for cell in cells)
    assert escape_text("plain") == "plain"

    job = commit(setup.reporter, upload(setup.reporter, data))
    stored_values = stored(setup.unit)
    assert stored_values["01:4"] == dangerous[0]
    assert stored_values["04:4"] == "@SUM(A1)"
    assert stored_values["05:4"] == "NUL"
    assert job.summary["counts"]["created"] == 5


def test_summary_is_json_serialisable_with_dhis2_keys():
    setup = report_setup()
    job = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E13": "x"})
    )
    summary = json.loads(json.dumps(job.summary))
    assert {"status", "counts", "conflicts"} <= set(summary)
    assert set(summary["conflicts"][0]) >= {
        "sheet",
        "cell",
        "unit",
        "period",
        "row_code",
        "column",
        "value",
        "message",
    }
    assert Decimal(1)  # keeps the import used
