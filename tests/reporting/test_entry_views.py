"""The entry page and its save and submit endpoints, through the real URLs on real
PostgreSQL: who sees what, what is saved, what is refused and how it is said."""

import json
import re

import pytest
from django.urls import reverse

from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE
from reporting.models import Receipt, Revision, Submission, SubmissionStatus
from tests.factories import make_user
from tests.reporting.factories import assign, catalog_version, monthly_version

pytestmark = pytest.mark.django_db
PERIOD = "2025"


@pytest.fixture
def units():
    hanoi = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    communes = OrgUnit.objects.filter(
        level__code="commune", valid_from=REFORM_DATE, path__startswith=hanoi.path
    ).order_by("code")[:2]
    return hanoi, communes[0], communes[1]


@pytest.fixture
def form(units):
    hanoi, _commune, _other = units
    version = catalog_version()
    assign(version, hanoi, first_period=PERIOD)
    return version


@pytest.fixture
def reporter(units):
    return make_user(role="reporter", unit=units[1], full_name="Nguyễn Văn Nhập")


def entry_url(version, unit, period=PERIOD):
    return reverse("reporting:entry", args=[version.template_id, unit.pk, period])


def post_json(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def opened(client, form, user, unit) -> Submission:
    client.force_login(user)
    assert client.get(entry_url(form, unit)).status_code == 200
    return Submission.objects.get(template=form.template, org_unit=unit, period=PERIOD)


def save_url(submission):
    return reverse("reporting:entry_save", args=[submission.pk])


def submit_url(submission):
    return reverse("reporting:entry_submit", args=[submission.pk])


def script_data(response) -> dict:
    match = re.search(
        r'<script id="entry-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


# --- Opening the page --------------------------------------------------------------


def test_reporter_opens_the_draft_grid_in_vietnamese(client, form, units, reporter):
    _hanoi, commune, _other = units
    client.force_login(reporter)

    # when the reporter opens the report for the first time
    response = client.get(entry_url(form, commune))

    # then the draft exists and the grid is drawn from the form version
    assert response.status_code == 200
    submission = Submission.objects.get(org_unit=commune, period=PERIOD)
    assert submission.status == SubmissionStatus.DRAFT
    page = response.content.decode()
    assert '<html lang="vi">' in page
    for label in ("Chỉ tiêu", "Mã số", "Đơn vị tính", "trong đó", "Chia ra"):
        assert label in page
    assert "- Hộ gia đình" in page and "indent-3" in page
    # 17 coded rows x 5 columns: column 1 and row 01 computed, the rest input
    assert page.count('<input type="text" id="cell-') == 16 * 4
    assert page.count('<output class="cell-value"') == 17 + 4
    assert 'class="row-label indent-1"' in page  # the group header rows
    # and the script receives the formulas with their references resolved
    data = script_data(response)
    assert data["editable"] is True and data["revision"] == 0
    assert data["formulas"]["02:1"] == {
        "op": "+",
        "l": {
            "op": "+",
            "l": {"op": "+", "l": {"ref": "02:2"}, "r": {"ref": "02:3"}},
            "r": {"ref": "02:4"},
        },
        "r": {"ref": "02:5"},
    }
    assert data["saveUrl"] == save_url(submission)


def test_saved_values_and_earlier_periods_are_shown_vietnamese_style(
    client, form, units, reporter
):
    _hanoi, commune, _other = units
    last_year = opened(client, form, reporter, commune)
    Submission.objects.filter(pk=last_year.pk).update(period="2024")
    submission = opened(client, form, reporter, commune)
    post_json(
        client,
        save_url(last_year),
        {"base_revision": 0, "values": {"02:2": "999"}},
    )
    response = post_json(
        client,
        save_url(submission),
        {"base_revision": 0, "values": {"02:2": "1234567", "04:2": "3"}},
    )
    assert response.status_code == 200

    page = client.get(entry_url(form, commune)).content.decode()

    assert 'value="1.234.567"' in page
    assert ">1.234.570</output>" in page  # 01:2 = 02 + 04 + 05
    assert "999" in page and 'class="prior"' in page


def test_another_communes_report_is_not_found(client, form, units, reporter):
    _hanoi, commune, other = units
    colleague = make_user(role="reporter", unit=other)
    theirs = opened(client, form, colleague, other)

    client.force_login(reporter)
    assert client.get(entry_url(form, other)).status_code == 404
    response = post_json(
        client, save_url(theirs), {"base_revision": 0, "values": {"02:2": "1"}}
    )
    assert response.status_code == 404
    assert (
        post_json(client, submit_url(theirs), {"base_revision": 0}).status_code == 404
    )
    assert not Revision.objects.exists()


def test_unknown_form_period_or_unassigned_unit_is_not_found(
    client, form, units, reporter
):
    _hanoi, commune, _other = units
    client.force_login(reporter)
    assert client.get(entry_url(form, commune, "2025M13")).status_code == 404
    assert (
        client.get(
            reverse("reporting:entry", args=[999999, commune.pk, PERIOD])
        ).status_code
        == 404
    )
    # the assignment starts in 2025
    assert client.get(entry_url(form, commune, "2023")).status_code == 404


def test_reviewer_sees_a_read_only_report_and_cannot_save(
    client, form, units, reporter
):
    hanoi, commune, _other = units
    reviewer = make_user(role="reviewer", unit=hanoi)

    # given the reviewer opens a report nobody has started: nothing is created
    client.force_login(reviewer)
    response = client.get(entry_url(form, commune))
    assert response.status_code == 200
    assert not Submission.objects.exists()
    assert '<input type="text" id="cell-' not in response.content.decode()

    # when the reporter has saved a draft
    submission = opened(client, form, reporter, commune)
    post_json(
        client, save_url(submission), {"base_revision": 0, "values": {"02:2": "5"}}
    )

    # then the reviewer sees the figures without a single input
    client.force_login(reviewer)
    page = client.get(entry_url(form, commune)).content.decode()
    assert 'data-cell="02:2" data-type="integer">5</span>' in page
    assert '<input type="text" id="cell-' not in page
    assert 'id="read-only-reason"' in page
    assert script_data(client.get(entry_url(form, commune)))["editable"] is False

    # and a save from them is refused with a sentence, and nothing changes
    response = post_json(
        client, save_url(submission), {"base_revision": 1, "values": {"02:2": "6"}}
    )
    assert response.status_code == 403
    assert commune.name in response.json()["message"]
    assert (
        post_json(client, submit_url(submission), {"base_revision": 1}).status_code
        == 403
    )
    assert Revision.objects.count() == 1


# --- Saving --------------------------------------------------------------------------


def test_save_makes_a_revision_and_answers_with_the_computed_cells(
    client, form, units, reporter
):
    _hanoi, commune, _other = units
    submission = opened(client, form, reporter, commune)

    response = post_json(
        client,
        save_url(submission),
        {
            "base_revision": 0,
            "values": {"02:2": "1.234", "02:3": "6", "04:2": "10", "05:2": " 5 "},
            "comments": {"02:2": "Số liệu của Sở Nội vụ"},
        },
    )

    assert response.status_code == 200
    answer = response.json()
    assert (answer["revision"], answer["created"]) == (1, True)
    assert "02:2" not in answer["computed"]
    assert answer["computed"]["01:2"] == "1.249"
    assert answer["computed"]["01:1"] == "1.255"
    assert answer["computed"]["03:1"] == "0"
    assert "1" in answer["message"]
    revision = Revision.objects.get()
    assert revision.values["02:2"] == "1234"
    assert revision.comments == {"02:2": "Số liệu của Sở Nội vụ"}
    assert revision.created_by == reporter

    # and saving the same again makes no new revision
    again = post_json(
        client,
        save_url(submission),
        {
            "base_revision": 1,
            "values": {"02:2": "1234", "02:3": "6", "04:2": "10", "05:2": "5"},
            "comments": {"02:2": "Số liệu của Sở Nội vụ"},
        },
    )
    assert (again.json()["revision"], again.json()["created"]) == (1, False)


def test_invalid_values_are_reported_by_cell_and_nothing_is_saved(
    client, form, units, reporter
):
    _hanoi, commune, _other = units
    submission = opened(client, form, reporter, commune)

    response = post_json(
        client,
        save_url(submission),
        {
            "base_revision": 0,
            "values": {"02:2": "abc", "04:3": "1,5", "05:2": "7", "01:1": "3"},
        },
    )

    assert response.status_code == 400
    answer = response.json()
    assert sorted(answer["errors"]) == ["01:1", "02:2", "04:3"]
    assert "'abc'" in answer["errors"]["02:2"]
    assert "'1,5'" in answer["errors"]["04:3"]
    assert len(answer["problems"]) == 3
    assert any(
        re.search(r"\b04\b.*\b3\b.*'1,5'", sentence) for sentence in answer["problems"]
    )
    assert "Traceback" not in response.content.decode()
    assert not Revision.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        '{"values": {}}',
        '{"base_revision": -1, "values": {}}',
        '{"base_revision": 0, "values": ["02:2"]}',
        '{"base_revision": 0, "values": {"02:2": {"x": 1}}}',
    ],
)
def test_unreadable_requests_get_a_sentence_not_a_traceback(
    client, form, units, reporter, body
):
    submission = opened(client, form, reporter, units[1])
    response = client.post(
        save_url(submission), data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"]
    assert not Revision.objects.exists()


def test_second_save_from_an_old_revision_is_a_conflict_with_both_values(
    client, form, units, reporter
):
    _hanoi, commune, _other = units
    submission = opened(client, form, reporter, commune)
    colleague = make_user(role="reporter", unit=commune, full_name="Lê Thị Hai")

    # given the colleague saves first, from the empty draft
    client.force_login(colleague)
    post_json(
        client, save_url(submission), {"base_revision": 0, "values": {"02:2": "1.000"}}
    )

    # when the reporter saves from the same empty draft
    client.force_login(reporter)
    response = post_json(
        client, save_url(submission), {"base_revision": 0, "values": {"02:2": "2000"}}
    )

    # then nothing is overwritten, and both versions of the cell are shown
    assert response.status_code == 409
    answer = response.json()
    assert answer["current_revision"] == 1
    assert answer["saved_by"] == "Lê Thị Hai"
    difference = next(d for d in answer["differences"] if d["cell"] == "02:2")
    assert (difference["theirs"], difference["mine"]) == ("1.000", "2.000")
    assert difference["computed"] is False
    assert answer["theirs_values"]["02:2"] == "1.000"
    assert "1.000" in answer["html"] and "2.000" in answer["html"]
    assert Revision.objects.get().values["02:2"] == "1000"

    # and keeping theirs' revision number as the base saves on top of it
    response = post_json(
        client, save_url(submission), {"base_revision": 1, "values": {"02:2": "2000"}}
    )
    assert response.json()["revision"] == 2
    assert list(Revision.objects.values_list("number", flat=True)) == [2, 1]


def test_plain_form_post_saves_and_a_bad_one_keeps_what_was_typed(
    client, form, units, reporter
):
    _hanoi, commune, _other = units
    submission = opened(client, form, reporter, commune)

    response = client.post(
        save_url(submission),
        {"base_revision": "0", "02:2": "12", "note:02:2": "ước tính"},
    )
    assert response.status_code == 302
    assert response["Location"] == entry_url(form, commune)
    assert Revision.objects.get().comments == {"02:2": "ước tính"}

    response = client.post(save_url(submission), {"base_revision": "1", "02:2": "1x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="1x"' in page and 'aria-invalid="true"' in page
    assert Revision.objects.count() == 1


# --- Submitting ----------------------------------------------------------------------


def test_submit_issues_a_receipt_and_the_report_turns_read_only(
    client, form, units, reporter
):
    _hanoi, commune, _other = units
    submission = opened(client, form, reporter, commune)
    post_json(
        client, save_url(submission), {"base_revision": 0, "values": {"02:2": "7"}}
    )

    # a stale base revision is refused
    assert (
        post_json(client, submit_url(submission), {"base_revision": 0}).status_code
        == 409
    )

    response = post_json(client, submit_url(submission), {"base_revision": 1})

    assert response.status_code == 200
    receipt = Receipt.objects.get()
    assert response.json()["receipt"] == receipt.number
    assert receipt.number in response.json()["message"]
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    page = client.get(entry_url(form, commune)).content.decode()
    assert '<input type="text" id="cell-' not in page
    assert receipt.number in page
    # and the endpoints now refuse, saying why
    response = post_json(
        client, save_url(submission), {"base_revision": 1, "values": {"02:2": "8"}}
    )
    assert response.status_code == 423
    assert response.json()["message"]
    assert (
        post_json(client, submit_url(submission), {"base_revision": 1}).status_code
        == 423
    )


def test_submitting_an_unsaved_draft_is_refused(client, form, units, reporter):
    submission = opened(client, form, reporter, units[1])
    response = post_json(client, submit_url(submission), {"base_revision": 0})
    assert response.status_code == 423
    assert not Receipt.objects.exists()


def test_pages_need_a_login(client, form, units):
    response = client.get(entry_url(form, units[1]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_locked_period_is_read_only_and_says_why(client, units, reporter):
    hanoi, commune, _other = units
    version = monthly_version(deadline_days=10)
    assign(version, hanoi, first_period="2025M8", grace_days=5)
    client.force_login(reporter)
    url = reverse("reporting:entry", args=[version.template_id, commune.pk, "2025M8"])

    # when the reporter opens a month whose late entry closed long ago
    response = client.get(url)

    # then the form shows without inputs, with the reason and the locked banner
    assert response.status_code == 200
    page = response.content.decode()
    assert '<input type="text" id="cell-' not in page
    assert 'id="read-only-reason"' in page
    assert 'data-window-state="locked"' in page
    assert script_data(response)["editable"] is False

    # and a save that tries anyway is refused with the reason, and nothing is kept
    submission = Submission.objects.get(org_unit=commune, period="2025M8")
    response = post_json(
        client, save_url(submission), {"base_revision": 0, "values": {"02:2": "1"}}
    )
    assert response.status_code == 423
    assert "2025" in response.json()["message"]
    assert not Revision.objects.exists()
