"""Reads of the store: rollups (sum and weighted average), the 2025 reform mapping
and the unit scope of analysts."""

import datetime
from decimal import Decimal

import pytest

from indicators.selectors import (
    observations_query,
    rollup,
    unit_paths_for,
)
from orgunits.models import OrgUnitSuccessor
from orgunits.services import org_levels_ensure, org_unit_create
from reporting.models import Revision
from tests.factories import make_user
from tests.indicators.factories import make_catalogue, observe
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import catalog_version, make_submission
from workflow.models import ApprovalEvent

pytestmark = pytest.mark.django_db
REFORM = datetime.date(2025, 7, 1)


@pytest.fixture
def store():
    """Catalogue, the small tree and a factory of observations with lineage."""
    tree = make_small_tree()
    total, population, rate = make_catalogue()
    version = catalog_version()

    events = {}

    def put(indicator, unit, value, period="2025", dims=None):
        event = events.get((unit.pk, period))
        if event is None:
            submission = make_submission(version, unit, period, "accepted")
            revision = Revision.objects.create(
                submission=submission, number=1, source="web", values={}, digest="x"
            )
            event = events[unit.pk, period] = ApprovalEvent.objects.create(
                submission=submission,
                revision=revision,
                action="approve",
                from_status="awaiting_review",
                to_status="accepted",
            )
        submission = event.submission
        return observe(
            indicator,
            unit,
            period,
            Decimal(value),
            submission=submission,
            event=event,
            dims=dims,
        )

    return tree, (total, population, rate), put


def test_rollup_sums_the_units_below_and_flags_differences(store):
    # given communes reporting 10 and 15, their district 30 (wrong), the other
    # district 7 with its single commune 7
    tree, (total, _p, _r), put = store
    put(total, tree.commune, "10")
    put(total, tree.sibling_commune, "15")
    put(total, tree.district, "30")
    put(total, tree.other_commune, "7")
    put(total, tree.other_district, "7")

    # when the districts are rolled up
    rows = rollup(
        unit_paths=[tree.province.path],
        indicator="0603.01",
        period="2025",
        level="district",
    )

    # then each district's reported and rolled-up values are side by side
    by_code = {row.unit_code: row for row in rows}
    assert (by_code["T91"].reported, by_code["T91"].rolled_up) == (30, 25)
    assert by_code["T91"].differs and by_code["T91"].units_below == 2
    assert (by_code["T92"].reported, by_code["T92"].rolled_up) == (7, 7)
    assert not by_code["T92"].differs
    # and the province, which reported nothing, rolls up its districts
    (province,) = rollup(
        unit_paths=None,
        indicator="0603.01",
        period="2025",
        level="province",
        dims={},
    )
    assert (province.unit_code, province.reported, province.rolled_up) == (
        "T9",
        None,
        37,
    )
    assert not province.differs


def test_rollup_weighted_average_uses_the_weight_indicator(store):
    # given two communes with literacy 90 % of 100 people and 60 % of 200 people
    tree, (_t, population, rate), put = store
    put(rate, tree.commune, "90")
    put(population, tree.commune, "100")
    put(rate, tree.sibling_commune, "60")
    put(population, tree.sibling_commune, "200")
    put(rate, tree.district, "70")

    # when the district is rolled up
    (row,) = [
        r
        for r in rollup(
            unit_paths=None, indicator="0102", period="2025", level="district"
        )
        if r.unit_code == "T91"
    ]

    # then the rate is weighted by population: (90*100 + 60*200) / 300 = 70
    assert row.rolled_up == Decimal(70)
    assert row.reported == 70 and not row.differs


def _reform_tree(tree):
    """Old communes A, B merged into N1; old commune C split into N2 (main) and N3."""
    levels = org_levels_ensure()

    def unit(code, *, old):
        return org_unit_create(
            acting_user=None,
            code=code,
            name=f"Xã {code}",
            level=levels["commune"],
            parent=tree.district if old else tree.province,
            valid_to=REFORM - datetime.timedelta(days=1) if old else None,
            valid_from=None if old else REFORM,
        )

    a, b, c = unit("T9A", old=True), unit("T9B", old=True), unit("T9C", old=True)
    n1, n2, n3 = (
        unit("T9N1", old=False),
        unit("T9N2", old=False),
        unit("T9N3", old=False),
    )
    for old, new, kind, main in [
        (a, n1, "merged", True),
        (b, n1, "merged", True),
        (c, n2, "split", True),
        (c, n3, "split", False),
    ]:
        OrgUnitSuccessor.objects.create(
            predecessor=old,
            successor=new,
            kind=kind,
            is_default=main,
            effective_on=REFORM,
        )
    return a, b, c, n1, n2, n3


