"""Writes to the indicator store: the catalogue (with its file import and export)
and the mapping of form cells to indicators. Publishing observations lives in
``indicators.publishing`` and is re-exported here.

Every service is atomic and labels its changes through ``audit_context``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.text import nfc
from forms.definition.grid import cell_grid
from forms.definition.model import CellState
from forms.models import FormVersion
from indicators.models import (
    Aggregation,
    CellMapping,
    Dimension,
    DimensionCode,
    Indicator,
    PublishingPolicy,
)
from indicators.publishing import (  # noqa: F401  (re-exported)
    dim_key_of,
    observations_publish,
    observations_withdraw,
)

CATALOGUE_FORMAT = 1
INDICATOR_FIELDS = ("code", "name", "unit_of_measure", "aggregation")


class CatalogueInvalid(Exception):
    """The catalogue file or edit is refused; ``messages`` name each problem."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class MappingProblem:
    """Why the mapping of one cell ("02:2") is refused; the message names the cell."""

    cell: str
    message: str


class MappingInvalid(Exception):
    """Some cell mappings are refused: ``problems`` gives each refused cell with its
    message, ``messages`` the messages alone (each names its cell)."""

    def __init__(self, problems: list[MappingProblem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems
        self.messages = [problem.message for problem in problems]


# --- Catalogue -------------------------------------------------------------------


def dimension_save(
    *, acting_user, code: str, name: str, codes: list[tuple[str, str]] = ()
) -> Dimension:
    """Create or update a dimension and add or rename the codes of its codelist."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="dimension_save"),
    ):
        dimension = _dimension_upsert(code=code, name=name)
        _codes_upsert(dimension, codes)
        return dimension


def _dimension_upsert(*, code: str, name: str) -> Dimension:
    code, name = nfc(code).strip(), nfc(name).strip()
    dimension = Dimension.objects.filter(code=code).first() or Dimension(code=code)
    if dimension.pk and dimension.name == name:
        return dimension
    dimension.name = name
    _clean(dimension, code)
    dimension.save()
    return dimension


def _codes_upsert(dimension: Dimension, codes) -> None:
    existing = {c.code: c for c in dimension.codes.all()}
    for code, name in codes:
        code, name = nfc(code).strip(), nfc(name).strip()
        item = existing.get(code) or DimensionCode(dimension=dimension, code=code)
        if item.pk and item.name == name:
            continue
        item.name = name
        _clean(item, f"{dimension.code}={code}")
        item.save()


def _clean(instance, label: str) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        raise CatalogueInvalid(
            [
                _("%(item)s: %(field)s: %(message)s")
                % {"item": label, "field": name, "message": " ".join(messages)}
                for name, messages in error.message_dict.items()
            ]
        ) from None


def indicator_save(
    *,
    acting_user,
    code: str,
    name: str,
    unit_of_measure: str = "",
    aggregation: str = Aggregation.SUM,
    weight_indicator: str | None = None,
    dimensions: list[str] = (),
    open_data: bool = False,
    description: str = "",
) -> Indicator:
    """Create or update the indicator ``code``; ``weight_indicator`` and
    ``dimensions`` are given by code."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="indicator_save"),
    ):
        return _indicator_upsert(
            {
                "code": code,
                "name": name,
                "unit_of_measure": unit_of_measure,
                "aggregation": aggregation,
                "weight_indicator": weight_indicator,
                "dimensions": list(dimensions),
                "open_data": open_data,
                "description": description,
            }
        )


def _indicator_upsert(item: dict) -> Indicator:
    code = nfc(str(item.get("code", ""))).strip()
    indicator = Indicator.objects.filter(code=code).first() or Indicator(code=code)
    indicator.name = nfc(str(item.get("name", ""))).strip()
    indicator.unit_of_measure = nfc(str(item.get("unit_of_measure", ""))).strip()
    indicator.aggregation = item.get("aggregation") or Aggregation.SUM
    indicator.open_data = bool(item.get("open_data", False))
    indicator.description = nfc(str(item.get("description", ""))).strip()
    weight = item.get("weight_indicator") or None
    problems = []
    indicator.weight_indicator = None
    if weight:
        indicator.weight_indicator = Indicator.objects.filter(code=weight).first()
        if indicator.weight_indicator is None:
            problems.append(
                _("%(item)s: the weight indicator %(weight)s does not exist.")
                % {"item": code, "weight": weight}
            )
    if indicator.aggregation == Aggregation.WEIGHTED_AVERAGE and not weight:
        problems.append(
            _("%(item)s: a weighted average needs a weight indicator.") % {"item": code}
        )
    dimension_codes = [str(d) for d in item.get("dimensions", [])]
    dimensions = list(Dimension.objects.filter(code__in=dimension_codes))
    missing = sorted(set(dimension_codes) - {d.code for d in dimensions})
    if missing:
        problems.append(
            _("%(item)s: unknown dimensions: %(codes)s.")
            % {"item": code, "codes": ", ".join(missing)}
        )
    if problems:
        raise CatalogueInvalid(problems)
    _clean(indicator, code)
    indicator.save()
    if {d.pk for d in indicator.dimensions.all()} != {d.pk for d in dimensions}:
        indicator.dimensions.set(dimensions)
    return indicator


def indicators_export() -> bytes:
    """Return the whole catalogue as a JSON document, sorted, so that importing it
    into an empty store and exporting again gives the same bytes."""
    dimensions = [
        {
            "code": dimension.code,
            "name": dimension.name,
            "codes": [{"code": c.code, "name": c.name} for c in dimension.codes.all()],
        }
        for dimension in Dimension.objects.prefetch_related("codes").order_by("code")
    ]
    indicators = [
        {
            "code": indicator.code,
            "name": indicator.name,
            "unit_of_measure": indicator.unit_of_measure,
            "aggregation": indicator.aggregation,
            "weight_indicator": (
                indicator.weight_indicator.code if indicator.weight_indicator else None
            ),
            "dimensions": sorted(d.code for d in indicator.dimensions.all()),
            "open_data": indicator.open_data,
            "description": indicator.description,
        }
        for indicator in Indicator.objects.select_related("weight_indicator")
        .prefetch_related("dimensions")
        .order_by("code")
    ]
    document = {
        "format": CATALOGUE_FORMAT,
        "dimensions": dimensions,
        "indicators": indicators,
    }
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode()


@dataclass
class CatalogueImportReport:
    dimensions: int = 0
    codes: int = 0
    indicators: int = 0
    problems: list[str] = field(default_factory=list)


def indicators_import(*, acting_user, file) -> CatalogueImportReport:
    """Create or update the dimensions, codes and indicators of a catalogue file
    (bytes or a binary file) made by ``indicators_export``; all or nothing."""
    raw = file if isinstance(file, bytes | str) else file.read()
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise CatalogueInvalid([_("The file is not a JSON catalogue.")]) from None
    if not isinstance(document, dict) or document.get("format") != CATALOGUE_FORMAT:
        raise CatalogueInvalid(
            [
                _("The file is not an indicator catalogue of format %(format)d.")
                % {"format": CATALOGUE_FORMAT}
            ]
        )
    report = CatalogueImportReport()
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="indicators_import"),
    ):
        for item in document.get("dimensions", []):
            dimension = _dimension_upsert(code=item["code"], name=item["name"])
            codes = [(c["code"], c["name"]) for c in item.get("codes", [])]
            _codes_upsert(dimension, codes)
            report.dimensions += 1
            report.codes += len(codes)
        items = document.get("indicators", [])
        # Every indicator exists before any weight refers to it.
        known = set(Indicator.objects.values_list("code", flat=True))
        for item in items:
            if item.get("code") not in known:
                _indicator_upsert(
                    {**item, "aggregation": "sum", "weight_indicator": None}
                )
        for item in items:
            _indicator_upsert(item)
        report.indicators = len(items)
    return report


