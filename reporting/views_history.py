"""Pages about a report's history and its proof.

* Revisions: every save of a report, each viewable in the grid, compared cell by cell
  with the revision before it, printable, and restorable as a new revision.
* Receipts: shown, printed (PDF), their canonical values downloaded, and verified
  against the stored report by anyone signed in who holds one.
* Lock exceptions: a reviewer above a unit reopens its entry after the lock.

Access to a report goes through ``access_submission_by_id`` (another unit's report is a
404); writes go through the reporting services.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType, FormDefinition
from forms.definition.periods import PeriodError, parse_period
from forms.definition.table import TableRow, form_table
from reporting.engine.revision_diff import CellChange, revision_changes
from reporting.engine.values import display_number
from reporting.engine.window import WindowState
from reporting.models import Revision, Submission
from reporting.receipts import (
    access_receipt_by_number,
    canonical_header_line,
    receipt_verify,
    receipts_of_submission,
    revision_canonical_bytes,
)
from reporting.selectors import access_submission_by_id, user_can_edit
from reporting.services import (
    EDITABLE_STATUSES,
    ReportError,
    SubmissionConflict,
    lock_exception_grant,
    submission_restore,
)
from reporting.windows import (
    assigned_templates,
    lock_exceptions_visible_to,
    reviewed_unit_by_code,
    user_reviews_any_unit,
    window_banner_of,
)

MAX_CANONICAL_UPLOAD_BYTES = 5 * 1024 * 1024
SHOWN_LOCK_EXCEPTIONS = 50


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Values as the grid shows them ----------------------------------------------------


def shown_value(text: str, data_type: DataType) -> str:
    """Return a stored value as a reader expects it: 1.234,5 in Vietnamese."""
    if not text:
        return ""
    if data_type is DataType.BOOLEAN:
        return _("Yes") if text == "1" else _("No")
    if data_type.is_numeric:
        try:
            return display_number(text)
        except InvalidOperation:
            return text
    return text


@dataclass(frozen=True)
class ShownCell:
    state: str
    data_type: str
    text: str
    comment: str = ""
    changed: bool = False


@dataclass(frozen=True)
class ShownRow:
    row: TableRow
    cells: tuple[ShownCell, ...]


@dataclass(frozen=True)
class ShownChange:
    change: CellChange
    row_label: str
    column_label: str
    old: str
    new: str


def _cell_order(definition: FormDefinition) -> list[str]:
    return [
        f"{row.code}:{column.number}"
        for row in definition.coded_rows
        for column in definition.columns
    ]


def _shown_rows(
    definition: FormDefinition, revision: Revision, changed: set[str]
) -> list[ShownRow]:
    rows = []
    for row in form_table(definition).rows:
        cells = tuple(
            ShownCell(
                state=cell.state.value,
                data_type=cell.data_type.value,
                text=shown_value(
                    revision.values.get(f"{row.code}:{cell.column}", ""),
                    cell.data_type,
                ),
                comment=revision.comments.get(f"{row.code}:{cell.column}", ""),
                changed=f"{row.code}:{cell.column}" in changed,
            )
            for cell in row.cells
        )
        rows.append(ShownRow(row, cells))
    return rows


def _shown_changes(
    definition: FormDefinition, changes: list[CellChange]
) -> list[ShownChange]:
    grid = cell_grid(definition)
    shown = []
    for change in changes:
        row = definition.row(change.row)
        column = definition.column(change.column)
        spec = grid.get((change.row, change.column))
        data_type = spec.data_type if spec else DataType.TEXT
        shown.append(
            ShownChange(
                change=change,
                row_label=row.label if row else "",
                column_label=column.label if column else "",
                old=shown_value(change.old, data_type),
                new=shown_value(change.new, data_type),
            )
        )
    return shown


def _report_url(submission: Submission) -> str:
    return reverse(
        "reporting:entry",
        kwargs={
            "template_id": submission.template_id,
            "unit_id": submission.org_unit_id,
            "period": submission.period,
        },
    )


def _restore_allowed(user, submission: Submission, banner) -> bool:
    return (
        user_can_edit(user, submission)
        and submission.status in EDITABLE_STATUSES
        and banner.state in {WindowState.OPEN, WindowState.LATE}
    )


# --- Revisions ---------------------------------------------------------------------------


@login_required
@require_GET
def revision_list(request, submission_id: int):
    submission = access_submission_by_id(request.user, submission_id)
    revisions = list(
        submission.revisions.select_related("created_by").order_by("number")
    )
    receipts = receipts_of_submission(submission)
    receipts_by_revision: dict[int, list] = {}
    for receipt in receipts:
        receipts_by_revision.setdefault(receipt.revision_id, []).append(receipt)
    entries = []
    previous = None
    for revision in revisions:
        changes = revision_changes(
            previous.values if previous else {},
            revision.values,
            old_comments=previous.comments if previous else {},
            new_comments=revision.comments,
        )
        entries.append(
            {
                "revision": revision,
                "changed_cells": len(changes),
                "receipts": receipts_by_revision.get(revision.pk, []),
            }
        )
        previous = revision
    entries.reverse()
    banner = window_banner_of(submission, user=request.user)
    return render(
        request,
        "reporting/revision_list.html",
        {
            "submission": submission,
            "period_label": parse_period(submission.period).label,
            "report_url": _report_url(submission),
            "entries": entries,
            "receipts": receipts,
            "banner": banner,
            "can_restore": _restore_allowed(request.user, submission, banner),
        },
    )


@login_required
@require_GET
def revision_detail(request, submission_id: int, number: int):
    submission = access_submission_by_id(request.user, submission_id)
    revision = get_object_or_404(
        submission.revisions.select_related("created_by"), number=number
    )
    others = list(
        submission.revisions.order_by("-number").values_list("number", flat=True)
    )
    try:
        compared_number = int(request.GET.get("so-voi", number - 1))
    except ValueError:
        compared_number = number - 1
    compared = (
        submission.revisions.filter(number=compared_number)
        .exclude(number=number)
        .first()
    )
    definition = submission.form_version.form_definition
    changes = revision_changes(
        compared.values if compared else {},
        revision.values,
        old_comments=compared.comments if compared else {},
        new_comments=revision.comments,
        order=_cell_order(definition),
    )
    banner = window_banner_of(submission, user=request.user)
    table = form_table(definition)
    return render(
        request,
        "reporting/revision_detail.html",
        {
            "submission": submission,
            "period_label": parse_period(submission.period).label,
            "report_url": _report_url(submission),
            "revision": revision,
            "compared": compared,
            "other_numbers": [n for n in others if n != number],
            "changes": _shown_changes(definition, changes),
            "table": table,
            "rows": _shown_rows(
                definition, revision, {c.cell for c in changes if c.value_changed}
            ),
            "receipts": [
                receipt
                for receipt in receipts_of_submission(submission)
                if receipt.revision_id == revision.pk
            ],
            "is_current": submission.current_revision_id == revision.pk,
            "can_restore": _restore_allowed(request.user, submission, banner),
        },
    )


@login_required
@require_POST
def revision_restore(request, submission_id: int, number: int):
    submission = access_submission_by_id(request.user, submission_id)
    if not user_can_edit(request.user, submission):
        raise PermissionDenied
    revision = get_object_or_404(submission.revisions, number=number)
    history = reverse("reporting:revisions", kwargs={"submission_id": submission.pk})
    try:
        base_revision = int(request.POST.get("base_revision", ""))
    except ValueError:
        messages.error(request, _("Reload the page and try again."))
        return redirect(history)
    try:
        restored = submission_restore(
            acting_user=request.user,
            submission=submission,
            revision_number=revision.number,
            base_revision=base_revision,
        )
    except SubmissionConflict as conflict:
        messages.error(
            request,
            _(
                "Nothing was restored: someone saved revision %(current)d after you "
                "opened this page at revision %(base)d. Look at the latest revision, "
                "then restore again if you still want to."
            )
            % {"current": conflict.submission.revision_count, "base": base_revision},
        )
    except ReportError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The values of revision %(old)d are current again, as revision %(new)d.")
            % {"old": revision.number, "new": restored.number},
        )
    return redirect(history)


def _pdf_values(definition: FormDefinition, values: dict[str, str]) -> dict:
    grid = cell_grid(definition)
    printed = {}
    for cell, text in values.items():
        row, _sep, column = cell.rpartition(":")
        spec = grid.get((row, int(column)))
        if spec is None or spec.state is CellState.DISABLED:
            continue
        if spec.data_type is DataType.BOOLEAN:
            printed[(row, int(column))] = text == "1"
        elif spec.data_type.is_numeric:
            printed[(row, int(column))] = Decimal(text)
        else:
            printed[(row, int(column))] = text
    return printed


@login_required
@require_GET
def revision_pdf(request, submission_id: int, number: int):
    # WeasyPrint takes a while to import; only the printing pages pay for it.
    from forms.rendering.pdf import form_pdf

    submission = access_submission_by_id(request.user, submission_id)
    revision = get_object_or_404(submission.revisions, number=number)
    version = submission.form_version
    pdf = form_pdf(
        version,
        unit=submission.org_unit,
        period=submission.period,
        values=_pdf_values(version.form_definition, revision.values),
    )
    filename = f"{submission.org_unit.code}-{submission.period}-r{revision.number}.pdf"
    return _attachment(pdf, "application/pdf", filename)


# --- Receipts ----------------------------------------------------------------------------


def _receipt_context(receipt) -> dict:
    submission = receipt.submission
    return {
        "receipt": receipt,
        "submission": submission,
        "period_label": parse_period(submission.period).label,
        "header_line": canonical_header_line(submission),
        "cell_count": sum(1 for value in receipt.revision.values.values() if value),
    }


@login_required
@require_GET
def receipt_detail(request, number: str):
    receipt = access_receipt_by_number(request.user, number)
    context = _receipt_context(receipt)
    context["verify_url"] = (
        reverse("reporting:receipt_verify")
        + "?"
        + urlencode({"number": receipt.number, "digest": receipt.digest})
    )
    return render(request, "reporting/receipt_detail.html", context)


@login_required
@require_GET
def receipt_pdf(request, number: str):
    from django.template.loader import render_to_string

    from forms.rendering.pdf import html_to_pdf, static_print_url

    receipt = access_receipt_by_number(request.user, number)
    # A receipt is a document of record: printed in Vietnamese whatever the language.
    with translation.override("vi"):
        html = render_to_string(
            "reporting/receipt_print.html",
            {
                **_receipt_context(receipt),
                "stylesheet_url": static_print_url("css/receipt-print.css"),
                "printed_at": timezone.now(),
            },
        )
    return _attachment(html_to_pdf(html), "application/pdf", f"{receipt.number}.pdf")


@login_required
@require_GET
def receipt_values(request, number: str):
    receipt = access_receipt_by_number(request.user, number)
    revision = receipt.revision
    revision.submission = receipt.submission
    return _attachment(
        revision_canonical_bytes(revision),
        "text/plain; charset=utf-8",
        f"{receipt.number}-gia-tri.txt",
    )


class ReceiptVerifyForm(django_forms.Form):
    number = django_forms.CharField(
        label=gettext_lazy("Receipt number"),
        max_length=32,
        help_text=gettext_lazy("As printed on the receipt, e.g. BN20260315-0000042."),
    )
    digest = django_forms.CharField(
        label=gettext_lazy("SHA-256 digest on the receipt"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("64 characters, 0–9 and a–f."),
    )
    canonical = django_forms.FileField(
        label=gettext_lazy("Or the canonical values file you kept"),
        required=False,
        help_text=gettext_lazy(
            "The .txt file downloaded from the receipt page; its SHA-256 is computed "
            "here."
        ),
    )

    def clean_canonical(self):
        upload = self.cleaned_data.get("canonical")
        if upload and upload.size > MAX_CANONICAL_UPLOAD_BYTES:
            raise django_forms.ValidationError(
                _("The file is larger than %(size)d MB.")
                % {"size": MAX_CANONICAL_UPLOAD_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("digest") and not cleaned.get("canonical"):
            if not self.errors:
                raise django_forms.ValidationError(
                    _("Give the digest on the receipt, or the canonical values file."),
                    code="nothing_to_compare",
                )
        return cleaned


@login_required
@require_http_methods(["GET", "POST"])
def receipt_verification(request):
    verdict = None
    if request.method == "POST":
        form = ReceiptVerifyForm(request.POST, request.FILES)
    elif "number" in request.GET:
        form = ReceiptVerifyForm(request.GET)
    else:
        form = ReceiptVerifyForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data.get("canonical")
        verdict = receipt_verify(
            number=form.cleaned_data["number"],
            digest=form.cleaned_data.get("digest", ""),
            canonical=upload.read() if upload else None,
        )
    return render(
        request,
        "reporting/receipt_verify.html",
        {"form": form, "verdict": verdict},
    )


# --- Lock exceptions ---------------------------------------------------------------------


class DateInput(django_forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value


class LockExceptionForm(django_forms.Form):
    template = django_forms.ModelChoiceField(
        label=gettext_lazy("Report form"), queryset=None
    )
    unit_code = django_forms.CharField(
        label=gettext_lazy("Unit code"),
        max_length=32,
        help_text=gettext_lazy("The official code of a unit below you."),
    )
    period = django_forms.CharField(
        label=gettext_lazy("Period"),
        max_length=16,
        help_text=gettext_lazy("For example 2026M3, 2026Q1, 2026S1 or 2026."),
    )
    until = django_forms.DateField(
        label=gettext_lazy("Open until (inclusive)"), widget=DateInput
    )
    reason = django_forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=django_forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["template"].queryset = assigned_templates()

    def clean_period(self):
        try:
            return parse_period(self.cleaned_data["period"]).id
        except PeriodError:
            raise django_forms.ValidationError(
                _("Write a period such as 2026M3, 2026Q1, 2026S1 or 2026."),
                code="bad_period",
            ) from None

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until < self.today:
            raise django_forms.ValidationError(
                _("The date has passed; choose today or a later day."), code="past"
            )
        return until


@login_required
@require_http_methods(["GET", "POST"])
def lock_exception(request):
    if not user_reviews_any_unit(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    from_report = None
    initial = {}
    if request.GET.get("bao-cao"):
        from_report = access_submission_by_id(request.user, request.GET["bao-cao"])
        initial = {
            "template": from_report.template_id,
            "unit_code": from_report.org_unit.code,
            "period": from_report.period,
        }
    form = LockExceptionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        today=today,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = reviewed_unit_by_code(
            request.user, data["unit_code"], parse_period(data["period"])
        )
        if unit is None:
            form.add_error(
                "unit_code",
                _("No unit below you had the code %(code)s in %(period)s.")
                % {
                    "code": data["unit_code"],
                    "period": parse_period(data["period"]).label,
                },
            )
        else:
            try:
                exception = lock_exception_grant(
                    acting_user=request.user,
                    submission_template=data["template"],
                    unit=unit,
                    period=data["period"],
                    until=data["until"],
                    reason=data["reason"],
                )
            except ReportError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Entry of %(form)s for %(unit)s, %(period)s is open until "
                        "%(until)s."
                    )
                    % {
                        "form": exception.template.code,
                        "unit": unit.name,
                        "period": parse_period(exception.period).label,
                        "until": exception.until.strftime("%d/%m/%Y"),
                    },
                )
                target = reverse("reporting:lock_exception")
                if from_report is not None:
                    target += "?" + urlencode({"bao-cao": from_report.pk})
                return redirect(target)
    return render(
        request,
        "reporting/lock_exception.html",
        {
            "form": form,
            "from_report": from_report,
            "exceptions": lock_exceptions_visible_to(request.user)[
                :SHOWN_LOCK_EXCEPTIONS
            ],
            "today": today,
        },
    )
