"""Pages of the indicator store: the catalogue (import and export for its
administrators), the cell mapping editor of a form version, the history of one
observation and the analysts' rollup differences. Thin: authorize, parse, call one
service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forms.definition.grid import cell_grid
from forms.definition.model import CellState
from forms.definition.periods import PeriodError
from forms.selectors import access_form_version_by_id, user_is_designer
from indicators.models import Dimension
from indicators.selectors import (
    cell_mappings_of,
    indicators_catalogue,
    observation_history,
    rollup,
    unit_paths_for,
    user_can_edit_catalogue,
)
from indicators.services import (
    CatalogueInvalid,
    MappingInvalid,
    cell_mapping_set,
    indicators_export,
    indicators_import,
)
from orgunits.models import OrgLevel

MAX_CATALOGUE_BYTES = 5 * 1024 * 1024


@login_required
@require_GET
def catalogue(request):
    return render(
        request,
        "indicators/catalogue.html",
        {
            "indicators": indicators_catalogue(),
            "dimensions": Dimension.objects.prefetch_related("codes"),
            "can_edit": user_can_edit_catalogue(request.user),
        },
    )


@login_required
@require_GET
def indicator_detail(request, code: str):
    indicator = indicators_catalogue().filter(code=code).first()
    if indicator is None:
        raise Http404("No such indicator")
    return render(request, "indicators/detail.html", {"indicator": indicator})


@login_required
@require_GET
def catalogue_export(request):
    if not user_can_edit_catalogue(request.user):
        raise PermissionDenied
    response = HttpResponse(indicators_export(), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="chi-tieu.json"'
    return response


@login_required
@require_POST
def catalogue_import(request):
    if not user_can_edit_catalogue(request.user):
        raise PermissionDenied
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_CATALOGUE_BYTES:
        messages.error(request, _("Choose a catalogue file (JSON, at most 5 MB)."))
        return redirect("indicators:catalogue")
    try:
        report = indicators_import(acting_user=request.user, file=upload.read())
    except CatalogueInvalid as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _(
                "Catalogue imported: %(indicators)d indicators, %(dimensions)d dimensions."
            )
            % {"indicators": report.indicators, "dimensions": report.dimensions},
        )
    return redirect("indicators:catalogue")


@login_required
@require_http_methods(["GET", "POST"])
def mapping_edit(request, version_id: int):
    if not user_is_designer(request.user):
        raise PermissionDenied
    version = access_form_version_by_id(request.user, version_id)
    definition = version.form_definition
    cells = [
        spec
        for spec in cell_grid(definition).values()
        if spec.state is not CellState.DISABLED and spec.data_type.is_numeric
    ]
    dimensions = list(Dimension.objects.prefetch_related("codes"))
    problems = []
    if request.method == "POST":
        # Every choice made, also dimension values of a cell left without an
        # indicator, so that a refused save shows the page exactly as sent.
        chosen = {}
        mappings = []
        for spec in cells:
            name = f"{spec.row}-{spec.column}"
            indicator = request.POST.get(f"ind-{name}", "").strip()
            dims = {
                d.code: request.POST.get(f"dim-{name}-{d.code}", "").strip()
                for d in dimensions
            }
            dims = {code: value for code, value in dims.items() if value}
            chosen[(spec.row, spec.column)] = (indicator, dims)
            if indicator:
                mappings.append(
                    {
                        "row": spec.row,
                        "column": spec.column,
                        "indicator": indicator,
                        "dims": dims,
                    }
                )
        try:
            cell_mapping_set(
                acting_user=request.user, form_version=version, mappings=mappings
            )
        except MappingInvalid as error:
            problems = error.problems
        else:
            messages.success(request, _("The cell mappings are saved."))
            return redirect("indicators:mapping", version_id=version.pk)
    else:
        chosen = {
            key: (mapping.indicator.code, mapping.dims)
            for key, mapping in cell_mappings_of(version).items()
        }
    indicators = list(indicators_catalogue())
    groups, summary = _mapping_groups(
        definition, cells, dimensions, indicators, chosen, problems
    )
    return render(
        request,
        "indicators/mapping.html",
        {
            "version": version,
            "groups": groups,
            "cell_count": len(cells),
            "summary": summary,
            "dimensions": dimensions,
            "indicators": indicators,
        },
    )


def _mapping_groups(definition, cells, dimensions, indicators, chosen, problems):
    """Return the editor's cells grouped by form row, each with its choices and the
    messages refusing it, and the error summary: (message, anchor or "") in the
    order of the problems."""
    names = {indicator.code: indicator.name for indicator in indicators}
    codelists = {d.code: {code.code for code in d.codes.all()} for d in dimensions}
    refused: dict[str, list[str]] = {}
    for problem in problems:
        refused.setdefault(problem.cell, []).append(problem.message)
    rows = {row.code: row for row in definition.coded_rows}
    columns = {column.number: column for column in definition.columns}
    groups: dict[str, dict] = {}
    for spec in cells:
        row = rows[spec.row]
        group = groups.setdefault(
            spec.row, {"code": spec.row, "label": row.label, "cells": []}
        )
        indicator, dims = chosen.get((spec.row, spec.column), ("", {}))
        key = f"{spec.row}:{spec.column}"
        column = columns.get(spec.column)
        group["cells"].append(
            {
                "name": f"{spec.row}-{spec.column}",
                "cell": key,
                "column": spec.column,
                "column_label": column.label if column else "",
                "indicator": indicator,
                "indicator_name": names.get(indicator, ""),
                "dims": [
                    (d, dims.get(d.code, ""), dims.get(d.code, "") in codelists[d.code])
                    for d in dimensions
                ],
                "errors": refused.get(key, []),
            }
        )
    shown = {cell["cell"] for group in groups.values() for cell in group["cells"]}
    summary = [
        (problem.message, f"map-{problem.cell.replace(':', '-')}")
        if problem.cell in shown
        else (problem.message, "")
        for problem in problems
    ]
    return list(groups.values()), summary


def _analyst_paths(user):
    paths = unit_paths_for(user)
    if paths == []:
        raise PermissionDenied
    return paths


def _period_error(period: str) -> str:
    return _(
        "The period %(period)s is not a period id such as 2026M1, 2026Q1 or 2026."
    ) % {"period": period}


@login_required
@require_GET
def history(request):
    paths = _analyst_paths(request.user)
    query = {
        key: request.GET.get(key, "").strip()
        for key in ("indicator", "unit", "period", "dim_key")
    }
    rows, error = [], ""
    if query["indicator"] and query["unit"] and query["period"]:
        try:
            rows = observation_history(
                unit_paths=paths,
                indicator=query["indicator"],
                unit_code=query["unit"],
                period=query["period"],
                dim_key=query["dim_key"],
            )
        except PeriodError:
            error = _period_error(query["period"])
    return render(
        request,
        "indicators/history.html",
        {"query": query, "rows": rows, "error": error},
    )


@login_required
@require_GET
def differences(request):
    paths = _analyst_paths(request.user)
    query = {
        key: request.GET.get(key, "").strip()
        for key in ("indicator", "period", "level")
    }
    rows, error = [], ""
    if all(query.values()):
        try:
            rows = rollup(
                unit_paths=paths,
                indicator=query["indicator"],
                period=query["period"],
                level=query["level"],
            )
        except PeriodError:
            error = _period_error(query["period"])
    only_differences = request.GET.get("all") != "1"
    if only_differences:
        rows = [row for row in rows if row.differs]
    return render(
        request,
        "indicators/differences.html",
        {
            "query": query,
            "rows": rows,
            "error": error,
            "only_differences": only_differences,
            "levels": OrgLevel.objects.all(),
            "indicators": indicators_catalogue(),
        },
    )
