"""SDMX output: the SDMX-ML 2.1 structure message and SDMX-CSV 2.0 data.

Pure Python (no Django): the caller describes the data structure with the plain
dataclasses below and passes rows of text. The structure names one data structure
definition whose dimensions are the indicator, the reference area, the indicator's
disaggregations and the time period, with OBS_VALUE as the measure and OBS_STATUS
as an attribute. ``codes_check`` checks data rows against the codelists, since
readers such as sdmx1 accept any code.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree as ET  # noqa: S405 (writing only, never parsing)

MESSAGE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
STRUCTURE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
COMMON = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ET.register_namespace("mes", MESSAGE)
ET.register_namespace("str", STRUCTURE)
ET.register_namespace("com", COMMON)

TIME_PERIOD = "TIME_PERIOD"
OBS_VALUE = "OBS_VALUE"
OBS_STATUS = "OBS_STATUS"
_ID = re.compile(r"[A-Za-z0-9_@$\-]+")


@dataclass(frozen=True)
class Code:
    id: str
    name: str


@dataclass(frozen=True)
class Codelist:
    id: str
    name: str
    codes: tuple[Code, ...]


@dataclass(frozen=True)
class Dimension:
    """A dimension of the data: its concept id, name, and codelist."""

    id: str
    name: str
    codelist: Codelist


@dataclass(frozen=True)
class Structure:
    """Everything the structure message says; ``dimensions`` come in key order,
    the time period is added last."""

    agency: str
    id: str  # of the data structure definition and of its dataflow
    version: str
    name: str
    dimensions: tuple[Dimension, ...]
    statuses: Codelist
    language: str = "vi"

    @property
    def urn_id(self) -> str:
        """AGENCY:ID(VERSION), as SDMX-CSV's STRUCTURE_ID column writes it."""
        return f"{self.agency}:{self.id}({self.version})"

    @property
    def columns(self) -> list[str]:
        return [dimension.id for dimension in self.dimensions] + [TIME_PERIOD]


def sdmx_id(text: str) -> str:
    """Return ``text`` as an SDMX identifier: other characters become "_"."""
    cleaned = re.sub(r"[^A-Za-z0-9_@$\-]", "_", text)
    return cleaned if cleaned and cleaned[0].isalpha() else f"X{cleaned}"


def sdmx_period(period_id: str) -> str:
    """Return a period of this system ("2026M1", "2026Q2", "2026") in SDMX's
    time format ("2026-01", "2026-Q2", "2026")."""
    match = re.fullmatch(r"(\d{4})(?:([MQS])(\d{1,2}))?", period_id)
    if not match:
        raise ValueError(period_id)
    year, kind, number = match.groups()
    if kind is None:
        return year
    if kind == "M":
        return f"{year}-{int(number):02d}"
    return f"{year}-{kind}{int(number)}"


def _name(parent: ET.Element, text: str, language: str) -> None:
    element = ET.SubElement(parent, f"{{{COMMON}}}Name")
    element.set(XML_LANG, language)
    element.text = text


def _ref(parent: ET.Element, **attributes: str) -> None:
    # <Ref> is unqualified in SDMX-ML 2.1.
    ET.SubElement(parent, "Ref", attributes)


