"""Every change of a report's approval state: one service per transition.

Each service locks the report row, asks the pure state machine
(``workflow.engine.machine.decide``) whether the actor may act, applies the result,
writes one ``ApprovalEvent`` and enqueues the side effects (notifications,
consolidation, publishing) after the commit. Two reviewers acting on the same report
at once are serialised by the row lock: the second one is refused with the state the
first one left.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.text import nfc
from forms.definition.grid import cell_grid
from reporting.engine.window import WindowState
from reporting.models import Receipt, Submission, SubmissionStatus
from reporting.services import (
    SubmissionConflict,
    SubmissionNotEditable,
    receipt_issue,
    submission_check_editable,
)
from workflow.chains import chain_for
from workflow.decisions import (
    STORED_STATUS,
    actor_for,
    level_for,
    machine_chain_of,
    refusal_message,
    state_of,
)
from workflow.engine.machine import (
    Action,
    Actor,
    decide,
)
from workflow.models import ApprovalEvent, CellComment, EventAction

MAX_REASON_LENGTH = 4000


class WorkflowRefused(Exception):
    """The action is not allowed now; ``str()`` is a message for the user."""

    def __init__(self, message: str, *, code: str, status: str = ""):
        super().__init__(message)
        self.code = code
        self.status = status


# --- Applying a decision --------------------------------------------------------------


def _lock(submission_id: int) -> Submission:
    """Lock the report row; the form's definition and the revision's values are
    read only where a transition needs them."""
    from django.db.models import Exists, OuterRef

    from workflow.models import Consolidation

    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("template__regime", "org_unit__level", "current_revision")
        .defer("current_revision__values", "current_revision__comments")
        .annotate(
            is_compiled=Exists(
                Consolidation.objects.filter(submission_id=OuterRef("pk"))
            )
        )
        .get(pk=submission_id)
    )


def _apply(
    *,
    submission: Submission,
    action: Action,
    actor: Actor,
    acting_user,
    level: str | None,
    reason: str = "",
    enqueue_effects: bool = True,
) -> ApprovalEvent:
    """Decide ``action`` on the locked ``submission``, store the new state and write
    the event; raise WorkflowRefused when the machine refuses. Without
    ``enqueue_effects`` the caller enqueues the event's effects itself."""
    state, chain = state_of(submission), machine_chain_of(submission)
    decision = decide(state, action, actor, chain, level=level, reason=reason)
    if not decision.allowed:
        raise WorkflowRefused(
            refusal_message(decision, submission),
            code=decision.code,
            status=submission.status,
        )
    from_status = submission.status
    submission.status = STORED_STATUS[decision.state.status]
    submission.approved_levels = list(decision.state.approved)
    submission.save(update_fields=["status", "approved_levels", "updated_at"])
    event = ApprovalEvent.objects.create(
        submission=submission,
        revision_id=submission.current_revision_id,
        action=EventAction(action.value),
        level=level or "",
        from_status=from_status,
        to_status=submission.status,
        approved_levels=list(submission.approved_levels),
        actor=acting_user,
        reason=reason,
    )
    if enqueue_effects:
        _after_commit(event)
    return event


def _after_commit(event: ApprovalEvent) -> None:
    from workflow.tasks import transition_effects

    transaction.on_commit(lambda: transition_effects.delay(event.pk))


EFFECTS_BATCH = 100


def transition_effects_enqueue(*, event_ids) -> None:
    """Enqueue, after the commit, the effects of many events in tasks of up to
    ``EFFECTS_BATCH`` events each (bulk approval: one task per chunk)."""
    from workflow.tasks import transition_effects_many

    ids = list(event_ids)
    for start in range(0, len(ids), EFFECTS_BATCH):
        batch = ids[start : start + EFFECTS_BATCH]
        transaction.on_commit(lambda batch=batch: transition_effects_many.delay(batch))


def _clean_reason(reason: str) -> str:
    reason = nfc(reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise WorkflowRefused(
            _("The reason is too long: at most %(max)d characters.")
            % {"max": MAX_REASON_LENGTH},
            code="reason_too_long",
        )
    return reason


# --- Transitions ----------------------------------------------------------------------


def submission_submit(
    *, acting_user, submission: Submission, base_revision: int, today=None
) -> Receipt:
    """Send the report up: it is checked in the worker, then climbs its chain.

    The chain in force for the period is fixed on the report now; a receipt is
    issued and e-mailed to the submitter after the commit.
    """
    from workflow.tasks import submission_submitted

    today = today or timezone.localdate()
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_submit"),
    ):
        locked = _lock(submission.pk)
        window_state = submission_check_editable(acting_user, locked, today=today)
        if locked.revision_count != base_revision:
            raise SubmissionConflict(
                locked, base_revision, locked.current_revision.values, {}
            )
        if locked.current_revision is None:
            raise SubmissionNotEditable(_("Save the report before submitting it."))
        levels, top_accepts = chain_for(locked)
        locked.chain_levels = list(levels)
        locked.chain_top_accepts = top_accepts
        locked.approved_levels = []
        locked.submitted_at = timezone.now()
        locked.submitted_late = window_state is WindowState.LATE
        locked.save(
            update_fields=[
                "chain_levels",
                "chain_top_accepts",
                "approved_levels",
                "submitted_at",
                "submitted_late",
            ]
        )
        try:
            _apply(
                submission=locked,
                action=Action.SUBMIT,
                actor=Actor(is_reporter=True),
                acting_user=acting_user,
                level=None,
            )
        except WorkflowRefused as refused:
            raise SubmissionNotEditable(str(refused)) from None
        receipt = receipt_issue(acting_user=acting_user, submission=locked)
        submission_submitted.delay_on_commit(locked.pk, receipt.pk)
        return receipt


