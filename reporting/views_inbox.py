"""Pages of what is due: "My reports", the completeness matrix and its Excel export,
and the notifications."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from forms.definition.periods import PeriodError, parse_period
from reporting.completeness import (
    access_completeness_unit,
    breadcrumbs_of,
    completeness_filename,
    completeness_matrix,
    completeness_slots,
    completeness_templates,
    completeness_workbook,
    periods_ending,
    periods_of,
    user_reads_completeness,
)
from reporting.inbox import STATUS_LABELS, InboxFilters, inbox_of, inbox_page
from reporting.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_of,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("trang", 1)))
    except (TypeError, ValueError):
        return 1


# --- My reports --------------------------------------------------------------------------


class InboxFilterForm(django_forms.Form):
    bieu_mau = django_forms.TypedChoiceField(
        label=_("Form"), required=False, coerce=int, empty_value=None
    )
    ky = django_forms.ChoiceField(label=_("Period"), required=False)
    trang_thai = django_forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *STATUS_LABELS.items()],
    )

    def __init__(self, *args, inbox, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bieu_mau"].choices = [
            ("", _("All forms")),
            *[(t.pk, f"{t.code} – {t.title}") for t in inbox.templates],
        ]
        self.fields["ky"].choices = [
            ("", _("All periods")),
            *[(p.id, p.label) for p in inbox.periods],
        ]

    def filters(self) -> InboxFilters:
        if not self.is_valid():
            return InboxFilters()
        data = self.cleaned_data
        return InboxFilters(
            template_id=data["bieu_mau"],
            period_id=data["ky"] or None,
            status=data["trang_thai"] or None,
        )


@login_required
@require_GET
def inbox(request):
    """Every report the user must send or review, the next thing to do first."""
    today = timezone.localdate()
    slots = inbox_of(request.user, today=today)
    form = InboxFilterForm(request.GET or None, inbox=slots)
    page = inbox_page(
        request.user,
        filters=form.filters(),
        page=_page_number(request),
        today=today,
        inbox=slots,
    )
    return render(
        request,
        "reporting/inbox.html",
        {
            "filter_form": form,
            "page": page,
            "today": today,
            "reads_completeness": user_reads_completeness(request.user),
        },
    )


# --- Completeness --------------------------------------------------------------------------


def _matrix_for(request):
    """Return (unit, templates, template, all periods, matrix) from the query."""
    today = timezone.localdate()
    unit = access_completeness_unit(request.user, request.GET.get("don_vi"))
    templates = completeness_templates(unit)
    chosen = request.GET.get("bieu_mau", "")
    template = next((t for t in templates if str(t.pk) == chosen), None)
    template = template or (templates[0] if templates else None)
    if template is None:
        return unit, templates, None, [], None
    slots = completeness_slots(unit, template, today=today)
    periods = periods_of(slots)
    end = request.GET.get("den_ky", "")
    try:
        end = parse_period(end).id if end else None
    except PeriodError:
        end = None
    shown = periods_ending(periods, end)
    matrix = completeness_matrix(
        unit=unit, template=template, periods=shown, slots=slots
    )
    return unit, templates, template, periods, matrix


@login_required
@require_GET
def completeness(request):
    """Units below x periods of a form, with reporting and on-time rates."""
    unit, templates, template, periods, matrix = _matrix_for(request)
    return render(
        request,
        "reporting/completeness.html",
        {
            "unit": unit,
            "breadcrumbs": breadcrumbs_of(request.user, unit),
            "templates": templates,
            "template": template,
            "periods": list(reversed(periods)),
            "matrix": matrix,
            "end_period": matrix.periods[-1].id if matrix and matrix.periods else "",
            "statuses": STATUS_LABELS.items(),
        },
    )


@login_required
@require_GET
def completeness_xlsx(request):
    """The matrix on screen, as an Excel workbook."""
    _unit, _templates, _template, _periods, matrix = _matrix_for(request)
    if matrix is None:
        return redirect("reporting:completeness")
    response = HttpResponse(completeness_workbook(matrix), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{completeness_filename(matrix)}"'
    )
    return response


# --- Notifications -------------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request):
    page = Paginator(notifications_of(request.user), 20).get_page(
        request.GET.get("trang")
    )
    return render(request, "reporting/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, notification_id: int):
    """Mark a notification read, then go where it points (or back to the list)."""
    notification = notification_mark_read(
        acting_user=request.user, notification_id=notification_id
    )
    target = notification.url if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("reporting:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    notifications_mark_all_read(acting_user=request.user)
    return redirect("reporting:notifications")