def structure_message(
    structure: Structure, *, prepared: datetime.datetime, message_id: str
) -> bytes:
    """Return the SDMX-ML 2.1 structure message: codelists, the concept scheme,
    the data structure definition and its dataflow."""
    agency, version, lang = structure.agency, structure.version, structure.language
    scheme_id = f"CS_{structure.id}"
    root = ET.Element(f"{{{MESSAGE}}}Structure")
    header = ET.SubElement(root, f"{{{MESSAGE}}}Header")
    ET.SubElement(header, f"{{{MESSAGE}}}ID").text = sdmx_id(message_id)
    ET.SubElement(header, f"{{{MESSAGE}}}Test").text = "false"
    ET.SubElement(header, f"{{{MESSAGE}}}Prepared").text = prepared.strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    ET.SubElement(header, f"{{{MESSAGE}}}Sender", id=agency)
    structures = ET.SubElement(root, f"{{{MESSAGE}}}Structures")

    flows = ET.SubElement(structures, f"{{{STRUCTURE}}}Dataflows")
    flow = ET.SubElement(
        flows,
        f"{{{STRUCTURE}}}Dataflow",
        id=structure.id,
        agencyID=agency,
        version=version,
    )
    _name(flow, structure.name, lang)
    _ref(
        ET.SubElement(flow, f"{{{STRUCTURE}}}Structure"),
        id=structure.id,
        version=version,
        agencyID=agency,
        package="datastructure",
        **{"class": "DataStructure"},
    )

    codelists = ET.SubElement(structures, f"{{{STRUCTURE}}}Codelists")
    for codelist in [d.codelist for d in structure.dimensions] + [structure.statuses]:
        element = ET.SubElement(
            codelists,
            f"{{{STRUCTURE}}}Codelist",
            id=codelist.id,
            agencyID=agency,
            version=version,
        )
        _name(element, codelist.name, lang)
        for code in codelist.codes:
            _name(
                ET.SubElement(element, f"{{{STRUCTURE}}}Code", id=code.id),
                code.name,
                lang,
            )

    concepts = ET.SubElement(structures, f"{{{STRUCTURE}}}Concepts")
    scheme = ET.SubElement(
        concepts,
        f"{{{STRUCTURE}}}ConceptScheme",
        id=scheme_id,
        agencyID=agency,
        version=version,
    )
    _name(scheme, structure.name, lang)
    concept_names = [(d.id, d.name) for d in structure.dimensions] + [
        (TIME_PERIOD, "Kỳ báo cáo / Time period"),
        (OBS_VALUE, "Giá trị / Observation value"),
        (OBS_STATUS, "Tình trạng số liệu / Observation status"),
    ]
    for concept_id, name in concept_names:
        _name(
            ET.SubElement(scheme, f"{{{STRUCTURE}}}Concept", id=concept_id), name, lang
        )

    def concept_identity(parent: ET.Element, concept_id: str) -> None:
        _ref(
            ET.SubElement(parent, f"{{{STRUCTURE}}}ConceptIdentity"),
            id=concept_id,
            maintainableParentID=scheme_id,
            maintainableParentVersion=version,
            agencyID=agency,
            package="conceptscheme",
            **{"class": "Concept"},
        )

    def enumeration(parent: ET.Element, codelist: Codelist) -> None:
        representation = ET.SubElement(parent, f"{{{STRUCTURE}}}LocalRepresentation")
        _ref(
            ET.SubElement(representation, f"{{{STRUCTURE}}}Enumeration"),
            id=codelist.id,
            version=version,
            agencyID=agency,
            package="codelist",
            **{"class": "Codelist"},
        )

    dsds = ET.SubElement(structures, f"{{{STRUCTURE}}}DataStructures")
    dsd = ET.SubElement(
        dsds,
        f"{{{STRUCTURE}}}DataStructure",
        id=structure.id,
        agencyID=agency,
        version=version,
    )
    _name(dsd, structure.name, lang)
    components = ET.SubElement(dsd, f"{{{STRUCTURE}}}DataStructureComponents")
    dimension_list = ET.SubElement(
        components, f"{{{STRUCTURE}}}DimensionList", id="DimensionDescriptor"
    )
    for position, dimension in enumerate(structure.dimensions, start=1):
        element = ET.SubElement(
            dimension_list,
            f"{{{STRUCTURE}}}Dimension",
            id=dimension.id,
            position=str(position),
        )
        concept_identity(element, dimension.id)
        enumeration(element, dimension.codelist)
    time = ET.SubElement(
        dimension_list,
        f"{{{STRUCTURE}}}TimeDimension",
        id=TIME_PERIOD,
        position=str(len(structure.dimensions) + 1),
    )
    concept_identity(time, TIME_PERIOD)
    ET.SubElement(
        ET.SubElement(time, f"{{{STRUCTURE}}}LocalRepresentation"),
        f"{{{STRUCTURE}}}TextFormat",
        textType="ObservationalTimePeriod",
    )
    attributes = ET.SubElement(
        components, f"{{{STRUCTURE}}}AttributeList", id="AttributeDescriptor"
    )
    status = ET.SubElement(
        attributes,
        f"{{{STRUCTURE}}}Attribute",
        id=OBS_STATUS,
        assignmentStatus="Conditional",
    )
    concept_identity(status, OBS_STATUS)
    enumeration(status, structure.statuses)
    relationship = ET.SubElement(status, f"{{{STRUCTURE}}}AttributeRelationship")
    _ref(ET.SubElement(relationship, f"{{{STRUCTURE}}}PrimaryMeasure"), id=OBS_VALUE)
    measures = ET.SubElement(
        components, f"{{{STRUCTURE}}}MeasureList", id="MeasureDescriptor"
    )
    measure = ET.SubElement(measures, f"{{{STRUCTURE}}}PrimaryMeasure", id=OBS_VALUE)
    concept_identity(measure, OBS_VALUE)

    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def data_csv(structure: Structure, rows: Iterable[dict[str, str]]) -> str:
    """Return SDMX-CSV 2.0 text: STRUCTURE, STRUCTURE_ID, ACTION, the dimensions,
    OBS_VALUE and OBS_STATUS; each row maps those column names to text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = structure.columns
    writer.writerow(
        ["STRUCTURE", "STRUCTURE_ID", "ACTION", *columns, OBS_VALUE, OBS_STATUS]
    )
    for row in rows:
        writer.writerow(
            [
                "dataflow",
                structure.urn_id,
                "I",
                *(row[column] for column in columns),
                row[OBS_VALUE],
                row.get(OBS_STATUS, ""),
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class CodeProblem:
    row: int  # 1-based data row
    column: str
    value: str


def codes_check(
    structure: Structure, rows: Iterable[dict[str, str]]
) -> list[CodeProblem]:
    """Return every value of a coded column that its codelist does not hold."""
    allowed = {
        dimension.id: {code.id for code in dimension.codelist.codes}
        for dimension in structure.dimensions
    }
    allowed[OBS_STATUS] = {code.id for code in structure.statuses.codes}
    problems = []
    for number, row in enumerate(rows, start=1):
        for column, codes in allowed.items():
            value = row.get(column, "")
            if column == OBS_STATUS and value == "":
                continue
            if value not in codes:
                problems.append(CodeProblem(number, column, value))
    return problems
