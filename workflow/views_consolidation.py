"""The compilation page of an upper unit's report: included and missing units, the
compiled values, each cell's contributors, and the button that compiles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from forms.definition.grid import cell_grid
from forms.definition.periods import parse_period
from reporting.engine.values import display_number
from reporting.models import SubmissionStatus
from reporting.selectors import access_report_by_key
from workflow.consolidation import ConsolidationRefused, consolidation_compile
from workflow.consolidation_selectors import (
    access_compiled_report_by_id,
    cell_contributions,
    compile_sources,
    user_may_compile,
)
from workflow.models import Consolidation

STATUS_LABELS = {
    "not_started": gettext_lazy("Not started"),
    **dict(SubmissionStatus.choices),
}


def _compile(request, template, unit, period_id):
    try:
        consolidation = consolidation_compile(
            acting_user=request.user, template=template, unit=unit, period=period_id
        )
    except ConsolidationRefused as refused:
        messages.error(request, str(refused))
        return None
    count = consolidation.sources.count()
    messages.success(
        request,
        ngettext(
            "Compiled from %(count)d approved report.",
            "Compiled from %(count)d approved reports.",
            count,
        )
        % {"count": count},
    )
    return consolidation


@login_required
@require_http_methods(["GET", "POST"])
def compiled_report_by_key(request, template_id: int, unit_id: int, period: str):
    access = access_report_by_key(
        request.user, template_id=template_id, unit_id=unit_id, period_id=period
    )
    if not user_may_compile(request.user, access.unit):
        raise Http404("No such report")
    if request.method == "POST":
        consolidation = _compile(
            request, access.template, access.unit, access.period.id
        )
        if consolidation is not None:
            return redirect("consolidation:detail", consolidation.submission_id)
    elif access.submission is not None:
        return redirect("consolidation:detail", access.submission.pk)
    sources = compile_sources(access.template, access.unit, access.period)
    return render(
        request,
        "workflow/consolidation.html",
        {
            "template": access.template,
            "unit": access.unit,
            "period_label": access.period.label,
            "submission": None,
            "consolidation": None,
            "ready": [report.org_unit for report in sources.included],
            "missing": _missing(sources.missing),
            "post_url": request.path,
        },
    )


def _missing(items):
    return [
        {**item, "status_label": STATUS_LABELS.get(item["status"], item["status"])}
        for item in items
    ]


@login_required
@require_http_methods(["GET", "POST"])
def compiled_report(request, submission_id: int):
    submission = access_compiled_report_by_id(request.user, submission_id)
    if request.method == "POST":
        _compile(request, submission.template, submission.org_unit, submission.period)
        return redirect("consolidation:detail", submission.pk)
    consolidation = (
        Consolidation.objects.filter(submission=submission)
        .select_related("revision", "compiled_by")
        .first()
    )
    period = parse_period(submission.period)
    sources = compile_sources(submission.template, submission.org_unit, period)
    definition = submission.form_version.form_definition
    grid = cell_grid(definition)
    values = submission.current_revision.values if submission.current_revision else {}
    rows = [
        {
            "code": row.code,
            "label": row.label,
            "aggregation": row.aggregation,
            "cells": [
                {
                    "key": f"{row.code}:{column.number}",
                    "value": _shown(values.get(f"{row.code}:{column.number}", "")),
                    "numeric": grid[(row.code, column.number)].data_type.is_numeric,
                }
                for column in definition.columns
            ],
        }
        for row in definition.coded_rows
    ]
    drill = None
    cell = request.GET.get("o", "")
    if consolidation is not None and cell:
        drill = cell_contributions(consolidation, cell)
    return render(
        request,
        "workflow/consolidation.html",
        {
            "template": submission.template,
            "unit": submission.org_unit,
            "period_label": period.label,
            "submission": submission,
            "consolidation": consolidation,
            "included": consolidation.sources.select_related("org_unit", "source")
            if consolidation
            else [],
            "ready": [report.org_unit for report in sources.included],
            "missing": _missing(sources.missing),
            "columns": definition.columns,
            "rows": rows,
            "drill": drill,
            "drill_values": [
                (item.unit, _shown(item.value)) for item in drill.contributions
            ]
            if drill
            else [],
            "drill_aggregate": _shown(drill.aggregate) if drill else "",
            "post_url": request.path,
            "entry_url": reverse(
                "reporting:entry",
                args=[
                    submission.template_id,
                    submission.org_unit_id,
                    submission.period,
                ],
            ),
            "can_compile": submission.status
            in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED),
        },
    )


def _shown(value) -> str:
    if value is None or value == "":
        return ""
    try:
        return display_number(value)
    except ArithmeticError:
        return str(value)
