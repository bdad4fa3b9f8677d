"""Pushed data as read from a request body: DHIS2-like JSON dataValueSets and ADX
1.0 XML, both read into the same ``DataValueSet`` records.

Pure Python (defusedxml reads the XML): bytes in, records out, or a ``PushFormatError``
naming what is wrong with the body. Which form, unit and period the codes stand for
is decided by ``api.push``.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_BODY_BYTES = 20 * 2**20
MAX_VALUES = 1_000_000
ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"
_ADX_PERIOD = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})/P(?P<count>\d+)(?P<unit>[YMQWD])"
)


def gettext_noop(message: str) -> str:
    return message


class PushFormatError(Exception):
    """The body cannot be read; ``message`` is an English msgid with params."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class DataValue(NamedTuple):
    """One pushed value (a tuple: a million of them are made per large request)."""

    data_element: str  # the form's row code
    column: str  # the column number, as sent
    value: str
    deleted: bool = False


@dataclass
class DataValueSet:
    data_set: str  # the form code
    period: str
    org_unit: str  # the unit code
    complete_date: str = ""
    values: list[DataValue] = field(default_factory=list)
    position: int = 0


def _text(value) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- JSON ------------------------------------------------------------------------------


def read_json(body: bytes) -> list[DataValueSet]:
    """Read ``{"dataSet", "period", "orgUnit", "dataValues": [...]}`` or
    ``{"dataValueSets": [such sets]}``."""
    _check_size(body)
    try:
        document = json.loads(body, parse_float=str, parse_int=str)
    except (ValueError, RecursionError) as error:
        raise PushFormatError(
            "json_invalid",
            gettext_noop("The body is not valid JSON: %(error)s."),
            error=str(error)[:200],
        ) from None
    if not isinstance(document, dict):
        raise PushFormatError(
            "json_shape",
            gettext_noop(
                "The body must be a JSON object with dataValues or dataValueSets."
            ),
        )
    if "dataValueSets" in document:
        sets = document["dataValueSets"]
        if not isinstance(sets, list):
            raise PushFormatError(
                "json_shape",
                gettext_noop("dataValueSets must be a list of data value sets."),
            )
    else:
        sets = [document]
    result = []
    total = 0
    for position, raw in enumerate(sets):
        result.append(_json_set(raw, position))
        total += len(result[-1].values)
        if total > MAX_VALUES:
            _too_many()
    return result


def _json_set(raw, position: int) -> DataValueSet:
    if not isinstance(raw, dict):
        raise PushFormatError(
            "json_shape",
            gettext_noop("Data value set %(number)d is not a JSON object."),
            number=position + 1,
        )
    values = raw.get("dataValues", [])
    if not isinstance(values, list):
        raise PushFormatError(
            "json_shape",
            gettext_noop("dataValues of data value set %(number)d must be a list."),
            number=position + 1,
        )
    found = DataValueSet(
        data_set=_text(raw.get("dataSet")),
        period=_text(raw.get("period")),
        org_unit=_text(raw.get("orgUnit")),
        complete_date=_text(raw.get("completeDate")),
        position=position,
    )
    append = found.values.append
    make = _new_value
    for index, item in enumerate(values):
        if type(item) is not dict:
            raise PushFormatError(
                "json_shape",
                gettext_noop(
                    "Data value %(index)d of set %(number)d is not a JSON object."
                ),
                index=index + 1,
                number=position + 1,
            )
        # _text inlined for the common case (numbers and codes read as str).
        element = item.get("dataElement")
        column = item.get("categoryOptionCombo")
        if column is None:
            column = item.get("column")
        value = item.get("value")
        append(
            make(
                (
                    element.strip() if type(element) is str else _text(element),
                    column.strip() if type(column) is str else _text(column),
                    value.strip() if type(value) is str else _text(value),
                    item.get("deleted") is True,
                )
            )
        )
    return found


