"""The round trip through a real spreadsheet program: the template generated here,
filled in, opened and saved again by LibreOffice, uploads exactly the values filled."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from forms.definition.grid import cell_grid
from forms.definition.layout import SheetLayout
from forms.definition.model import CellState
from reporting.models import Submission
from tests.imports.factories import fill, report_setup, template_bytes, upload
from tests.imports.test_services import commit

pytestmark = [pytest.mark.django_db, pytest.mark.libreoffice]


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        message = "LibreOffice (soffice) is missing: run scripts/system-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def resave(data: bytes, tmp_path: Path) -> bytes:
    """Open and save ``data`` with a headless LibreOffice of its own profile."""
    source = tmp_path / "filled.xlsx"
    source.write_bytes(data)
    out = tmp_path / "resaved"
    out.mkdir()
    result = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    converted = out / "filled.xlsx"
    assert converted.exists(), result.stdout + result.stderr
    return converted.read_bytes()


def test_a_template_resaved_by_libreoffice_uploads_exactly_what_was_filled(tmp_path):
    # given the template of a commune, every input cell filled with its own figure
    setup = report_setup()
    definition = setup.version.form_definition
    layout = SheetLayout.for_definition(definition)
    filled = {
        key: 100 * index + key[1]
        for index, (key, spec) in enumerate(cell_grid(definition).items(), start=1)
        if spec.state is CellState.INPUT
    }
    data = fill(
        template_bytes(setup.version, setup.unit),
        {layout.address(*key): value for key, value in filled.items()},
    )

    # when LibreOffice opens and saves it, and it is uploaded
    job = upload(setup.reporter, resave(data, tmp_path))

    # then the dry run finds exactly the figures filled, and no problem with the file
    # (the figures are arbitrary, so the form's own rules may warn about them: that is
    # the validation preview, which does not block the import)
    file_problems = [
        conflict
        for conflict in job.summary["conflicts"]
        if not conflict["code"].startswith("validation_")
    ]
    assert file_problems == []
    assert job.summary["counts"]["created"] == len(filled)
    job = commit(setup.reporter, job)
    values = Submission.objects.get().current_revision.values
    assert {key: values[f"{key[0]}:{key[1]}"] for key in filled} == {
        key: str(value) for key, value in filled.items()
    }
    # and the totals LibreOffice computed agree with the form's
    assert not [c for c in job.summary["conflicts"] if c["code"] == "total_differs"]
