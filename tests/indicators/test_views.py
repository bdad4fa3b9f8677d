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
    assert refused.status_code == 200 and 'href="#map-03-2"' in refused.text
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


def _cell_row(html: str, name: str) -> str:
    """The editor's table row of cell ``name`` ("03-2")."""
    start = html.index(f'id="map-{name}"')
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


def test_a_refused_save_marks_each_refused_cell_and_keeps_every_choice(client, setup):
    tree, version = setup
    designer = make_user(role="designer", unit=tree.national)
    client.force_login(designer)
    url = reverse("indicators:mapping", args=[version.pk])

    # given a designer mapping 02:2 well, 03:2 to an indicator without dimensions
    # but with a sex, 04:2 to an indicator typed wrong, and choosing a sex for 05:2
    # without an indicator yet
    refused = client.post(
        url,
        {
            "ind-02-2": "0603.01",
            "dim-02-2-SEX": "F",
            "ind-03-2": "0101",
            "dim-03-2-SEX": "M",
            "ind-04-2": "0603.99",
            "dim-05-2-SEX": "T",
        },
        HTTP_ACCEPT_LANGUAGE="vi",
    )

    # then nothing is saved and the summary at the top links to each refused cell
    # with its Vietnamese message, in the order of the form
    assert refused.status_code == 200
    assert not CellMapping.objects.filter(form_version=version).exists()
    html = refused.text
    start = html.index('id="mapping-error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert summary.index('href="#map-03-2"') < summary.index('href="#map-04-2"')
    assert "Ô 03:2: chỉ tiêu 0101 không có phân tổ SEX." in summary
    assert "Ô 04:2: không có chỉ tiêu 0603.99." in summary
    assert 'class="messages"' not in html
    # and each refused row is marked, its controls pointing at its message
    for name, message in (
        ("03-2", "Ô 03:2: chỉ tiêu 0101 không có phân tổ SEX."),
        ("04-2", "Ô 04:2: không có chỉ tiêu 0603.99."),
    ):
        row = _cell_row(html, name)
        assert "mapping-cell--refused" in row
        assert f'aria-describedby="err-{name}"' in row
        assert (
            f'<ul class="errorlist mapping-error" id="err-{name}"><li>{message}' in row
        )
    assert "mapping-cell--refused" not in _cell_row(html, "02-2")
    # and every choice sent is shown again, the wrong code and the lone sex included
    assert 'name="ind-02-2" value="0603.01"' in html
    assert 'name="ind-03-2" value="0101"' in html
    assert 'name="ind-04-2" value="0603.99"' in html
    for name, code in (("02-2", "F"), ("03-2", "M"), ("05-2", "T")):
        row = _cell_row(html, name)
        assert f'<option value="{code}" selected>' in row


def test_the_editor_of_a_long_form_groups_cells_by_row_and_ships_no_inline_script(
    client, setup
):
    tree, _version = setup
    version = catalog_version("Mau04_TT01-2022-TT-BLDTBXH.form.json")
    designer = make_user(role="designer", unit=tree.national)
    client.force_login(designer)

    # when the editor of the 116-row labour market form is opened
    html = client.get(reverse("indicators:mapping", args=[version.pk])).text

    # then its cells come grouped under their row, with the filter's script
    # loaded from a file and the indicators listed once for every cell
    assert html.count('<tbody class="mapping-group"') >= 60
    assert html.count("<datalist") == 1
    assert "js/mapping-editor.js" in html
    assert "<script>" not in html
