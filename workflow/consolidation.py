"""Compiling ("tổng hợp") an upper unit's report from the approved reports of the
units directly below it, and keeping it current when those reports change.

A compiled report is an ordinary report of the upper unit whose latest revision has
the source "consolidated"; ``Consolidation`` remembers which reports (at which
revisions) it read and which units were missing. When a report it read is unapproved,
or approved again on other values, the compiled report is marked out of date
("stale"), its people are told, and ``consolidation_recompute`` compiles it again
while its values are still the machine's (draft, returned, or awaiting its first
review); once a level above has approved it, it stays stale until that approval is
withdrawn, and a stale report cannot be approved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_context
from forms.definition.periods import parse_period
from orgunits.selectors import ancestors_of, role_holders_on
from reporting.engine.aggregate import compiled_values
from reporting.models import Submission, SubmissionStatus
from reporting.selectors import assignment_covering
from reporting.services import (
    SubmissionNotEditable,
    submission_open,
    submission_save_consolidated,
)
from workflow.consolidation_selectors import (
    compile_sources,
    counts_for_upper,
    user_may_compile,
)
from workflow.models import (
    ApprovalEvent,
    Consolidation,
    ConsolidationSource,
    EventAction,
)


class ConsolidationRefused(Exception):
    """The report cannot be compiled now; ``str()`` is a message for the user."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


class RecomputeLater(Exception):
    """The compiled report is being checked; the task retries once it is not."""


def consolidation_compile(*, acting_user, template, unit, period: str) -> Consolidation:
    """Compile ``unit``'s report of ``template`` for ``period`` from the approved
    reports of the units directly below, as a new "consolidated" revision (the
    report is opened when missing). Reporters of the unit and reviewers holding
    the role on it may compile; the report must be a draft or returned."""
    if not user_may_compile(acting_user, unit):
        raise ConsolidationRefused(
            _("Only reporters and reviewers of %(unit)s can compile its report.")
            % {"unit": unit.name},
            code="not_allowed",
        )
    period_obj = parse_period(period)
    submission = Submission.objects.filter(
        template=template, org_unit=unit, period=period_obj.id
    ).first()
    if submission is None:
        assignment = assignment_covering(template, unit, period_obj)
        if assignment is None:
            raise ConsolidationRefused(
                _("%(unit)s does not report %(form)s for %(period)s.")
                % {
                    "unit": unit.name,
                    "form": template.code,
                    "period": period_obj.label,
                },
                code="not_assigned",
            )
        try:
            submission = submission_open(
                acting_user=acting_user,
                form_version=assignment.form_version,
                unit=unit,
                period=period_obj.id,
                to_compile=True,
            )
        except SubmissionNotEditable as refused:
            raise ConsolidationRefused(str(refused), code="not_open") from None
    return _compile(acting_user=acting_user, submission_id=submission.pk)


def _compile(*, acting_user, submission_id: int) -> Consolidation:
    """Compile the report (by ``acting_user``, or by the system when None)."""
    from workflow.services import submission_stale_clear

    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="consolidation_compile"),
    ):
        locked = (
            Submission.objects.select_for_update(of=("self",))
            .select_related(
                "template", "form_version", "org_unit__level", "current_revision"
            )
            .get(pk=submission_id)
        )
        period = parse_period(locked.period)
        sources = compile_sources(locked.template, locked.org_unit, period)
        if acting_user is not None and not sources.included:
            raise ConsolidationRefused(
                _(
                    "No report of the units below %(unit)s has been approved yet: "
                    "there is nothing to compile."
                )
                % {"unit": locked.org_unit.name},
                code="nothing_approved",
            )
        own = locked.current_revision.values if locked.current_revision else {}
        values = compiled_values(
            locked.form_version.form_definition,
            own,
            [source.current_revision.values for source in sources.included],
        )
        try:
            revision = submission_save_consolidated(
                acting_user=acting_user, submission=locked, values=values
            )
        except SubmissionNotEditable as refused:
            raise ConsolidationRefused(str(refused), code="not_editable") from None
        locked.refresh_from_db()
        consolidation, _created = Consolidation.objects.update_or_create(
            submission=locked,
            defaults={
                "revision": revision,
                "compiled_at": timezone.now(),
                "compiled_by": acting_user
                if getattr(acting_user, "pk", None)
                else None,
                "missing": sources.missing,
            },
        )
        ConsolidationSource.objects.filter(consolidation=consolidation).delete()
        ConsolidationSource.objects.bulk_create(
            ConsolidationSource(
                consolidation=consolidation,
                source=source,
                source_revision_id=source.current_revision_id,
                org_unit_id=source.org_unit_id,
            )
            for source in sources.included
        )
        if locked.is_stale:
            submission_stale_clear(acting_user=acting_user, submission_id=locked.pk)
        return consolidation


