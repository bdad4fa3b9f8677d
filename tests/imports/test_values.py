"""Cell values by the declared type of their form cell (pure: no database)."""

import datetime

import pytest

from imports.parsers.values import convert_cell, looks_legacy_encoded


@pytest.mark.parametrize(
    ("raw", "data_type", "expected"),
    [
        (12.0, "integer", "12"),
        (1234, "integer", "1234"),
        (1.234, "decimal", "1.234"),
        (0.1 + 0.2, "decimal", "0.3"),
        ("1.234,5", "decimal", "1234.5"),
        ("1,234.5", "decimal", "1234.5"),
        ("1.234", "integer", "1234"),
        (" 1 234 ", "integer", "1234"),
        ("25%", "percent", "25"),
        (-3.5, "decimal", "-3.5"),
        ("(7)", "integer", "-7"),
        ("Ghi chu\u0301", "text", "Ghi chú"),
        (42.0, "text", "42"),
        ("'=SUM(A1)", "text", "=SUM(A1)"),
        ("Có", "boolean", "1"),
        (0.0, "boolean", "0"),
        (True, "boolean", "1"),
        ("", "integer", None),
        (None, "decimal", None),
    ],
)
def test_values_are_read_by_the_declared_type(raw, data_type, expected):
    converted = convert_cell(raw, data_type)
    assert converted.problem is None
    assert converted.value == expected


@pytest.mark.parametrize(
    ("raw", "data_type", "code"),
    [
        ("abc", "integer", "not_a_number"),
        ("12,5", "integer", "not_whole"),
        (2.5, "integer", "not_whole"),
        ("25%", "decimal", "percent_not_allowed"),
        ("NaN", "decimal", "not_finite"),
        ("Infinity", "integer", "not_finite"),
        (float("inf"), "decimal", "not_finite"),
        ("1e300", "decimal", "not_a_number"),
        (1e20, "integer", "too_large"),
        ("9.999.999.999.999.999", "integer", "too_large"),
        (datetime.datetime(2026, 3, 1), "integer", "date_in_number_cell"),
        (datetime.date(2026, 3, 1), "decimal", "date_in_number_cell"),
        ("#DIV/0!", "integer", "excel_error"),
        (True, "integer", "not_a_number"),
        ("có lẽ", "boolean", "not_yes_no"),
        ("x" * 2001, "text", "text_too_long"),
    ],
)
def test_bad_values_are_refused_with_a_code(raw, data_type, code):
    converted = convert_cell(raw, data_type)
    assert converted.rejected
    assert converted.problem.code == code
    assert converted.problem.render()


def test_a_percentage_shown_by_the_spreadsheet_counts_as_shown():
    assert convert_cell(0.25, "percent", percent_format=True).value == "25"
    refused = convert_cell(0.25, "integer", percent_format=True)
    assert refused.problem.code == "percent_format"


@pytest.mark.parametrize(
    "text",
    ["Tæng sè ng­êi", "Hµ Néi", "Thaønh phoá Haø Noäi", "Tr­êng häc"],
)
def test_legacy_vietnamese_encodings_are_flagged(text):
    converted = convert_cell(text, "text")
    assert converted.value == text
    assert converted.problem.code == "legacy_encoding"
    assert not converted.rejected


@pytest.mark.parametrize(
    "text", ["Tổng số người", "Hà Nội", "25°C", "µg/l", "Ghi chú: «đạt»", "Café"]
)
def test_unicode_vietnamese_is_not_flagged(text):
    assert not looks_legacy_encoded(text)


def test_fractions_read_as_the_typed_number_rule_reads_them():
    import random

    from imports.parsers.values import _parsed, _plain, convert_cell

    rng = random.Random(3)
    numbers = [
        0.1 + 0.2,
        -0.5,
        1234.25,
        1e-7,
        0.000123,
        123456.1234567,
        99999999999999.9,
    ]
    for _ in range(5_000):
        digits = rng.randrange(1, 17)
        numbers.append(
            rng.choice([-1, 1])
            * round(rng.uniform(0, 10 ** rng.randrange(-6, 16)), digits)
        )
        numbers.append(rng.random() * 10 ** rng.randrange(-9, 17))
    for raw in numbers:
        if raw.is_integer():
            continue
        for data_type in ("decimal", "percent", "integer"):
            # given a fraction the spreadsheet stored as a number
            # when it is converted for a column of this type
            fast = convert_cell(raw, data_type)
            # then value and refusal are those of the typed-number rule
            slow = _parsed(_plain(raw).replace(".", ","), data_type, raw)
            assert fast.value == slow.value, (raw, data_type)
            assert (fast.problem and fast.problem.code) == (
                slow.problem and slow.problem.code
            ), (raw, data_type)
