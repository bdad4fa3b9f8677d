"""Every change of a report's approval state: one service per transition.

Each service locks the report row, asks the pure state machine
(``workflow.engine.machine.decide``) whether the actor may act, applies the result,
writes one ``ApprovalEvent`` and enqueues the side effects (notifications,
consolidation, publishing) after the commit. Two reviewers acting on the same report
at once are serialised by the row lock: the second one is refused with the state the
first one left.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.text import nfc
from forms.definition.grid import cell_grid
from forms.definition.periods import parse_period
from orgunits.models import OrgUnit
from orgunits.selectors import ancestor_ids, ancestors_of, grants_of
from reporting.engine.window import WindowState
from reporting.models import Receipt, Submission, SubmissionStatus
from reporting.services import (
    SubmissionConflict,
    SubmissionNotEditable,
    receipt_issue,
    submission_check_editable,
)
from workflow.engine.machine import (
    Action,
    Actor,
    Chain,
    Decision,
    ReportState,
    Status,
    decide,
)
from workflow.models import ApprovalChain, ApprovalEvent, CellComment, EventAction

MAX_REASON_LENGTH = 4000

# The report's stored status and the machine's state name the same things.
_TO_MACHINE = {
    SubmissionStatus.DRAFT: Status.DRAFT,
    SubmissionStatus.SUBMITTED: Status.VALIDATING,
    SubmissionStatus.RETURNED: Status.RETURNED,
    SubmissionStatus.AWAITING_REVIEW: Status.AWAITING_REVIEW,
    SubmissionStatus.APPROVED: Status.APPROVED,
    SubmissionStatus.ACCEPTED: Status.ACCEPTED,
}
_TO_STORED = {machine: stored for stored, machine in _TO_MACHINE.items()}


class WorkflowRefused(Exception):
    """The action is not allowed now; ``str()`` is a message for the user."""

    def __init__(self, message: str, *, code: str, status: str = ""):
        super().__init__(message)
        self.code = code
        self.status = status


# --- Chains ------------------------------------------------------------------------


def chain_in_force(regime, on: datetime.date) -> ApprovalChain:
    """Return ``regime``'s chain for periods from ``on``; a regime without chain rows
    has its own list of approving levels, each consolidating the one below."""
    chain = (
        ApprovalChain.objects.filter(regime=regime, valid_from__lte=on)
        .order_by("-valid_from")
        .first()
    )
    if chain is None:
        return ApprovalChain(
            regime=regime,
            valid_from=on,
            levels=list(regime.approval_levels),
            top_accepts=False,
            consolidates=True,
        )
    return chain


def chain_for(submission: Submission) -> tuple[tuple[str, ...], bool]:
    """Return the chain levels above ``submission``'s unit and top_accepts: the
    chain in force for its period, keeping the levels where the unit has an
    ancestor (a post-reform commune has no district)."""
    chain = chain_in_force(submission.template.regime, submission.period_start)
    above = {unit.level.code for unit in ancestors_of(submission.org_unit)}
    levels = tuple(level for level in chain.levels if level in above)
    if chain.consolidates:
        levels = levels[:1]  # the nearest level above (levels run lowest first)
    # Only the chain's top level accepts, so only reports it approves need it to.
    top_accepts = chain.top_accepts and bool(levels) and levels[-1] == chain.levels[-1]
    return levels, top_accepts


def approval_chain_create(
    *,
    acting_user,
    regime,
    valid_from: datetime.date,
    levels,
    top_accepts: bool = False,
    consolidates: bool = True,
) -> ApprovalChain:
    """Put a new version of ``regime``'s approval chain in force from ``valid_from``."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="approval_chain_create"),
    ):
        chain = ApprovalChain(
            regime=regime,
            valid_from=valid_from,
            levels=[level.strip() for level in levels if level.strip()],
            top_accepts=top_accepts,
            consolidates=consolidates,
        )
        chain.full_clean()
        chain.save()
        return chain


# --- State --------------------------------------------------------------------------


