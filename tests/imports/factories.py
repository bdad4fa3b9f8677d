"""Reports and workbooks for upload tests: a form assigned to test units, its
template filled in as an officer would, and hostile files."""

import io
import json
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from forms.definition.periods import parse_period
from forms.models import FormVersion
from forms.rendering.excel import template_xlsx
from forms.services import form_import
from imports.models import ImportJob
from imports.services import import_job_create, import_job_parse
from orgunits.models import OrgUnit
from tests.factories import make_user
from tests.orgunits.factories import SmallTree, make_small_tree
from tests.reporting.factories import CATALOG, assign, catalog_version

PERIOD = "2025"


@dataclass
class Setup:
    version: FormVersion
    tree: SmallTree
    reporter: object

    @property
    def unit(self) -> OrgUnit:
        return self.tree.commune


def report_setup(version: FormVersion | None = None) -> Setup:
    """A form reported by every commune of a small test tree, and a reporter of
    the first commune."""
    version = version or catalog_version()
    tree = make_small_tree()
    assign(version, tree.province, first_period="2024", grace_days=None)
    reporter = make_user(role="reporter", unit=tree.commune)
    return Setup(version, tree, reporter)


def typed_version(code: str = "T05.N/THU-NGHIEM") -> FormVersion:
    """A yearly form with integer, decimal, percent, text and yes/no columns."""
    document = json.loads((CATALOG / "0604.N_BNV-TDKT.form.json").read_text())
    document.update(code=code, title=f"Biểu thử nghiệm {code}")
    document["columns"] = [
        {"number": 1, "label": "Số người"},
        {
            "number": 2,
            "label": "Diện tích",
            "data_type": "decimal",
            "decimal_places": 2,
        },
        {"number": 3, "label": "Tỷ lệ", "data_type": "percent", "decimal_places": 1},
        {"number": 4, "label": "Ghi chú", "data_type": "text"},
        {"number": 5, "label": "Đạt", "data_type": "boolean"},
    ]
    version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    return version


def template_bytes(version, unit, period=PERIOD, **options) -> bytes:
    return template_xlsx(version, unit=unit, period=parse_period(period), **options)


def fill(data: bytes, values: dict[str, object], edit=None) -> bytes:
    """Return the workbook ``data`` with ``values`` typed at their addresses of the
    first sheet ("E13": 12) and ``edit(sheet)`` applied, saved by openpyxl."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for where, value in values.items():
        sheet[where] = value
    if edit is not None:
        edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(user, data: bytes, name: str = "bao-cao.xlsx", form=None) -> ImportJob:
    """Store ``data`` as an upload of ``user`` and read it (the dry run)."""
    job = import_job_create(
        acting_user=user,
        uploaded_file=SimpleUploadedFile(name, data),
        form=form,
        language="en",
    )
    return import_job_parse(job_id=job.pk)