# --- Out of date --------------------------------------------------------------------


def compilations_reading(sources) -> dict:
    """Return, for reports ``sources`` (with their units), the compilations that
    may go out of date when they change, read in two queries for all of them:
    ``{"links": {source id: [ConsolidationSource]}, "upper": {(template id,
    period, upper unit id): [Consolidation]}}``."""
    links: dict[int, list] = {}
    for link in ConsolidationSource.objects.filter(
        source_id__in={source.pk for source in sources}
    ).select_related("consolidation__submission__org_unit__level"):
        links.setdefault(link.source_id, []).append(link)
    upper: dict[tuple, list] = {}
    parents = {s.org_unit.parent_id for s in sources if s.org_unit.parent_id}
    if parents:
        for consolidation in Consolidation.objects.filter(
            submission__template_id__in={source.template_id for source in sources},
            submission__period__in={source.period for source in sources},
            submission__org_unit_id__in=parents,
        ).select_related("submission__org_unit__level"):
            submission = consolidation.submission
            key = (submission.template_id, submission.period, submission.org_unit_id)
            upper.setdefault(key, []).append(consolidation)
    return {"links": links, "upper": upper}


def consolidations_mark_stale(
    *, source_submission_id: int, event=None, compilations: dict | None = None
) -> list[int]:
    """Mark out of date every compiled report that read report
    ``source_submission_id`` at another revision or while it was approved, or that
    left it out while it was unapproved and it is approved now; tell their people
    and enqueue their recompilation. Return the consolidations' ids. Idempotent.
    ``compilations`` (from ``compilations_reading``) spares the reads when many
    reports are checked at once."""
    if event is not None and event.submission_id == source_submission_id:
        source = event.submission  # read by the effects task that calls this
    else:
        source = Submission.objects.select_related("org_unit").get(
            pk=source_submission_id
        )
    if compilations is None:
        compilations = compilations_reading([source])
    stale: list[int] = []
    for link in compilations["links"].get(source.pk, []):
        upper_level = link.consolidation.submission.org_unit.level.code
        if link.source_revision_id != source.current_revision_id or not (
            counts_for_upper(source, upper_level)
        ):
            stale.append(link.consolidation_id)
    if source.org_unit.parent_id:
        left_out = compilations["upper"].get(
            (source.template_id, source.period, source.org_unit.parent_id), []
        )
        for consolidation in left_out:
            missing = {item["unit_id"] for item in consolidation.missing}
            if source.org_unit_id in missing and counts_for_upper(
                source, consolidation.submission.org_unit.level.code
            ):
                stale.append(consolidation.pk)
    stale = list(dict.fromkeys(stale))
    for consolidation_id in stale:
        _flag_stale(consolidation_id, source)
    return stale


