"""The JSON form of a definition: documented in docs/form-definition.md, versioned by
``format``, and canonical, so export -> import -> export gives the same bytes."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import MISSING, fields

from forms.definition.model import (
    FORMAT_VERSION,
    Aggregation,
    CellOverride,
    CellState,
    ColumnDef,
    DataType,
    DeadlineKind,
    DeadlineRule,
    FormDefinition,
    PeriodType,
    ReporterSpec,
    RowDef,
)
from forms.definition.problems import Problem, gettext_noop

FORMAT_NAME = "ebaocao.form"


class DefinitionFormatError(ValueError):
    """The JSON does not describe a definition; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.render() for problem in problems))
        self.problems = problems


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _compact(item, defaults) -> dict:
    """Return the dataclass as a dict without the fields that hold their default."""
    result = {}
    for spec in fields(item):
        value = getattr(item, spec.name)
        if value == defaults.get(spec.name, object()):
            continue
        if isinstance(value, tuple):
            value = list(value)
        result[spec.name] = value.value if hasattr(value, "value") else value
    return result


def _defaults(cls) -> dict:
    return {
        spec.name: spec.default for spec in fields(cls) if spec.default is not MISSING
    }


def definition_to_dict(definition: FormDefinition) -> dict:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "code": definition.code,
        "title": definition.title,
        "period_type": definition.period_type.value,
        "unit_of_measure": definition.unit_of_measure,
        "legal_basis": definition.legal_basis,
        "notes": definition.notes,
        "has_unit_column": definition.has_unit_column,
        "deadlines": [
            _compact(rule, _defaults(DeadlineRule)) for rule in definition.deadlines
        ],
        "reporters": {
            "levels": list(definition.reporters.levels),
            "kinds": list(definition.reporters.kinds),
            "unit_codes": list(definition.reporters.unit_codes),
            "receiver": definition.reporters.receiver,
        },
        "columns": [
            _compact(column, _defaults(ColumnDef)) for column in definition.columns
        ],
        "rows": [
            {"code": row.code, **_compact(row, {**_defaults(RowDef), "code": object()})}
            for row in definition.rows
        ],
        "cells": [_compact(cell, _defaults(CellOverride)) for cell in definition.cells],
    }


def definition_to_json(definition: FormDefinition, extra: dict | None = None) -> str:
    """Return the canonical JSON text (with ``extra`` keys such as regime metadata)."""
    document = definition_to_dict(definition)
    if extra:
        document = {**document, **extra}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class _Reader:
    def __init__(self):
        self.problems: list[Problem] = []

    def fail(self, location: str, message: str, **params):
        self.problems.append(Problem("json_format", location, message, params))

    def string(
        self, data: dict, key: str, location: str, *, default: str | None = None
    ) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.fail(location, gettext_noop("%(key)s must be text."), key=key)
            return default or ""
        return _nfc(value)

    def integer(
        self, data: dict, key: str, location: str, *, default=None, required=False
    ):
        value = data.get(key, default)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(
                location, gettext_noop("%(key)s must be a whole number."), key=key
            )
            return default
        return value

    def boolean(self, data: dict, key: str, location: str, *, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(location, gettext_noop("%(key)s must be true or false."), key=key)
            return default
        return value

    def choice(self, enum_class, data: dict, key: str, location: str, *, default):
        value = data.get(key, default.value if default is not None else None)
        try:
            return enum_class(value)
        except ValueError:
            self.fail(
                location,
                gettext_noop("%(key)s must be one of %(choices)s."),
                key=key,
                choices=", ".join(item.value for item in enum_class),
            )
            return default

    def unknown_keys(self, data: dict, allowed: set[str], location: str):
        for key in sorted(set(data) - allowed):
            self.fail(location, gettext_noop("Unknown key %(key)r."), key=key)

    def items(self, data: dict, key: str) -> list:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(item, dict) for item in value
        ):
            self.fail(key, gettext_noop("%(key)s must be a list of objects."), key=key)
            return []
        return value