def state_of(submission: Submission) -> ReportState:
    return ReportState(
        _TO_MACHINE[SubmissionStatus(submission.status)],
        tuple(submission.approved_levels),
    )


def machine_chain_of(submission: Submission) -> Chain:
    return Chain(tuple(submission.chain_levels), submission.chain_top_accepts)


def reviewer_levels_of(user, unit: OrgUnit) -> frozenset[str]:
    """Return the levels at which ``user`` reviews ``unit``'s reports: those of the
    ancestors on which the user holds the reviewer role itself."""
    levels = getattr(user, "_reviewed_unit_levels", None)
    if levels is None:
        # One query per user object: a bulk approval asks for every report.
        reviewed = {
            grant.unit_id for grant in grants_of(user) if grant.role == "reviewer"
        }
        levels = dict(
            OrgUnit.objects.filter(pk__in=reviewed).values_list("pk", "level__code")
        )
        if getattr(user, "pk", None) is not None:
            user._reviewed_unit_levels = levels
    if not levels:
        return frozenset()
    return frozenset(
        levels[unit_id] for unit_id in ancestor_ids(unit) if unit_id in levels
    )


def actor_for(user, submission: Submission) -> Actor:
    from orgunits.selectors import user_has_role

    return Actor(
        is_reporter=user_has_role(user, "reporter", submission.org_unit),
        reviewer_levels=reviewer_levels_of(user, submission.org_unit),
    )


@dataclass(frozen=True)
class Possible:
    """What ``user`` may do with a report now, for pages to offer."""

    approve: str | None = None  # the level acted at
    return_: str | None = None
    unapprove: str | None = None
    accept: str | None = None


def possible_actions(user, submission: Submission) -> Possible:
    """Return the review actions ``user`` may take on ``submission`` now."""
    state, chain = state_of(submission), machine_chain_of(submission)
    actor = actor_for(user, submission)
    found = {}
    for action, key in (
        (Action.APPROVE, "approve"),
        (Action.RETURN, "return_"),
        (Action.UNAPPROVE, "unapprove"),
        (Action.ACCEPT, "accept"),
    ):
        level = _level_for(action, actor, state, chain)
        if (
            level
            and decide(state, action, actor, chain, level=level, reason="-").allowed
        ):
            found[key] = level
    return Possible(**found)


def _level_for(action, actor: Actor, state: ReportState, chain: Chain) -> str | None:
    """The chain level ``actor`` acts at for ``action``: the level whose turn it is
    (or, for a reviewer elsewhere in the chain, the actor's own level, so that the
    refusal says whose turn it is), the top for acceptance, and for unapproval the
    lowest of the actor's levels at or above the last approval."""
    mine = [level for level in chain.levels if level in actor.reviewer_levels]
    if action in (Action.APPROVE, Action.RETURN):
        expected = state.next_level(chain)
        if expected in mine or not mine:
            return expected
        if expected is None:
            # Approved meanwhile: the refusal names the state the report is in now.
            return mine[-1]
        start = chain.levels.index(expected)
        later = [level for level in mine if chain.levels.index(level) > start]
        return later[0] if later else mine[-1]
    if action is Action.ACCEPT:
        return chain.levels[-1] if chain.levels else None
    if action is Action.UNAPPROVE and state.approved:
        start = chain.levels.index(state.approved[-1])
        at_or_above = [level for level in mine if chain.levels.index(level) >= start]
        if at_or_above:
            return at_or_above[0]
        return mine[-1] if mine else state.approved[-1]
    return None


# --- Refusals -------------------------------------------------------------------------


def _level_name(code: str | None) -> str:
    from orgunits.models import OrgLevel

    if not code:
        return "—"
    level = OrgLevel.objects.filter(code=code).first()
    return level.name if level else code


