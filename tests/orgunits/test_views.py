"""The unit pages answer only within the user's scope; foreign units are 404."""

import pytest
from django.urls import reverse

from orgunits.models import OrgUnit
from orgunits.services import LEGACY_END
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def legacy(level, code):
    return OrgUnit.objects.get(level__code=level, code=code, valid_to=LEGACY_END)


@pytest.fixture
def district_reviewer(client):
    user = make_user(role="reviewer", unit=legacy("district", "001"))
    client.force_login(user)
    return user


def test_reviewer_opens_own_district_and_its_communes(client, district_reviewer):
    response = client.get(
        reverse("orgunits:detail", args=[legacy("district", "001").pk])
    )
    assert response.status_code == 200
    assert "Phường Phúc Xá" in response.content.decode()
    commune = legacy("commune", "00001")
    assert client.get(reverse("orgunits:detail", args=[commune.pk])).status_code == 200


@pytest.mark.parametrize(
    ("level", "code"), [("district", "002"), ("commune", "00046"), ("province", "01")]
)
def test_foreign_units_are_404(client, district_reviewer, level, code):
    response = client.get(reverse("orgunits:detail", args=[legacy(level, code).pk]))
    assert response.status_code == 404


def test_unknown_id_is_404(client, district_reviewer):
    assert client.get(reverse("orgunits:detail", args=[999999999])).status_code == 404


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(
        reverse("orgunits:detail", args=[legacy("district", "001").pk])
    )
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_htmx_request_gets_only_the_children_fragment(client, district_reviewer):
    response = client.get(
        reverse("orgunits:detail", args=[legacy("district", "001").pk]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "Phường Phúc Xá" in body
