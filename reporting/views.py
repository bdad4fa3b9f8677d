"""Pages and endpoints of online data entry: the entry grid of one report, saving a
draft and submitting it.

Thin: each view authorizes through a selector, parses the request, calls one service
and renders. Save and submit answer JSON to the page's script (errors by cell, 409
with both versions on a conflict, 403 or 423 with a sentence when the report cannot
be changed) and, without the script, take the plain form post and answer with a page.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from forms.definition.periods import parse_period
from reporting.engine.values import MAX_DECIMAL_PLACES
from reporting.entry import display_value, entry_grid, entry_state_of, version_layout
from reporting.models import Submission, SubmissionStatus
from reporting.selectors import (
    ReportAccess,
    access_report_by_key,
    access_submission_by_id,
    other_period_values,
    user_can_edit,
)
from reporting.services import (
    EDITABLE_STATUSES,
    MAX_TEXT_LENGTH,
    SubmissionConflict,
    SubmissionNotEditable,
    SubmissionValuesInvalid,
    submission_open,
    submission_save_draft,
)
from validation.selectors import revision_findings
from workflow.selectors import comments_for
from workflow.services import submission_submit

AUTOSAVE_AFTER_MS = 4000
LIVE_CHECK_AFTER_MS = 400
MAX_CELLS_PER_SAVE = 20000


class BadPayload(Exception):
    pass


def optional_url(name: str, *args) -> str:
    """Return the URL named ``name``, or "" while the page it names is not built."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def entry_url(submission: Submission) -> str:
    return reverse(
        "reporting:entry",
        args=[submission.template_id, submission.org_unit_id, submission.period],
    )


def _wants_json(request) -> bool:
    return request.content_type == "application/json"


# --- The entry page ------------------------------------------------------------------


@login_required
@require_GET
def entry(request, template_id: int, unit_id: int, period: str):
    """Open one report: a reporter of the unit gets its draft (created on first
    visit); a reviewer or analyst above sees it read-only; anyone else a 404."""
    access = access_report_by_key(
        request.user, template_id=template_id, unit_id=unit_id, period_id=period
    )
    submission = access.submission
    if submission is None and access.can_report:
        try:
            submission = submission_open(
                acting_user=request.user,
                form_version=access.assignment.form_version,
                unit=access.unit,
                period=access.period.id,
            )
        except SubmissionNotEditable as error:
            return render(
                request,
                "reporting/entry_unavailable.html",
                {"access": access, "message": str(error)},
                status=404,
            )
    return _render_entry(request, access, submission)


def _compile_url(user, access) -> str:
    """The upper unit's compilation page, when units below report this form."""
    from workflow.consolidation_selectors import has_units_below, user_may_compile

    if not user_may_compile(user, access.unit) or not has_units_below(
        access.template, access.unit, access.period
    ):
        return ""
    return reverse(
        "consolidation:by_key",
        args=[access.template.pk, access.unit.pk, access.period.id],
    )


def _messages_for_script() -> dict[str, str]:
    """The sentences the page's script shows, in the user's language."""
    return {
        "not_a_number": _("%(value)r is not a number."),
        "not_finite": _("%(value)r is not a number."),
        "bad_grouping_mixed": _(
            "%(value)r mixes separators; write 1.234,5 (or 1234,5)."
        ),
        "bad_grouping_commas": _("%(value)r has more than one decimal comma."),
        "bad_grouping_dots": _(
            "%(value)r: group thousands by three digits, as in 1.234.567."
        ),
        "percent_not_allowed": _("A percent sign is allowed only in percent columns."),
        "too_large": _("%(value)r is too large for a report figure."),
        "not_whole": _("This column takes whole numbers; %(value)r has decimals."),
        "too_many_places": _("At most %(places)d decimal places."),
        "not_yes_no": _("Write Có or Không."),
        "text_too_long": _("At most %(max)d characters."),
        "cell_problem": _("Row %(row)s, column %(column)s: %(message)s"),
        "problems": _("%(count)d cells need attention."),
        "saving": _("Saving…"),
        "unsaved": _("Changes not saved yet."),
        "offline": _(
            "Could not reach the server. What you typed stays on this page and on "
            "this device; trying again in %(seconds)d seconds."
        ),
        "server_error": _(
            "The server could not save just now. What you typed stays on this page "
            "and on this device; trying again in %(seconds)d seconds."
        ),
        "restored": _(
            "%(count)d figures you typed on this device at %(time)s had not been "
            "saved; they are back in the form. Save them, or discard them."
        ),
        "pasted": _("Pasted %(count)d cells."),
        "pasted_skipped": _(
            "Pasted %(count)d cells; %(skipped)d computed or closed cells kept their "
            "values."
        ),
        "note_for": _("Comment on row %(row)s, column %(column)s"),
        "took_theirs": _("You now see revision %(number)d, saved by the other person."),
        "submitting": _("Submitting…"),
        "fix_before_submit": _("Correct the marked cells before submitting."),
        "submitted": _("Submitted"),
        "view_receipt": _("View the receipt"),
        "error": _("Error"),
        "warning": _("Warning"),
        "yes": _("Yes"),
        "no": _("No"),
    }


