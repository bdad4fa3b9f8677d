"""Bulk saves (Excel imports) give what one save at a time gives, on real PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forms.definition.periods import parse_period
from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE
from reporting.bulk_services import (
    BulkSaveItem,
    submissions_open_bulk,
    submissions_save_bulk,
)
from reporting.engine.digest import values_digest
from reporting.models import Revision, RevisionSource, Submission, SubmissionStatus
from reporting.services import (
    SubmissionConflict,
    SubmissionNotEditable,
    SubmissionValuesInvalid,
    submission_open,
    submission_save_draft,
)
from tests.factories import make_user
from tests.reporting.factories import assign, catalog_version

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)
TYPED = {"02:2": "1.234", "02:3": "6", "04:2": "10", "05:2": "5"}


@pytest.fixture
def reports():
    version = catalog_version()
    hanoi = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    commune = OrgUnit.objects.get(
        level__code="commune", code="00004", valid_from=REFORM_DATE
    )
    assign(version, hanoi, first_period="2025")
    reporter = make_user(role="reporter", unit=commune)
    periods = ["2025", "2026"]
    opened = [
        submission_open(
            acting_user=reporter, form_version=version, unit=commune, period=period
        )
        for period in periods
    ]
    return reporter, opened


def _single_and_bulk(reporter, single, bulk, raw_values):
    one = submission_save_draft(
        acting_user=reporter,
        submission=single,
        raw_values=raw_values,
        base_revision=0,
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    (many,) = submissions_save_bulk(
        acting_user=reporter,
        items=[BulkSaveItem(bulk, raw_values, 0)],
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    return one, many


def test_bulk_save_stores_the_same_values_computed_cells_and_digest(reports):
    reporter, (first, second) = reports
    one, many = _single_and_bulk(reporter, first, second, TYPED)
    assert many.error is None and many.created
    assert many.revision.values == one.revision.values
    assert many.revision.values["01:1"] == "1255"
    stored = Revision.objects.get(pk=many.revision.pk)
    assert stored.values == one.revision.values
    assert stored.number == 1 and stored.source == RevisionSource.EXCEL
    assert stored.created_by == reporter
    second.refresh_from_db()
    assert second.revision_count == 1 and second.current_revision_id == stored.pk
    assert stored.digest == values_digest(
        one.revision.values,
        form_code=second.template.code,
        version=second.form_version.number,
        unit_code=second.org_unit.code,
        period=second.period,
    )


def test_refused_items_are_reported_and_the_others_saved(reports):
    reporter, (first, second) = reports
    results = submissions_save_bulk(
        acting_user=reporter,
        items=[
            BulkSaveItem(first, {"02:2": "1,5", "01:1": "3"}, 0),
            BulkSaveItem(second, TYPED, 0),
        ],
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    assert isinstance(results[0].error, SubmissionValuesInvalid)
    assert sorted(p.cell for p in results[0].error.problems) == ["01:1", "02:2"]
    assert results[1].created
    assert list(Revision.objects.values_list("submission_id", flat=True)) == [second.pk]


def test_a_stale_base_revision_is_a_conflict_as_in_a_single_save(reports):
    reporter, (first, second) = reports
    submission_save_draft(
        acting_user=reporter,
        submission=first,
        raw_values={"02:2": "1"},
        base_revision=0,
        today=DAY,
    )
    results = submissions_save_bulk(
        acting_user=reporter,
        items=[BulkSaveItem(first, {"02:2": "2"}, 0), BulkSaveItem(second, TYPED, 0)],
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    assert isinstance(results[0].error, SubmissionConflict)
    assert (
        results[0].error.differences == [("02:1", "1", "2"), ("01:1", "1", "2")][:0]
        or ("02:2", "1", "2") in results[0].error.differences
    )
    assert results[1].created
    first.refresh_from_db()
    assert first.revision_count == 1


def test_identical_values_make_no_revision(reports):
    reporter, (first, _second) = reports
    saved = submission_save_draft(
        acting_user=reporter,
        submission=first,
        raw_values=TYPED,
        base_revision=0,
        today=DAY,
    )
    (result,) = submissions_save_bulk(
        acting_user=reporter,
        items=[BulkSaveItem(first, TYPED, 1)],
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    assert result.error is None and not result.created
    assert result.revision.pk == saved.revision.pk
    assert Revision.objects.count() == 1


def test_not_editable_reports_and_other_units_are_refused(reports):
    reporter, (first, second) = reports
    Submission.objects.filter(pk=first.pk).update(status=SubmissionStatus.APPROVED)
    stranger = make_user(
        role="reporter",
        unit=OrgUnit.objects.exclude(pk=second.org_unit_id)
        .filter(level__code="commune")
        .first(),
    )
    (approved,) = submissions_save_bulk(
        acting_user=reporter,
        items=[BulkSaveItem(first, TYPED, 0)],
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    (foreign,) = submissions_save_bulk(
        acting_user=stranger,
        items=[BulkSaveItem(second, TYPED, 0)],
        source=RevisionSource.EXCEL,
        today=DAY,
    )
    assert isinstance(approved.error, SubmissionNotEditable)
    assert isinstance(foreign.error, SubmissionNotEditable)
    assert not Revision.objects.exists()


def test_many_reports_are_saved_in_a_fixed_number_of_queries(reports):
    reporter, (first, second) = reports
    items = [BulkSaveItem(first, TYPED, 0), BulkSaveItem(second, TYPED, 0)]
    with CaptureQueriesContext(connection) as queries:
        results = submissions_save_bulk(
            acting_user=reporter, items=items, source=RevisionSource.EXCEL, today=DAY
        )
    assert all(r.created for r in results)
    assert len(queries) <= 15
    # Large JSON documents go in as VALUES, not through Django's UNNEST of arrays.
    assert not any("UNNEST" in query["sql"] for query in queries)


def test_open_bulk_opens_like_submission_open_and_refuses_foreign_units(reports):
    reporter, (first, _second) = reports
    version, unit = first.form_version, first.org_unit
    other = OrgUnit.objects.filter(level__code="commune").exclude(pk=unit.pk).first()
    opened = submissions_open_bulk(
        acting_user=reporter,
        keys=[
            (version, unit, "2025"),
            (version, unit, "2027"),
            (version, other, "2025"),
        ],
    )
    assert opened[(version.pk, unit.pk, "2025")].pk == first.pk
    created = opened[(version.pk, unit.pk, "2027")]
    assert created.pk and created.form_version_id == version.pk
    assert isinstance(opened[(version.pk, other.pk, "2025")], SubmissionNotEditable)


def _stored(submission):
    """A stored report's fields, the ones that differ between any two aside."""
    row = Submission.objects.filter(pk=submission.pk).values().get()
    return {
        name: value
        for name, value in row.items()
        if name not in {"id", "period", "period_start", "period_end"}
        and not name.endswith("_at")
    }