def submission_validation_record(
    *, submission_id: int, revision_id: int, errors: int
) -> ApprovalEvent | None:
    """Move a report out of "being checked": errors return it to the reporter,
    otherwise it awaits its first review (or is accepted when its chain is empty).
    Return None, changing nothing, unless it is still being checked on that
    revision (a retried task, or a report changed meanwhile)."""
    action = Action.VALIDATION_FAILED if errors else Action.VALIDATION_PASSED
    with (
        transaction.atomic(),
        audit_context(acting_user=None, action=f"submission_{action.value}"),
    ):
        locked = _lock(submission_id)
        if (
            locked.status != SubmissionStatus.SUBMITTED
            or locked.current_revision_id != revision_id
        ):
            return None
        return _apply(
            submission=locked,
            action=action,
            actor=Actor(is_system=True),
            acting_user=None,
            level=None,
            reason=str(errors) if errors else "",
        )


def submission_return(
    *,
    acting_user,
    submission_id: int,
    reason: str,
    cell_comments: dict[str, str] | None = None,
) -> ApprovalEvent:
    """Send a report awaiting the actor's level back to its reporter, with an overall
    reason and comments on cells ("<row code>:<column>" -> text)."""
    reason = _clean_reason(reason)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_return"),
    ):
        locked = _lock(submission_id)
        comments = _clean_cell_comments(locked, cell_comments or {})
        actor = actor_for(acting_user, locked)
        state, chain = state_of(locked), machine_chain_of(locked)
        event = _apply(
            submission=locked,
            action=Action.RETURN,
            actor=actor,
            acting_user=acting_user,
            level=level_for(Action.RETURN, actor, state, chain),
            reason=reason,
        )
        CellComment.objects.bulk_create(
            CellComment(
                submission=locked,
                event=event,
                cell=cell,
                text=text,
                author=acting_user,
            )
            for cell, text in comments.items()
        )
        return event


def _clean_cell_comments(
    submission: Submission, comments: dict[str, str]
) -> dict[str, str]:
    grid = cell_grid(submission.form_version.form_definition)
    cleaned = {}
    for cell, text in comments.items():
        text = nfc(text or "").strip()
        if not text:
            continue
        row, _sep, column = str(cell).partition(":")
        if not column.isdigit() or (row, int(column)) not in grid:
            raise WorkflowRefused(
                _("The form has no cell %(cell)s to comment on.") % {"cell": cell},
                code="unknown_cell",
            )
        if len(text) > MAX_REASON_LENGTH:
            raise WorkflowRefused(
                _(
                    "The comment on cell %(cell)s is too long: at most %(max)d characters."
                )
                % {"cell": cell, "max": MAX_REASON_LENGTH},
                code="comment_too_long",
            )
        cleaned[f"{row}:{int(column)}"] = text
    return cleaned


def submission_approve(*, acting_user, submission_id: int) -> ApprovalEvent:
    """Approve a report at the actor's level (the level whose turn it is); the
    last level's approval makes it final unless the top level accepts separately.
    A compiled report that is out of date cannot be approved."""
    return _approve(acting_user=acting_user, submission_id=submission_id)


def _approve(
    *, acting_user, submission_id: int, enqueue_effects: bool = True
) -> ApprovalEvent:
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_approve"),
    ):
        locked = _lock(submission_id)
        if locked.is_stale or _compiled_from_changed_reports(locked):
            raise WorkflowRefused(
                _(
                    "This compiled report is out of date: a report it includes has "
                    "changed. Compile it again before approving it."
                ),
                code="stale",
                status=locked.status,
            )
        actor = actor_for(acting_user, locked)
        state, chain = state_of(locked), machine_chain_of(locked)
        return _apply(
            submission=locked,
            action=Action.APPROVE,
            actor=actor,
            acting_user=acting_user,
            level=level_for(Action.APPROVE, actor, state, chain),
            enqueue_effects=enqueue_effects,
        )


def submission_unapprove(
    *, acting_user, submission_id: int, reason: str
) -> ApprovalEvent:
    """Withdraw the last approval of a report, by that level or one above it, with a
    reason, while no level above has approved; the report awaits that level again."""
    reason = _clean_reason(reason)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_unapprove"),
    ):
        locked = _lock(submission_id)
        _refuse_if_compiled_and_approved(locked)
        actor = actor_for(acting_user, locked)
        state, chain = state_of(locked), machine_chain_of(locked)
        return _apply(
            submission=locked,
            action=Action.UNAPPROVE,
            actor=actor,
            acting_user=acting_user,
            level=level_for(Action.UNAPPROVE, actor, state, chain),
            reason=reason,
        )


