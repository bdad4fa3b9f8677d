"""The builder pages: who reaches them, the wizard from paste to saved draft, problems
at their place with nothing saved, published versions that refuse edits, downloads."""

import json

import pytest
from django.urls import reverse

from accounts.roles import Role
from forms.models import FormTemplate, FormVersion
from forms.services import (
    form_template_create,
    form_version_export,
    form_version_publish,
    regime_create,
)
from orgunits.models import OrgUnit
from tests.factories import make_user
from tests.forms.test_definition import awards_form
from tests.forms.test_form_layout import CATALOG, annex_workbook, catalog_form

pytestmark = pytest.mark.django_db

NEW = "form_builder_wizard_new"

ROWS = (
    "01\tTổng số\t\t0\tbold\n"
    "\t1. Chia theo đối tượng\t\t1\n"
    "02\t- Tập thể\tTập thể\t2\n"
    "03\tTrong đó: Doanh nghiệp\tDoanh nghiệp\t3\n"
    "04\t- Cá nhân\tNgười\t2\n"
)
COLUMNS = (
    "1\tTổng số\n2\tBằng khen\tinteger\tChia ra\n3\tChiến sĩ thi đua\tinteger\tChia ra"
)


@pytest.fixture
def unit():
    return OrgUnit.objects.filter(level__code="province").order_by("code").first()


@pytest.fixture
def designer(unit):
    return make_user(role=Role.DESIGNER, unit=unit)


@pytest.fixture
def regime():
    return regime_create(
        acting_user=None,
        code="TT02-2023-BNV",
        name="Chế độ báo cáo thống kê ngành Nội vụ",
        legal_basis="Thông tư số 02/2023/TT-BNV",
        issuing_agency="Bộ Nội vụ",
    )


@pytest.fixture
def draft(regime):
    return form_template_create(
        acting_user=None, regime=regime, definition=awards_form()
    )


@pytest.fixture
def published(draft):
    return form_version_publish(acting_user=None, version=draft)


def builder_urls(version):
    template = version.template
    return [
        ("get", reverse("forms:list")),
        ("get", reverse("forms:new")),
        ("get", reverse("forms:from_layout")),
        ("get", reverse("forms:regime_new")),
        ("get", reverse("forms:version", args=[version.pk])),
        ("get", reverse("forms:edit", args=[version.pk])),
        ("get", reverse("forms:diff", args=[template.pk])),
        ("get", reverse("forms:export_json", args=[version.pk])),
        ("post", reverse("forms:publish", args=[version.pk])),
        ("post", reverse("forms:start_next", args=[template.pk])),
    ]


def step(client, name, data, *, prefix=NEW, url=None, goto=None):
    payload = {f"{prefix}-current_step": name}
    payload.update({f"{name}-{key}": value for key, value in data.items()})
    if goto:
        payload["wizard_goto_step"] = goto
    return client.post(url or reverse("forms:new"), payload)


def metadata(regime, **changes):
    return {
        "regime": regime.pk,
        "code": "0603.N/BNV-TĐKT",
        "title": "Số lượng khen thưởng",
        "period_type": "year",
        "legal_basis": "Thông tư số 02/2023/TT-BNV",
        "deadlines": "15/12\n20/01 năm sau",
        "has_unit_column": "on",
        "reporter_levels": "province",
        "receiver": "national",
        **changes,
    }


# --- Who gets in ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REPORTER, Role.REVIEWER, Role.ANALYST])
def test_other_roles_get_the_friendly_403_on_every_builder_page(
    client, unit, draft, role
):
    client.force_login(make_user(role=role, unit=unit))
    for method, url in builder_urls(draft):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert "errors/403.html" in [t.name for t in response.templates], url
    assert FormVersion.objects.get(pk=draft.pk).is_published is False


def test_designers_open_every_builder_page(client, designer, draft):
    client.force_login(designer)
    for method, url in builder_urls(draft)[:-2]:
        assert getattr(client, method)(url).status_code == 200, url


def test_anonymous_users_are_sent_to_log_in(client, draft):
    for _method, url in builder_urls(draft)[:7]:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


# --- The wizard ----------------------------------------------------------------------


