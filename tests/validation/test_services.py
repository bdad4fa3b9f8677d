"""Rules of the real forms catch seeded errors in real-looking data and pass clean data."""

import datetime

import pytest

from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE
from reporting.models import Submission
from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.reporting.factories import assign, catalog_version
from validation.models import ValidationRule
from validation.services import revision_validate, values_check, values_check_bulk

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)
CLEAN = {
    "02:2": "120",
    "03:2": "15",
    "04:2": "30",
    "05:2": "12",
    "06:2": "2",
    "07:2": "10",
    "11:2": "100",
}


@pytest.fixture
def report():
    version = catalog_version()
    national = OrgUnit.objects.get(level__code="national")
    assign(version, national, level="province", first_period="2025")
    province = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    reporter = make_user(role="reporter", unit=province)
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=province, period="2025"
    )
    return reporter, submission


def save(reporter, submission, values):
    return submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=values,
        base_revision=submission.revision_count,
        today=DAY,
    ).revision


def test_clean_real_data_passes_the_declared_rules(report):
    reporter, submission = report
    result = revision_validate(revision=save(reporter, submission, CLEAN))
    assert result.violations == [] and result.errors == 0


def test_an_of_which_row_above_its_parent_is_caught_at_its_cell(report):
    reporter, submission = report
    seeded = {**CLEAN, "03:2": "150"}  # "Trong đó: Doanh nghiệp" 150 > "Tập thể" 120
    result = revision_validate(revision=save(reporter, submission, seeded))
    # Column 2 as typed, and column 1, whose total the form computes from it
    assert sorted(v["column"] for v in result.violations) == [1, 2]
    assert result.errors == 2
    violation = next(v for v in result.violations if v["column"] == 2)
    assert (violation["rule"], violation["row"], violation["column"]) == (
        "TD03",
        None,
        2,
    )
    assert (violation["left"], violation["right"]) == ("150", "120")
    assert {(c["row"], c["column"]) for c in violation["cells"]} == {
        ("03", 2),
        ("02", 2),
    }
    assert "03" in violation["message"] and "150" in violation["message"]


def test_designed_rules_run_with_the_declared_ones(report):
    reporter, submission = report
    ValidationRule.objects.create(
        template=submission.template,
        code="R1",
        name="Phương thức khen thưởng đủ tổng số",
        left="[01:2]",
        operator="==",
        right="[11..17:2]",
        importance="warning",
        message="Tổng số ({left}) khác tổng theo phương thức ({right})",
    )
    violations = values_check(
        submission=submission, values={"02:2": "10", "11:2": "4", "01:2": "10"}
    )
    assert [
        (v["rule"], v["importance"], v["left"], v["right"]) for v in violations
    ] == [("R1", "warning", "10", "4")]


def test_previous_period_values_are_fetched(report):
    reporter, submission = report
    ValidationRule.objects.create(
        template=submission.template,
        code="TANG",
        name="Không giảm quá một nửa",
        left="[01:1]",
        operator=">=",
        right="previous([01:1]) / 2",
        importance="warning",
        message="{left} < {right}",
    )
    earlier = submission_open(
        acting_user=reporter,
        form_version=submission.form_version,
        unit=submission.org_unit,
        period="2025",
    )
    assert earlier.pk == submission.pk
    save(reporter, submission, CLEAN)  # 2025: total 01:1 = 162
    later = submission_open(
        acting_user=reporter,
        form_version=submission.form_version,
        unit=submission.org_unit,
        period="2026",
    )
    violations = values_check(submission=later, values={"02:2": "20"})
    assert [(v["rule"], v["left"], v["right"]) for v in violations] == [
        ("TANG", "20", "81")
    ]


def test_values_check_bulk_says_what_values_check_says_of_each_report(report):
    # given a rule, a saved report, and a report not opened yet
    reporter, submission = report
    ValidationRule.objects.create(
        template=submission.template,
        code="R1",
        name="Phương thức khen thưởng đủ tổng số",
        left="[01:2]",
        operator="==",
        right="[11..17:2]",
        importance="warning",
        message="Tổng số ({left}) khác tổng theo phương thức ({right})",
    )
    save(reporter, submission, CLEAN)
    unsaved = Submission(
        template=submission.template,
        form_version=submission.form_version,
        org_unit=submission.org_unit,
        period="2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
    )
    items = [
        (submission, {"02:2": "10", "11:2": "4", "01:2": "10"}),
        (unsaved, {"02:2": "10", "11:2": "10"}),
        (unsaved, {"02:2": "10", "11:2": "3"}),
    ]

    # when they are checked together
    found = values_check_bulk(items=items)

    # then each report gets what it gets alone
    assert found == [
        values_check(submission=item, values=values) for item, values in items
    ]
    assert [len(violations) for violations in found] == [1, 0, 1]