def submission_accept(*, acting_user, submission_id: int) -> ApprovalEvent:
    """Accept a report every level has approved: the top level's final step, which
    locks the approvals below."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_accept"),
    ):
        locked = _lock(submission_id)
        actor = actor_for(acting_user, locked)
        state, chain = state_of(locked), machine_chain_of(locked)
        return _apply(
            submission=locked,
            action=Action.ACCEPT,
            actor=actor,
            acting_user=acting_user,
            level=level_for(Action.ACCEPT, actor, state, chain),
        )


@dataclass(frozen=True)
class BulkOutcome:
    submission_id: int
    approved: bool
    status: str
    message: str = ""


def submissions_approve_bulk(
    *, acting_user, submission_ids, skip_unexplained_warnings: bool = True
) -> list[BulkOutcome]:
    """Approve many reports, each in its own transaction, and say what became of
    each: a refusal of one never stops the others. Reports with errors or
    unexplained warnings in their latest check are skipped, not approved. The
    approvals' effects are enqueued at the end, many events to a task."""
    from validation.selectors import latest_result_flags

    flags = latest_result_flags(list(submission_ids))
    outcomes = []
    event_ids: list[int] = []
    try:
        for submission_id in submission_ids:
            errors, unexplained = flags.get(submission_id, (0, 0))
            if errors or (skip_unexplained_warnings and unexplained):
                outcomes.append(_skipped(submission_id, errors, unexplained))
                continue
            try:
                event = _approve(
                    acting_user=acting_user,
                    submission_id=submission_id,
                    enqueue_effects=False,
                )
            except WorkflowRefused as refused:
                outcomes.append(
                    BulkOutcome(submission_id, False, refused.status, str(refused))
                )
            except Submission.DoesNotExist:
                outcomes.append(
                    BulkOutcome(submission_id, False, "", _("No such report."))
                )
            else:
                event_ids.append(event.pk)
                outcomes.append(BulkOutcome(submission_id, True, event.to_status))
    finally:
        # Also when the loop stops midway: the approvals made so far are committed.
        transition_effects_enqueue(event_ids=event_ids)
    return outcomes


def _skipped(submission_id: int, errors: int, unexplained: int) -> BulkOutcome:
    status = (
        Submission.objects.filter(pk=submission_id)
        .values_list("status", flat=True)
        .first()
    )
    return BulkOutcome(
        submission_id,
        False,
        status or "",
        _(
            "Not approved: the latest check found %(errors)d errors and "
            "%(warnings)d unexplained warnings."
        )
        % {"errors": errors, "warnings": unexplained},
    )


# --- Compiled reports ------------------------------------------------------------------


def _refuse_if_compiled_and_approved(submission: Submission) -> None:
    """An approved compiled report locks the reports it includes."""
    from workflow.consolidation_selectors import approved_compilation_of

    compiled = approved_compilation_of(submission.pk)
    if compiled is not None:
        raise WorkflowRefused(
            _(
                "The compiled report of %(unit)s includes this report and has been "
                "approved; withdraw that approval first."
            )
            % {"unit": compiled.org_unit.name},
            code="compiled_report_approved",
            status=submission.status,
        )


def _compiled_from_changed_reports(submission: Submission) -> bool:
    from workflow.consolidation_selectors import compilation_out_of_date

    if not getattr(submission, "is_compiled", True):
        return False  # not a compiled report (known from the lock's query)
    return compilation_out_of_date(submission)


def _stale_event(submission: Submission, action: EventAction, acting_user, reason=""):
    return ApprovalEvent.objects.create(
        submission=submission,
        revision_id=submission.current_revision_id,
        action=action,
        from_status=submission.status,
        to_status=submission.status,
        approved_levels=list(submission.approved_levels),
        actor=acting_user if getattr(acting_user, "pk", None) else None,
        reason=reason,
    )


def submission_mark_stale(*, submission_id: int, reason: str) -> ApprovalEvent | None:
    """Mark a compiled report out of date (a report it includes changed), with a
    "stale" event; return None, changing nothing, when it already is."""
    with (
        transaction.atomic(),
        audit_context(acting_user=None, action="submission_mark_stale"),
    ):
        locked = _lock(submission_id)
        if locked.is_stale:
            return None
        locked.is_stale = True
        locked.save(update_fields=["is_stale", "updated_at"])
        return _stale_event(locked, EventAction.STALE, None, reason)


def submission_stale_clear(*, acting_user, submission_id: int) -> ApprovalEvent | None:
    """Record that an out-of-date compiled report was compiled again ("recompute"
    event, by ``acting_user`` or the system); None when it was not out of date."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_stale_clear"),
    ):
        locked = _lock(submission_id)
        if not locked.is_stale:
            return None
        locked.is_stale = False
        locked.save(update_fields=["is_stale", "updated_at"])
        return _stale_event(locked, EventAction.RECOMPUTE, acting_user)
