"""The direct import (operators, scripts): one pass, the same outcome as the web's
dry run + confirm + commit."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from openpyxl import Workbook

from accounts.services import role_grant
from imports.direct import import_workbook_direct
from imports.models import ImportJobStatus
from imports.services import import_job_commit, import_job_confirm
from reporting.models import Revision
from tests.imports.corpus import hostile_corpus
from tests.imports.factories import report_setup, typed_version, upload

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _long_table(setup, *, extra_lines=()) -> bytes:
    """A long table for the reporter's commune and its sibling (for which the
    reporter does not report), with a bad value and a cell the form lacks."""
    form = setup.version.template.code
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã biểu", "Mã đơn vị", "Kỳ", "Mã số", "Cột", "Giá trị"])
    for unit in (setup.unit, setup.tree.sibling_commune):
        for period in ("2024", "2025"):
            sheet.append([form, unit.code, period, "02", 2, 12])
            sheet.append([form, unit.code, period, "04", 5, 7])
    sheet.append([form, setup.unit.code, "2025", "02", 3, "mười"])
    sheet.append([form, setup.unit.code, "2025", "99", 2, 4])
    for line in extra_lines:
        sheet.append([form, *line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _direct(user, data: bytes, name: str = "bang-dai.xlsx"):
    return import_workbook_direct(
        acting_user=user,
        uploaded_file=SimpleUploadedFile(name, data),
        language="en",
    )


def _two_step(user, data: bytes, name: str = "bang-dai.xlsx"):
    job = upload(user, data, name)
    if job.status == ImportJobStatus.PREVIEW:
        import_job_confirm(acting_user=user, job=job, enqueue=False)
        job = import_job_commit(job_id=job.pk)
    return job


def _stored() -> list[tuple]:
    return sorted(
        (
            r.submission.org_unit.code,
            r.submission.period,
            r.number,
            r.source,
            r.values,
        )
        for r in Revision.objects.select_related("submission__org_unit")
    )


def _without_job(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in {"sha256", "file"}}


def test_the_direct_import_gives_the_two_step_flows_summary_and_revisions():
    # given a long table with good values, a refused value, an unknown cell and a
    # unit the uploader does not report for
    setup = report_setup()
    data = _long_table(setup)

    # when it is imported through the web's two steps (then undone) ...
    try:
        with transaction.atomic():
            two_step = _two_step(setup.reporter, data)
            two_step_summary, two_step_stored = two_step.summary, _stored()
            raise _Undo
    except _Undo:
        pass
    assert not Revision.objects.exists()
    # ... and directly
    job = _direct(setup.reporter, data)

    # then the summary and the stored revisions are the same
    assert job.status == ImportJobStatus.DONE
    assert _without_job(job.summary) == _without_job(two_step_summary)
    assert _stored() == two_step_stored
    # 2024 of the commune is imported; its 2025 holds a bad value, so none of it is
    assert job.summary["counts"]["created"] == 2
    assert job.summary["counts"]["ignored"] == 8
    codes = sorted(c["code"] for c in job.summary["conflicts"])
    assert "unit_not_permitted" in codes and "cell_unknown" in codes
    assert len(two_step_stored) == 1  # 2025 is refused as a whole: a bad value
    job.refresh_from_db()
    assert not any(row.cells for row in job.reports.all())  # no preview kept


def test_a_second_direct_import_of_the_same_file_changes_nothing():
    # given a long table imported once
    setup = report_setup()
    role_grant(
        acting_user=None,
        user=setup.reporter,
        unit=setup.tree.sibling_commune,
        role="reporter",
    )
    data = _long_table(setup)
    first = _direct(setup.reporter, data)
    stored = _stored()

    # when the same file is imported again
    again = _direct(setup.reporter, data)

    # then every value is unchanged and no revision is added
    assert first.summary["counts"]["created"] == 6
    assert again.status == ImportJobStatus.DONE
    assert again.summary["counts"]["created"] == 0
    assert again.summary["counts"]["updated"] == 0
    assert again.summary["counts"]["unchanged"] == 6
    assert _stored() == stored


def test_an_updated_value_makes_a_new_revision():
    # given a long table imported once, then a file changing one of its values
    setup = report_setup()
    form = setup.version.template.code
    _direct(setup.reporter, _long_table(setup))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã biểu", "Mã đơn vị", "Kỳ", "Mã số", "Cột", "Giá trị"])
    sheet.append([form, setup.unit.code, "2024", "02", 2, 13])
    buffer = io.BytesIO()
    workbook.save(buffer)

    # when it is imported directly
    job = _direct(setup.reporter, buffer.getvalue())

    # then one value is updated, the other kept, in a second revision
    assert job.summary["counts"]["updated"] == 1
    revision = Revision.objects.filter(submission__period="2024").latest("number")
    assert revision.number == 2
    assert revision.values["02:2"] == "13"
    assert revision.values["04:5"] == "7"


# The empty and the too large file are refused before they are stored, by
# import_job_create (its own tests); every other hostile file is stored and read.
STORED_HOSTILE = [
    case for case in hostile_corpus() if case[3] not in {"file_empty", "file_too_large"}
]


@pytest.mark.parametrize("case", STORED_HOSTILE, ids=[c[0] for c in STORED_HOSTILE])
def test_hostile_files_are_refused_by_the_direct_import(case):
    # given a hostile or unreadable file
    setup = report_setup()
    _name, filename, data, code = case

    # when it is imported directly
    job = _direct(setup.reporter, data, filename)

    # then it is refused with the dry run's reason and nothing is stored
    assert job.status == ImportJobStatus.REFUSED
    assert job.summary["status"] == "ERROR"
    assert [c["code"] for c in job.summary["conflicts"]][:1] == [code]
    assert not Revision.objects.exists()


def test_the_command_imports_in_one_pass(tmp_path, capsys):
    # given a long table on disk
    setup = report_setup()
    path = tmp_path / "bang-dai.xlsx"
    path.write_bytes(_long_table(setup))

    # when the command imports it without --dry-run
    call_command("import_workbook", str(path), user=setup.reporter.username)

    # then it is imported without a preview step
    out = capsys.readouterr().out
    assert "(imported)" in out and "created 2" in out
    assert Revision.objects.get().source == "excel"


def _typed_only(version, current, imported, *, grid=None, specs=None, numbers=None):
    """The values handed on before canonical numbers were: every input value as
    the web form sends it, numbers with a decimal comma (the reference)."""
    from forms.definition.model import CellState

    merged = {}
    for cell, text in {**current, **imported}.items():
        spec = specs.get(cell)
        if spec is None:  # not by its usual name: "01:02" is cell 01:2 too
            row, _sep, column = cell.rpartition(":")
            spec = grid.get((row, int(column))) if column.isdigit() else None
        if spec is None or spec.state is not CellState.INPUT:
            continue
        merged[cell] = text.replace(".", ",") if spec.data_type.is_numeric else text
    return {}, merged


def test_canonical_numbers_handed_on_store_what_typed_ones_stored(monkeypatch):
    # given a long table of whole numbers, decimals, percents, text and yes/no,
    # canonical or not, for a form of every data type
    version = typed_version("T05.N/CANONICAL")
    setup = report_setup(version)
    form = version.template.code
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã biểu", "Mã đơn vị", "Kỳ", "Mã số", "Cột", "Giá trị"])
    lines = [
        ("02", 1, 12),
        ("02", 2, 12.5),
        ("02", 3, 0.25),
        ("02", 4, "ghi chú 1.5"),
        ("02", 5, "Có"),
        ("04", 1, 0),
        ("04", 2, -3.75),
        ("04", 3, 100),
    ]
    for row, column, value in lines:
        sheet.append([form, setup.unit.code, "2025", row, column, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    # when it is imported with every value handed on as typed (then undone) ...
    try:
        with transaction.atomic(), monkeypatch.context() as patch:
            patch.setattr("imports.commit.handed_on_values", _typed_only)
            before = _direct(setup.reporter, data)
            typed = [(r.values, r.digest) for r in Revision.objects.all()]
            raise _Undo
    except _Undo:
        pass
    # ... and with canonical numbers handed on as they are
    job = _direct(setup.reporter, data)

    # then the same revision is stored, byte for byte, with the same summary
    stored = [(r.values, r.digest) for r in Revision.objects.all()]
    assert len(stored) == 1 and stored[0][0], job.summary["conflicts"]
    assert stored == typed
    assert _without_job(job.summary) == _without_job(before.summary)
    assert stored[0][0]["02:2"] == "12.5"


def test_numbers_all_canonical_are_handed_on_as_the_cell_by_cell_split_does():
    import random

    from forms.definition.grid import cell_grid
    from imports.commit import handed_on_values
    from reporting.bulk_services import NumberCells
    from reporting.services import cell_specs

    # given a form with whole-number, decimal, percent, text and yes/no cells
    version = typed_version()
    grid = cell_grid(version.form_definition)
    specs = cell_specs(grid)
    numbers = NumberCells.of(specs)

    class CellByCell(NumberCells):
        def all_canonical(self, values):
            return False  # every value judged on its own

    nothing = CellByCell(numbers.integers, numbers.numbers)
    rows = sorted({row for row, _column in grid})
    texts = ["12", "-3", "0", "12.5", "0.25", "1.234", "007", "1,5", "ghi chú", "1"]
    rng = random.Random(4)
    taken = 0
    for _attempt in range(400):
        # when values of the file and of the stored revision, mostly canonical
        # numbers in number cells, sometimes not, are handed on
        cells = [f"{rng.choice(rows)}:{rng.choice([1, 2, 3, 4, 5, 9])}"]
        cells += [f"{rng.choice(rows)}:{rng.choice([1, 2, 3])}" for _ in range(6)]
        canonical_only = rng.random() < 0.5
        pick = (
            (lambda: rng.choice(["12", "-3", "0"]))
            if canonical_only
            else (lambda: rng.choice(texts))
        )
        current = {cell: pick() for cell in cells[: rng.randrange(0, 4)]}
        imported = {cell: pick() for cell in cells[rng.randrange(0, 4) :]}
        fast = handed_on_values(
            version, current, imported, grid=grid, specs=specs, numbers=numbers
        )
        slow = handed_on_values(
            version, current, imported, grid=grid, specs=specs, numbers=nothing
        )
        # then both ways split them alike
        assert fast == slow
        taken += numbers.all_canonical({**current, **imported})
    # and the quick check was answered both ways
    assert 50 < taken < 400


def test_a_value_holding_a_line_feed_is_never_taken_for_canonical_numbers():
    from reporting.bulk_services import NumberCells

    numbers = NumberCells(
        integers=frozenset({"01:1", "01:2"}),
        numbers=frozenset({"01:1", "01:2", "01:3"}),
    )
    # the lines of all values are checked joined: a value may not pass as two
    assert numbers.all_canonical({"01:1": "12", "01:2": "-3", "01:3": "0.25"})
    assert not numbers.all_canonical({"01:1": "1\n2", "01:3": "0.25"})
    assert not numbers.all_canonical({"01:1": "12", "01:3": "0.25\n7"})
    assert not numbers.all_canonical({"01:1": "0.5"})  # a fraction in a whole cell
    assert not numbers.all_canonical({"01:1": "007"})
    assert not numbers.all_canonical({"01:4": "1"})  # no number input cell
