"""Checking typed values from the entry grid, outliers against the unit's history,
and explaining warnings: through the views, with the real database."""

import datetime
import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse

from forms.definition.grid import cell_grid
from forms.definition.model import CellState
from forms.definition.periods import parse_period
from forms.services import form_import
from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE
from reporting.models import Revision
from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.reporting.factories import (
    CATALOG,
    assign,
    catalog_version,
    monthly_version,
)
from validation.engine import outliers
from validation.models import OutlierPolicy, ValidationRule, WarningExplanation
from validation.selectors import violation_cell_key
from validation.services import outliers_check, revision_validate

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)
CLEAN = {"02:2": "120", "03:2": "15", "04:2": "30", "11:2": "100"}


def province(code="01"):
    return OrgUnit.objects.get(
        level__code="province", code=code, valid_from=REFORM_DATE
    )


@pytest.fixture
def report():
    version = catalog_version()
    assign(version, OrgUnit.objects.get(level__code="national"), level="province",
           first_period="2025")  # fmt: skip
    reporter = make_user(role="reporter", unit=province())
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=province(), period="2025"
    )
    return reporter, submission


def check_url(submission):
    return reverse("validation:live_check", args=[submission.pk])


def test_typed_values_get_their_violations_and_nothing_is_saved(client, report):
    # given a reporter on an empty draft
    reporter, submission = report
    client.force_login(reporter)

    # when the grid sends an "of which" row above its parent
    response = client.post(
        check_url(submission),
        json.dumps({"values": {**CLEAN, "03:2": "150"}}),
        content_type="application/json",
    )

    # then the violation comes back, at its cells, in Vietnamese
    assert response.status_code == 200
    violations = response.json()["violations"]
    typed = next(v for v in violations if v["column"] == 2)
    assert typed["rule"] == "TD03" and typed["importance"] == "error"
    assert {(c["row"], c["column"]) for c in typed["cells"]} == {("03", 2), ("02", 2)}
    assert "150" in typed["message"]
    # and nothing was saved
    assert not Revision.objects.filter(submission=submission).exists()


def test_clean_typed_values_have_no_violations(client, report):
    reporter, submission = report
    client.force_login(reporter)
    response = client.post(
        check_url(submission),
        json.dumps({"values": CLEAN}),
        content_type="application/json",
    )
    assert response.json() == {"violations": []}


def test_a_report_of_another_unit_is_not_found(client, report):
    # given a reporter of another province
    _reporter, submission = report
    client.force_login(make_user(role="reporter", unit=province("79")))

    # when they check or explain on the first province's report
    checked = client.post(
        check_url(submission),
        json.dumps({"values": {}}),
        content_type="application/json",
    )
    explained = client.post(
        reverse("validation:explain", args=[submission.pk]),
        {"rule": "R1", "cell": "01:2", "text": "Đúng"},
    )

    # then neither finds it
    assert (checked.status_code, explained.status_code) == (404, 404)


def test_a_reviewer_sees_results_but_cannot_explain(client, report):
    # given a submitted revision with a warning
    reporter, submission = report
    ValidationRule.objects.create(
        template=submission.template, code="R1", name="Phương thức",
        left="[01:2]", operator="==", right="[11..17:2]", importance="warning",
        message="Tổng số ({left}) khác tổng theo phương thức ({right})",
    )  # fmt: skip
    revision = submission_save_draft(
        acting_user=reporter, submission=submission, raw_values={**CLEAN, "11:2": "7"},
        base_revision=0, today=DAY,
    ).revision  # fmt: skip
    revision_validate(revision=revision)
    reviewer = make_user(
        role="reviewer", unit=OrgUnit.objects.get(level__code="national")
    )
    client.force_login(reviewer)

    # when the reviewer opens the report and tries to explain the warning
    page = client.get(
        reverse(
            "reporting:entry",
            args=[submission.template_id, submission.org_unit_id, submission.period],
        )
    )
    explained = client.post(
        reverse("validation:explain", args=[submission.pk]),
        {"rule": "R1", "cell": "", "text": "Đúng"},
    )

    # then the warning shows, without an explain field, and the explanation is refused
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tổng số (150) khác tổng theo phương thức (7)" in html
    assert "explain-form" not in html
    assert explained.status_code == 403
    assert not WarningExplanation.objects.exists()


