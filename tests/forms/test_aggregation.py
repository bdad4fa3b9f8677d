"""How a row adds up when an upper unit compiles the reports below: the definition
field, its JSON, its design check and its builder option. No database."""

import dataclasses
import json
from pathlib import Path

import pytest

from forms.definition.checks import check_definition
from forms.definition.paste import parse_rows, rows_to_text
from forms.definition.serialize import (
    DefinitionFormatError,
    definition_from_dict,
    definition_from_json,
    definition_to_json,
)

CATALOG = Path(__file__).resolve().parents[2] / "forms" / "catalog"


def _catalog_text():
    return (CATALOG / "0603.N_BNV-TDKT.form.json").read_text()


def test_sum_is_the_default_and_is_not_written():
    # Given a catalog form, which says nothing about aggregation
    definition, _document = definition_from_json(_catalog_text())

    # Then every row sums, and the JSON carries no aggregation key
    assert {row.aggregation for row in definition.rows} == {"sum"}
    assert '"aggregation"' not in definition_to_json(definition)


def test_other_aggregations_round_trip():
    # Given rows that average, take the maximum and are not added up
    document = json.loads(_catalog_text())
    document["rows"][2]["aggregation"] = "average"
    document["rows"][4]["aggregation"] = "none"
    definition = definition_from_dict(document)

    # When written and read again
    again, _document = definition_from_json(definition_to_json(definition))

    # Then they are kept, and only they are written
    assert again == definition
    assert definition_to_json(definition).count('"aggregation"') == 2
    assert again.rows[2].aggregation == "average"


def test_unknown_aggregation_is_refused_when_read_and_when_checked():
    document = json.loads(_catalog_text())
    document["rows"][2]["aggregation"] = "median"
    with pytest.raises(DefinitionFormatError):
        definition_from_dict(document)

    definition, _document = definition_from_json(_catalog_text())
    rows = list(definition.rows)
    rows[2] = dataclasses.replace(rows[2], aggregation="median")
    problems = check_definition(dataclasses.replace(definition, rows=tuple(rows)))
    assert [problem.code for problem in problems] == ["row_aggregation_invalid"]
    assert problems[0].params["value"] == "median"


def test_builder_option_sets_the_aggregation_and_writes_it_back():
    # Given pasted rows with aggregation options, in English and Vietnamese
    pasted = parse_rows(
        "01\tTổng số\t\t0\tbold\n"
        "02\tTỷ lệ\t%\t0\tkhông cộng\n"
        "03\tBình quân\t\t0\ttrung bình\n"
        "04\tCao nhất\t\t0\tmax"
    )

    # Then each row has its aggregation, and the text written back reads the same
    assert not pasted.problems
    assert [row.aggregation for row in pasted.items] == [
        "sum",
        "none",
        "average",
        "max",
    ]
    assert parse_rows(rows_to_text(pasted.items)).items == pasted.items
