"""Checking a report as it is typed, and explaining its warnings.

Thin: authorize through the reporting selectors, parse, call one validation service.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reporting.selectors import access_submission_by_id, user_can_edit
from validation.services import values_check, warning_explain

MAX_CELLS = 20000
MAX_EXPLANATION = 2000


def _entry_url(submission) -> str:
    return reverse(
        "reporting:entry",
        args=[submission.template_id, submission.org_unit_id, submission.period],
    )


def _typed_values(request) -> dict[str, str] | None:
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(values, dict) or len(values) > MAX_CELLS:
        return None
    typed = {}
    for key, value in values.items():
        if not isinstance(key, str) or isinstance(value, bool | dict | list):
            return None
        typed[key] = "" if value is None else str(value)
    return typed


@login_required
@require_POST
def live_check(request, submission_id: int):
    """Return the violations of the values as typed; nothing is saved."""
    submission = access_submission_by_id(request.user, submission_id)
    if not user_can_edit(request.user, submission):
        return JsonResponse(
            {"message": _("Only the reporting unit checks drafts.")}, status=403
        )
    values = _typed_values(request)
    if values is None:
        return JsonResponse(
            {"message": _("The page sent something the server could not read; reload the page.")},
            status=400,
        )  # fmt: skip
    return JsonResponse(
        {"violations": values_check(submission=submission, values=values)}
    )


@login_required
@require_POST
def explain(request, submission_id: int):
    """Record the reporter's explanation of a warning."""
    submission = access_submission_by_id(request.user, submission_id)
    if not user_can_edit(request.user, submission):
        return HttpResponseForbidden(
            _("Only the reporting unit explains its warnings.")
        )
    rule = request.POST.get("rule", "")[:32]
    cell = request.POST.get("cell", "")[:40]
    text = request.POST.get("text", "")[:MAX_EXPLANATION]
    if not rule or not text.strip():
        messages.error(request, _("Write an explanation before saving it."))
        return redirect(_entry_url(submission))
    warning_explain(
        acting_user=request.user, submission=submission, rule=rule, cell=cell, text=text
    )
    messages.success(request, _("The explanation is saved."))
    return redirect(_entry_url(submission) + "#validation-results")