def test_the_reporter_explains_a_warning_on_the_entry_page(client, report):
    reporter, submission = report
    ValidationRule.objects.create(
        template=submission.template, code="R1", name="Phương thức",
        left="[01:2]", operator="==", right="[11..17:2]", importance="warning",
        message="Tổng số ({left}) khác tổng theo phương thức ({right})",
    )  # fmt: skip
    revision = submission_save_draft(
        acting_user=reporter, submission=submission, raw_values={**CLEAN, "11:2": "7"},
        base_revision=0, today=DAY,
    ).revision  # fmt: skip
    result = revision_validate(revision=revision)
    warning = result.violations[0]
    cell = violation_cell_key(warning)
    client.force_login(reporter)

    response = client.post(
        reverse("validation:explain", args=[submission.pk]),
        {"rule": "R1", "cell": cell, "text": "Khen thưởng đột xuất chưa phân loại"},
    )

    assert response.status_code == 302
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert "Khen thưởng đột xuất chưa phân loại" in page
    assert WarningExplanation.objects.get().written_by == reporter


def test_outliers_against_a_synthetic_history_are_warnings():
    # given a monthly form with six months of history for cell 02:2
    version = monthly_version()
    unit = province()
    assign(version, OrgUnit.objects.get(level__code="national"), level="province",
           first_period="2025M08")  # fmt: skip
    reporter = make_user(role="reporter", unit=unit)
    history = ["10", "12", "11", "13", "14", "12"]
    for month, value in zip(
        ["2025M08", "2025M09", "2025M10", "2025M11", "2025M12", "2026M01"],
        history,
        strict=True,
    ):
        earlier = submission_open(
            acting_user=reporter, form_version=version, unit=unit, period=month
        )
        submission_save_draft(
            acting_user=reporter, submission=earlier, raw_values={"02:2": value},
            base_revision=0,
            today=parse_period(month).end + datetime.timedelta(days=1),
        )  # fmt: skip
    OutlierPolicy.objects.create(
        template=version.template, z_score=3, modified_z_score=Decimal("3.5"),
        change_percent=50, history_periods=6,
    )  # fmt: skip
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=unit, period="2026M02"
    )

    # when 20 is typed
    found = outliers_check(submission=submission, values={"02:2": "20"})

    # then (by hand) mean 12, sample sd sqrt(10 / 5) = 1.4142: z = 8 / 1.4142 = 5.66;
    # median 12, MAD 1: modified z = 0.6745 x 8 = 5.40; +66.67% against 12
    assert outliers.z_score(Decimal(20), [Decimal(v) for v in history]).quantize(
        Decimal("0.01")
    ) == Decimal("5.66")
    by_code = {v["rule"]: v for v in found}
    assert set(by_code) == {"OUTLIER_Z", "OUTLIER_MZ", "OUTLIER_PREV"}
    assert all(v["importance"] == "warning" for v in found)
    assert all((v["row"], v["column"]) == ("02", 2) for v in found)
    assert "5.66" in by_code["OUTLIER_Z"]["message"]
    assert "Dòng 02, cột 2" in by_code["OUTLIER_Z"]["message"]
    assert "5.4" in by_code["OUTLIER_MZ"]["message"]
    assert "66.67%" in by_code["OUTLIER_PREV"]["message"]

    # and a usual figure raises nothing
    assert outliers_check(submission=submission, values={"02:2": "12"}) == []


def big_version():
    """Return a yearly form of 61 rows by 5 columns (305 cells): 30 parents, each
    with an "of which" row, a total row and a total column."""
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    parents = [f"{2 + 2 * i:02d}" for i in range(30)]
    rows = [{"code": "01", "label": "Tổng số", "bold": True,
             "formula": " + ".join(parents)}]  # fmt: skip
    for parent in parents:
        rows.append({"code": parent, "label": f"Chỉ tiêu {parent}", "indent": 2})
        rows.append({"code": f"{int(parent) + 1:02d}", "label": "Trong đó",
                     "indent": 3, "of_which": True})  # fmt: skip
    document.update(code="T300.N/THU-NGHIEM", title="Biểu 305 ô", rows=rows)
    version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    return version


def test_the_check_answers_within_300_ms_for_a_300_cell_form(client):
    # given a 305-cell form with every input cell typed
    version = big_version()
    assign(version, OrgUnit.objects.get(level__code="national"), level="province",
           first_period="2025")  # fmt: skip
    reporter = make_user(role="reporter", unit=province())
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=province(), period="2025"
    )
    grid = cell_grid(version.form_definition)
    values = {
        f"{row}:{column}": str(index % 7)
        for index, ((row, column), spec) in enumerate(sorted(grid.items()))
        if spec.state is CellState.INPUT
    }
    client.force_login(reporter)
    body = json.dumps({"values": values})
    client.post(check_url(submission), body, content_type="application/json")

    # when the grid asks five times
    timings = []
    for _attempt in range(5):
        started = time.perf_counter()
        response = client.post(
            check_url(submission), body, content_type="application/json"
        )
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200

    # then the best answer (the machine is shared) comes within 300 ms, with the
    # "of which" rows above their parents found
    assert len(grid) >= 300
    assert response.json()["violations"]
    assert min(timings) < 0.3, timings
