"""Revision history: every save kept, the diff of each revision against the one before,
any revision viewable in the grid and restorable as a new revision; another unit's
report is a 404 and only its reporters may restore."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from reporting.engine.revision_diff import CellChange, revision_changes
from reporting.models import Revision, RevisionSource
from reporting.services import (
    submission_open,
    submission_restore,
    submission_save_draft,
)
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from workflow.services import submission_submit

DAY = datetime.date(2026, 3, 1)


# --- The diff, pure ----------------------------------------------------------------------


def test_changes_list_added_removed_changed_and_comment_only_cells_in_form_order():
    # given two revisions' values and comments
    old = {"01:1": "10", "02:2": "7", "05:2": "3"}
    new = {"01:1": "12", "02:2": "7", "04:2": "5"}
    old_comments = {"02:2": "như năm trước"}
    new_comments = {"02:2": "đã đối chiếu sổ"}

    # when comparing them in the form's order (row 05 before row 04 here on purpose)
    changes = revision_changes(
        old,
        new,
        old_comments=old_comments,
        new_comments=new_comments,
        order=["01:1", "02:2", "05:2", "04:2"],
    )

    # then every differing cell is there once, in that order, with its kind
    assert [(c.cell, c.kind) for c in changes] == [
        ("01:1", "changed"),
        ("02:2", "comment"),
        ("05:2", "removed"),
        ("04:2", "added"),
    ]
    assert changes[0] == CellChange("01", 1, "10", "12")
    assert changes[1].comment_changed and not changes[1].value_changed
    assert (changes[1].old_comment, changes[1].new_comment) == (
        "như năm trước",
        "đã đối chiếu sổ",
    )


def test_identical_values_have_no_changes_and_cells_outside_the_order_come_last():
    assert revision_changes({"01:1": "1"}, {"01:1": "1"}) == []
    changes = revision_changes(
        {}, {"10:2": "1", "9:10": "2", "01:1": "3"}, order=["01:1"]
    )
    assert [c.cell for c in changes] == ["01:1", "10:2", "9:10"]


# --- Through the pages -------------------------------------------------------------------


@pytest.fixture
def tree(db):
    return make_small_tree()


@pytest.fixture
def report(tree):
    version = catalog_version()
    assign(version, tree.province, first_period="2025")
    reporter = make_user(role="reporter", unit=tree.commune, full_name="Nguyễn Thị Lan")
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2025"
    )
    return reporter, submission


def save(reporter, submission, values, *, base, comments=None):
    return submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=values,
        comments=comments,
        base_revision=base,
        today=DAY,
    ).revision


@pytest.fixture
def three_revisions(report):
    reporter, submission = report
    save(reporter, submission, {"02:2": "1.234", "04:2": "10"}, base=0)
    save(
        reporter,
        submission,
        {"02:2": "1.240", "05:2": "3"},
        base=1,
        comments={"02:2": "Bổ sung 6 tập thể"},
    )
    submission_restore(
        acting_user=reporter,
        submission=submission,
        revision_number=1,
        base_revision=2,
        today=DAY,
    )
    submission.refresh_from_db()
    return reporter, submission


def test_history_lists_every_revision_with_who_when_source_and_restore_origin(
    client, three_revisions
):
    # given a report saved twice then restored to its first revision
    reporter, submission = three_revisions
    client.force_login(reporter)

    # when the reporter opens its history
    response = client.get(reverse("reporting:revisions", args=[submission.pk]))

    # then the three revisions are listed, newest first, with their source in words
    assert response.status_code == 200
    entries = response.context["entries"]
    assert [e["revision"].number for e in entries] == [3, 2, 1]
    assert [e["changed_cells"] for e in entries] == [
        # r2 -> r3 and r1 -> r2: 02:2 (value and comment), 04:2, 05:2 and the
        # computed 01:1, 01:2, 02:1, 04:1, 05:1
        8,
        8,
        # r1 against nothing: every cell it holds, the computed zeros included
        23,
    ]
    html = response.content.decode()
    with translation.override("vi"):
        assert str(RevisionSource.RESTORE.label) in html
        assert str(RevisionSource.WEB.label) in html
        assert _("restored from revision %(number)s") % {"number": 1} in html
    assert "Nguyễn Thị Lan" in html
    assert html.count('name="base_revision" value="3"') == 2  # restore r1 and r2


def test_diff_shows_row_code_label_column_old_new_and_comment(client, three_revisions):
    reporter, submission = three_revisions
    client.force_login(reporter)

    # when viewing revision 2 (against revision 1)
    response = client.get(reverse("reporting:revision", args=[submission.pk, 2]))

    # then each changed cell is listed with its row and column, before and after
    assert response.status_code == 200
    assert response.context["compared"].number == 1
    rows = {
        item.change.cell: (item.row_label, item.column_label, item.old, item.new)
        for item in response.context["changes"]
    }
    assert rows["02:2"] == ("- Tập thể", "Bằng khen", "1.234", "1.240")
    assert rows["04:2"] == ("- Hộ gia đình", "Bằng khen", "10", "")
    assert rows["05:2"] == ("- Cá nhân", "Bằng khen", "", "3")
    assert rows["01:1"][2:] == ("1.244", "1.243")
    by_cell = {item.change.cell: item.change for item in response.context["changes"]}
    assert by_cell["02:2"].new_comment == "Bổ sung 6 tập thể"
    # in the order of the form: row 01 first
    assert response.context["changes"][0].change.row == "01"
    html = response.content.decode()
    assert "<del>1.234</del>" in html and "<ins>1.240</ins>" in html
    assert "Bổ sung 6 tập thể" in html


def test_any_revision_is_shown_read_only_in_the_grid_and_can_be_compared_freely(
    client, three_revisions
):
    reporter, submission = three_revisions
    client.force_login(reporter)

    # when viewing revision 1 compared with revision 3 (a restore of it)
    response = client.get(
        reverse("reporting:revision", args=[submission.pk, 1]), {"so-voi": "3"}
    )

    # then its values fill the grid, nothing can be typed, and nothing differs
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["changes"] == []
    cells = {
        (shown.row.code, shown.row.cells[i].column): cell.text
        for shown in response.context["rows"]
        for i, cell in enumerate(shown.cells)
    }
    assert cells[("02", 2)] == "1.234"
    assert cells[("01", 1)] == "1.244"
    assert "<input" not in html.split('class="form-grid revision-grid"')[1]


def test_restore_makes_a_new_revision_and_says_so(client, three_revisions):
    reporter, submission = three_revisions
    client.force_login(reporter)

    # when the reporter restores revision 2 from the current revision 3
    response = client.post(
        reverse("reporting:revision_restore", args=[submission.pk, 2]),
        {"base_revision": "3"},
        follow=True,
    )

    # then revision 4 holds revision 2's values, and nothing older changed
    submission.refresh_from_db()
    newest = submission.current_revision
    assert (newest.number, newest.restored_from, newest.source) == (4, 2, "restore")
    assert newest.values == submission.revisions.get(number=2).values
    assert newest.comments == {"02:2": "Bổ sung 6 tập thể"}
    assert Revision.objects.filter(submission=submission).count() == 4
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        _("The values of revision %(old)d are current again, as revision %(new)d.")
        % {"old": 2, "new": 4}
    ]


def test_restore_from_a_stale_page_is_a_conflict_and_restores_nothing(
    client, three_revisions
):
    reporter, submission = three_revisions
    colleague = make_user(role="reporter", unit=submission.org_unit)
    client.force_login(reporter)
    # given a colleague saved revision 4 after the page showed revision 3
    save(colleague, submission, {"02:2": "5"}, base=3)

    # when the reporter restores revision 2 from that page
    response = client.post(
        reverse("reporting:revision_restore", args=[submission.pk, 2]),
        {"base_revision": "3"},
        follow=True,
    )

    # then nothing is restored and the message says why
    submission.refresh_from_db()
    assert submission.revision_count == 4
    assert submission.current_revision.created_by == colleague
    [message] = [str(m) for m in response.context["messages"]]
    assert message == _(
        "Nothing was restored: someone saved revision %(current)d after you "
        "opened this page at revision %(base)d. Look at the latest revision, "
        "then restore again if you still want to."
    ) % {"current": 4, "base": 3}


def test_another_communes_report_is_a_404_everywhere(client, tree, three_revisions):
    _reporter, submission = three_revisions
    stranger = make_user(role="reporter", unit=tree.sibling_commune)
    client.force_login(stranger)
    for name, args in [
        ("reporting:revisions", [submission.pk]),
        ("reporting:revision", [submission.pk, 1]),
        ("reporting:revision_pdf", [submission.pk, 1]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    response = client.post(
        reverse("reporting:revision_restore", args=[submission.pk, 1]),
        {"base_revision": "3"},
    )
    assert response.status_code == 404
    assert submission.revisions.count() == 3


def test_a_reviewer_sees_the_history_but_cannot_restore(client, tree, three_revisions):
    _reporter, submission = three_revisions
    reviewer = make_user(role="reviewer", unit=tree.district)
    client.force_login(reviewer)

    response = client.get(reverse("reporting:revisions", args=[submission.pk]))
    assert response.status_code == 200
    assert not response.context["can_restore"]
    assert 'name="base_revision"' not in response.content.decode()

    response = client.post(
        reverse("reporting:revision_restore", args=[submission.pk, 1]),
        {"base_revision": "3"},
    )
    assert response.status_code == 403
    assert submission.revisions.count() == 3


def test_a_submitted_report_cannot_be_restored(client, three_revisions):
    reporter, submission = three_revisions
    submission_submit(
        acting_user=reporter, submission=submission, base_revision=3, today=DAY
    )
    client.force_login(reporter)

    page = client.get(reverse("reporting:revisions", args=[submission.pk]))
    assert not page.context["can_restore"]
    response = client.post(
        reverse("reporting:revision_restore", args=[submission.pk, 2]),
        {"base_revision": "3"},
        follow=True,
    )
    assert submission.revisions.count() == 3
    [message] = [str(m) for m in response.context["messages"]]
    submission.refresh_from_db()
    assert submission.get_status_display().lower() in message


def test_a_revision_prints_as_the_official_form_pdf(client, three_revisions):
    reporter, submission = three_revisions
    client.force_login(reporter)
    response = client.get(reverse("reporting:revision_pdf", args=[submission.pk, 2]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
