"""Drafts, revisions, conflicts, restore, submission and receipts on real PostgreSQL."""

import datetime

import pytest

from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE
from reporting.models import Revision, SubmissionStatus
from reporting.services import (
    SubmissionConflict,
    SubmissionNotEditable,
    SubmissionValuesInvalid,
    submission_open,
    submission_restore,
    submission_save_draft,
)
from tests.factories import make_user
from tests.reporting.factories import assign, catalog_version
from workflow.services import submission_submit

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def report():
    version = catalog_version()
    hanoi = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    commune = OrgUnit.objects.get(
        level__code="commune", code="00004", valid_from=REFORM_DATE
    )
    assign(version, hanoi, first_period="2025")
    reporter = make_user(role="reporter", unit=commune)
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=commune, period="2025"
    )
    return reporter, submission


def test_save_makes_a_revision_with_computed_cells(report):
    reporter, submission = report
    result = submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "1.234", "02:3": "6", "04:2": "10", "05:2": "5"},
        base_revision=0,
        today=DAY,
    )
    values = result.revision.values
    assert values["02:2"] == "1234"
    assert values["02:1"] == "1240"  # column 1 = 2 + 3 + 4 + 5
    assert values["01:2"] == "1249"  # row 01 = 02 + 04 + 05
    assert values["01:1"] == "1255"  # the column formula wins: 1249 + 6


def test_integer_cells_refuse_decimals_and_nothing_is_saved(report):
    reporter, submission = report
    with pytest.raises(SubmissionValuesInvalid) as error:
        submission_save_draft(
            acting_user=reporter,
            submission=submission,
            raw_values={"02:2": "1,5", "04:2": "abc", "01:1": "3"},
            base_revision=0,
            today=DAY,
        )
    assert sorted(p.cell for p in error.value.problems) == ["01:1", "02:2", "04:2"]
    assert not Revision.objects.exists()


def test_second_save_from_a_stale_revision_is_a_conflict(report):
    reporter, submission = report
    colleague = make_user(role="reporter", unit=submission.org_unit)
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "1"},
        base_revision=0,
        today=DAY,
    )
    with pytest.raises(SubmissionConflict) as error:
        submission_save_draft(
            acting_user=colleague,
            submission=submission,
            raw_values={"02:2": "2"},
            base_revision=0,
            today=DAY,
        )
    assert ("02:2", "1", "2") in error.value.differences
    assert Revision.objects.count() == 1


def test_identical_save_makes_no_new_revision_and_restore_makes_one(report):
    reporter, submission = report
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "1"},
        base_revision=0,
        today=DAY,
    )
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "2"},
        base_revision=1,
        today=DAY,
    )
    again = submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "2"},
        base_revision=2,
        today=DAY,
    )
    assert not again.created
    restored = submission_restore(
        acting_user=reporter,
        submission=submission,
        revision_number=1,
        base_revision=2,
        today=DAY,
    )
    assert (restored.number, restored.restored_from, restored.values["02:2"]) == (
        3,
        1,
        "1",
    )
    assert list(submission.revisions.values_list("number", flat=True)) == [3, 2, 1]


def test_submit_issues_a_receipt_and_the_report_becomes_read_only(
    report, django_capture_on_commit_callbacks
):
    reporter, submission = report
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "7"},
        base_revision=0,
        today=DAY,
    )
    receipt = submission_submit(
        acting_user=reporter, submission=submission, base_revision=1, today=DAY
    )
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    assert (
        receipt.digest == submission.current_revision.digest
        and len(receipt.digest) == 64
    )
    assert receipt.number.startswith("BN")
    with pytest.raises(SubmissionNotEditable):
        submission_save_draft(
            acting_user=reporter,
            submission=submission,
            raw_values={"02:2": "8"},
            base_revision=1,
            today=DAY,
        )


def test_reviewer_cannot_type_into_a_reporters_draft(report):
    reporter, submission = report
    reviewer = make_user(role="reviewer", unit=submission.org_unit.parent)
    with pytest.raises(SubmissionNotEditable):
        submission_save_draft(
            acting_user=reviewer,
            submission=submission,
            raw_values={"02:2": "1"},
            base_revision=0,
            today=DAY,
        )
