"""The number rule: what an officer may type into a cell, in Vietnamese (1.234,5) or
plain (1234.5) notation, what it means, and how a refusal names the cell."""

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from forms.definition.model import (
    ColumnDef,
    DataType,
    FormDefinition,
    PeriodType,
    RowDef,
)
from forms.services import form_template_create, form_version_publish, regime_create
from orgunits.models import OrgUnit
from orgunits.services import REFORM_DATE
from reporting.engine.values import (
    CellValueError,
    canonical_number,
    display_number,
    parse_number,
)
from reporting.models import Revision
from reporting.services import parse_submitted_values
from tests.factories import make_user
from tests.reporting.factories import assign

INTEGER, DECIMAL, PERCENT = "integer", "decimal", "percent"

# (typed, column type, the number it means, or the refusal's code)
NUMBER_TABLE = [
    # Vietnamese notation: dots group thousands, a comma marks decimals
    ("1.234", INTEGER, "1234"),
    ("0.250", DECIMAL, "0.25"),
    ("0,250", DECIMAL, "0.25"),
    ("1.234.567", INTEGER, "1234567"),
    ("1.234,5", DECIMAL, "1234.5"),
    ("1.234.567,89", DECIMAL, "1234567.89"),
    ("1234,5", DECIMAL, "1234.5"),
    ("0,25", DECIMAL, "0.25"),
    (",5", DECIMAL, "0.5"),
    ("1,0", INTEGER, "1"),
    ("1.000,00", INTEGER, "1000"),
    ("12,5%", PERCENT, "12.5"),
    ("12,5", PERCENT, "12.5"),
    # plain and English notation
    ("1234.5", DECIMAL, "1234.5"),
    ("0.25", DECIMAL, "0.25"),
    ("1.23", DECIMAL, "1.23"),
    ("1.2345", DECIMAL, "1.2345"),
    (".5", DECIMAL, "0.5"),
    ("1,234.5", DECIMAL, "1234.5"),
    ("1,234,567", INTEGER, "1234567"),
    ("12.5 %", PERCENT, "12.5"),
    ("100%", PERCENT, "100"),
    # spaces, signs, full-width digits
    ("1 234 567", INTEGER, "1234567"),
    ("1\u00a0234", INTEGER, "1234"),
    ("  42  ", INTEGER, "42"),
    ("-12", INTEGER, "-12"),
    ("(12)", INTEGER, "-12"),
    ("\u22127", INTEGER, "-7"),
    ("+7", INTEGER, "7"),
    ("\uff11\uff12\uff13", INTEGER, "123"),
    ("0", INTEGER, "0"),
    ("999999999999999", INTEGER, "999999999999999"),
    ("1,123456", DECIMAL, "1.123456"),
    # empty cells
    ("", INTEGER, None),
    ("   ", DECIMAL, None),
    # refusals
    ("abc", INTEGER, "not_a_number"),
    ("12a", DECIMAL, "not_a_number"),
    ("1e5", DECIMAL, "not_a_number"),
    ("--5", INTEGER, "not_a_number"),
    ("5%%", PERCENT, "not_a_number"),
    ("1,5", INTEGER, "not_whole"),
    ("1234.5", INTEGER, "not_whole"),
    ("12%", INTEGER, "percent_not_allowed"),
    ("12%", DECIMAL, "percent_not_allowed"),
    ("1.23.4", DECIMAL, "bad_grouping"),
    ("1,2,3", DECIMAL, "bad_grouping"),
    ("12.34,5", DECIMAL, "bad_grouping"),
    ("NaN", DECIMAL, "not_finite"),
    ("inf", DECIMAL, "not_finite"),
    ("1000000000000000", INTEGER, "too_large"),
    ("1.000.000.000.000.000", INTEGER, "too_large"),
    ("0,1234567", DECIMAL, "too_many_places"),
]


def _is_code(expected) -> bool:
    return expected is not None and re.fullmatch(r"[a-z_]+", expected) is not None


REFUSALS = [row for row in NUMBER_TABLE if _is_code(row[2])]


@pytest.mark.parametrize(("typed", "data_type", "expected"), NUMBER_TABLE)
def test_number_table(typed, data_type, expected):
    if _is_code(expected):
        with pytest.raises(CellValueError) as error:
            parse_number(typed, data_type=data_type)
        assert error.value.code == expected
        assert str(error.value)
    else:
        value = parse_number(typed, data_type=data_type)
        assert value == (Decimal(expected) if expected is not None else None)


def test_the_table_is_big_and_covers_both_notations():
    assert len(NUMBER_TABLE) >= 30
    assert len([row for row in NUMBER_TABLE if _is_code(row[2])]) >= 10
    assert {data_type for _typed, data_type, _expected in NUMBER_TABLE} == {
        INTEGER,
        DECIMAL,
        PERCENT,
    }


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("0", "0"),
        ("7", "7"),
        ("999", "999"),
        ("1000", "1.000"),
        ("1234.5", "1.234,5"),
        ("-1234567", "-1.234.567"),
        ("0.25", "0,25"),
        ("1.0000005", "1,000001"),
        ("-0.0000001", "0"),
        ("0.3333333333333333333333333333", "0,333333"),
        ("123456789012.123", "123.456.789.012,123"),
    ],
)
def test_numbers_are_shown_vietnamese_style_and_read_back_the_same(stored, shown):
    assert display_number(stored) == shown
    # what the page shows reads back as the stored number, to the places shown
    assert parse_number(shown, data_type=DECIMAL) == Decimal(stored).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP
    )


