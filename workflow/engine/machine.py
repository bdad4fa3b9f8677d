"""States and transitions of a report on its way up an approval chain.

A regime's chain lists the levels that approve, lowest first (e.g. district,
province, national; after the 2025 reform province, national), and whether the top
level accepts as a separate step. ``decide`` says whether an action is allowed and
what the report becomes; it never changes anything itself and never raises: a refusal
is a result with a code and parameters for the message. docs/workflow.md draws it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace


class Status(enum.StrEnum):
    DRAFT = "draft"
    VALIDATING = "validating"
    RETURNED = "returned"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"  # by every level of the chain, awaiting acceptance
    ACCEPTED = "accepted"


class Action(enum.StrEnum):
    SUBMIT = "submit"
    VALIDATION_PASSED = "validation_passed"
    VALIDATION_FAILED = "validation_failed"
    RETURN = "return"
    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    ACCEPT = "accept"


@dataclass(frozen=True)
class Chain:
    levels: tuple[str, ...]
    top_accepts: bool = False


@dataclass(frozen=True)
class ReportState:
    status: Status
    approved: tuple[str, ...] = ()  # levels that approved, lowest first

    def next_level(self, chain: Chain) -> str | None:
        """The level whose review the report awaits (None once all approved)."""
        if len(self.approved) < len(chain.levels):
            return chain.levels[len(self.approved)]
        return None


@dataclass(frozen=True)
class Actor:
    """Who acts: whether they report for the unit, and the chain levels at which they
    review it (a reviewer at the district above, at the province above, …)."""

    is_reporter: bool = False
    reviewer_levels: frozenset[str] = field(default_factory=frozenset)
    is_system: bool = False  # the validation task


@dataclass(frozen=True)
class Decision:
    allowed: bool
    state: ReportState | None = None
    code: str = ""
    params: dict = field(default_factory=dict)


def _refuse(code: str, **params) -> Decision:
    return Decision(False, None, code, params)


def _allow(state: ReportState) -> Decision:
    return Decision(True, state)


def decide(
    state: ReportState,
    action: Action,
    actor: Actor,
    chain: Chain,
    *,
    level: str | None = None,
    reason: str = "",
) -> Decision:
    """Decide ``action`` by ``actor`` on a report in ``state``; ``level`` is the chain
    level the actor acts at (for return, approve, unapprove, accept)."""
    action = Action(action)
    if action is Action.SUBMIT:
        if not actor.is_reporter:
            return _refuse("not_reporter")
        if state.status not in (Status.DRAFT, Status.RETURNED):
            return _refuse("not_editable", status=state.status.value)
        return _allow(ReportState(Status.VALIDATING))
    if action in (Action.VALIDATION_PASSED, Action.VALIDATION_FAILED):
        if not actor.is_system:
            return _refuse("system_only")
        if state.status is not Status.VALIDATING:
            return _refuse("not_validating", status=state.status.value)
        if action is Action.VALIDATION_FAILED:
            return _allow(ReportState(Status.RETURNED))
        if not chain.levels:
            return _allow(ReportState(Status.ACCEPTED))
        return _allow(ReportState(Status.AWAITING_REVIEW))

    if level is None or level not in chain.levels:
        return _refuse("unknown_level", level=level)
    if level not in actor.reviewer_levels:
        return _refuse("not_reviewer_at_level", level=level)

    if action is Action.RETURN:
        if (
            state.status is not Status.AWAITING_REVIEW
            or state.next_level(chain) != level
        ):
            return _refuse("not_awaiting_level", level=level, status=state.status.value)
        if not reason.strip():
            return _refuse("reason_required")
        return _allow(ReportState(Status.RETURNED))

    if action is Action.APPROVE:
        if state.status is not Status.AWAITING_REVIEW:
            return _refuse("not_awaiting_level", level=level, status=state.status.value)
        expected = state.next_level(chain)
        if expected != level:
            # The levels below must approve first; a level never approves twice.
            return _refuse("not_your_turn", level=level, expected=expected)
        approved = (*state.approved, level)
        if len(approved) == len(chain.levels):
            final = Status.APPROVED if chain.top_accepts else Status.ACCEPTED
            return _allow(ReportState(final, approved))
        return _allow(ReportState(Status.AWAITING_REVIEW, approved))

    if action is Action.UNAPPROVE:
        if state.status is Status.ACCEPTED and chain.top_accepts:
            return _refuse("accepted_is_locked")
        if not state.approved:
            return _refuse("nothing_to_unapprove")
        last = state.approved[-1]
        if chain.levels.index(level) < chain.levels.index(last):
            return _refuse("only_from_above", level=level, approved_by=last)
        if not reason.strip():
            return _refuse("reason_required")
        return _allow(
            replace(state, status=Status.AWAITING_REVIEW, approved=state.approved[:-1])
        )

    if action is Action.ACCEPT:
        if not chain.top_accepts:
            return _refuse("no_acceptance_step")
        if level != chain.levels[-1]:
            return _refuse("only_top_accepts", level=level)
        if state.status is not Status.APPROVED:
            return _refuse("not_approved_by_all", status=state.status.value)
        return _allow(ReportState(Status.ACCEPTED, state.approved))
    return _refuse("unknown_action", action=action.value)


def is_locked(state: ReportState) -> bool:
    """Approved anywhere (or accepted): the data may not change below the approval."""
    return bool(state.approved) or state.status in (
        Status.VALIDATING,
        Status.APPROVED,
        Status.ACCEPTED,
    )
