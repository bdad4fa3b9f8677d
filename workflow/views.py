"""The reviewer's desk: the queue of reports awaiting the reviewer, one report with
its figures, changes, checks and history, the review actions, and bulk approval.

Thin: each view authorizes through a selector, calls one service and redirects; a
refusal is shown with the sentence the service gives (it names the report's state).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from forms.definition.periods import parse_period
from reporting.engine.revision_diff import revision_changes
from reporting.entry import entry_grid, version_layout
from reporting.models import Revision, Submission
from reporting.selectors import other_period_values
from validation.selectors import revision_findings
from workflow.bulk import BulkApprovalRefused, bulk_approval_start
from workflow.decisions import level_name, level_names, possible_actions
from workflow.selectors import (
    CHECK_FILTERS,
    access_bulk_approval_by_id,
    access_submission_for_review,
    clean_queue_ids,
    comments_for,
    events_of,
    review_queryset,
    review_queue,
)
from workflow.services import (
    WorkflowRefused,
    submission_accept,
    submission_approve,
    submission_return,
    submission_unapprove,
)

STOP_POLLING = 286  # htmx stops polling on this status
PER_PAGE = 25


def _filters(data) -> dict:
    checks = data.get("checks", "")
    return {
        "form": data.get("form", "") if str(data.get("form", "")).isdigit() else "",
        "period": data.get("period", "").strip(),
        "unit_code": data.get("unit", "").strip(),
        "checks": checks if checks in CHECK_FILTERS else "",
    }


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("trang", 1)))
    except ValueError:
        return 1


@login_required
@require_GET
def review_list(request):
    """The reports awaiting the user's review or acceptance, filtered and paged."""
    filters = _filters(request.GET)
    queue = review_queue(
        request.user, **filters, page=_page_number(request), per_page=PER_PAGE
    )
    forms = (
        review_queryset(request.user)
        .order_by("template__code")
        .values_list("template_id", "template__code")
        .distinct()
    )
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "workflow/queue.html",
        {
            "queue": queue,
            "filters": filters,
            "forms": list(forms),
            "check_choices": [
                ("clean", _("Clean")),
                ("errors", _("With errors")),
                ("warnings", _("With unexplained warnings")),
                ("unchecked", _("Not checked")),
            ],
            "query": query.urlencode(),
        },
    )


def _cell_label(layout, cell: str) -> tuple[str, str]:
    row, _sep, column = cell.rpartition(":")
    labels = {r.code: r.label for r in layout.table.rows if r.code}
    column_label = layout.column_labels.get(int(column), "") if column.isdigit() else ""
    return labels.get(row, row), column_label


@login_required
@require_GET
def review_detail(request, submission_id: int):
    """One report as its reviewer sees it, with the actions open to them now."""
    submission = access_submission_for_review(request.user, submission_id)
    version = submission.form_version
    current = submission.current_revision
    values = current.values if current else {}
    earlier = (
        Revision.objects.filter(submission=submission, number=current.number - 1)
        .only("values", "comments")
        .first()
        if current
        else None
    )
    earlier_values = earlier.values if earlier else {}
    others = other_period_values(submission)
    grid = entry_grid(
        version,
        values=values,
        comments=current.comments if current else {},
        previous=earlier_values,
        last_year=others.get("last_year"),
    )
    changed = (
        {
            change.cell
            for change in revision_changes(earlier_values, values)
            if change.value_changed
        }
        if earlier
        else set()
    )
    findings = revision_findings(submission)
    by_cell: dict[str, list] = {}
    for finding in findings.findings if findings else []:
        by_cell.setdefault(finding.cell, []).append(finding)
    returned = comments_for(submission)
    layout = version_layout(version)
    period = parse_period(submission.period)
    return render(
        request,
        "workflow/review.html",
        {
            "submission": submission,
            "definition": version.form_definition,
            "period_label": period.label,
            "revision": current,
            "earlier": earlier,
            "grid": grid,
            "changed": changed,
            "findings": findings,
            "findings_by_cell": by_cell,
            "returned": returned,
            "returned_items": [
                (cell, *_cell_label(layout, cell), text)
                for cell, text in returned.comments.items()
            ],
            "events": events_of(submission),
            "level_names": level_names(),
            "possible": possible_actions(request.user, submission),
            "last_year_label": period.same_period_last_year().label,
            "entry_url": reverse(
                "reporting:entry",
                args=[
                    submission.template_id,
                    submission.org_unit_id,
                    submission.period,
                ],
            ),
        },
    )


