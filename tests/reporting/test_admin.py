"""Administrators assign forms through the admin; the service does the writing."""

import pytest
from django.urls import reverse

from orgunits.models import OrgLevel, OrgUnit
from reporting.models import Assignment
from tests.factories import make_user
from tests.reporting.factories import catalog_version

pytestmark = pytest.mark.django_db


def test_admin_creates_an_assignment_through_the_service(client):
    version = catalog_version()
    version.refresh_from_db()
    client.force_login(make_user(is_superuser=True, is_staff=True))
    national = OrgUnit.objects.get(level__code="national")
    response = client.post(
        reverse("admin:reporting_assignment_add"),
        {
            "form_version": version.pk,
            "root": national.pk,
            "levels": [OrgLevel.objects.get(code="province").pk],
            "kinds": ["area"],
            "first_period": "2026",
            "last_period": "",
            "periods_ahead": 0,
            "grace_days": 30,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = Assignment.objects.get()
    assert (assignment.template, assignment.first_period, assignment.kinds) == (
        version.template,
        "2026",
        ["area"],
    )
    assert list(assignment.levels.values_list("code", flat=True)) == ["province"]


def test_bad_period_is_explained_at_its_field(client):
    version = catalog_version()
    client.force_login(make_user(is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:reporting_assignment_add"),
        {
            "form_version": version.pk,
            "root": OrgUnit.objects.get(level__code="national").pk,
            "first_period": "2026M13",
            "periods_ahead": 0,
        },
    )
    assert response.status_code == 200
    assert "2026M13" in response.content.decode()
    assert not Assignment.objects.exists()
