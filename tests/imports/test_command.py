"""python manage.py import_workbook prints the same summary as the page."""

import json

import pytest
from django.core.management import CommandError, call_command

from reporting.models import Revision
from tests.imports.factories import fill, report_setup, template_bytes

pytestmark = pytest.mark.django_db


def test_dry_run_then_import_with_json(tmp_path, capsys):
    setup = report_setup()
    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(fill(template_bytes(setup.version, setup.unit), {"E13": 5}))

    call_command(
        "import_workbook",
        str(path),
        user=setup.reporter.username,
        dry_run=True,
        json=True,
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["dry_run"] is True
    assert summary["counts"]["created"] == 1
    assert not Revision.objects.exists()

    call_command("import_workbook", str(path), user=setup.reporter.username)
    out = capsys.readouterr().out
    assert "created 1" in out and "committed" in out
    assert Revision.objects.get().source == "excel"


def test_a_refused_file_exits_with_an_error(tmp_path, capsys):
    setup = report_setup()
    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook")
    with pytest.raises(CommandError):
        call_command("import_workbook", str(path), user=setup.reporter.username)
    assert "PDF" in capsys.readouterr().out
