"""NormalizeUnicodeMiddleware turns decomposed (NFD) input into NFC."""

import json
import unicodedata

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from core.middleware import NormalizeUnicodeMiddleware

COMPOSED = "Nguyễn Thị Hòa"
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


def _run(request):
    seen = {}

    def view(request):
        seen["GET"] = request.GET
        seen["POST"] = request.POST
        return HttpResponse("ok")

    response = NormalizeUnicodeMiddleware(view)(request)
    assert response.status_code == 200
    return seen


def test_form_post_values_and_keys_become_nfc():
    # given a form posted with NFD text (multipart, as RequestFactory sends it)
    request = RequestFactory().post(
        "/", {"full_name": DECOMPOSED, "tên": ["Hòa", DECOMPOSED]}
    )
    assert DECOMPOSED != COMPOSED

    # when the middleware runs
    seen = _run(request)

    # then the view reads NFC
    assert seen["POST"]["full_name"] == COMPOSED
    assert seen["POST"].getlist("tên") == ["Hòa", COMPOSED]
    assert not seen["POST"]._mutable


def test_urlencoded_post_and_query_string_become_nfc():
    request = RequestFactory().post(
        f"/?q={DECOMPOSED}",
        f"full_name={DECOMPOSED}".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    seen = _run(request)
    assert seen["POST"]["full_name"] == COMPOSED
    assert seen["GET"]["q"] == COMPOSED


def test_json_body_is_left_alone():
    request = RequestFactory().post(
        "/", {"full_name": DECOMPOSED}, content_type="application/json"
    )
    seen = _run(request)
    assert json.loads(request.body) == {"full_name": DECOMPOSED}
    assert not seen["POST"]


def test_middleware_is_installed():
    assert "core.middleware.NormalizeUnicodeMiddleware" in settings.MIDDLEWARE
