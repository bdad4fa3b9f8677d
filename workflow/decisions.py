"""Reads that decide: a report's state for the machine, who acts at which level,
what a user may do now, and the sentence that explains a refusal."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from orgunits.models import OrgUnit
from orgunits.selectors import ancestor_ids, grants_of
from reporting.models import Submission, SubmissionStatus
from workflow.engine.machine import (
    Action,
    Actor,
    Chain,
    Decision,
    ReportState,
    Status,
    decide,
)

# The report's stored status and the machine's state name the same things.
MACHINE_STATUS = {
    SubmissionStatus.DRAFT: Status.DRAFT,
    SubmissionStatus.SUBMITTED: Status.VALIDATING,
    SubmissionStatus.RETURNED: Status.RETURNED,
    SubmissionStatus.AWAITING_REVIEW: Status.AWAITING_REVIEW,
    SubmissionStatus.APPROVED: Status.APPROVED,
    SubmissionStatus.ACCEPTED: Status.ACCEPTED,
}
STORED_STATUS = {machine: stored for stored, machine in MACHINE_STATUS.items()}


def state_of(submission: Submission) -> ReportState:
    return ReportState(
        MACHINE_STATUS[SubmissionStatus(submission.status)],
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
        level = level_for(action, actor, state, chain)
        if (
            level
            and decide(state, action, actor, chain, level=level, reason="-").allowed
        ):
            found[key] = level
    return Possible(**found)


def level_for(action, actor: Actor, state: ReportState, chain: Chain) -> str | None:
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


def level_names() -> dict[str, str]:
    """Return every level's name as users read it, by level code."""
    from orgunits.models import OrgLevel

    return dict(OrgLevel.objects.values_list("code", "name"))


def level_name(code: str | None, names: dict[str, str] | None = None) -> str:
    """Return the level's name as users read it ("Quận, huyện"), "—" for none.

    A page naming many levels passes ``names`` (from ``level_names``) to read the
    levels once.
    """
    from orgunits.models import OrgLevel

    if not code:
        return "—"
    if names is not None:
        return names.get(code, code)
    level = OrgLevel.objects.filter(code=code).first()
    return level.name if level else code


def refusal_message(decision: Decision, submission: Submission) -> str:
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
        % {"level": level_name(params.get("level"))},
        "unknown_level": _(
            "This report's approval chain has no level at which you review it."
        ),
        "not_awaiting_level": _(
            "This report is no longer awaiting review at the %(level)s level: it is "
            "now %(status)s."
        )
        % {"level": level_name(params.get("level")), "status": status},
        "reason_required": _("Give a reason."),
        "not_your_turn": _(
            "The %(expected)s level must approve this report first; it is now "
            "%(status)s."
        )
        % {"expected": level_name(params.get("expected")), "status": status},
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
        % {"approved_by": level_name(params.get("approved_by"))},
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