def _act(request, submission_id: int, act, success: str, *, to_queue: bool = True):
    submission = access_submission_for_review(request.user, submission_id)
    try:
        act(submission)
    except WorkflowRefused as refused:
        messages.error(request, str(refused))
        return redirect("workflow:review", submission_id=submission.pk)
    messages.success(request, success % {"report": str(submission)})
    if to_queue:
        return redirect("workflow:queue")
    return redirect("workflow:review", submission_id=submission.pk)


@login_required
@require_POST
def review_approve(request, submission_id: int):
    return _act(
        request,
        submission_id,
        lambda s: submission_approve(acting_user=request.user, submission_id=s.pk),
        _("Approved: %(report)s."),
    )


def _cell_comments(post) -> dict[str, str]:
    prefix = "cell_comment:"
    return {
        key.removeprefix(prefix): value
        for key, value in post.items()
        if key.startswith(prefix) and value.strip()
    }


@login_required
@require_POST
def review_return(request, submission_id: int):
    return _act(
        request,
        submission_id,
        lambda s: submission_return(
            acting_user=request.user,
            submission_id=s.pk,
            reason=request.POST.get("reason", ""),
            cell_comments=_cell_comments(request.POST),
        ),
        _("Returned to the reporter: %(report)s."),
    )


@login_required
@require_POST
def review_unapprove(request, submission_id: int):
    return _act(
        request,
        submission_id,
        lambda s: submission_unapprove(
            acting_user=request.user,
            submission_id=s.pk,
            reason=request.POST.get("reason", ""),
        ),
        _("The approval of %(report)s was withdrawn."),
        to_queue=False,
    )


@login_required
@require_POST
def review_accept(request, submission_id: int):
    return _act(
        request,
        submission_id,
        lambda s: submission_accept(acting_user=request.user, submission_id=s.pk),
        _("Accepted: %(report)s."),
    )


# --- Bulk approval --------------------------------------------------------------------


def _start_bulk(request, ids):
    try:
        job = bulk_approval_start(acting_user=request.user, submission_ids=ids)
    except BulkApprovalRefused as refused:
        messages.error(request, str(refused))
        return redirect("workflow:queue")
    return redirect("workflow:bulk", job_id=job.pk)


@login_required
@require_POST
def review_approve_selected(request):
    """Approve the reports ticked in the queue, in the background."""
    ids = [pk for pk in request.POST.getlist("submission") if pk.isdigit()]
    if not ids:
        messages.error(request, _("Tick the reports to approve first."))
        return redirect("workflow:queue")
    return _start_bulk(request, ids)


@login_required
@require_POST
def review_approve_clean(request):
    """Approve every clean report awaiting the user that matches the filter."""
    filters = _filters(request.POST)
    filters.pop("checks")
    return _start_bulk(request, clean_queue_ids(request.user, **filters))


def _bulk_context(job) -> dict:
    reports = Submission.objects.select_related("template", "org_unit").in_bulk(
        [outcome["submission_id"] for outcome in job.outcomes]
    )
    names = level_names()

    def approved_by(report) -> str:
        # "Awaiting review" alone reads as not approved: say which levels have.
        if report is None:
            return ""
        return ", ".join(level_name(c, names) for c in report.approved_levels)

    return {
        "job": job,
        "rows": [
            (outcome, report, approved_by(report))
            for outcome in job.outcomes
            for report in [reports.get(outcome["submission_id"])]
        ],
    }


@login_required
@require_GET
def bulk_detail(request, job_id: int):
    job = access_bulk_approval_by_id(request.user, job_id)
    return render(request, "workflow/bulk_detail.html", _bulk_context(job))


@login_required
@require_GET
def bulk_progress(request, job_id: int):
    """The polled part of the job's page: progress, then the outcomes."""
    job = access_bulk_approval_by_id(request.user, job_id)
    response = render(request, "workflow/_bulk_status.html", _bulk_context(job))
    if not job.is_working:
        response.status_code = STOP_POLLING
    return response