def _refusal_message(decision: Decision, submission: Submission) -> str:
    status = submission.get_status_display().lower()
    params = decision.params
    messages = {
        "not_reporter": _("Only reporters of %(unit)s can submit this report.")
        % {"unit": submission.org_unit.name},
        "not_editable": _("This report is %(status)s and cannot be submitted again.")
        % {"status": status},
        "not_reviewer_at_level": _(
            "You do not review this report at the %(level)s level."
        )
        % {"level": _level_name(params.get("level"))},
        "unknown_level": _(
            "This report's approval chain has no level at which you review it."
        ),
        "not_awaiting_level": _(
            "This report is no longer awaiting review at the %(level)s level: it is "
            "now %(status)s."
        )
        % {"level": _level_name(params.get("level")), "status": status},
        "reason_required": _("Give a reason."),
        "not_your_turn": _(
            "The %(expected)s level must approve this report first; it is now "
            "%(status)s."
        )
        % {"expected": _level_name(params.get("expected")), "status": status},
        "accepted_is_locked": _(
            "This report was accepted at the top level; its approvals can no longer "
            "be withdrawn."
        ),
        "nothing_to_unapprove": _(
            "No level has approved this report: it is %(status)s."
        )
        % {"status": status},
        "only_from_above": _(
            "The %(approved_by)s level has approved this report since; only that "
            "level or one above it can withdraw the approval."
        )
        % {"approved_by": _level_name(params.get("approved_by"))},
        "no_acceptance_step": _("This regime has no separate acceptance step."),
        "only_top_accepts": _("Only the top level of the chain accepts reports."),
        "not_approved_by_all": _(
            "Every level must approve this report before it is accepted; it is "
            "now %(status)s."
        )
        % {"status": status},
    }
    return messages.get(
        decision.code,
        _("This action is not possible now: the report is %(status)s.")
        % {"status": status},
    )


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
) -> ApprovalEvent:
    """Decide ``action`` on the locked ``submission``, store the new state and write
    the event; raise WorkflowRefused when the machine refuses."""
    state, chain = state_of(submission), machine_chain_of(submission)
    decision = decide(state, action, actor, chain, level=level, reason=reason)
    if not decision.allowed:
        raise WorkflowRefused(
            _refusal_message(decision, submission),
            code=decision.code,
            status=submission.status,
        )
    from_status = submission.status
    submission.status = _TO_STORED[decision.state.status]
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
    _after_commit(event)
    return event


def _after_commit(event: ApprovalEvent) -> None:
    from workflow.tasks import transition_effects

    transaction.on_commit(lambda: transition_effects.delay(event.pk))


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
            level=_level_for(Action.RETURN, actor, state, chain),
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
            level=_level_for(Action.APPROVE, actor, state, chain),
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
            level=_level_for(Action.UNAPPROVE, actor, state, chain),
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
            level=_level_for(Action.ACCEPT, actor, state, chain),
        )


def period_label(submission: Submission) -> str:
    return parse_period(submission.period).label


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
    unexplained warnings in their latest check are skipped, not approved."""
    from validation.selectors import latest_result_flags

    flags = latest_result_flags(list(submission_ids))
    outcomes = []
    for submission_id in submission_ids:
        errors, unexplained = flags.get(submission_id, (0, 0))
        if errors or (skip_unexplained_warnings and unexplained):
            status = (
                Submission.objects.filter(pk=submission_id)
                .values_list("status", flat=True)
                .first()
            )
            outcomes.append(
                BulkOutcome(
                    submission_id,
                    False,
                    status or "",
                    _(
                        "Not approved: the latest check found %(errors)d errors and "
                        "%(warnings)d unexplained warnings."
                    )
                    % {"errors": errors, "warnings": unexplained},
                )
            )
            continue
        try:
            event = submission_approve(
                acting_user=acting_user, submission_id=submission_id
            )
        except WorkflowRefused as refused:
            outcomes.append(
                BulkOutcome(submission_id, False, refused.status, str(refused))
            )
        except Submission.DoesNotExist:
            outcomes.append(BulkOutcome(submission_id, False, "", _("No such report.")))
        else:
            outcomes.append(BulkOutcome(submission_id, True, event.to_status))
    return outcomes


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