# --- Through the service and the save endpoint: each refusal names its cell ---------

ROWS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10")
COLUMN_OF = {INTEGER: 1, DECIMAL: 2, PERCENT: 3}


@pytest.fixture
def typed_form(db):
    regime = regime_create(
        acting_user=None,
        code="TEST-VALUES",
        name="Chế độ thử",
        legal_basis="Thông tư thử",
        issuing_agency="Cục Thống kê",
    )
    definition = FormDefinition(
        code="TEST.VALUES",
        title="Biểu thử cách nhập số",
        period_type=PeriodType.YEAR,
        rows=tuple(RowDef(code=code, label=f"Dòng {code}") for code in ROWS),
        columns=(
            ColumnDef(1, "Số người", DataType.INTEGER),
            ColumnDef(2, "Diện tích (ha)", DataType.DECIMAL, decimal_places=2),
            ColumnDef(3, "Tỷ lệ", DataType.PERCENT, decimal_places=1),
            ColumnDef(4, "Ghi chú", DataType.TEXT),
            ColumnDef(5, "Có hay không", DataType.BOOLEAN),
        ),
    )
    version = form_template_create(
        acting_user=None, regime=regime, definition=definition
    )
    return form_version_publish(acting_user=None, version=version)


def _typed_cells(rows):
    """Put each row of the table in its own cell of the column of its type."""
    cells = {}
    for index, (typed, data_type, expected) in enumerate(rows):
        cell = f"{ROWS[index % len(ROWS)]}:{COLUMN_OF[data_type]}"
        cells.setdefault(cell, (typed, data_type, expected))
    return cells


@pytest.mark.parametrize(("typed", "data_type", "code"), REFUSALS)
def test_each_refusal_names_its_cell_through_the_service(
    typed_form, typed, data_type, code
):
    cell = f"07:{COLUMN_OF[data_type]}"
    with translation.override("vi"):
        values, problems = parse_submitted_values(
            typed_form, {cell: typed, "01:1": "5"}
        )
        assert values == {"01:1": "5"}
        assert [(p.cell, p.code) for p in problems] == [
            (cell, "bad_grouping" if code.startswith("bad_grouping") else code)
        ]
        message = problems[0].render()
    assert message
    if code not in {"percent_not_allowed", "too_many_places"}:
        assert typed.strip() in message or repr(typed.strip()) in message


def test_text_and_yes_no_cells(typed_form):
    values, problems = parse_submitted_values(
        typed_form,
        {"01:4": "  Ước tính  ", "01:5": "Có", "02:5": "không", "03:5": "có lẽ"},
    )
    assert values == {"01:4": "Ước tính", "01:5": "1", "02:5": "0"}
    assert [(p.cell, p.code) for p in problems] == [("03:5", "not_yes_no")]


def test_the_save_endpoint_names_every_bad_cell_and_saves_nothing(client, typed_form):
    hanoi = OrgUnit.objects.get(
        level__code="province", code="01", valid_from=REFORM_DATE
    )
    commune = OrgUnit.objects.filter(
        level__code="commune", valid_from=REFORM_DATE, path__startswith=hanoi.path
    ).first()
    assign(typed_form, hanoi, first_period="2025")
    reporter = make_user(role="reporter", unit=commune)
    client.force_login(reporter)
    client.get(
        reverse("reporting:entry", args=[typed_form.template_id, commune.pk, "2025"])
    )
    submission = commune.submissions.get()

    # up to ten refusals at once, each in a cell of its own
    batches = [REFUSALS[i : i + len(ROWS)] for i in range(0, len(REFUSALS), len(ROWS))]
    for batch in batches:
        cells = _typed_cells(batch)
        response = client.post(
            reverse("reporting:entry_save", args=[submission.pk]),
            data=json.dumps(
                {
                    "base_revision": 0,
                    "values": {cell: typed for cell, (typed, _t, _c) in cells.items()},
                }
            ),
            content_type="application/json",
        )
        assert response.status_code == 400
        answer = response.json()
        assert set(answer["errors"]) == set(cells)
        for cell in cells:
            row, column = cell.split(":")
            sentence = next(
                s
                for s in answer["problems"]
                if re.search(rf"\b{row}\b\D+\b{column}\b", s)
            )
            assert answer["errors"][cell] in sentence
    assert not Revision.objects.exists()


# Texts the service reads on its fast path for canonical numbers, and near misses
# that must take the general rule.
CANONICAL_OR_NEAR = [
    "0", "7", "-7", "123456789012345", "1234567890123456", "007", "-0", "00",
    "5,25", "-0,5", "0,000001", "0,0000001", "1,50", "1,234", "12,", ",5",
    "1.234", "1.234,5", "999999999999999,9", "1000000000000000,5",
]  # fmt: skip


@pytest.mark.parametrize("typed", CANONICAL_OR_NEAR)
@pytest.mark.parametrize("data_type", [INTEGER, DECIMAL, PERCENT])
def test_the_canonical_fast_path_gives_what_the_number_rule_gives(
    typed_form, typed, data_type
):
    # given what the number rule makes of a typed text
    try:
        number = parse_number(typed, data_type=data_type)
        expected = (None if number is None else canonical_number(number), None)
    except CellValueError as error:
        expected = (None, error.code)
    cell = f"01:{COLUMN_OF[data_type]}"

    # when the service reads it
    values, problems = parse_submitted_values(typed_form, {cell: typed})

    # then it reads the same value, or refuses it for the same reason
    assert (values.get(cell), problems[0].code if problems else None) == expected