def _flag_stale(consolidation_id: int, source: Submission) -> None:
    from workflow.services import submission_mark_stale
    from workflow.tasks import consolidation_recompute

    consolidation = Consolidation.objects.select_related("submission").get(
        pk=consolidation_id
    )
    with translation.override(settings.LANGUAGE_CODE):
        reason = _(
            "The report of %(unit)s that it includes was unapproved or changed."
        ) % {"unit": source.org_unit.name}
    event = submission_mark_stale(
        submission_id=consolidation.submission_id, reason=reason
    )
    if event is None:  # already out of date: tell once, under the first event
        event = (
            ApprovalEvent.objects.filter(
                submission_id=consolidation.submission_id, action=EventAction.STALE
            )
            .order_by("-id")
            .first()
        )
    if event is not None:
        _tell(event, kind="stale", reason=reason)
    transaction.on_commit(lambda: consolidation_recompute.delay(consolidation_id))


def _people_of(submission: Submission) -> list[int]:
    """Reporters and reviewers of the compiled report's unit, and reviewers of the
    chain levels that approve it."""
    unit = submission.org_unit
    levels = set(submission.chain_levels)
    above = [a.pk for a in ancestors_of(unit) if a.level.code in levels]
    ids = {
        user.pk
        for users in role_holders_on("reporter", [unit.pk]).values()
        for user in users
    }
    ids |= {
        user.pk
        for users in role_holders_on("reviewer", [unit.pk, *above]).values()
        for user in users
    }
    return sorted(ids)


def _tell(event: ApprovalEvent, *, kind: str, reason: str = "") -> None:
    from workflow.effects import _notify

    submission = event.submission
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "form": submission.template.code,
            "unit": submission.org_unit.name,
            "period": parse_period(submission.period).label,
        }
        if kind == "stale":
            subject = (
                _("Compiled report %(form)s of %(unit)s for %(period)s is out of date")
                % names
            )
            body = (
                reason + "\n" + _("It cannot be approved until it is compiled again.")
            )
        elif kind == "recompiled":
            subject = (
                _(
                    "Compiled report %(form)s of %(unit)s for %(period)s was compiled again"
                )
                % names
            )
            body = _("The figures were compiled again from the approved reports below.")
        else:
            subject = (
                _(
                    "Compiled report %(form)s of %(unit)s for %(period)s stays out of date"
                )
                % names
            )
            body = _(
                "A level above has approved it, so it cannot be compiled again: that "
                "approval must be withdrawn first."
            )
    _notify(
        _people_of(submission),
        key=f"consolidation:{kind}:{event.pk}",
        subject=subject,
        body=body,
        url=reverse("consolidation:detail", args=[submission.pk]),
    )


def consolidation_recompute_apply(*, consolidation_id: int) -> str:
    """Compile an out-of-date report again, by the system, while its values are
    the machine's; return what happened: "current" (nothing to do), "recompiled",
    or "locked" (approved above: it stays stale, its reviewers are told).
    Raise RecomputeLater while the report is being checked."""
    consolidation = Consolidation.objects.select_related("submission").get(
        pk=consolidation_id
    )
    submission = consolidation.submission
    if not submission.is_stale:
        return "current"
    if submission.status == SubmissionStatus.SUBMITTED:
        raise RecomputeLater(submission.pk)
    machine_made = submission.status in (
        SubmissionStatus.DRAFT,
        SubmissionStatus.RETURNED,
    ) or (
        submission.status == SubmissionStatus.AWAITING_REVIEW
        and not submission.approved_levels
    )
    if machine_made:
        try:
            _compile(acting_user=None, submission_id=submission.pk)
        except ConsolidationRefused:
            machine_made = False  # approved meanwhile
        else:
            _tell_latest(submission.pk, EventAction.RECOMPUTE, kind="recompiled")
            return "recompiled"
    _tell_latest(submission.pk, EventAction.STALE, kind="locked")
    return "locked"


def _tell_latest(submission_id: int, action: str, *, kind: str) -> None:
    """Tell the compilation's people of its latest ``action`` event, if any."""
    event = (
        ApprovalEvent.objects.filter(submission_id=submission_id, action=action)
        .order_by("-id")
        .first()
    )
    if event is not None:
        _tell(event, kind=kind)