_new_value = functools.partial(tuple.__new__, DataValue)


# --- ADX -------------------------------------------------------------------------------


def read_adx(body: bytes) -> list[DataValueSet]:
    """Read an ADX 1.0 message: ``adx/group(dataSet, period, orgUnit)/dataValue
    (dataElement, column, value)``; the period is ISO 8601 (``2026-01-01/P1M``)."""
    _check_size(body)
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise PushFormatError(
            "xml_forbidden",
            gettext_noop(
                "The XML declares a document type or entities, which are refused (they can be used to attack the server)."
            ),
        ) from None
    except Exception as error:  # ParseError and friends: the body is not XML
        raise PushFormatError(
            "xml_invalid",
            gettext_noop("The body is not well-formed XML: %(error)s."),
            error=str(error)[:200],
        ) from None
    if _local(root.tag) != "adx":
        raise PushFormatError(
            "adx_shape", gettext_noop("The XML root element must be adx (ADX 1.0).")
        )
    sets: list[DataValueSet] = []
    total = 0
    for position, group in enumerate(
        child for child in root if _local(child.tag) == "group"
    ):
        attributes = group.attrib
        found = DataValueSet(
            data_set=attributes.get("dataSet", "").strip(),
            period=adx_period(attributes.get("period", "").strip()),
            org_unit=attributes.get("orgUnit", "").strip(),
            complete_date=attributes.get("completeDate", "").strip(),
            position=position,
        )
        for item in group:
            if _local(item.tag) != "dataValue":
                continue
            value = item.attrib.get("value")
            if value is None:  # a text value is written as an element
                annotation = next(
                    (c for c in item if _local(c.tag) == "annotation"), None
                )
                value = (annotation.text if annotation is not None else item.text) or ""
            found.values.append(
                DataValue(
                    data_element=item.attrib.get("dataElement", "").strip(),
                    column=item.attrib.get(
                        "categoryOptionCombo", item.attrib.get("column", "")
                    ).strip(),
                    value=value.strip(),
                )
            )
        total += len(found.values)
        if total > MAX_VALUES:
            _too_many()
        sets.append(found)
    if not sets:
        raise PushFormatError(
            "adx_shape", gettext_noop("The ADX message has no group.")
        )
    return sets


def adx_period(text: str) -> str:
    """Return the period id (2026M01, 2026Q1, 2026S1, 2026) of an ADX period
    ``start/duration``; other text is returned as it is, for the caller to refuse."""
    match = _ADX_PERIOD.fullmatch(text)
    if not match:
        return text
    try:
        start = datetime.date(
            int(match["year"]), int(match["month"]), int(match["day"])
        )
    except ValueError:
        return text
    count, unit = int(match["count"]), match["unit"]
    if start.day != 1:
        return text
    if unit == "Y" and count == 1 and start.month == 1:
        return str(start.year)
    if unit == "M" and count == 1:
        return f"{start.year}M{start.month:02d}"
    if (
        unit == "M" and count == 3 or unit == "Q" and count == 1
    ) and start.month % 3 == 1:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    if unit == "M" and count == 6 and start.month in (1, 7):
        return f"{start.year}S{1 if start.month == 1 else 2}"
    if unit == "M" and count == 9 and start.month == 1:
        return f"{start.year}N9"
    return text


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _check_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise PushFormatError(
            "body_too_large",
            gettext_noop(
                "The body is %(size_mb)s MB; at most %(max_mb)d MB are accepted."
            ),
            size_mb=f"{len(body) / 2**20:.1f}",
            max_mb=MAX_BODY_BYTES // 2**20,
        )
    if not body.strip():
        raise PushFormatError("body_empty", gettext_noop("The body is empty."))


def _too_many() -> None:
    raise PushFormatError(
        "too_many_values",
        gettext_noop("At most %(max)d data values are accepted in one request."),
        max=MAX_VALUES,
    )
