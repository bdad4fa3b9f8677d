"""Designers find the form builder in the navigation; nobody else sees the link."""

import pytest
from django.urls import reverse

from orgunits.models import OrgUnit
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "sees_link"), [("designer", True), ("reporter", False), ("analyst", False)]
)
def test_report_forms_link_only_for_designers(client, role, sees_link):
    client.force_login(
        make_user(role=role, unit=OrgUnit.objects.get(level__code="national"))
    )
    body = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("forms:list")}"' in body) is sees_link
