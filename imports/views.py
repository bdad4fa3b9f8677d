"""Pages of Excel uploads: upload -> preview -> confirm, the summary, downloads.

The wizard keeps only ids in the session: the upload step stores the file as an
ImportJob at once and the worker reads it while the preview step polls its
progress (htmx); confirming queues the commit and leads to the upload's own page,
which stays reachable afterwards.
"""

from __future__ import annotations

import csv
import io
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from formtools.wizard.views import SessionWizardView

from forms.definition.periods import PeriodError, parse_period
from imports.export import report_filename, report_workbook
from imports.forms import PreviewForm, TemplateForm, UploadForm
from imports.models import ImportJob
from imports.selectors import (
    access_import_job_by_id,
    current_submissions,
    import_jobs_visible_to,
    import_reports_of,
    user_reports_anywhere,
)
from imports.services import (
    ImportJobError,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
)
from orgunits.selectors import visible_to
from reporting.selectors import access_submission_by_id, assignment_covering

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRIDS_SHOWN = 10
STOP_POLLING = 286  # htmx stops polling on this status
CSV_COLUMNS = (
    "sheet",
    "cell",
    "unit",
    "period",
    "row_code",
    "column",
    "value",
    "severity",
    "code",
    "message",
)


def _require_reporter(request) -> None:
    if not user_reports_anywhere(request.user):
        raise PermissionDenied