def _render_entry(
    request,
    access: ReportAccess,
    submission: Submission | None,
    *,
    typed: dict[str, str] | None = None,
    typed_comments: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    conflict: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    version = submission.form_version if submission else access.assignment.form_version
    revision = submission.current_revision if submission else None
    values = revision.values if revision else {}
    comments = dict(revision.comments) if revision else {}
    if typed_comments is not None:
        comments = typed_comments
    others = other_period_values(submission) if submission else {}
    same_period = (
        access.period.previous().id == access.period.same_period_last_year().id
    )
    if same_period:
        # A yearly form: last year is the previous period; show it once.
        others.pop("last_year", None)
    state = entry_state_of(request.user, submission) if submission else None
    editable = bool(state and state.editable)
    grid = entry_grid(
        version,
        values=values,
        comments=comments,
        typed=typed,
        errors=errors,
        previous=others.get("previous"),
        last_year=others.get("last_year"),
    )
    base_revision = submission.revision_count if submission else 0
    if conflict is not None:
        base_revision = conflict["current_revision"]
    receipt = submission.receipts.first() if submission else None
    findings = revision_findings(submission)
    review_return = _review_return(submission, version)
    script = {
        "submission": submission.pk if submission else None,
        "revision": base_revision,
        "editable": editable,
        "saveUrl": reverse("reporting:entry_save", args=[submission.pk])
        if submission
        else "",
        "submitUrl": reverse("reporting:entry_submit", args=[submission.pk])
        if submission
        else "",
        "checkUrl": reverse("validation:live_check", args=[submission.pk])
        if submission and editable
        else "",
        "checkMs": LIVE_CHECK_AFTER_MS,
        "violations": findings.result.violations if findings else [],
        "autosaveMs": AUTOSAVE_AFTER_MS,
        "maxPlaces": MAX_DECIMAL_PLACES,
        "maxText": MAX_TEXT_LENGTH,
        "formulas": version_layout(version).formulas,
        "comments": comments,
        "messages": _messages_for_script(),
    }
    context = {
        "access": access,
        "submission": submission,
        "version": version,
        "definition": version.form_definition,
        "period_label": access.period.label,
        "revision": revision,
        "grid": grid,
        "state": state,
        "editable": editable,
        "submission_is_open": bool(
            submission and submission.status in EDITABLE_STATUSES
        ),
        "base_revision": base_revision,
        "receipt": receipt,
        "receipt_url": optional_url("reporting:receipt", receipt.number)
        if receipt
        else "",
        "inbox_url": optional_url("reporting:inbox"),
        "history_url": optional_url("reporting:revisions", submission.pk)
        if submission
        else "",
        "compile_url": _compile_url(request.user, access),
        "entry_script": script,
        "problems": problems or [],
        "problems_heading": _("%(count)d cells need attention.")
        % {"count": len(problems)}
        if problems
        else "",
        "conflict": conflict,
        "findings": findings,
        "can_explain": bool(submission and user_can_edit(request.user, submission)),
        "previous_label": access.period.previous().label,
        "last_year_label": access.period.same_period_last_year().label,
        "show_last_year": not same_period,
        "review_return": review_return,
        "review_comments": review_return["comments"] if review_return else {},
    }
    return render(request, "reporting/entry.html", context, status=status)


def _review_return(submission: Submission | None, version) -> dict | None:
    """The reviewer's reason and cell comments while the report is returned to its
    reporter, each comment with its row and column names."""
    if submission is None or submission.status != SubmissionStatus.RETURNED:
        return None
    returned = comments_for(submission)
    if returned.event is None:
        return None
    layout = version_layout(version)
    rows = {row.code: row.label for row in layout.table.rows if row.code}
    items = []
    for cell, text in returned.comments.items():
        row, _sep, column = cell.rpartition(":")
        items.append(
            {
                "cell": cell,
                "row": row,
                "row_label": rows.get(row, row),
                "column": column,
                "column_label": layout.column_labels.get(int(column), column)
                if column.isdigit()
                else column,
                "text": text,
            }
        )
    return {
        "event": returned.event,
        "reason": returned.reason,
        "comments": returned.comments,
        "items": items,
    }


# --- Reading what the page sends -----------------------------------------------------


def _text_map(data, *, limit: int) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict) or len(data) > limit:
        raise BadPayload
    result = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise BadPayload
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise BadPayload
        result[key] = str(value)
    return result


