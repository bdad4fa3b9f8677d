"""AssignmentFinder answers as assignment_covering does, for many units at once."""

import pytest

from forms.definition.periods import parse_period
from reporting.bulk_selectors import AssignmentFinder
from reporting.selectors import assignment_covering
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version

pytestmark = pytest.mark.django_db


def test_the_finder_gives_what_assignment_covering_gives():
    # given a form assigned to the communes of one district for 2024–2025, and to
    # one named commune of another district from 2026 on
    version = catalog_version()
    tree = make_small_tree()
    assign(version, tree.district, first_period="2024", last_period="2025")
    assign(
        version,
        tree.province,
        level=None,
        units=[tree.other_commune],
        first_period="2026",
        kinds=["không có"],
    )
    finder = AssignmentFinder()
    units = [
        tree.national,
        tree.province,
        tree.district,
        tree.commune,
        tree.sibling_commune,
        tree.other_district,
        tree.other_commune,
    ]

    for period_id in ("2023", "2024", "2025", "2026", "2027"):
        period = parse_period(period_id)
        for unit in units:
            # when the finder and the single look-up are asked
            found = finder.covering(version.template, unit, period)
            expected = assignment_covering(version.template, unit, period)

            # then they agree
            assert found == expected, (unit.code, period_id)
    covered = {
        (unit.code, period_id)
        for period_id in ("2023", "2024", "2025", "2026", "2027")
        for unit in units
        if finder.covering(version.template, unit, parse_period(period_id))
    }
    assert ("T9001", "2024") in covered and ("T9001", "2026") not in covered
    assert ("T9101", "2026") in covered and ("T9101", "2025") not in covered
