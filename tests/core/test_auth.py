"""Logging in and out, locking after repeated failures, changing and resetting the
password; every page carries a strict Content-Security-Policy."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from core.views import server_error
from orgunits.services import org_levels_ensure, org_unit_create
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "mat-khau-moi-an-toan-2027"


@pytest.fixture
def commune(db):
    levels = org_levels_ensure()
    province = org_unit_create(
        acting_user=None,
        code="T99",
        name="Tỉnh Thử Nghiệm",
        level=levels["province"],
        parent=None,
    )
    return org_unit_create(
        acting_user=None,
        code="X99001",
        name="Xã Hòa Bình Thử",
        level=levels["commune"],
        parent=province,
    )


@pytest.fixture
def reporter(commune):
    return make_user(
        username="nguoi.lap",
        email="nguoi.lap@example.gov.vn",
        full_name="Nguyễn Văn An",
        role=Role.REPORTER,
        unit=commune,
    )


def _log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_vietnamese(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert "Quên mật khẩu?" in html


def test_reporter_logs_in_and_sees_their_unit(client, reporter, commune):
    # when the reporter logs in
    response = _log_in(client, "nguoi.lap", PASSWORD)

    # then they land on the home page, which lists their unit and role
    assert response.status_code == 302
    assert response.url == reverse("home")
    home = client.get(reverse("home"))
    html = home.content.decode()
    assert home.status_code == 200
    assert "Xin chào, Nguyễn Văn An" in html
    assert "Xã Hòa Bình Thử" in html
    assert "Người lập báo cáo" in html
    assert reverse("orgunits:detail", args=[commune.pk]) in html


def test_wrong_password_shows_a_vietnamese_error(client, reporter):
    response = _log_in(client, "nguoi.lap", "sai-mat-khau")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'aria-invalid="true"' in response.content.decode() or (
        "errorlist" in response.content.decode()
    )


def test_five_wrong_passwords_lock_the_account(client, reporter):
    # given four failed attempts
    for _ in range(4):
        assert _log_in(client, "nguoi.lap", "sai-mat-khau").status_code == 200

    # when the fifth fails too
    response = _log_in(client, "nguoi.lap", "sai-mat-khau")

    # then the Vietnamese lock-out page is shown
    html = response.content.decode()
    assert response.status_code == 429
    assert "Tài khoản tạm thời bị khóa" in html
    assert "Mật khẩu đã bị nhập sai 5 lần" in html
    assert "Vui lòng thử lại sau 1\xa0giờ." in html

    # and even the right password does not get in until the cool-off ends
    response = _log_in(client, "nguoi.lap", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_returns_to_the_login_page(client, reporter):
    _log_in(client, "nguoi.lap", PASSWORD)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_password_change(client, reporter):
    _log_in(client, "nguoi.lap", PASSWORD)
    page = client.get(reverse("password_change"))
    assert "Đổi mật khẩu" in page.content.decode()

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert "Đã đổi mật khẩu" in client.get(response.url).content.decode()
    reporter.refresh_from_db()
    assert reporter.check_password(NEW_PASSWORD)


def test_password_change_rejects_a_weak_password(client, reporter):
    _log_in(client, "nguoi.lap", PASSWORD)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    reporter.refresh_from_db()
    assert reporter.check_password(PASSWORD)


def test_password_reset_by_email(client, reporter):
    # when the reporter asks for a reset link
    response = client.post(
        reverse("password_reset"), {"email": "Nguoi.Lap@example.gov.vn"}
    )
    assert response.status_code == 302
    assert "Hãy kiểm tra thư điện tử" in client.get(response.url).content.decode()

    # then a Vietnamese e-mail with a one-time link is sent
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nguoi.lap@example.gov.vn"]
    assert message.subject == "Đặt lại mật khẩu trên testserver"
    assert "Xin chào Nguyễn Văn An," in message.body
    assert "Tên đăng nhập của bạn: nguoi.lap" in message.body
    link = re.search(r"http://testserver(/\S+/)", message.body).group(1)

    # and the link leads to a form that sets the new password
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Đặt mật khẩu mới" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    reporter.refresh_from_db()
    assert reporter.check_password(NEW_PASSWORD)

    # and the link cannot be used twice
    again = client.get(link, follow=True)
    assert "Đường liên kết không còn hiệu lực" in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing(client, reporter):
    response = client.post(reverse("password_reset"), {"email": "ai@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_english_can_be_chosen(client, db):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("login")}
    )
    assert response.status_code == 302
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Forgotten your password?" in html


def test_error_pages_are_vietnamese(client, reporter):
    _log_in(client, "nguoi.lap", PASSWORD)
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_a_foreign_unit_is_not_found(client, reporter, commune):
    other = org_unit_create(
        acting_user=None,
        code="X99002",
        name="Xã Khác",
        level=commune.level,
        parent=commune.parent,
    )
    _log_in(client, "nguoi.lap", PASSWORD)
    response = client.get(reverse("orgunits:detail", args=[other.pk]))
    assert response.status_code == 404
    assert "Xã Khác" not in response.content.decode()


class _ScriptsAndStyles(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline_scripts = []
        self.script_sources = []
        self.inline_styles = []
        self.handlers = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.script_sources.append(attributes["src"])
            else:
                self._in_script = True
        if tag == "style":
            self.inline_styles.append(tag)
        if "style" in attributes:
            self.inline_styles.append(f"{tag} style=")
        self.handlers += [name for name in attributes if name.startswith("on")]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def _pages(client, reporter, commune):
    yield client.get(reverse("login"))
    yield client.get(reverse("password_reset"))
    yield client.get("/khong-co-trang-nay/")
    client.force_login(reporter, backend="django.contrib.auth.backends.ModelBackend")
    yield client.get(reverse("home"))
    yield client.get(reverse("orgunits:index"))
    yield client.get(reverse("orgunits:detail", args=[commune.pk]))
    yield client.get(reverse("password_change"))


def test_every_page_has_a_strict_content_security_policy(client, reporter, commune):
    for response in _pages(client, reporter, commune):
        policy = response.headers.get("Content-Security-Policy", "")
        directives = dict(
            (part.strip().split(" ", 1) + [""])[:2]
            for part in policy.split(";")
            if part.strip()
        )
        assert directives.get("script-src") == "'self'", response.request["PATH_INFO"]
        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy
        assert directives.get("style-src") == "'self'"
        assert directives.get("object-src") == "'none'"
        assert directives.get("frame-ancestors") == "'none'"


def test_pages_have_no_inline_script_or_style(client, reporter, commune):
    for response in _pages(client, reporter, commune):
        parser = _ScriptsAndStyles()
        parser.feed(response.content.decode())
        assert parser.inline_scripts == [], response.request["PATH_INFO"]
        assert parser.inline_styles == [], response.request["PATH_INFO"]
        assert parser.handlers == [], response.request["PATH_INFO"]
        assert all(src.startswith("/static/") for src in parser.script_sources)


def test_base_template_has_no_inline_script():
    from django.conf import settings

    source = (settings.BASE_DIR / "templates" / "base.html").read_text()
    for tag in re.findall(r"<script\b[^>]*>", source):
        assert "src=" in tag
    assert "<style" not in source
    assert "style=" not in source
    assert "cdn" not in source.lower()


def test_login_lists_no_other_user(client, reporter):
    assert get_user_model().objects.filter(username="nguoi.lap").exists()
    html = client.get(reverse("login")).content.decode()
    assert "nguoi.lap" not in html


def test_an_expired_form_gets_a_vietnamese_explanation(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.content.decode()


def test_server_error_page_needs_no_database():
    # given a request whose session and user would need the database (not allowed
    # here: the test has no db fixture)
    request = RequestFactory().get("/")

    # when the 500 handler renders
    with translation.override("vi"):
        response = server_error(request)

    # then it still answers, in Vietnamese
    assert response.status_code == 500
    assert "Đã xảy ra lỗi" in response.content.decode()
