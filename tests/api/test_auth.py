"""Tokens: who may call the API, how often, and who manages tokens."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from api.models import ApiToken
from api.services import token_create, token_revoke
from tests.api.factories import api_setup, data_value_set, push
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer not-a-real-key", "Basic dXNlcjpwYXNz"],
    ids=["missing", "bad", "wrong-scheme"],
)
def test_missing_or_bad_token_is_401_in_two_languages(client, header):
    # given a push without a valid token
    setup = api_setup()
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    # when it is sent
    response = client.post(
        "/api/v1/dataValueSets",
        data=data_value_set(setup, {"02:2": "1"}),
        content_type="application/json",
        **extra,
    )

    # then it is refused with a message in Vietnamese (message) and English
    assert response.status_code == 401
    body = response.json()
    assert body["message"] and body["message_en"]
    assert body["code"] in {"token_missing", "token_invalid"}


def test_revoked_token_is_401(client):
    # given a revoked token
    setup = api_setup()
    admin = make_user(role="administrator", unit=setup.tree.province)
    token_revoke(acting_user=admin, token=setup.token)

    # when it pushes
    response = push(client, setup, data_value_set(setup, {"02:2": "1"}))

    # then it is refused as revoked
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_token_without_push_right_is_403(client):
    setup = api_setup(can_push=False)
    response = push(client, setup, data_value_set(setup, {"02:2": "1"}))
    assert response.status_code == 403


def test_rate_limit_answers_429_with_retry_after(client):
    # given a token allowed two requests a minute
    setup = api_setup(rate_limit=2)
    body = data_value_set(setup, {"02:2": "1"})

    # when it sends three
    codes = [push(client, setup, body, query="dryRun=true") for _ in range(3)]

    # then the third is refused with Retry-After
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert 1 <= int(codes[2]["Retry-After"]) <= 61
    assert codes[2].json()["code"] == "rate_limited"


def test_anonymous_calls_are_limited_per_address(client, settings):
    # given the per-address limit of anonymous calls
    from api import auth

    limit = auth.ANONYMOUS_RATE_LIMIT

    # when one address reads the open OpenAPI document past the limit
    codes = [client.get("/api/v1/openapi.json").status_code for _ in range(limit + 1)]

    # then the call past the limit is refused
    assert codes[:limit] == [200] * limit
    assert codes[limit] == 429


def test_token_units_must_be_within_the_administrators_scope():
    # given an administrator of one district
    setup = api_setup()
    admin = make_user(role="administrator", unit=setup.tree.district)

    # when a token for a commune of another district is created
    # then it is refused
    with pytest.raises(ValidationError):
        token_create(
            acting_user=admin,
            name="x",
            user=setup.reporter,
            units=[setup.tree.other_commune],
        )


def test_key_is_stored_only_as_its_hash():
    setup = api_setup()
    token = ApiToken.objects.get(pk=setup.token.pk)
    assert setup.key not in (token.key_hash, token.prefix)
    assert token.prefix == setup.key[:8]


def test_token_page_creates_a_token_and_shows_its_key_once(client):
    # given an administrator of the province, signed in
    setup = api_setup()
    admin = make_user(role="administrator", unit=setup.tree.province)
    client.force_login(admin)

    # when a token is created on the page
    response = client.post(
        "/api/tokens/",
        {
            "name": "Sở Y tế",
            "username": setup.reporter.username,
            "unit_codes": setup.tree.commune.code,
            "can_push": "on",
            "rate_limit": "100",
        },
    )

    # then the page is sent again as a GET, with the key shown and the token listed
    assert response.status_code == 302
    assert response.url == "/api/tokens/"
    token = ApiToken.objects.get(name="Sở Y tế", can_push=True)
    page = client.get("/api/tokens/")
    assert b'id="created-key"' in page.content
    assert page["Cache-Control"] == "no-store"
    key = page.content.decode().split('class="secret-key">')[1].split("<")[0]
    assert key.startswith(token.prefix)
    assert f'data-token="{token.pk}"'.encode() in page.content

    # and once only: the next visit lists the token without its key
    again = client.get("/api/tokens/").content.decode()
    assert 'id="created-key"' not in again and key not in again
    assert f'data-token="{token.pk}"' in again


def test_token_page_asks_an_administrator_for_the_units(client):
    # given an administrator of the province, signed in
    setup = api_setup()
    admin = make_user(role="administrator", unit=setup.tree.province)
    client.force_login(admin)

    # when a token is asked for without units
    response = client.post(
        "/api/tokens/",
        {"name": "Sở Y tế", "username": setup.reporter.username, "rate_limit": "100"},
    )

    # then the units field is named as missing, and the help names their units
    assert response.status_code == 200
    field = response.context["form"]["unit_codes"]
    assert field.errors
    assert setup.tree.province.code in str(field.help_text)
    assert not ApiToken.objects.filter(name="Sở Y tế").exists()


def test_revoking_on_the_page_says_so(client):
    setup = api_setup()
    admin = make_user(role="administrator", unit=setup.tree.province)
    client.force_login(admin)

    response = client.post(f"/api/tokens/{setup.token.pk}/revoke/", follow=True)

    assert ApiToken.objects.get(pk=setup.token.pk).revoked_at is not None
    html = response.content.decode()
    assert 'class="message success"' in html and setup.token.name in html


def test_token_page_is_refused_to_a_reporter(client):
    setup = api_setup()
    client.force_login(setup.reporter)
    assert client.get("/api/tokens/").status_code == 403
