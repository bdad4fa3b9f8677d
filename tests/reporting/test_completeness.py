"""Completeness and timeliness on a small tree, against rates worked out by hand."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from forms.definition.periods import parse_period
from orgunits.services import org_unit_create
from reporting.completeness import (
    completeness_matrix,
    completeness_slots,
    periods_ending,
    periods_of,
    spreadsheet_text,
)
from reporting.inbox import STATUS_LABELS
from reporting.models import SubmissionStatus
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, make_submission, monthly_version

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 20)
S = SubmissionStatus


@pytest.fixture
def tree():
    return make_small_tree()


@pytest.fixture
def reports(tree):
    """January and February 2026 of a monthly form for the three communes:

    | commune | 2026M1              | 2026M2             |
    |---------|---------------------|--------------------|
    | T9001   | submitted on time   | approved, late     |
    | T9002   | submitted late      | draft              |
    | T9101   | returned            | not started        |
    """
    version = monthly_version()
    assign(version, tree.province, first_period="2026M1", last_period="2026M2")
    make_submission(version, tree.commune, "2026M1", S.SUBMITTED)
    make_submission(version, tree.commune, "2026M2", S.APPROVED, late=True)
    make_submission(version, tree.sibling_commune, "2026M1", S.SUBMITTED, late=True)
    make_submission(version, tree.sibling_commune, "2026M2", S.DRAFT)
    make_submission(version, tree.other_commune, "2026M1", S.RETURNED)
    return version


def matrix_below(unit, version):
    slots = completeness_slots(unit, version.template, today=TODAY)
    periods = periods_of(slots)
    return completeness_matrix(
        unit=unit, template=version.template, periods=periods, slots=slots
    )


def figures(tally):
    return (
        tally.expected,
        tally.sent,
        tally.on_time,
        tally.reporting_rate,
        tally.on_time_rate,
    )


def test_province_rates_equal_the_hand_computed_ones(tree, reports):
    # when the matrix below the province is counted
    matrix = matrix_below(tree.province, reports)

    # then the periods are January and February, the rows the two districts
    assert [period.id for period in matrix.periods] == ["2026M1", "2026M2"]
    district, other_district = matrix.rows
    assert (district.unit, other_district.unit) == (tree.district, tree.other_district)

    # An Bình: 4 expected; sent T9001 M1, T9001 M2, T9002 M1 = 3 -> 75.0 %;
    # on time only T9001 M1 = 1 -> 25.0 %
    assert figures(district.total) == (4, 3, 1, Decimal("75.0"), Decimal("25.0"))
    january, february = district.cells
    assert figures(january) == (2, 2, 1, Decimal("100.0"), Decimal("50.0"))
    assert figures(february) == (2, 1, 0, Decimal("50.0"), Decimal("0.0"))
    assert district.drillable

    # Bình Minh: 2 expected; a returned report does not count as sent -> 0 %
    assert figures(other_district.total) == (2, 0, 0, Decimal("0.0"), Decimal("0.0"))

    # the province level: 6 expected, 3 sent (50.0 %), 1 on time (16.7 %)
    assert figures(matrix.level_total) == (6, 3, 1, Decimal("50.0"), Decimal("16.7"))
    assert [figures(cell) for cell in matrix.level_cells] == [
        (3, 2, 1, Decimal("66.7"), Decimal("33.3")),
        (3, 1, 0, Decimal("33.3"), Decimal("0.0")),
    ]


def test_commune_rows_show_each_report_status(tree, reports):
    # when drilling down into An Bình
    matrix = matrix_below(tree.district, reports)

    # then each commune row shows its own statuses and rates
    an_hoa, an_phu = matrix.rows
    assert [cell.single_status for cell in an_hoa.cells] == ["submitted", "approved"]
    assert [cell.single_status for cell in an_phu.cells] == ["submitted", "draft"]
    assert figures(an_hoa.total) == (2, 2, 1, Decimal("100.0"), Decimal("50.0"))
    assert figures(an_phu.total) == (2, 1, 0, Decimal("50.0"), Decimal("0.0"))
    assert not an_hoa.drillable


def test_a_unit_that_reports_itself_has_its_own_row(tree):
    version = monthly_version()
    assign(version, tree.province, level="", first_period="2026M1")

    matrix = matrix_below(tree.district, version)

    own = matrix.rows[0]
    assert own.is_self and own.unit == tree.district
    assert own.cells[0].single_status == "not_started"
    assert len(matrix.rows) == 3  # itself and its two communes


def test_periods_end_where_asked_and_keep_twelve():
    ids = [f"2026M{month}" for month in range(1, 13)] + ["2027M1"]
    parsed = [parse_period(period_id) for period_id in ids]
    assert [p.id for p in periods_ending(parsed, None)][0] == "2026M2"
    assert [p.id for p in periods_ending(parsed, "2026M3")] == [
        "2026M1",
        "2026M2",
        "2026M3",
    ]
    assert periods_ending(parsed, "1999")[-1].id == "2027M1"


# --- Who sees what ------------------------------------------------------------------------


def test_district_reviewer_starts_at_their_district_and_never_sees_the_sibling(
    client, tree, reports
):
    client.force_login(make_user(role="reviewer", unit=tree.district))
    url = reverse("reporting:completeness")

    mine = client.get(url)
    sibling = client.get(url, {"don_vi": tree.other_district.pk})
    above = client.get(url, {"don_vi": tree.province.pk})
    export = client.get(
        reverse("reporting:completeness_xlsx"), {"don_vi": tree.other_district.pk}
    )

    assert mine.status_code == 200
    assert mine.context["unit"] == tree.district
    assert [row.unit for row in mine.context["matrix"].rows] == [
        tree.commune,
        tree.sibling_commune,
    ]
    assert "Xã Bình Lợi" not in mine.content.decode()
    assert (sibling.status_code, above.status_code, export.status_code) == (
        404,
        404,
        404,
    )


def test_analyst_of_the_province_drills_down(client, tree, reports):
    client.force_login(make_user(role="analyst", unit=tree.province))

    response = client.get(
        reverse("reporting:completeness"),
        {"don_vi": tree.district.pk, "bieu_mau": reports.template.pk},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Xã An Hòa" in html and "Xã Bình Lợi" not in html
    crumbs = response.context["breadcrumbs"]
    assert (tree.province, True) in crumbs and (tree.national, False) in crumbs


def test_a_reporter_may_not_read_completeness(client, tree, reports):
    client.force_login(make_user(role="reporter", unit=tree.commune))

    response = client.get(reverse("reporting:completeness"))
    below = client.get(reverse("reporting:completeness"), {"don_vi": tree.commune.pk})

    assert (response.status_code, below.status_code) == (403, 404)


# --- Excel export ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+84 912", "'+84 912"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\0=cmd", "'=cmd"),
        ("Xã An Hòa", "Xã An Hòa"),
        ("1-2", "1-2"),
    ],
)
def test_spreadsheet_text_never_starts_a_formula(text, safe):
    assert spreadsheet_text(text) == safe


def test_export_opens_in_openpyxl_and_escapes_formula_like_names(client, tree, reports):
    # given a commune whose name looks like a formula
    org_unit_create(
        acting_user=None,
        code="T9004",
        name='=HYPERLINK("http://example.invalid","Xã")',
        level=tree.commune.level,
        parent=tree.district,
    )
    client.force_login(make_user(role="reviewer", unit=tree.province))

    # when the matrix of An Bình is exported
    response = client.get(
        reverse("reporting:completeness_xlsx"),
        {"don_vi": tree.district.pk, "bieu_mau": reports.template.pk},
    )

    # then the workbook opens, holds no formula, and carries the figures
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value]
    assert all(cell.data_type != "f" for cell in cells)
    names = [sheet.cell(row=r, column=2).value for r in range(6, 9)]
    assert names == [
        "Xã An Hòa",
        "Xã An Phú",
        '\'=HYPERLINK("http://example.invalid","Xã")',
    ]
    with translation.override("vi"):
        labels = [str(STATUS_LABELS[status]) for status in ("submitted", "approved")]
    assert [sheet.cell(row=6, column=c).value for c in (3, 4)] == labels
    # rates as fractions shown as percents: An Hòa 100 % sent, 50 % on time
    assert sheet.cell(row=6, column=5).value == pytest.approx(1.0)
    assert sheet.cell(row=6, column=6).value == pytest.approx(0.5)
    assert sheet.cell(row=6, column=5).number_format == "0.0%"
    # the level row: 6 expected (3 communes x 2 months), 3 sent
    assert sheet.cell(row=9, column=5).value == pytest.approx(0.5)