def test_open_bulk_stores_reports_as_submission_open_does_with_an_audit_event(
    reports,
):
    # given a report opened one at a time
    reporter, (first, _second) = reports
    version, unit = first.form_version, first.org_unit
    single = submission_open(
        acting_user=reporter, form_version=version, unit=unit, period="2027"
    )
    events = Submission.pgh_event_model.objects.filter(pgh_label="insert")
    before = events.count()

    # when two more are opened in bulk (written with COPY)
    opened = submissions_open_bulk(
        acting_user=reporter,
        keys=[(version, unit, "2028"), (version, unit, "2029")],
    )

    # then they are stored as the single one is, each with its insert event
    for period in ("2028", "2029"):
        created = opened[(version.pk, unit.pk, period)]
        assert created.pk and created.current_revision is None
        assert _stored(created) == _stored(single)
        assert Submission.objects.get(pk=created.pk).period == period
    assert events.count() == before + 2


def test_open_bulk_opens_around_a_report_opened_meanwhile(reports):
    from reporting.bulk_services import _submissions_create

    # given reports thought missing, one of which another user opened meanwhile
    reporter, (first, _second) = reports
    version, unit = first.form_version, first.org_unit
    meanwhile = submission_open(
        acting_user=reporter, form_version=version, unit=unit, period="2027"
    )
    keys = [
        (version, unit, parse_period(period)) for period in ("2027", "2028", "2029")
    ]

    # when they are created
    created = _submissions_create(keys)

    # then the one opened meanwhile is kept and the others are created, once each
    assert created[(version.template_id, unit.pk, "2027")].pk == meanwhile.pk
    assert {s.period for s in created.values()} == {"2027", "2028", "2029"}
    assert (
        Submission.objects.filter(org_unit=unit, period__in=["2027", "2028", "2029"])
        .values("period")
        .distinct()
        .count()
        == Submission.objects.filter(
            org_unit=unit, period__in=["2027", "2028", "2029"]
        ).count()
        == 3
    )


@pytest.mark.parametrize("data_type", ["integer", "decimal", "percent"])
def test_plain_integers_read_as_the_general_number_rules_read_them(data_type):
    from reporting.engine.values import canonical_number, parse_number
    from reporting.services import _PLAIN_INTEGER

    samples = ["0", "-0", "007", "-12", "999999999999999", "1234", "-000"]
    for text in samples:
        assert _PLAIN_INTEGER.fullmatch(text)
        expected = canonical_number(parse_number(text, data_type=data_type))
        assert canonical_number(Decimal(text)) == expected
    for text in ["1.234", "1,5", "١٢", "１２", "+5", "−5", "1000000000000000"]:
        assert not _PLAIN_INTEGER.fullmatch(text)


def test_number_cells_split_canonical_numbers_from_the_rest():
    from reporting.bulk_services import NumberCells

    cells = NumberCells(
        integers=frozenset({"01:1"}), numbers=frozenset({"01:1", "01:2"})
    )
    values = {
        "01:1": "12",  # whole, in a whole-number cell
        "01:2": "0.25",  # a fraction, in a cell that takes them
        "02:1": "7",  # no number input cell
    }
    assert cells.split(values) == ({"01:1": "12", "01:2": "0.25"}, {"02:1": "7"})
    # what is not canonical is left to the save's own reading
    for cell, text in [("01:1", "0.5"), ("01:1", "007"), ("01:2", "1,5"), ("01:2", "")]:
        assert not cells.canonical(cell, text)
        assert cells.split({cell: text}) == ({}, {cell: text})
    # all canonical: the quick path gives the same split
    assert cells.split({"01:1": "-3", "01:2": "4"}) == ({"01:1": "-3", "01:2": "4"}, {})
