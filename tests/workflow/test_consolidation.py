"""Compiling an upper unit's report from the approved reports below it."""

from decimal import Decimal

import pytest
from django.test import Client

from reporting.bulk_services import (
    BulkSaveItem,
    submissions_save_bulk,
)
from reporting.models import RevisionSource, SubmissionStatus
from reporting.services import (
    SubmissionNotEditable,
    submission_save_draft,
)
from tests.factories import make_user
from tests.workflow.chain_factories import (
    approved_commune,
    entered,
    make_chain_world,
    sent_and_checked,
)
from workflow.consolidation import (
    ConsolidationRefused,
    consolidation_compile,
    consolidations_mark_stale,
)
from workflow.consolidation_selectors import cell_contributions
from workflow.services import (
    WorkflowRefused,
    submission_approve,
    submission_unapprove,
)

pytestmark = pytest.mark.django_db

FIGURES = {
    1: {"02:2": "1", "04:2": "10", "12:2": "1", "13:2": "5", "14:2": "5", "15:2": "9"},
    2: {"02:2": "2", "04:2": "20", "12:2": "2", "13:2": "8", "14:2": "3", "15:2": "9"},
    3: {"02:2": "3", "04:2": "30", "12:2": "4", "13:2": "1", "14:2": "4", "15:2": "9"},
}


@pytest.fixture
def world():
    return make_chain_world()


def _compile(world, user=None):
    return consolidation_compile(
        acting_user=user or world.users["district_reporter"],
        template=world.version.template,
        unit=world.district,
        period=world.period,
    )


def test_each_row_adds_up_by_its_aggregation(world):
    # Given three approved commune reports and the district's own figure in a row
    # that is not added up
    for number in (1, 2, 3):
        approved_commune(world, number, FIGURES[number])
    entered(world, world.district, world.users["district_reporter"], {"15:2": "7"})

    # When the district compiles
    consolidation = _compile(world)

    # Then sums, average (rounded to whole numbers), max, min are compiled, the
    # "none" row keeps the district's figure and the computed cells follow
    values = consolidation.revision.values
    assert values["02:2"] == "6"
    assert values["04:2"] == "60"
    assert values["12:2"] == "2"  # (1 + 2 + 4) / 3 = 2.33
    assert values["13:2"] == "8"
    assert values["14:2"] == "3"
    assert values["15:2"] == "7"
    assert values["01:2"] == "66"  # row 01 = 02 + 04 + 05
    assert values["02:1"] == "6"  # column 1 = 2 + 3 + 4 + 5
    assert consolidation.revision.source == RevisionSource.CONSOLIDATED
    assert consolidation.submission.current_revision_id == consolidation.revision_id
    assert consolidation.missing == []
    assert {source.org_unit_id for source in consolidation.sources.all()} == {
        unit.pk for unit in world.communes
    }


def test_units_without_an_approved_report_are_listed_as_missing(world):
    # Given one approved report, one awaiting review and one never opened
    approved_commune(world, 1, FIGURES[1])
    waiting = entered(world, world.communes[1], world.users["commune2"], FIGURES[2])
    sent_and_checked(waiting, world.users["commune2"])

    # When the district compiles
    consolidation = _compile(world)

    # Then only the approved one counts, the others are missing with their status
    assert consolidation.revision.values["02:2"] == "1"
    assert [(item["code"], item["status"]) for item in consolidation.missing] == [
        ("T9002", SubmissionStatus.AWAITING_REVIEW),
        ("T9003", "not_started"),
    ]


def test_drill_down_gives_each_units_value_and_the_aggregate(world):
    # Given a compiled district report
    for number in (1, 2, 3):
        approved_commune(world, number, FIGURES[number])
    consolidation = _compile(world)

    # When a cell is drilled into
    drill = cell_contributions(consolidation, "12:2")

    # Then each unit's value and the average are given
    assert sorted(item.value for item in drill.contributions) == ["1", "2", "4"]
    assert drill.aggregation == "average"
    assert drill.aggregate == Decimal("2")
    assert drill.compiled == "2"


def test_compilation_page_is_for_the_upper_units_people_only(world):
    # Given a compiled district report
    for number in (1, 2):
        approved_commune(world, number, FIGURES[number])
    consolidation = _compile(world)
    url = f"/tong-hop/{consolidation.submission_id}/"
    outsider = make_user(role="reviewer", unit=world.communes[2])

    # When its reviewer, a commune reporter and an outsider open the page
    pages = {}
    for name, user in (
        ("reviewer", world.users["district_reviewer"]),
        ("commune", world.users["commune1"]),
        ("outsider", outsider),
    ):
        client = Client()
        client.force_login(user)
        pages[name] = client.get(url, {"o": "02:2"})

    # Then only the reviewer sees it: included units, the missing one, contributors
    assert pages["reviewer"].status_code == 200
    text = pages["reviewer"].content.decode()
    assert "Xã Thử 3" in text and 'id="drill-aggregate">3<' in text
    assert pages["commune"].status_code == 404
    assert pages["outsider"].status_code == 404


