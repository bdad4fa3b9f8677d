"""The store's pages: who may reach them, and that they call their services."""

import pytest
from django.urls import reverse

from indicators.models import CellMapping
from tests.factories import make_user
from tests.indicators.factories import make_catalogue
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import catalog_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    tree = make_small_tree()
    make_catalogue()
    return tree, catalog_version()


def test_catalogue_is_readable_and_only_administrators_export(client, setup):
    tree, _version = setup
    analyst = make_user(role="analyst", unit=tree.province)
    client.force_login(analyst)
    page = client.get(reverse("indicators:catalogue"))
    assert page.status_code == 200 and "0603.01" in page.text
    assert reverse("indicators:export") not in page.text
    assert client.get(reverse("indicators:export")).status_code == 403
    assert client.get(reverse("indicators:detail", args=["0102"])).status_code == 200

    admin = make_user(role="administrator", unit=tree.national)
    client.force_login(admin)
    exported = client.get(reverse("indicators:export"))
    assert exported.status_code == 200 and b'"0603.01"' in exported.content


def test_mapping_editor_saves_and_reports_cell_errors(client, setup):
    tree, version = setup
    designer = make_user(role="designer", unit=tree.national)
    client.force_login(designer)
    url = reverse("indicators:mapping", args=[version.pk])
    assert "ind-02-2" in client.get(url).text

    saved = client.post(url, {"ind-02-2": "0603.01", "dim-02-2-SEX": "T"})
    assert saved.status_code == 302
    mapping = CellMapping.objects.get(form_version=version)
    assert (mapping.row_code, mapping.column, mapping.dims) == ("02", 2, {"SEX": "T"})

    refused = client.post(url, {"ind-02-2": "0603.01", "ind-03-2": "0603.01"})
    assert refused.status_code == 200 and "03:2" in refused.text
    assert CellMapping.objects.filter(form_version=version).count() == 1

    reporter = make_user(role="reporter", unit=tree.commune)
    client.force_login(reporter)
    assert client.get(url).status_code == 403


def test_analyst_pages_refuse_users_without_an_analyst_scope(client, setup):
    tree, _version = setup
    reporter = make_user(role="reporter", unit=tree.commune)
    client.force_login(reporter)
    assert client.get(reverse("indicators:differences")).status_code == 403
    assert client.get(reverse("indicators:history")).status_code == 403

    analyst = make_user(role="analyst", unit=tree.province)
    client.force_login(analyst)
    page = client.get(
        reverse("indicators:differences"),
        {"indicator": "0603.01", "period": "tháng một", "level": "district"},
    )
    assert page.status_code == 200 and "tháng một" in page.text