# --- Cell mappings ----------------------------------------------------------------


def cell_mapping_set(
    *, acting_user, form_version: FormVersion, mappings: list[dict]
) -> list[CellMapping]:
    """Replace the cell mappings of ``form_version`` with ``mappings``: each a dict
    {"row": code, "column": number, "indicator": code, "dims": {dimension: code}}.

    Mappings are metadata, allowed on published versions. Every problem is reported
    at once, each naming its cell; nothing is saved unless all are valid.
    """
    grid = cell_grid(form_version.form_definition)
    indicators = {
        i.code: i
        for i in Indicator.objects.prefetch_related("dimensions").filter(
            code__in={str(m.get("indicator", "")) for m in mappings}
        )
    }
    codelists: dict[str, set[str]] = {}
    for code in DimensionCode.objects.select_related("dimension"):
        codelists.setdefault(code.dimension.code, set()).add(code.code)
    problems: list[MappingProblem] = []

    def refuse(cell: str, message: str) -> None:
        problems.append(MappingProblem(cell, message))

    rows: list[CellMapping] = []
    seen: dict[tuple[int, str], str] = {}
    for mapping in mappings:
        row = str(mapping.get("row", "")).strip()
        column = str(mapping.get("column", "")).strip()
        cell = f"{row}:{column}"
        spec = grid.get((row, int(column))) if column.isdigit() else None
        if spec is None:
            refuse(
                cell, _("Cell %(cell)s: the form has no such cell.") % {"cell": cell}
            )
            continue
        if spec.state is CellState.DISABLED or not spec.data_type.is_numeric:
            refuse(
                cell,
                _("Cell %(cell)s: only enabled numeric cells can feed an indicator.")
                % {"cell": cell},
            )
            continue
        indicator = indicators.get(str(mapping.get("indicator", "")))
        if indicator is None:
            refuse(
                cell,
                _("Cell %(cell)s: the indicator %(indicator)s does not exist.")
                % {"cell": cell, "indicator": mapping.get("indicator", "")},
            )
            continue
        dims = {str(k): str(v) for k, v in (mapping.get("dims") or {}).items() if v}
        allowed = {d.code for d in indicator.dimensions.all()}
        bad = False
        for dimension, code in sorted(dims.items()):
            if dimension not in allowed:
                refuse(
                    cell,
                    _(
                        "Cell %(cell)s: the indicator %(indicator)s has no dimension %(dimension)s."
                    )
                    % {
                        "cell": cell,
                        "indicator": indicator.code,
                        "dimension": dimension,
                    },
                )
                bad = True
            elif code not in codelists.get(dimension, set()):
                refuse(
                    cell,
                    _(
                        "Cell %(cell)s: %(code)s is not a code of the dimension %(dimension)s."
                    )
                    % {"cell": cell, "code": code, "dimension": dimension},
                )
                bad = True
        if bad:
            continue
        key = (indicator.pk, dim_key_of(dims))
        if key in seen:
            refuse(
                cell,
                _(
                    "Cell %(cell)s: cell %(other)s already feeds %(indicator)s with the same dimension values."
                )
                % {"cell": cell, "other": seen[key], "indicator": indicator.code},
            )
            continue
        seen[key] = cell
        rows.append(
            CellMapping(
                form_version=form_version,
                row_code=row,
                column=int(column),
                indicator=indicator,
                dims=dims,
            )
        )
    if problems:
        raise MappingInvalid(problems)
    with (
        transaction.atomic(),
        audit_context(
            acting_user=acting_user,
            action="cell_mapping_set",
            form_version=form_version.pk,
        ),
    ):
        CellMapping.objects.filter(form_version=form_version).delete()
        return CellMapping.objects.bulk_create(rows)


def publishing_policy_set(*, acting_user, regime, status: str) -> PublishingPolicy:
    """Set the status (provisional or official) the regime's figures publish with."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="publishing_policy_set"),
    ):
        policy = PublishingPolicy.objects.filter(regime=regime).first()
        policy = policy or PublishingPolicy(regime=regime)
        policy.status = status
        policy.full_clean()
        policy.save()
        return policy
