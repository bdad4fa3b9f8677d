"""Bulk saves write revisions with COPY and may take values already canonical: the
revisions and their audit events are those a single save makes, on real PostgreSQL."""

import datetime

import pghistory.models
import pytest

from core.audit import audit_context
from reporting.bulk_services import (
    BulkSaveItem,
    submissions_save_bulk,
)
from reporting.models import Revision, RevisionSource
from reporting.services import (
    SubmissionValuesInvalid,
    submission_save_draft,
)
from tests.reporting.test_bulk_save import TYPED, reports  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)
COLUMNS = ("number", "source", "values", "comments", "digest", "restored_from")


def _events(revision):
    return list(
        pghistory.models.Events.objects.filter(
            pgh_model="reporting.RevisionEvent", pgh_obj_id=revision.pk
        )
    )


def test_copied_revisions_match_a_single_save_with_audit_context(reports):  # noqa: F811
    # Given two open reports of one reporter
    reporter, (first, second) = reports
    # When one is saved alone and the other through the bulk (COPY) path, both
    # inside an outer audited action
    with audit_context(acting_user=reporter, action="api_push", token=7):
        one = submission_save_draft(
            acting_user=reporter,
            submission=first,
            raw_values=TYPED,
            comments={"02:2": "ghi chú"},
            base_revision=0,
            source=RevisionSource.EXCEL,
            today=DAY,
        )
        (many,) = submissions_save_bulk(
            acting_user=reporter,
            items=[BulkSaveItem(second, TYPED, 0, comments={"02:2": "ghi chú"})],
            source=RevisionSource.EXCEL,
            today=DAY,
        )
    # Then the stored rows agree field by field (but for the report in the digest)
    alone = Revision.objects.values(*COLUMNS, "created_by").get(pk=one.revision.pk)
    bulk = Revision.objects.values(*COLUMNS, "created_by").get(pk=many.revision.pk)
    assert {k: v for k, v in bulk.items() if k != "digest"} == {
        k: v for k, v in alone.items() if k != "digest"
    }
    assert bulk["digest"] == many.revision.digest
    stored = Revision.objects.get(pk=many.revision.pk)
    assert stored.created_at is not None and stored.submission_id == second.pk
    second.refresh_from_db()
    assert second.current_revision_id == stored.pk and second.revision_count == 1
    # And each has exactly one insert event carrying the values and the context:
    # who, the outer action, the step and the outer details
    (event_alone,) = _events(one.revision)
    (event_bulk,) = _events(many.revision)
    assert event_bulk.pgh_label == "insert"
    assert event_bulk.pgh_data["values"] == stored.values
    for event in (event_alone, event_bulk):
        assert event.pgh_context["user"] == reporter.pk
        assert event.pgh_context["action"] == "api_push"
        assert event.pgh_context["step"] == "submission_save"
        assert event.pgh_context["token"] == 7


def test_revision_keys_follow_the_table_sequence(reports):  # noqa: F811
    # Given a bulk save of two reports
    reporter, (first, second) = reports
    results = submissions_save_bulk(
        acting_user=reporter,
        items=[BulkSaveItem(first, TYPED, 0), BulkSaveItem(second, TYPED, 0)],
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    # When a revision is then made by an ordinary insert
    later = submission_save_draft(
        acting_user=reporter,
        submission=first,
        raw_values={"02:2": "9"},
        base_revision=1,
        today=DAY,
    )
    # Then its key comes after the copied ones: COPY drew them from the sequence
    copied = sorted(r.revision.pk for r in results)
    assert later.revision.pk > copied[-1]
    assert set(Revision.objects.values_list("pk", flat=True)) == {
        *copied,
        later.revision.pk,
    }


def test_canonical_values_store_as_typed_values_do(reports):  # noqa: F811
    # Given the same figures (whole-number cells), once typed and once canonical
    reporter, (first, second) = reports
    typed = {"02:2": "007", "02:3": "6", "04:2": "1.000", "05:2": "-0"}
    canonical = {"02:2": "7", "02:3": "6", "04:2": "1000", "05:2": "0"}
    results = submissions_save_bulk(
        acting_user=reporter,
        items=[
            BulkSaveItem(first, typed, 0),
            BulkSaveItem(second, {}, 0, canonical_values=canonical),
        ],
        source=RevisionSource.API,
        today=DAY,
    )
    # Then both revisions hold the same values, computed cells included
    assert results[0].revision.values == results[1].revision.values
    assert results[1].revision.values["01:2"] == "1007"


def test_canonical_values_naming_other_cells_are_checked_as_typed(reports):  # noqa: F811
    # Given "canonical" values that name a computed cell and an unknown one
    reporter, (first, second) = reports
    (bad,) = submissions_save_bulk(
        acting_user=reporter,
        items=[
            BulkSaveItem(
                first, {}, 0, canonical_values={"01:1": "3", "99:9": "1", "02:2": "1"}
            )
        ],
        source=RevisionSource.API,
        today=DAY,
    )
    # Then they are refused cell by cell as typed values are
    assert isinstance(bad.error, SubmissionValuesInvalid)
    assert sorted(p.cell for p in bad.error.problems) == ["01:1", "99:9"]
    # And a decimal point in such values keeps its meaning when checked as typed:
    # 1.234 in a whole-number cell is refused, not read as 1234
    (kept,) = submissions_save_bulk(
        acting_user=reporter,
        items=[
            BulkSaveItem(second, {}, 0, canonical_values={"02:2": "1.234", "01:1": ""})
        ],
        source=RevisionSource.API,
        today=DAY,
    )
    assert isinstance(kept.error, SubmissionValuesInvalid)
    assert [(p.cell, p.code) for p in kept.error.problems] == [("02:2", "not_whole")]
    assert not Revision.objects.exists()
