"""The lock banner and the page where a reviewer above reopens entry for one unit and
period: who sees what, who may grant, and that a granted exception reopens entry."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forms.definition.periods import PeriodType, period_containing
from reporting.engine.window import WindowState
from reporting.models import LockException
from reporting.services import lock_exception_grant, submission_open
from reporting.windows import unlockers_of, window_banner_of
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign
from tests.reporting.test_windows import monthly_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_small_tree()


@pytest.fixture
def people(tree):
    return {
        "province": make_user(role="reviewer", unit=tree.province, full_name="Phạm An"),
        "district": make_user(
            role="reviewer", unit=tree.district, full_name="Đỗ Thị Bích"
        ),
        "commune reviewer": make_user(role="reviewer", unit=tree.commune),
        "reporter": make_user(role="reporter", unit=tree.commune),
        "other district": make_user(role="reviewer", unit=tree.other_district),
    }


@pytest.fixture
def locked(tree, people):
    """The commune's report of three months ago: due 10 days after, 5 grace days."""
    today = timezone.localdate()
    month = period_containing(PeriodType.MONTH, today)
    for _step in range(3):
        month = month.previous()
    version = monthly_version()
    assign(version, tree.province, first_period="2020M1", grace_days=5)
    submission = submission_open(
        acting_user=people["reporter"],
        form_version=version,
        unit=tree.commune,
        period=month.id,
    )
    assert window_banner_of(submission).state is WindowState.LOCKED
    return submission


def test_the_unlockers_are_the_reviewers_above_nearest_first(tree, people):
    inactive = make_user(role="reviewer", unit=tree.province, full_name="Cũ")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    assert [(u.name, u.unit) for u in unlockers_of(tree.commune)] == [
        ("Đỗ Thị Bích", tree.district),
        ("Phạm An", tree.province),
    ]


def test_a_locked_report_says_why_and_who_can_unlock(client, locked, people):
    client.force_login(people["reporter"])

    response = client.get(reverse("reporting:revisions", args=[locked.pk]))

    html = response.content.decode()
    banner = response.context["banner"]
    assert banner.state is WindowState.LOCKED
    assert 'data-window-state="locked"' in html
    assert "Đỗ Thị Bích" in html and "Phạm An" in html
    assert banner.window.locks_after.strftime("%d/%m/%Y") in html
    assert reverse("reporting:lock_exception") not in html  # a reporter cannot

    client.force_login(people["district"])
    html = client.get(reverse("reporting:revisions", args=[locked.pk])).content
    assert f"{reverse('reporting:lock_exception')}?bao-cao={locked.pk}" in html.decode()


@pytest.mark.parametrize(
    "state, day, text",
    [
        (
            "not_open",
            datetime.date(2026, 2, 20),
            "Entry for %(period)s opens on %(opens)s.",
        ),
        ("open", datetime.date(2026, 4, 7), "Days left until the deadline: %(days)s."),
        ("late", datetime.date(2026, 4, 12), "Days overdue: %(days)s."),
    ],
)
def test_the_banner_partial_for_each_state(tree, people, state, day, text):
    version = monthly_version()
    assign(version, tree.province, first_period="2025M1", grace_days=5)
    submission = submission_open(
        acting_user=people["reporter"],
        form_version=version,
        unit=tree.commune,
        period="2026M3",
    )
    banner = window_banner_of(submission, today=day)
    with translation.override("vi"):
        html = render_to_string("reporting/_window_banner.html", {"banner": banner})
        expected = _(text) % {
            "period": "Tháng 3 năm 2026",
            "opens": "01/03/2026",
            "days": {"open": 3, "late": 2}.get(state, 0),
        }
    assert banner.state == state
    assert f'data-window-state="{state}"' in html
    assert expected in html


def test_the_template_tag_renders_the_banner(rf, locked, people):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = people["province"]
    html = Template(
        "{% load reporting_windows %}{% window_banner submission %}"
    ).render(Context({"submission": locked, "request": request}))
    assert 'data-window-state="locked"' in html
    assert f"?bao-cao={locked.pk}" in html