def definition_from_dict(data: dict) -> FormDefinition:
    """Build a definition from its JSON form; raise DefinitionFormatError listing every
    structural problem (design checks are ``check_definition``'s job)."""
    reader = _Reader()
    if not isinstance(data, dict):
        raise DefinitionFormatError(
            [
                Problem(
                    "json_format",
                    "document",
                    gettext_noop("The document must be a JSON object."),
                )
            ]
        )
    if data.get("format") != FORMAT_NAME:
        reader.fail(
            "format",
            gettext_noop("This is not a form definition (format must be %(name)r)."),
            name=FORMAT_NAME,
        )
    if data.get("format_version") != FORMAT_VERSION:
        reader.fail(
            "format_version",
            gettext_noop(
                "Format version %(found)s is not supported (expected %(expected)d)."
            ),
            found=data.get("format_version"),
            expected=FORMAT_VERSION,
        )

    deadlines = []
    for index, item in enumerate(reader.items(data, "deadlines"), start=1):
        location = f"deadline {index}"
        reader.unknown_keys(item, {"kind", "days", "day", "month", "label"}, location)
        deadlines.append(
            DeadlineRule(
                kind=reader.choice(
                    DeadlineKind,
                    item,
                    "kind",
                    location,
                    default=DeadlineKind.DAYS_AFTER_PERIOD,
                ),
                days=reader.integer(item, "days", location),
                day=reader.integer(item, "day", location),
                month=reader.integer(item, "month", location),
                label=reader.string(item, "label", location, default=""),
            )
        )
    reporters_data = data.get("reporters", {})
    if not isinstance(reporters_data, dict):
        reader.fail(
            "reporters", gettext_noop("%(key)s must be an object."), key="reporters"
        )
        reporters_data = {}
    reader.unknown_keys(
        reporters_data, {"levels", "kinds", "unit_codes", "receiver"}, "reporters"
    )

    def string_list(key):
        value = reporters_data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            reader.fail(
                "reporters", gettext_noop("%(key)s must be a list of text."), key=key
            )
            return ()
        return tuple(_nfc(v) for v in value)

    reporters = ReporterSpec(
        levels=string_list("levels"),
        kinds=string_list("kinds"),
        unit_codes=string_list("unit_codes"),
        receiver=reader.string(
            reporters_data, "receiver", "reporters", default="parent"
        ),
    )

    columns = []
    for index, item in enumerate(reader.items(data, "columns"), start=1):
        location = f"column {item.get('number', index)}"
        reader.unknown_keys(item, {f.name for f in fields(ColumnDef)}, location)
        columns.append(
            ColumnDef(
                number=reader.integer(item, "number", location, required=True) or 0,
                label=reader.string(item, "label", location, default=""),
                data_type=reader.choice(
                    DataType, item, "data_type", location, default=DataType.INTEGER
                ),
                decimal_places=reader.integer(
                    item, "decimal_places", location, default=0
                )
                or 0,
                group=reader.string(item, "group", location, default=""),
                unit=reader.string(item, "unit", location, default=""),
                formula=reader.string(item, "formula", location, default=""),
            )
        )
    rows = []
    for index, item in enumerate(reader.items(data, "rows"), start=1):
        location = f"row {item.get('code') or index}"
        reader.unknown_keys(item, {f.name for f in fields(RowDef)}, location)
        code = item.get("code")
        if code is not None and not isinstance(code, str):
            reader.fail(location, gettext_noop("%(key)s must be text."), key="code")
            code = str(code)
        rows.append(
            RowDef(
                code=_nfc(code).strip() if code is not None else None,
                label=reader.string(item, "label", location, default=""),
                indent=reader.integer(item, "indent", location, default=0) or 0,
                unit=reader.string(item, "unit", location, default=""),
                of_which=reader.boolean(item, "of_which", location, default=False),
                bold=reader.boolean(item, "bold", location, default=False),
                guidance=reader.string(item, "guidance", location, default=""),
                formula=reader.string(item, "formula", location, default=""),
                aggregation=reader.choice(
                    Aggregation, item, "aggregation", location, default=Aggregation.SUM
                ).value,
            )
        )
    cells = []
    for item in reader.items(data, "cells"):
        location = f"cell {item.get('row')}/{item.get('column')}"
        reader.unknown_keys(item, {f.name for f in fields(CellOverride)}, location)
        cells.append(
            CellOverride(
                row=reader.string(item, "row", location, default=""),
                column=reader.integer(item, "column", location, required=True) or 0,
                state=reader.choice(
                    CellState, item, "state", location, default=CellState.INPUT
                ),
                formula=reader.string(item, "formula", location, default=""),
            )
        )
    definition = FormDefinition(
        code=reader.string(data, "code", "code", default=""),
        title=reader.string(data, "title", "title", default=""),
        period_type=reader.choice(
            PeriodType, data, "period_type", "period_type", default=PeriodType.YEAR
        ),
        unit_of_measure=reader.string(
            data, "unit_of_measure", "unit_of_measure", default=""
        ),
        legal_basis=reader.string(data, "legal_basis", "legal_basis", default=""),
        notes=reader.string(data, "notes", "notes", default=""),
        has_unit_column=reader.boolean(
            data, "has_unit_column", "has_unit_column", default=True
        ),
        deadlines=tuple(deadlines),
        reporters=reporters,
        rows=tuple(rows),
        columns=tuple(columns),
        cells=tuple(cells),
    )
    if reader.problems:
        raise DefinitionFormatError(reader.problems)
    return definition


def definition_from_json(text: str | bytes) -> tuple[FormDefinition, dict]:
    """Parse JSON text; return the definition and the document (for extra keys)."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DefinitionFormatError(
            [
                Problem(
                    "json_syntax",
                    "document",
                    gettext_noop("The file is not valid JSON: %(error)s."),
                    {"error": str(error)},
                )
            ]
        ) from None
    known = {
        "format", "format_version", "code", "title", "period_type", "unit_of_measure",
        "legal_basis", "notes", "has_unit_column", "deadlines", "reporters", "columns",
        "rows", "cells",
    }  # fmt: skip
    core = (
        {key: value for key, value in document.items() if key in known}
        if isinstance(document, dict)
        else document
    )
    return definition_from_dict(core), document