def test_compile_button_and_entry_link(world):
    # Given an approved commune report and a district reviewer with no report yet
    approved_commune(world, 1, FIGURES[1])
    client = Client()
    reviewer = world.users["district_reviewer"]
    client.force_login(reviewer)
    template_id, unit_id = world.version.template_id, world.district.pk
    entry = client.get(f"/bao-cao/nhap/{template_id}/{unit_id}/{world.period}/")
    assert 'id="compile-link"' in entry.content.decode()

    # When the reviewer presses Compile on the page for the unopened report
    response = client.post(f"/tong-hop/{template_id}/{unit_id}/{world.period}/")

    # Then the district's report is opened and compiled
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Xã Thử 1" in page.content.decode()


def test_only_the_upper_units_people_compile(world):
    # Given an approved commune report
    approved_commune(world, 1, FIGURES[1])

    # When a commune reporter tries to compile the district's report
    with pytest.raises(ConsolidationRefused) as refused:
        _compile(world, world.users["commune1"])

    # Then it is refused by name, and a reviewer of the district may compile
    assert "Huyện An Bình" in str(refused.value)
    assert _compile(world, world.users["district_reviewer"]).sources.count() == 1


def test_nothing_approved_is_refused(world):
    with pytest.raises(ConsolidationRefused) as refused:
        _compile(world)
    assert refused.value.code == "nothing_approved"


def _submitted_compilation(world):
    reports = [approved_commune(world, n, FIGURES[n]) for n in (1, 2, 3)]
    consolidation = _compile(world)
    upper = consolidation.submission
    sent_and_checked(upper, world.users["district_reporter"])
    return reports, consolidation, upper


def test_unapproval_below_an_approved_compilation_is_refused(world):
    # Given the district's compiled report approved by the province
    reports, consolidation, upper = _submitted_compilation(world)
    submission_approve(
        acting_user=world.users["province_reviewer"], submission_id=upper.pk
    )

    # When an approval event of an unchanged source is applied, nothing is stale
    assert consolidations_mark_stale(source_submission_id=reports[0].pk) == []

    # Then an unapproval of a commune below the approved compilation is refused
    with pytest.raises(WorkflowRefused) as refused:
        submission_unapprove(
            acting_user=world.users["district_reviewer"],
            submission_id=reports[0].pk,
            reason="Sai",
        )
    assert refused.value.code == "compiled_report_approved"
    assert "Huyện An Bình" in str(refused.value)


def test_approved_sources_refuse_edits_and_uploads(world):
    # Given an approved commune report
    report = approved_commune(world, 1, FIGURES[1])
    reporter = world.users["commune1"]

    # When its reporter saves it or uploads it again
    with pytest.raises(SubmissionNotEditable):
        submission_save_draft(
            acting_user=reporter,
            submission=report,
            raw_values={"02:2": "99"},
            base_revision=report.revision_count,
        )
    [result] = submissions_save_bulk(
        acting_user=reporter,
        items=[
            BulkSaveItem(
                submission=report,
                raw_values={"02:2": "99"},
                base_revision=report.revision_count,
            )
        ],
        source=RevisionSource.EXCEL,
    )

    # Then both are refused
    assert isinstance(result.error, SubmissionNotEditable)


def test_an_empty_compiled_cell_is_no_link_and_its_drill_down_says_so(world):
    # Given a compiled district report where no commune filled cell 03:2
    for number in (1, 2):
        approved_commune(world, number, FIGURES[number])
    consolidation = _compile(world)
    assert consolidation.revision.values.get("03:2", "") == ""
    url = f"/tong-hop/{consolidation.submission_id}/"
    client = Client()
    client.force_login(world.users["district_reviewer"])

    # When its reviewer opens the compilation page
    text = client.get(url).content.decode()

    # Then the filled cell links to its drill-down and the empty one is plain text
    assert 'href="?o=02%3A2#drill-down" data-cell="02:2"' in text
    assert 'data-cell="03:2"' in text
    assert 'href="?o=03%3A2' not in text
    assert '<span class="empty-figure" data-cell="03:2">–</span>' in text

    # When the drill-down of the empty cell is asked for all the same
    text = client.get(url, {"o": "03:2"}).content.decode()

    # Then a short message says there is nothing to break down, with no table
    message = text.split('<p id="drill-empty">', 1)[1].split("</p>", 1)[0]
    assert "03:2" in message
    assert 'id="drill-aggregate"' not in text
    # and a filled cell still drills down to each unit's figure
    text = client.get(url, {"o": "02:2"}).content.decode()
    assert 'id="drill-empty"' not in text and 'id="drill-aggregate">3<' in text


def test_drill_down_of_a_cell_nobody_filled_is_empty(world):
    # Given a compiled district report where no commune filled cell 03:2
    approved_commune(world, 1, FIGURES[1])
    consolidation = _compile(world)

    # When the empty and a filled cell are drilled into
    empty = cell_contributions(consolidation, "03:2")
    filled = cell_contributions(consolidation, "02:2")

    # Then only the empty one has nothing to break down
    assert empty.is_empty and empty.compiled == ""
    assert [item.value for item in empty.contributions] == [""]
    assert not filled.is_empty
