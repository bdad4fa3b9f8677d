"""The reviewer's desk through the client: the queue, a report's page, approve,
return with cell comments, unapprove and accept, refusals shown as messages naming
the report's state, and the reporter's entry page showing the comments."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from reporting.models import Notification, SubmissionStatus
from tests.workflow.factories import make_desk, send_report
from workflow.effects import transition_effects_apply
from workflow.models import ApprovalEvent, CellComment

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return make_desk()


@pytest.fixture
def report(desk):
    return send_report(desk, desk.tree.commune, desk.reporter)


def as_user(client, user):
    client.force_login(user)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def entry_url(report) -> str:
    return reverse(
        "reporting:entry", args=[report.template_id, report.org_unit_id, report.period]
    )


def test_queue_and_report_page_show_what_awaits_the_reviewer(client, desk, report):
    as_user(client, desk.district_reviewer)

    # when the reviewer opens the queue
    page = client.get(reverse("workflow:queue"))

    # then the report is listed, clean, with a link to it, and the nav offers the desk
    html = page.content.decode()
    assert page.status_code == 200
    assert desk.tree.commune.name in html
    assert reverse("workflow:review", args=[report.pk]) in html
    assert 'href="/duyet/"' in html

    # when the report is opened
    page = client.get(reverse("workflow:review", args=[report.pk]))

    # then its values, its history and the actions open now are shown
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-cell="02:2"' in html and ">120<" in html
    assert 'id="approve-form"' in html and 'id="return-form"' in html
    assert 'id="event-history"' in html
    assert 'id="unapprove-form"' not in html


def test_a_reporter_has_no_review_link_and_no_access(client, desk, report):
    as_user(client, desk.reporter)
    assert "/duyet/" not in client.get(reverse("reporting:inbox")).content.decode()
    assert client.get(reverse("workflow:review", args=[report.pk])).status_code == 404
    response = client.post(reverse("workflow:approve", args=[report.pk]))
    assert response.status_code == 404
    assert not ApprovalEvent.objects.filter(action="approve").exists()


def test_approve_then_a_second_approve_is_refused_naming_the_state(
    client, desk, report
):
    as_user(client, desk.district_reviewer)
    response = client.post(reverse("workflow:approve", args=[report.pk]))
    assert response.status_code == 302
    assert response.url == reverse("workflow:queue")
    report.refresh_from_db()
    assert report.approved_levels == ["district"]

    # when the district tries again, it is told the report now awaits the province
    response = client.post(reverse("workflow:approve", args=[report.pk]))
    assert response.url == reverse("workflow:review", args=[report.pk])
    message = texts(response)[-1]
    assert "chờ duyệt" in message.lower() or "awaiting review" in message.lower()
    assert ApprovalEvent.objects.filter(action="approve").count() == 1


def history_rows(html: str) -> list[list[str]]:
    """Return the cells' text of each row of the report page's event history."""
    table = html[html.index('id="event-history"') :]
    table = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("</td>")[:-1]]
        for row in table.split("</tr>")[:-1]
    ]


def test_the_history_names_the_levels_that_acted_in_vietnamese(client, desk, report):
    # given the district and then the province approved the report
    as_user(client, desk.district_reviewer)
    client.post(reverse("workflow:approve", args=[report.pk]))
    client.logout()
    as_user(client, desk.province_reviewer)
    client.post(reverse("workflow:approve", args=[report.pk]))

    # when the national reviewer opens the report in Vietnamese
    as_user(client, desk.national_reviewer)
    html = client.get(
        reverse("workflow:review", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="vi"
    ).content.decode()

    # then the history names each level that approved as users read it, no code
    rows = [" | ".join(row) for row in history_rows(html)]
    approvals = [
        " | ".join(row) for row in history_rows(html) if row[2].startswith("Đã duyệt")
    ]
    assert len(approvals) == 2
    assert "| Quận, huyện |" in approvals[0]
    assert "| Tỉnh, thành phố |" in approvals[1]
    for code in ("district", "province", "national"):
        assert not any(code in row for row in rows)
    # in a column of its own
    assert '<th scope="col">Cấp</th>' in html


def test_return_with_cell_comments_reaches_the_reporters_entry_page(
    client, desk, report
):
    # given the district returns the report with a reason and a cell comment
    as_user(client, desk.district_reviewer)
    response = client.post(
        reverse("workflow:return", args=[report.pk]),
        {
            "reason": "Số khen thưởng chưa khớp sổ sách",
            "cell_comment:02:2": "Kiểm tra lại số tổng",
            "cell_comment:03:2": "",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == SubmissionStatus.RETURNED
    assert list(CellComment.objects.values_list("cell", "text")) == [
        ("02:2", "Kiểm tra lại số tổng")
    ]

    # when the reporter opens the entry page
    client.logout()
    as_user(client, desk.reporter)
    html = client.get(entry_url(report)).content.decode()

    # then the reason shows in a banner and the comment on its cell and in the list
    assert 'id="review-return"' in html
    assert "Số khen thưởng chưa khớp sổ sách" in html
    assert 'id="review-comment-list"' in html
    assert "Kiểm tra lại số tổng" in html
    cell = html[html.index('name="02:2"') :]
    cell = cell[: cell.index("</td>")]
    assert "review-marker" in cell and "Kiểm tra lại số tổng" in cell


def test_return_without_a_reason_or_on_an_unknown_cell_is_refused(client, desk, report):
    as_user(client, desk.district_reviewer)
    response = client.post(reverse("workflow:return", args=[report.pk]), {"reason": ""})
    assert texts(response)
    response = client.post(
        reverse("workflow:return", args=[report.pk]),
        {"reason": "Sai", "cell_comment:99:9": "?"},
    )
    assert any("99:9" in text for text in texts(response))
    report.refresh_from_db()
    assert report.status == SubmissionStatus.AWAITING_REVIEW
    assert not ApprovalEvent.objects.filter(action="return").exists()


def test_unapprove_and_accept(client, desk, report):
    # given the district approved the report
    as_user(client, desk.district_reviewer)
    client.post(reverse("workflow:approve", args=[report.pk]))
    page = client.get(reverse("workflow:review", args=[report.pk])).content.decode()
    assert 'id="unapprove-form"' in page

    # when it withdraws the approval without a reason, it is refused
    response = client.post(reverse("workflow:unapprove", args=[report.pk]))
    assert texts(response)
    # and with a reason the report awaits the district again
    client.post(
        reverse("workflow:unapprove", args=[report.pk]),
        {"reason": "Duyệt nhầm"},
    )
    report.refresh_from_db()
    assert (report.status, report.approved_levels) == ("awaiting_review", [])

    # when every level approves, the national office accepts
    client.post(reverse("workflow:approve", args=[report.pk]))
    for reviewer in (desk.province_reviewer, desk.national_reviewer):
        client.logout()
        as_user(client, reviewer)
        client.post(reverse("workflow:approve", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == SubmissionStatus.APPROVED
    page = client.get(reverse("workflow:review", args=[report.pk])).content.decode()
    assert 'id="accept-form"' in page
    client.post(reverse("workflow:accept", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == SubmissionStatus.ACCEPTED

    # and accepting again is refused with the state named
    response = client.post(reverse("workflow:accept", args=[report.pk]))
    message = texts(response)[-1]
    assert SubmissionStatus.ACCEPTED.label.lower() in message.lower() or (
        "chấp nhận" in message.lower()
    )


def test_notifications_link_reviewers_to_the_desk_and_reporters_to_entry(
    client, desk, report
):
    # given the check passed (awaiting the district) and the district returned it
    passed = ApprovalEvent.objects.get(submission=report, action="validation_passed")
    transition_effects_apply(event_id=passed.pk)
    as_user(client, desk.district_reviewer)
    client.post(
        reverse("workflow:return", args=[report.pk]), {"reason": "Thiếu số liệu"}
    )
    returned = ApprovalEvent.objects.get(submission=report, action="return")
    transition_effects_apply(event_id=returned.pk)

    # then the reviewer's notification opens the desk, the reporter's the entry page
    review = Notification.objects.get(user=desk.district_reviewer)
    assert review.url == reverse("workflow:review", args=[report.pk])
    back = Notification.objects.get(user=desk.reporter)
    assert back.url == entry_url(report)

    # and the notifications page lists them
    page = client.get(reverse("reporting:notifications")).content.decode()
    assert review.subject in page