class UploadWizard(SessionWizardView):
    """Upload a workbook, see its dry run, then import it or cancel."""

    form_list = [("upload", UploadForm), ("preview", PreviewForm)]
    template_name = "imports/wizard.html"
    # Required by formtools for a form with a file; never written to, as the upload
    # step stores the file as an ImportJob instead (process_step_files).
    file_storage = FileSystemStorage(location=str(settings.MEDIA_ROOT))
    step_titles = {
        "upload": gettext_lazy("Upload"),
        "preview": gettext_lazy("Check and confirm"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        _require_reporter(request)
        return super().dispatch(request, *args, **kwargs)

    def _job(self) -> ImportJob | None:
        job_id = (self.storage.extra_data or {}).get("job_id")
        if job_id is None:
            return None
        try:
            return access_import_job_by_id(self.request.user, job_id)
        except Http404:
            return None

    def get_form_kwargs(self, step=None):
        if step == "upload":
            return {"stored": self._job() is not None}
        if step == "preview":
            return {"job": self._job()}
        return {}

    def process_step(self, form):
        if isinstance(form, UploadForm) and form.cleaned_data.get("file") is not None:
            job = import_job_create(
                acting_user=self.request.user,
                uploaded_file=form.cleaned_data["file"],
                form=form.cleaned_data.get("form"),
                language=get_language() or "vi",
            )
            self.storage.extra_data = {"job_id": job.pk}
        # Only the chosen form's id is kept, never the file or other fields.
        return {
            key: values
            for key, values in form.data.lists()
            if key == self.get_form_prefix(form=form) + "-form"
        }

    def process_step_files(self, form):
        return {}

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        context["step_titles"] = [
            (name, self.step_titles[name]) for name in self.get_form_list()
        ]
        context["current_title"] = self.step_titles[self.steps.current]
        if self.steps.current == "preview":
            context.update(job_context(self.request, self._job()))
        return context

    def done(self, form_list, form_dict=None, **kwargs):
        job = self._job()
        if job is None:
            raise Http404
        try:
            import_job_confirm(acting_user=self.request.user, job=job)
        except ImportJobError as error:
            messages.error(self.request, str(error))
        return redirect("imports:job", job_id=job.pk)


upload = UploadWizard.as_view()


def job_context(request, job: ImportJob | None) -> dict:
    """Return what the summary and preview partial need."""
    if job is None:
        return {"job": None}
    context = {"job": job, "summary": job.summary or {}}
    if job.is_working:
        return context
    reports = list(import_reports_of(job))
    chosen = request.GET.get("bao-cao")
    with_problems = [r for r in reports if r.problems]
    ordered = with_problems + [r for r in reports if not r.problems]
    if chosen and chosen.isdigit():
        ordered = [r for r in reports if r.position == int(chosen)]
    context["reports"] = reports
    context["grids"] = [report_grid(report) for report in ordered[:GRIDS_SHOWN]]
    context["more_reports"] = max(0, len(reports) - GRIDS_SHOWN)
    return context


def report_grid(report) -> dict:
    """Return one report of an upload as rows of cells for the preview table."""
    version = report.form_version
    grid = {"report": report, "rows": [], "columns": []}
    if version is None:
        return grid
    definition = version.form_definition
    notes = {}
    for conflict in report.problems:
        if conflict.get("row_code") and conflict.get("column"):
            notes.setdefault(f"{conflict['row_code']}:{conflict['column']}", []).append(
                conflict["message"]
            )
    grid["columns"] = list(definition.columns)
    for row in definition.rows:
        cells = []
        if not row.is_header:
            for column in definition.columns:
                key = f"{row.code}:{column.number}"
                state, new, old, where = (report.cells.get(key) or ["", "", "", ""])[:4]
                messages_here = notes.get(key, [])
                if messages_here and not state:
                    state = "rejected"
                cells.append(
                    {
                        "state": state,
                        "new": new,
                        "old": old,
                        "address": where,
                        "messages": messages_here,
                    }
                )
        grid["rows"].append({"row": row, "cells": cells})
    return grid


@login_required
@require_GET
def job_list(request):
    jobs = import_jobs_visible_to(request.user)[:50]
    return render(request, "imports/job_list.html", {"jobs": jobs})


@login_required
@require_GET
def job_detail(request, job_id: int):
    job = access_import_job_by_id(request.user, job_id)
    return render(request, "imports/job_detail.html", job_context(request, job))


@login_required
@require_GET
def job_progress(request, job_id: int):
    """The polled part of the upload's page: progress, then the summary."""
    job = access_import_job_by_id(request.user, job_id)
    response = render(request, "imports/_job_status.html", job_context(request, job))
    if not job.is_working:
        response.status_code = STOP_POLLING
    return response


@login_required
@require_POST
def job_confirm(request, job_id: int):
    job = access_import_job_by_id(request.user, job_id)
    try:
        import_job_confirm(acting_user=request.user, job=job)
    except ImportJobError as error:
        messages.error(request, str(error))
    return redirect("imports:job", job_id=job.pk)


@login_required
@require_POST
def job_cancel(request, job_id: int):
    job = access_import_job_by_id(request.user, job_id)
    try:
        import_job_cancel(acting_user=request.user, job=job)
        messages.success(request, _("The upload was cancelled; nothing was imported."))
    except ImportJobError as error:
        messages.error(request, str(error))
    return redirect("imports:job", job_id=job.pk)


@login_required
@require_GET
def job_summary_json(request, job_id: int):
    job = access_import_job_by_id(request.user, job_id)
    response = HttpResponse(
        json.dumps(job.summary, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="upload-{job.pk}.json"'
    return response


@login_required
@require_GET
def job_summary_csv(request, job_id: int):
    job = access_import_job_by_id(request.user, job_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for conflict in (job.summary or {}).get("conflicts", []):
        writer.writerow([_csv_safe(conflict.get(name, "")) for name in CSV_COLUMNS])
    response = HttpResponse(
        "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="upload-{job.pk}.csv"'
    return response


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


@login_required
@require_GET
def job_file(request, job_id: int):
    """The original file, as uploaded (kept for the audit)."""
    job = access_import_job_by_id(request.user, job_id)
    try:
        stored = job.file.open("rb")
    except OSError:
        raise Http404("The file is gone") from None
    return FileResponse(
        stored,
        as_attachment=True,
        filename=job.original_name,
        content_type="application/octet-stream",
    )


@login_required
def template_download(request):
    """The template of a form for one of the user's units and a period, with the
    report's current values filled in."""
    _require_reporter(request)
    units = visible_to(request.user, roles={"reporter"}).order_by("code")
    form = TemplateForm(request.GET or None, units=units)
    if request.GET and form.is_valid():
        template = form.cleaned_data["form"]
        unit = form.cleaned_data["unit"]
        try:
            period = parse_period(form.cleaned_data["period"])
        except PeriodError:
            form.add_error("period", _("This is not a reporting period."))
        else:
            assignment = assignment_covering(template, unit, period)
            if assignment is None:
                form.add_error(
                    None,
                    _("%(unit)s does not report %(form)s for %(period)s.")
                    % {
                        "unit": unit.name,
                        "form": template.code,
                        "period": period.label,
                    },
                )
            else:
                version = assignment.form_version
                submission = current_submissions(
                    request.user, [(template.pk, unit.pk, period.id)]
                ).get((template.pk, unit.pk, period.id))
                values = (
                    submission.current_revision.values
                    if submission is not None and submission.current_revision
                    else {}
                )
                return _xlsx(
                    report_workbook(version, unit, period, values),
                    report_filename(version, unit, period),
                )
    return render(request, "imports/template_form.html", {"form": form})


@login_required
@require_GET
def submission_xlsx(request, submission_id: int):
    """Any report the user may see, as Excel in its form's template layout."""
    submission = access_submission_by_id(request.user, submission_id)
    period = parse_period(submission.period)
    values = submission.current_revision.values if submission.current_revision else {}
    return _xlsx(
        report_workbook(submission.form_version, submission.org_unit, period, values),
        report_filename(submission.form_version, submission.org_unit, period),
    )


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