def test_wizard_from_pasted_rows_to_a_saved_draft(client, designer, regime):
    client.force_login(designer)
    assert client.get(reverse("forms:new")).status_code == 200

    # when the designer fills in each step, pasting rows and columns
    response = step(client, "metadata", metadata(regime))
    assert response.context["wizard"]["steps"].current == "rows"
    response = step(client, "rows", {"text": ROWS})
    assert response.context["wizard"]["steps"].current == "columns"
    response = step(client, "columns", {"text": COLUMNS})
    assert response.context["wizard"]["steps"].current == "formulas"
    response = step(client, "formulas", {"text": "1 = 2 + 3\n01 = 02 + 04"})

    # then the preview shows the grid with its computed cells and no problems
    assert response.context["wizard"]["steps"].current == "preview"
    assert response.context["problems"] == []
    body = response.content.decode()
    assert "= 2 + 3" in body and "= 02 + 04" in body
    assert FormTemplate.objects.count() == 0

    # and saving creates the draft, as pasted
    response = step(client, "preview", {})
    version = FormVersion.objects.get(template__code="0603.N/BNV-TĐKT")
    assert response.status_code == 302
    assert response["Location"] == reverse("forms:version", args=[version.pk])
    definition = version.form_definition
    assert not version.is_published
    assert [row.code for row in definition.rows] == ["01", None, "02", "03", "04"]
    assert definition.row("03").of_which and definition.row("01").bold
    assert definition.column(1).formula == "2 + 3"
    assert definition.row("01").formula == "02 + 04"
    assert [rule.label for rule in definition.deadlines] == ["15/12", "20/01 năm sau"]
    assert definition.reporters.levels == ("province",)


def test_problems_are_shown_on_their_line_and_nothing_is_saved(
    client, designer, regime
):
    client.force_login(designer)
    client.get(reverse("forms:new"))
    step(client, "metadata", metadata(regime))

    # when a row code appears twice
    response = step(client, "rows", {"text": ROWS + "02\tMột dòng nữa\n"})

    # then the rows step comes back with the problem on its line
    assert response.context["wizard"]["steps"].current == "rows"
    problems = response.context["form"].line_problems
    assert [line for line, _ in problems] == [6]
    assert "02" in problems[0][1]
    assert 'data-goto-line="6"' in response.content.decode()

    # when the rows are right, but a formula names a row the form lacks
    step(client, "rows", {"text": ROWS})
    step(client, "columns", {"text": COLUMNS})
    response = step(client, "formulas", {"text": "1 = 2 + 3\n01 = 02 + 09"})
    assert response.context["wizard"]["steps"].current == "formulas"
    assert [line for line, _ in response.context["form"].line_problems] == [2]
    assert FormTemplate.objects.count() == 0


def test_saving_goes_back_to_the_step_whose_problem_appeared_later(
    client, designer, regime
):
    # given a complete wizard whose formula uses row 04
    client.force_login(designer)
    client.get(reverse("forms:new"))
    step(client, "metadata", metadata(regime))
    step(client, "rows", {"text": ROWS})
    step(client, "columns", {"text": COLUMNS})
    step(client, "formulas", {"text": "01 = 02 + 04"})

    # when the designer goes back from the preview to the rows and removes row 04
    response = step(client, "preview", {}, goto="rows")
    assert response.context["wizard"]["steps"].current == "rows"
    without_04 = ROWS.replace("04\t- Cá nhân\tNgười\t2\n", "")
    step(client, "rows", {"text": without_04})
    response = step(client, "columns", {"text": COLUMNS})

    # then the formulas step shows at once that its line 1 names a missing row
    assert response.context["wizard"]["steps"].current == "formulas"
    assert response.context["form"].is_bound
    assert [line for line, _ in response.context["form"].line_problems] == [1]
    # and saving from the formulas step is refused there
    response = step(client, "formulas", {"text": "01 = 02 + 04"})
    assert response.context["wizard"]["steps"].current == "formulas"
    assert FormTemplate.objects.count() == 0


def test_final_save_revalidates_and_returns_to_the_first_step_with_a_problem(
    client, designer, regime
):
    client.force_login(designer)
    client.get(reverse("forms:new"))
    step(client, "metadata", metadata(regime))
    step(client, "rows", {"text": ROWS})
    step(client, "columns", {"text": COLUMNS})
    step(client, "formulas", {"text": "01 = 02 + 04"})
    # the same code is taken by someone else before the designer saves
    form_template_create(
        acting_user=None,
        regime=regime,
        definition=awards_form(code="0603.N/BNV-TĐKT"),
    )
    response = step(client, "preview", {})
    assert response.status_code == 200
    assert response.context["wizard"]["steps"].current == "metadata"
    assert "code" in response.context["form"].errors
    assert FormTemplate.objects.count() == 1