def test_pre_and_post_reform_national_totals_agree(store):
    # given old communes with figures for 2025M1 and new ones with figures for
    # 2025M8
    tree, (total, _p, _r), put = store
    a, b, c, n1, n2, n3 = _reform_tree(tree)
    put(total, a, "10", period="2025M1")
    put(total, b, "20", period="2025M1")
    put(total, c, "40", period="2025M1")
    put(total, n1, "31", period="2025M8")
    put(total, n2, "25", period="2025M8")
    put(total, n3, "16", period="2025M8")

    def totals(reform):
        rows = observations_query(
            unit_paths=None, indicators=["0603.01"], reform=reform, level="commune"
        )
        return rows, {
            period: sum(r.value for r in rows if r.period == period)
            for period in ("2025M1", "2025M8")
        }

    # when the figures are read as reported, in the new units and in the old ones
    reported_rows, reported = totals("as_reported")
    post_rows, post = totals("post2025")
    pre_rows, pre = totals("pre2025")

    # then every view gives the same national totals
    assert reported == post == pre == {"2025M1": 70, "2025M8": 72}
    # and merged units are summed, a split unit goes whole to its main successor
    post_jan = {r.unit_code: r.value for r in post_rows if r.period == "2025M1"}
    assert post_jan == {"T9N1": 30, "T9N2": 40}
    # and new units map back to the old unit they continue
    pre_aug = {r.unit_code: r.value for r in pre_rows if r.period == "2025M8"}
    assert pre_aug == {"T9A": 31, "T9C": 41}
    assert {r.unit_code for r in reported_rows} == {
        "T9A",
        "T9B",
        "T9C",
        "T9N1",
        "T9N2",
        "T9N3",
    }


def test_query_filters_periods_dims_and_open_data(store):
    tree, (total, population, _r), put = store
    put(total, tree.commune, "5", period="2026M1", dims={"SEX": "F"})
    put(total, tree.commune, "9", period="2026M1", dims={"SEX": "T"})
    put(total, tree.commune, "8", period="2026M3", dims={"SEX": "F"})
    put(population, tree.commune, "100", period="2026M2")

    rows = observations_query(
        unit_paths=None, period_from="2026M01", period_to="2026M2", dims={"SEX": "F"}
    )
    assert [(r.indicator, r.period, r.value, r.dim_key) for r in rows] == [
        ("0603.01", "2026M1", 5, "SEX=F")
    ]
    opened = observations_query(unit_paths=None, open_only=True)
    assert {r.indicator for r in opened} == {"0603.01"}
    assert rows[0].unit_code == tree.commune.code and rows[0].level == "commune"
    with pytest.raises(ValueError):
        observations_query(unit_paths=None, period_from="tháng 1")


def test_an_analyst_of_one_province_sees_only_its_subtree(store):
    # given figures of the test province's commune and of another province
    tree, (total, _p, _r), put = store
    levels = org_levels_ensure()
    elsewhere = org_unit_create(
        acting_user=None,
        code="T8",
        name="Tỉnh Khác",
        level=levels["province"],
        parent=tree.national,
    )
    put(total, tree.commune, "10")
    put(total, elsewhere, "99")
    analyst = make_user(role="analyst", unit=tree.province)
    reporter = make_user(role="reporter", unit=tree.commune)
    superuser = make_user(is_superuser=True)

    # when each reads the store within their scope
    paths = unit_paths_for(analyst)
    seen = {r.unit_code for r in observations_query(unit_paths=paths)}

    # then the analyst sees the province's subtree only, a reporter nothing, and
    # a superuser everything
    assert paths == [tree.province.path]
    assert seen == {tree.commune.code}
    assert observations_query(unit_paths=unit_paths_for(reporter)) == []
    assert unit_paths_for(superuser) is None
    assert {"T8", tree.commune.code} <= {
        r.unit_code for r in observations_query(unit_paths=None)
    }
    assert [
        r.unit_code
        for r in rollup(
            unit_paths=paths, indicator="0603.01", period="2025", level="province"
        )
    ] == []


def test_a_figure_mapped_across_the_reform_needs_every_source_in_scope(store):
    # given old communes A and B merged into N1, and C split into N2 and N3
    tree, (total, _p, _r), put = store
    a, b, c, n1, n2, n3 = _reform_tree(tree)
    put(total, a, "10", period="2025M1")
    put(total, b, "20", period="2025M1")
    put(total, c, "40", period="2025M1")

    def post2025(paths):
        rows = observations_query(
            unit_paths=paths, indicators=["0603.01"], reform="post2025"
        )
        return {r.unit_code: r.value for r in rows}

    # when someone who may see A and the new units, but not B, reads new units
    partial = post2025([a.path, c.path, n1.path, n2.path])
    # then N1 (made of A and B) is withheld rather than shown as A alone
    assert partial == {"T9N2": 40}
    # and with B in scope too, N1 is the whole merged figure
    assert post2025([a.path, b.path, c.path, n1.path, n2.path]) == {
        "T9N1": 30,
        "T9N2": 40,
    }
