"""An administrator manages API tokens in a real browser: creates a token for their
district, copies its key (shown once) and pulls data with it through the live
server, then revokes it after confirming, and the same call is refused."""

import json
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.models import ApiToken
from reporting.models import Revision
from tests.browser import log_in, shot
from tests.factories import make_user
from tests.indicators.factories import make_catalogue, observe
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import catalog_version, make_submission
from workflow.models import ApprovalEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOKEN_NAME = "Hệ thống của Sở Y tế"


def pull(live_server, key: str) -> tuple[int, dict]:
    """GET the population observations with ``key`` as a machine client would."""
    request = urllib.request.Request(  # noqa: S310 (the test's own live server)
        live_server.url + "/api/v1/observations?indicator=0101",
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def world():
    """A small tree with the commune An Hòa's population, which is not open data,
    in the indicator store: only a token of someone who analyses it reads it."""
    tree = make_small_tree()
    _total, population, _rate = make_catalogue()
    submission = make_submission(catalog_version(), tree.commune, "2025", "accepted")
    revision = Revision.objects.create(
        submission=submission, number=1, source="web", values={}, digest="x"
    )
    event = ApprovalEvent.objects.create(
        submission=submission,
        revision=revision,
        action="approve",
        from_status="awaiting_review",
        to_status="accepted",
    )
    observe(
        population,
        tree.commune,
        "2025",
        Decimal("4200"),
        submission=submission,
        event=event,
    )
    return tree


def test_administrator_creates_uses_and_revokes_a_token(
    page, page_errors, live_server, world
):
    tree = world
    admin = make_user(role="administrator", unit=tree.district, full_name="Lý Quản")
    analyst = make_user(
        username="phan.tich.an.binh", role="analyst", unit=tree.district
    )

    # given the district's administrator, who finds the token page in the navigation
    log_in(page, live_server, admin)
    with page.expect_navigation():
        page.locator(".site-nav").get_by_role("link", name="Mã truy cập API").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mã truy cập API")
    expect(page.locator("#tokens")).to_have_count(0)

    # when they create a token acting as the analyst, for their own district
    page.get_by_label("Tên:", exact=True).fill(TOKEN_NAME)
    page.get_by_label("Hoạt động với tư cách người dùng (tên đăng nhập)").fill(
        analyst.username
    )
    page.get_by_label("Mã đơn vị").fill(tree.district.code)
    expect(page.get_by_label("Số yêu cầu mỗi phút")).to_have_value("600")
    with page.expect_navigation():
        page.get_by_role("button", name="Tạo mã truy cập").click()

    # then the key is shown once, with the warning to copy it
    created = page.locator("#created-key")
    expect(created).to_be_visible()
    expect(created).to_contain_text("Hãy sao chép khóa ngay")
    key = created.locator("code").inner_text().strip()
    token = ApiToken.objects.get(name=TOKEN_NAME)
    assert key.startswith(token.prefix) and len(key) > 20
    assert list(token.units.values_list("code", flat=True)) == [tree.district.code]
    assert token.user == analyst and token.created_by == admin
    shot(page, "api-token-created")
    # and the key fits its box on a phone's screen too
    page.set_viewport_size({"width": 360, "height": 740})
    assert created.evaluate("box => box.scrollWidth <= box.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 720})

    # and the key works: the analyst's data of the district comes back
    status, body = pull(live_server, key)
    assert status == 200
    assert [(o["unit"], o["value"]) for o in body["observations"]] == [
        ("T9001", "4200")
    ]

    # when the page is reloaded, the token is listed and its key is gone
    page.reload()
    expect(page.locator("#created-key")).to_have_count(0)
    assert key not in page.content()
    row = page.locator("#tokens tbody tr", has_text=TOKEN_NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{token.prefix}…")
    expect(row).to_contain_text(analyst.username)
    expect(row).to_contain_text(tree.district.name)
    revoke = row.get_by_role("button", name=f"Thu hồi {TOKEN_NAME}")

    # when they click revoke but cancel the confirmation, nothing changes
    questions: list[str] = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    revoke.click()
    assert len(questions) == 1 and TOKEN_NAME in questions[0]
    token.refresh_from_db()
    assert token.revoked_at is None
    assert pull(live_server, key)[0] == 200

    # when they confirm, the token is revoked and the page says so
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        revoke.click()
    assert len(questions) == 2
    token.refresh_from_db()
    assert token.revoked_at is not None
    expect(page.locator(".messages .message.success")).to_contain_text(TOKEN_NAME)
    row = page.locator("#tokens tbody tr", has_text=TOKEN_NAME)
    expect(row).to_contain_text("Đã thu hồi ngày")
    expect(row.get_by_role("button")).to_have_count(0)
    shot(page, "api-token-revoked")

    # then the same call is refused, in Vietnamese and in English
    status, body = pull(live_server, key)
    assert status == 401
    assert body["code"] == "token_revoked"
    assert body["message"].startswith("Mã truy cập API đã bị thu hồi ngày")
    assert body["message_en"].startswith("The API token was revoked on")
    assert page_errors == []