def test_a_reviewer_above_reopens_entry_from_the_report(client, locked, people):
    client.force_login(people["district"])
    url = reverse("reporting:lock_exception")
    until = timezone.localdate() + datetime.timedelta(days=7)

    # the form comes filled in from the report
    page = client.get(url, {"bao-cao": locked.pk})
    form = page.context["form"]
    assert (form["unit_code"].value(), form["period"].value()) == (
        "T9001",
        locked.period,
    )

    response = client.post(
        f"{url}?bao-cao={locked.pk}",
        {
            "template": locked.template_id,
            "unit_code": "T9001",
            "period": locked.period,
            "until": until.strftime("%d/%m/%Y"),
            "reason": "Mất kết nối mạng cả tuần",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"{url}?bao-cao={locked.pk}"
    exception = LockException.objects.get()
    assert (exception.org_unit_id, exception.until, exception.granted_by) == (
        locked.org_unit_id,
        until,
        people["district"],
    )
    assert "Mất kết nối mạng cả tuần" in response.content.decode()
    banner = window_banner_of(locked)
    assert banner.state is WindowState.LATE and banner.exception_active


def test_the_units_own_reviewer_cannot_reopen_it(client, locked, people):
    client.force_login(people["commune reviewer"])
    response = client.post(
        reverse("reporting:lock_exception"),
        {
            "template": locked.template_id,
            "unit_code": "T9001",
            "period": locked.period,
            "until": timezone.localdate().isoformat(),
            "reason": "Xin mở lại",
        },
    )
    assert response.status_code == 200
    assert not LockException.objects.exists()
    assert response.context["form"].non_field_errors() == [
        _("Only a reviewer of a level above %(unit)s can reopen its entry.")
        % {"unit": "Xã An Hòa"}
    ]


def test_a_reviewer_of_another_district_finds_no_such_unit(client, locked, people):
    client.force_login(people["other district"])
    response = client.post(
        reverse("reporting:lock_exception"),
        {
            "template": locked.template_id,
            "unit_code": "T9001",
            "period": locked.period,
            "until": timezone.localdate().isoformat(),
            "reason": "Xin mở lại",
        },
    )
    assert not LockException.objects.exists()
    assert "unit_code" in response.context["form"].errors
    # nor can they open the page from that report
    page = client.get(reverse("reporting:lock_exception"), {"bao-cao": locked.pk})
    assert page.status_code == 404


def test_a_reporter_does_not_reach_the_page(client, people):
    client.force_login(people["reporter"])
    assert client.get(reverse("reporting:lock_exception")).status_code == 403


@pytest.mark.parametrize(
    "field, value",
    [
        ("until", "01/01/2020"),
        ("period", "tháng ba"),
        ("reason", ""),
    ],
)
def test_the_form_refuses_bad_input(client, locked, people, field, value):
    client.force_login(people["province"])
    data = {
        "template": locked.template_id,
        "unit_code": "T9001",
        "period": locked.period,
        "until": timezone.localdate().strftime("%d/%m/%Y"),
        "reason": "Lý do",
        field: value,
    }
    response = client.post(reverse("reporting:lock_exception"), data)
    assert field in response.context["form"].errors
    assert not LockException.objects.exists()


def test_the_page_lists_exceptions_below_the_reviewer(client, tree, locked, people):
    lock_exception_grant(
        acting_user=people["province"],
        submission_template=locked.template,
        unit=tree.commune,
        period=locked.period,
        until=timezone.localdate(),
        reason="Lũ lụt",
    )
    client.force_login(people["district"])
    page = client.get(reverse("reporting:lock_exception"))
    assert [e.reason for e in page.context["exceptions"]] == ["Lũ lụt"]
    client.force_login(people["other district"])
    page = client.get(reverse("reporting:lock_exception"))
    assert list(page.context["exceptions"]) == []