def test_editing_a_draft_starts_from_its_definition_and_saves_it(
    client, designer, draft
):
    client.force_login(designer)
    url = reverse("forms:edit", args=[draft.pk])
    prefix = f"form_builder_wizard_{draft.pk}"
    response = client.get(url)
    assert response.context["form"].initial["code"] == "0603.N/BNV-TĐKT"
    data = dict(response.context["form"].initial, title="Số lượng khen thưởng (sửa)")
    data["has_unit_column"] = "on"
    response = step(client, "metadata", data, prefix=prefix, url=url)
    rows_text = response.context["form"].initial["text"]
    assert rows_text.splitlines()[0] == "01\tTổng số\t\t0\tbold"
    step(
        client,
        "rows",
        {"text": rows_text + "\n05\t- Hộ gia đình\tHộ\t2"},
        prefix=prefix,
        url=url,
    )
    columns = step(client, "columns", {"text": "1\tx\tcolour"}, prefix=prefix, url=url)
    assert columns.context["wizard"]["steps"].current == "columns"
    original = draft.form_definition
    from forms.definition.paste import columns_to_text, formulas_to_text

    step(
        client,
        "columns",
        {"text": columns_to_text(original.columns)},
        prefix=prefix,
        url=url,
    )
    step(
        client, "formulas", {"text": formulas_to_text(original)}, prefix=prefix, url=url
    )
    response = step(client, "preview", {}, prefix=prefix, url=url)
    assert response.status_code == 302
    draft = FormVersion.objects.get(pk=draft.pk)
    definition = draft.form_definition
    assert definition.title == "Số lượng khen thưởng (sửa)"
    assert definition.row("05").label == "- Hộ gia đình"
    assert draft.template.code == "0603.N/BNV-TĐKT"


# --- Published versions --------------------------------------------------------------


def test_a_published_version_refuses_edits_and_offers_a_new_version(
    client, designer, published
):
    client.force_login(designer)
    response = client.get(reverse("forms:edit", args=[published.pk]))
    assert response.status_code == 409
    body = response.content.decode()
    assert reverse("forms:start_next", args=[published.template.pk]) in body
    assert "0603.N/BNV-TĐKT" in body
    # a submitted step is refused just the same
    response = step(
        client,
        "metadata",
        {"title": "X"},
        prefix=f"form_builder_wizard_{published.pk}",
        url=reverse("forms:edit", args=[published.pk]),
    )
    assert response.status_code == 409

    # when the designer takes the offer
    response = client.post(reverse("forms:start_next", args=[published.template.pk]))
    new = FormVersion.objects.get(template=published.template, number=2)
    assert response["Location"] == reverse("forms:edit", args=[new.pk])
    assert not new.is_published
    assert client.get(response["Location"]).status_code == 200


def test_publish_from_the_version_page(client, designer, draft):
    client.force_login(designer)
    page = client.get(reverse("forms:version", args=[draft.pk])).content.decode()
    assert reverse("forms:publish", args=[draft.pk]) in page
    assert reverse("forms:edit", args=[draft.pk]) in page
    response = client.post(reverse("forms:publish", args=[draft.pk]), follow=True)
    draft.refresh_from_db()
    assert draft.is_published and draft.published_by == designer
    page = response.content.decode()
    assert reverse("forms:publish", args=[draft.pk]) not in page
    assert reverse("forms:start_next", args=[draft.template.pk]) in page
    assert reverse("forms:template_xlsx", args=[draft.pk]) in page
    assert reverse("forms:pdf", args=[draft.pk]) in page


def test_the_version_page_shows_the_grid_as_reporters_see_it(client, designer, draft):
    client.force_login(designer)
    response = client.get(reverse("forms:version", args=[draft.pk]))
    table = response.context["table"]
    assert table.numbering == ("A", "B", "C", "1", "2", "3", "4")
    top, bottom = table.header_rows
    assert [(cell.text, cell.colspan) for cell in top if cell.is_group] == [
        ("Chia ra", 2)
    ]
    assert [cell.text for cell in bottom] == ["Bằng khen", "Chiến sĩ thi đua"]
    body = response.content.decode()
    assert 'class="row-label indent-3"' in body
    assert 'colspan="2" class="group-heading"' in body
    assert "= 2 + 3" in body


def test_versions_are_compared(client, designer, published):
    client.force_login(designer)
    client.post(reverse("forms:start_next", args=[published.template.pk]))
    second = FormVersion.objects.get(template=published.template, number=2)
    definition = awards_form(title="Số lượng khen thưởng năm")
    data = {**second.definition, "title": definition.title}
    data["rows"] = [*data["rows"], {"code": "05", "label": "- Hộ", "indent": 2}]
    FormVersion.objects.filter(pk=second.pk).update(definition=data)
    response = client.get(
        reverse("forms:diff", args=[published.template.pk]),
        {"cu": published.pk, "moi": second.pk},
    )
    assert response.status_code == 200
    diff = response.context["diff"]
    assert [row.code for row in diff.rows_added] == ["05"]
    assert [change.field for change in diff.metadata] == ["title"]
    assert "Số lượng khen thưởng năm" in response.content.decode()


