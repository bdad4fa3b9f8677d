"""A form designer in a real browser: logs in, pastes rows from a spreadsheet, sets a
column formula, previews the computed cells, saves, publishes and downloads."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from forms.models import FormVersion
from forms.services import regime_create
from orgunits.services import org_levels_ensure, org_unit_create
from tests.factories import PASSWORD, make_user

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# As a spreadsheet puts the rows on the clipboard: code, label, unit, indent.
PASTED_ROWS = "\n".join(
    [
        "01\tTổng số\t\t0\tbold",
        "\t1. Chia theo đối tượng khen thưởng\t\t1",
        "02\t- Tập thể\tTập thể\t2",
        "03\tTrong đó: Doanh nghiệp\tDoanh nghiệp\t3",
        "04\t- Hộ gia đình\tHộ\t2",
        "05\t- Cá nhân\tNgười\t1",
    ]
)
PASTED_COLUMNS = "\n".join(
    [
        "1\tTổng số",
        "2\tBằng khen\tinteger\tChia ra",
        "3\tChiến sĩ thi đua cấp bộ, cấp tỉnh\tinteger\tChia ra",
        "4\tCờ thi đua\tinteger\tChia ra",
    ]
)


@pytest.fixture
def designer():
    """A designer at a national office, built from nothing (the live server's
    database starts empty, or holds the loaded units when run alone: the codes
    here are not real ones)."""
    levels = org_levels_ensure()
    office = org_unit_create(
        acting_user=None,
        code="TK98",
        name="Cục Thống kê (thử)",
        level=levels["national"],
        parent=None,
    )
    regime_create(
        acting_user=None,
        code="TT02-2023-BNV",
        name="Chế độ báo cáo thống kê ngành Nội vụ",
        legal_basis="Thông tư số 02/2023/TT-BNV ngày 23/3/2023",
        issuing_agency="Bộ Nội vụ",
    )
    return make_user(
        username="thiet.ke",
        full_name="Lê Văn Thiết",
        role=Role.DESIGNER,
        unit=office,
    )


def _put_cursor_on_line(page, selector: str, line: int):
    page.eval_on_selector(
        selector,
        """(box, line) => {
            const lines = box.value.split("\\n");
            let position = 0;
            for (let i = 0; i < line - 1; i += 1) { position += lines[i].length + 1; }
            box.focus();
            box.setSelectionRange(position, position);
        }""",
        line,
    )


def test_designer_builds_previews_and_publishes_a_form(
    page, page_errors, live_server, designer
):
    ARTIFACTS.mkdir(exist_ok=True)
    problems = page_errors
    page.set_viewport_size({"width": 1280, "height": 900})

    # given the designer logs in through the login form
    page.goto(live_server.url + reverse("login"))
    page.locator("input[name=username]").fill(designer.username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    # when they open the forms and start a new one
    page.goto(live_server.url + reverse("forms:list"))
    with page.expect_navigation():
        page.locator(f"a[href='{reverse('forms:new')}']").first.click()

    # and fill in the form's details
    page.select_option(
        "#id_metadata-regime",
        label="TT02-2023-BNV – Chế độ báo cáo thống kê ngành Nội vụ",
    )
    page.fill("#id_metadata-code", "0603.N/BNV-TĐKT")
    page.fill("#id_metadata-title", "Số lượng khen thưởng cấp bộ, cấp tỉnh")
    page.select_option("#id_metadata-period_type", "year")
    page.fill("#id_metadata-legal_basis", "Thông tư số 02/2023/TT-BNV")
    page.fill("#id_metadata-deadlines", "15/12\n20/01 năm sau")
    page.screenshot(path=ARTIFACTS / "builder-metadata.png", full_page=True)
    with page.expect_navigation():
        page.click("#wizard-next")

    # and paste rows straight from a spreadsheet, one code twice by mistake
    rows = page.locator("#id_rows-text")
    expect(rows).to_be_visible()
    rows.fill(PASTED_ROWS + "\n02\t- Tập thể (trùng)\tTập thể\t2")
    with page.expect_navigation():
        page.click("#wizard-next")

    # then the rows come back with the problem on its line, and nothing is saved
    problem = page.locator(".problem-list [data-goto-line='7']")
    expect(problem).to_contain_text("02")
    page.screenshot(path=ARTIFACTS / "builder-rows-problem.png", full_page=True)
    problem.click()
    assert page.eval_on_selector(
        "#id_rows-text",
        "box => box.value.slice(box.selectionStart, box.selectionEnd)",
    ).startswith("02\t- Tập thể (trùng)")
    assert not FormVersion.objects.exists()

    # when they paste the right rows
    rows.fill(PASTED_ROWS)

    # and fix the last row with the line tools: indent it one more level
    expect(page.locator("[data-line-tools]")).to_be_visible()
    _put_cursor_on_line(page, "#id_rows-text", 6)
    page.click("[data-line-action=indent]")
    expect(rows).to_have_value(PASTED_ROWS.replace("Người\t1", "Người\t2"))
    # move "Hộ gia đình" below "Cá nhân", and back
    _put_cursor_on_line(page, "#id_rows-text", 5)
    page.click("[data-line-action=down]")
    assert rows.input_value().splitlines()[5].startswith("04\t")
    page.click("[data-line-action=up]")
    assert rows.input_value().splitlines()[4].startswith("04\t")
    # and the Tab key types a tab in the box instead of leaving it
    _put_cursor_on_line(page, "#id_rows-text", 1)
    page.keyboard.press("Tab")
    assert rows.input_value().startswith("\t01\t")
    page.keyboard.press("Backspace")
    with page.expect_navigation():
        page.click("#wizard-next")

    # and paste the columns, then set the total column's formula
    page.fill("#id_columns-text", PASTED_COLUMNS)
    with page.expect_navigation():
        page.click("#wizard-next")
    page.fill("#id_formulas-text", "1 = 2 + 3 + 4\n01 = 02 + 04 + 05\ndisable 03:4")
    with page.expect_navigation():
        page.click("#wizard-next")

    # then the preview shows the grid with its computed cells and no problem
    grid = page.locator("table.form-grid")
    expect(grid).to_be_visible()
    expect(page.locator(".problem-list")).to_have_count(0)
    expect(grid.locator("thead th.group-heading")).to_have_text("Chia ra")
    expect(grid.locator("thead th.group-heading")).to_have_attribute("colspan", "3")
    expect(grid.locator("tr.numbering th")).to_have_text(
        ["A", "B", "C", "1", "2", "3", "4"]
    )
    # five coded rows: column 1 everywhere, and row 01 in columns 2 to 4
    expect(grid.locator("td.cell-computed")).to_have_count(5 + 3)
    expect(grid.locator("td.cell-disabled")).to_have_count(1)
    total_row = grid.locator("tbody tr").nth(0).locator("td.cell-computed .formula")
    expect(total_row.nth(0)).to_have_text("= 2 + 3 + 4")
    expect(total_row.nth(1)).to_have_text("= 02 + 04 + 05")
    expect(grid.locator("th.row-label.indent-3")).to_contain_text(
        "Trong đó: Doanh nghiệp"
    )
    expect(grid.locator("th.row-label.indent-2")).to_have_count(3)
    page.screenshot(path=ARTIFACTS / "builder-preview.png", full_page=True)

    # when they save the draft
    with page.expect_navigation():
        page.click("#wizard-next")
    version = FormVersion.objects.get(template__code="0603.N/BNV-TĐKT")
    assert page.url == live_server.url + reverse("forms:version", args=[version.pk])
    expect(page.locator("#version-status")).to_have_class("status status-draft")

    # and publish it
    with page.expect_navigation():
        page.click("button.button-publish")

    # then the version is published, cannot be edited, and offers its downloads
    expect(page.locator("#version-status")).to_have_class("status status-published")
    expect(page.locator("button.button-publish")).to_have_count(0)
    expect(
        page.locator(f"a[href='{reverse('forms:edit', args=[version.pk])}']")
    ).to_have_count(0)
    xlsx = page.locator(
        f"a[href='{reverse('forms:template_xlsx', args=[version.pk])}']"
    )
    pdf = page.locator(f"a[href='{reverse('forms:pdf', args=[version.pk])}']")
    expect(xlsx).to_be_visible()
    expect(pdf).to_be_visible()
    page.screenshot(path=ARTIFACTS / "builder-published.png", full_page=True)
    with page.expect_download() as download:
        xlsx.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    version.refresh_from_db()
    assert version.is_published

    # and the form list shows it with its published version
    page.goto(live_server.url + reverse("forms:list"))
    expect(page.locator(".form-list .status-published")).to_have_count(1)
    page.screenshot(path=ARTIFACTS / "builder-form-list.png", full_page=True)
    page.goto(live_server.url + reverse("forms:from_layout"))
    page.screenshot(path=ARTIFACTS / "builder-from-layout.png", full_page=True)

    # and nothing on the way broke the Content-Security-Policy or a script
    assert problems == []
