"""National batch runs: check every current report of a period, in chunks, with
progress, and keep the violations as a downloadable CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from forms.definition.periods import PeriodError, parse_period
from forms.models import FormTemplate, FormVersion
from orgunits.selectors import grants_of
from reporting.models import Submission
from validation.engine.rules import Importance, Violation
from validation.models import BatchStatus, ValidationBatch
from validation.services import submissions_validate, violation_to_json

CHUNK_SIZE = 1000
BATCH_ROLES = frozenset({"analyst", "designer"})
CSV_HEADER = (
    "unit_code",
    "unit_name",
    "form",
    "period",
    "rule",
    "importance",
    "row",
    "column",
    "left",
    "right",
    "message",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class BatchError(ValueError):
    """A batch that cannot be started, with a message for the user."""


def user_may_run_batches(user) -> bool:
    """Return whether ``user`` may start and read national batch runs."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(grant.role in BATCH_ROLES for grant in grants_of(user))


def validation_batches_visible_to(user):
    if not user_may_run_batches(user):
        return ValidationBatch.objects.none()
    return ValidationBatch.objects.select_related("template", "created_by")


def access_validation_batch_by_id(user, batch_id: int) -> ValidationBatch:
    try:
        return validation_batches_visible_to(user).get(pk=batch_id)
    except (ValidationBatch.DoesNotExist, ValueError, TypeError):
        raise Http404("No such validation batch") from None


def validation_batch_create(
    *, acting_user, period: str, template: FormTemplate | None = None
) -> ValidationBatch:
    """Record a batch run of ``period`` (all forms, or ``template`` only) and queue
    it once the transaction commits."""
    from validation.tasks import validation_batch_run_task

    try:
        period_id = parse_period(period).id
    except PeriodError:
        message = _("This is not a period: %(period)s") % {"period": period}
        raise BatchError(message) from None
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="validation_batch_create"),
    ):
        batch = ValidationBatch(
            period=period_id, template=template, created_by=acting_user
        )
        batch.full_clean()
        batch.save()
        validation_batch_run_task.delay_on_commit(batch.pk)
    return batch


def _batch_submissions(batch: ValidationBatch):
    submissions = Submission.objects.filter(
        period=batch.period, current_revision__isnull=False
    )
    if batch.template_id:
        submissions = submissions.filter(template_id=batch.template_id)
    return submissions


def safe_cell(value) -> str:
    """Return ``value`` as a CSV cell a spreadsheet never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        try:
            Decimal(text)
        except ArithmeticError:
            return "'" + text
        if not text.lstrip("+-").replace(".", "", 1).isdigit():
            return "'" + text
    return text


def batch_csv_rows(submission: Submission, violations: list[Violation]):
    for violation in violations:
        shown = violation_to_json(violation)
        yield [
            safe_cell(value)
            for value in (
                submission.org_unit.code,
                submission.org_unit.name,
                submission.template.code,
                submission.period,
                shown["rule"],
                shown["importance"],
                shown["row"],
                shown["column"],
                shown["left"],
                shown["right"],
                shown["message"],
            )
        ]


def batch_chunks(submissions, size: int | None = None):
    """Yield ``submissions`` in chunks, by primary key, with what the check needs.

    Each form version is read once and shared by its reports: its definition is a
    large JSON document that would otherwise be decoded again for every report."""
    size = size or CHUNK_SIZE
    ordered = (
        submissions.select_related("org_unit__level", "template", "current_revision")
        .defer("current_revision__comments")
        .order_by("pk")
    )
    versions: dict[int, FormVersion] = {}
    last_pk = 0
    while True:
        chunk = list(ordered.filter(pk__gt=last_pk)[:size])
        if not chunk:
            return
        last_pk = chunk[-1].pk
        missing = {s.form_version_id for s in chunk} - versions.keys()
        if missing:
            versions.update(FormVersion.objects.in_bulk(missing))
        for submission in chunk:
            submission.form_version = versions[submission.form_version_id]
        yield chunk


def validation_batch_run(*, batch_id: int) -> ValidationBatch:
    """Check every current report of the batch's period, a chunk at a time, and
    store the CSV of violations. Idempotent: a finished batch is left alone, and an
    interrupted one starts again from the beginning."""
    with transaction.atomic():
        batch = ValidationBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == BatchStatus.DONE:
            return batch
        batch.status = BatchStatus.RUNNING
        batch.started_at = timezone.now()
        batch.progress_done = batch.reports_with_violations = 0
        batch.errors = batch.warnings = 0
        batch.progress_total = _batch_submissions(batch).count()
        batch.save(
            update_fields=[
                "status",
                "started_at",
                "progress_done",
                "reports_with_violations",
                "errors",
                "warnings",
                "progress_total",
            ]
        )

    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_HEADER)
    for chunk in batch_chunks(_batch_submissions(batch)):
        found = submissions_validate(chunk)
        for submission in chunk:
            violations = found.get(submission.pk, [])
            if violations:
                batch.reports_with_violations += 1
            for violation in violations:
                if violation.importance is Importance.ERROR:
                    batch.errors += 1
                elif violation.importance is Importance.WARNING:
                    batch.warnings += 1
            writer.writerows(batch_csv_rows(submission, violations))
        batch.progress_done += len(chunk)
        batch.save(
            update_fields=[
                "progress_done",
                "reports_with_violations",
                "errors",
                "warnings",
            ]
        )

    name = f"kiem-tra-{batch.period}-{batch.pk}.csv"
    # A BOM so that Excel opens the Vietnamese text as UTF-8.
    batch.result.save(
        name, ContentFile(("\ufeff" + output.getvalue()).encode()), save=False
    )
    batch.status = BatchStatus.DONE
    batch.finished_at = timezone.now()
    batch.save(update_fields=["result", "status", "finished_at"])
    return batch


def validation_batch_fail(*, batch_id: int, reason: str) -> None:
    """Mark a batch failed (after its task gave up)."""
    ValidationBatch.objects.filter(pk=batch_id).exclude(status=BatchStatus.DONE).update(
        status=BatchStatus.FAILED, failure=reason, finished_at=timezone.now()
    )