# --- Downloads -----------------------------------------------------------------------


def test_published_versions_download_for_any_signed_in_user(
    client, unit, published, draft
):
    client.force_login(make_user(role=Role.REPORTER, unit=unit))
    response = client.get(reverse("forms:template_xlsx", args=[published.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    response = client.get(reverse("forms:pdf", args=[published.pk]))
    assert response.status_code == 200
    assert response.content[:5] == b"%PDF-"


def test_drafts_download_only_for_designers(client, unit, designer, draft):
    client.force_login(make_user(role=Role.REPORTER, unit=unit))
    assert (
        client.get(reverse("forms:template_xlsx", args=[draft.pk])).status_code == 404
    )
    assert client.get(reverse("forms:pdf", args=[draft.pk])).status_code == 404
    client.force_login(designer)
    assert (
        client.get(reverse("forms:template_xlsx", args=[draft.pk])).status_code == 200
    )


def test_export_json_is_the_services_document(client, designer, published):
    client.force_login(designer)
    response = client.get(reverse("forms:export_json", args=[published.pk]))
    assert response.content.decode() == form_version_export(published)
    assert json.loads(response.content)["code"] == "0603.N/BNV-TĐKT"


# --- Regimes and the start from an Excel layout -------------------------------------


def test_a_designer_creates_a_regime(client, designer):
    client.force_login(designer)
    response = client.post(
        reverse("forms:regime_new"),
        {
            "code": "TT01-2022",
            "name": "Chế độ báo cáo thống kê lao động",
            "legal_basis": "Thông tư 01/2022/TT-BLĐTBXH",
            "issuing_agency": "Bộ Lao động – Thương binh và Xã hội",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("forms:new")


def test_creating_a_regime_never_redirects_off_site(client, designer):
    client.force_login(designer)
    response = client.post(
        reverse("forms:regime_new") + "?next=https://example.org/",
        {"code": "R1", "name": "N", "legal_basis": "L", "issuing_agency": "A"},
    )
    assert response["Location"] == reverse("forms:new")


def test_an_official_layout_prefills_the_wizard(client, designer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(designer)
    form = catalog_form(CATALOG[0])
    upload = SimpleUploadedFile("0603.xlsx", annex_workbook(form))
    response = client.post(reverse("forms:from_layout"), {"file": upload})
    assert response.status_code == 302
    assert response["Location"] == reverse("forms:new") + "?tu-excel=1"
    response = client.get(response["Location"])
    assert response.context["form"].initial["code"] == form.code
    response = step(
        client,
        "metadata",
        {
            **response.context["form"].initial,
            "regime": regime_create(
                acting_user=None,
                code="R",
                name="R",
                legal_basis="L",
                issuing_agency="A",
            ).pk,
            "has_unit_column": "on",
        },
    )
    rows_text = response.context["form"].initial["text"]
    assert rows_text.splitlines()[2] == "02\t- Tập thể\tTập thể\t2"
    response = step(client, "rows", {"text": rows_text})
    columns_text = response.context["form"].initial["text"]
    assert columns_text.splitlines()[1] == "2\tBằng khen\tinteger\tChia ra"
    response = step(client, "columns", {"text": columns_text})
    assert response.context["form"].initial["text"] == "1 = 2 + 3 + 4 + 5"


def test_an_unreadable_layout_says_what_was_expected(client, designer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(designer)
    upload = SimpleUploadedFile("form.xlsx", b"not a workbook")
    response = client.post(reverse("forms:from_layout"), {"file": upload})
    assert response.status_code == 200
    assert [problem["location"] for problem in response.context["problems"]] == ["file"]
    assert ".xlsx" in response.context["problems"][0]["message"]


def test_version_page_says_which_reports_use_it(client):
    import datetime

    from orgunits.services import REFORM_DATE
    from reporting.services import submission_open, submission_save_draft
    from tests.reporting.factories import assign, catalog_version

    version = catalog_version()
    assign(
        version,
        OrgUnit.objects.get(level__code="national"),
        level="province",
        first_period="2025",
    )
    province = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    reporter = make_user(role="reporter", unit=province)
    report = submission_open(
        acting_user=reporter, form_version=version, unit=province, period="2025"
    )
    submission_save_draft(
        acting_user=reporter,
        submission=report,
        raw_values={"02:2": "1"},
        base_revision=0,
        today=datetime.date(2026, 1, 5),
    )
    client.force_login(
        make_user(role="designer", unit=OrgUnit.objects.get(level__code="national"))
    )
    body = client.get(reverse("forms:version", args=[version.pk])).content.decode()
    assert "Việt Nam" in body  # the assignment's scope
    assert "2025" in body
    assert "Bản nháp: 1" in body