def _base_revision(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadPayload from None
    if number < 0:
        raise BadPayload
    return number


def _read_save(request) -> tuple[int, dict[str, str], dict[str, str]]:
    """Return (base revision, values, comments) from a JSON body or a form post."""
    if _wants_json(request):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise BadPayload from None
        if not isinstance(data, dict):
            raise BadPayload
        return (
            _base_revision(data.get("base_revision")),
            _text_map(data.get("values"), limit=MAX_CELLS_PER_SAVE),
            _text_map(data.get("comments"), limit=MAX_CELLS_PER_SAVE),
        )
    values, comments = {}, {}
    for key, value in request.POST.items():
        if key.startswith("note:"):
            comments[key.removeprefix("note:")] = value
        elif ":" in key:
            values[key] = value
    return _base_revision(request.POST.get("base_revision")), values, comments


def _bad_payload(request) -> HttpResponse:
    message = _("The page sent something the server could not read; reload the page.")
    if _wants_json(request):
        return JsonResponse({"message": message}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _refusal(request, submission: Submission, message: str, status: int):
    if _wants_json(request):
        return JsonResponse({"message": message}, status=status)
    messages.error(request, message)
    return _render_entry(
        request, _access_of(request.user, submission), submission, status=status
    )


def _access_of(user, submission: Submission) -> ReportAccess:
    return ReportAccess(
        template=submission.template,
        unit=submission.org_unit,
        period=parse_period(submission.period),
        assignment=None,
        submission=submission,
        can_report=user_can_edit(user, submission),
    )


def _not_a_reporter(submission: Submission) -> str:
    return _(
        "You can view this report, but only reporters of %(unit)s can change or "
        "submit it."
    ) % {"unit": submission.org_unit.name}


# --- Saving and submitting -----------------------------------------------------------


def _cell_summary(cell: str, message: str) -> str:
    row, _sep, column = cell.rpartition(":")
    return _("Row %(row)s, column %(column)s: %(message)s") % {
        "row": row or cell,
        "column": column,
        "message": message,
    }


def _conflict_details(submission: Submission, error: SubmissionConflict) -> dict:
    """Both versions of each differing cell, for the page to show side by side."""
    layout = version_layout(submission.form_version)
    labels = {row.code: row.label for row in layout.table.rows if row.code}
    current = error.submission.current_revision
    theirs_values = current.values if current else {}
    differences = []
    for cell, theirs, mine in error.differences:
        row, _sep, column = cell.rpartition(":")
        spec = layout.grid.get((row, int(column))) if column.isdigit() else None
        data_type = spec.data_type if spec else "text"
        differences.append(
            {
                "cell": cell,
                "row": row,
                "column": column,
                "label": labels.get(row, ""),
                "column_label": layout.column_labels.get(int(column), "")
                if column.isdigit()
                else "",
                "computed": bool(spec and spec.state.value == "computed"),
                "theirs": display_value(theirs, data_type),
                "mine": display_value(mine, data_type),
            }
        )
    differences.sort(key=lambda item: item["computed"])
    saved_by = current.created_by if current else None
    return {
        "message": str(error),
        "entry_url": entry_url(submission),
        "current_revision": error.submission.revision_count,
        "saved_by": (saved_by.get_full_name() or saved_by.username) if saved_by else "",
        "saved_at": timezone.localtime(current.created_at) if current else None,
        "differences": differences,
        "theirs_values": {
            cell: display_value(text, layout.grid[key].data_type)
            for cell, text in theirs_values.items()
            if (key := _key(cell)) in layout.grid
            and layout.grid[key].state.value == "input"
        },
        "theirs_comments": dict(current.comments) if current else {},
    }


def _key(cell: str) -> tuple[str, int] | None:
    row, _sep, column = cell.rpartition(":")
    return (row, int(column)) if column.isdigit() else None


@login_required
@require_POST
def entry_save(request, submission_id: int):
    """Save what was typed as a new revision of the draft."""
    submission = access_submission_by_id(request.user, submission_id)
    try:
        base_revision, values, comments = _read_save(request)
    except BadPayload:
        return _bad_payload(request)
    if not user_can_edit(request.user, submission):
        return _refusal(request, submission, _not_a_reporter(submission), 403)
    try:
        result = submission_save_draft(
            acting_user=request.user,
            submission=submission,
            raw_values=values,
            comments=comments,
            base_revision=base_revision,
        )
    except SubmissionValuesInvalid as error:
        errors = {problem.cell: problem.render() for problem in error.problems}
        summary = [_cell_summary(cell, message) for cell, message in errors.items()]
        if _wants_json(request):
            return JsonResponse(
                {"message": str(error), "errors": errors, "problems": summary},
                status=400,
            )
        return _render_entry(
            request,
            _access_of(request.user, submission),
            submission,
            typed=values,
            typed_comments=comments,
            errors=errors,
            problems=summary,
            status=400,
        )
    except SubmissionConflict as error:
        details = _conflict_details(submission, error)
        if _wants_json(request):
            html = render_to_string(
                "reporting/entry_conflict.html", {"conflict": details}, request=request
            )
            return JsonResponse({**details, "saved_at": None, "html": html}, status=409)
        return _render_entry(
            request,
            _access_of(request.user, submission),
            submission,
            typed=values,
            typed_comments=comments,
            conflict=details,
            status=409,
        )
    except SubmissionNotEditable as error:
        return _refusal(request, submission, str(error), 423)

    revision = result.revision
    if result.created:
        message = _("Saved as revision %(number)d at %(time)s.") % {
            "number": revision.number,
            "time": timezone.localtime(revision.created_at).strftime("%H:%M"),
        }
    else:
        message = _("No changes since revision %(number)d.") % {
            "number": revision.number if revision else 0
        }
    if not _wants_json(request):
        messages.success(request, message)
        return redirect(entry_url(submission))
    layout = version_layout(submission.form_version)
    stored = revision.values if revision else {}
    return JsonResponse(
        {
            "revision": revision.number if revision else 0,
            "created": result.created,
            "message": message,
            # The computed cells as the server's exact arithmetic gives them; the
            # page shows the typed cells itself.
            "computed": {
                cell: display_value(stored.get(cell), layout.grid[_key(cell)].data_type)
                for cell in layout.formulas
            },
        }
    )


@login_required
@require_POST
def entry_submit(request, submission_id: int):
    """Send the saved draft up and hand back the receipt."""
    submission = access_submission_by_id(request.user, submission_id)
    try:
        if _wants_json(request):
            data = json.loads(request.body or b"null")
            if not isinstance(data, dict):
                raise BadPayload
            base_revision = _base_revision(data.get("base_revision"))
        else:
            base_revision = _base_revision(request.POST.get("base_revision"))
    except (BadPayload, ValueError, UnicodeDecodeError):
        return _bad_payload(request)
    if not user_can_edit(request.user, submission):
        return _refusal(request, submission, _not_a_reporter(submission), 403)
    try:
        receipt = submission_submit(
            acting_user=request.user,
            submission=submission,
            base_revision=base_revision,
        )
    except SubmissionConflict as error:
        message = _(
            "Someone saved this report (revision %(current)d) after you opened "
            "revision %(base)d. Reload the page, check the figures and submit again."
        ) % {"current": error.submission.revision_count, "base": base_revision}
        if _wants_json(request):
            return JsonResponse({"message": message}, status=409)
        messages.error(request, message)
        return redirect(entry_url(submission))
    except SubmissionNotEditable as error:
        return _refusal(request, submission, str(error), 423)
    receipt_url = optional_url("reporting:receipt", receipt.number)
    message = _("The report is submitted. Receipt number %(number)s.") % {
        "number": receipt.number
    }
    if _wants_json(request):
        return JsonResponse(
            {
                "receipt": receipt.number,
                "receipt_url": receipt_url,
                "message": message,
                "issued_at": timezone.localtime(receipt.issued_at).strftime(
                    "%H:%M %d/%m/%Y"
                ),
            }
        )
    messages.success(request, message)
    return redirect(receipt_url or entry_url(submission))
