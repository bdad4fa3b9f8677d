"""What the browser tests share: signing in through the login page, screenshots."""

from pathlib import Path

from django.urls import reverse

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def log_in(page, live_server, user) -> None:
    """Sign ``user`` in through the Vietnamese login page."""
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập").click()


def shot(page, name: str) -> None:
    """Keep a full-page screenshot in test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
