"""Pages of national validation batch runs: start one, watch it, download it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from forms.models import FormTemplate
from validation.batch import (
    BatchError,
    access_validation_batch_by_id,
    user_may_run_batches,
    validation_batch_create,
    validation_batches_visible_to,
)

STOP_POLLING = 286  # htmx stops polling on this status


def _require_batch_user(user) -> None:
    if not user_may_run_batches(user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request):
    _require_batch_user(request.user)
    templates = FormTemplate.objects.order_by("code")
    if request.method == "POST":
        template = None
        template_id = request.POST.get("template", "")
        if template_id:
            template = templates.filter(pk=template_id).first() if (
                template_id.isdigit()
            ) else None  # fmt: skip
            if template is None:
                raise Http404("No such form")
        try:
            batch = validation_batch_create(
                acting_user=request.user,
                period=request.POST.get("period", ""),
                template=template,
            )
        except BatchError as error:
            messages.error(request, str(error))
            return redirect("validation_batch:list")
        return redirect("validation_batch:detail", batch_id=batch.pk)
    batches = validation_batches_visible_to(request.user)[:50]
    return render(
        request,
        "validation/batch_list.html",
        {"batches": batches, "templates": templates},
    )


@login_required
@require_GET
def batch_detail(request, batch_id: int):
    batch = access_validation_batch_by_id(request.user, batch_id)
    return render(request, "validation/batch_detail.html", {"batch": batch})


@login_required
@require_GET
def batch_progress(request, batch_id: int):
    """The polled part of the batch's page."""
    batch = access_validation_batch_by_id(request.user, batch_id)
    response = render(request, "validation/_batch_status.html", {"batch": batch})
    if not batch.is_working:
        response.status_code = STOP_POLLING
    return response


@login_required
@require_GET
def batch_download(request, batch_id: int):
    batch = access_validation_batch_by_id(request.user, batch_id)
    if not batch.result:
        raise Http404("No result yet")
    try:
        stored = batch.result.open("rb")
    except OSError:
        raise Http404("The file is gone") from None
    return FileResponse(
        stored,
        as_attachment=True,
        filename=f"kiem-tra-{batch.period}-{batch.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )
