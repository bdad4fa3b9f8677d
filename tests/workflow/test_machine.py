"""The approval state machine, table-driven: every action, for every role, at every
level, allowed or refused (no database)."""

import itertools

import pytest

from workflow.engine.machine import (
    Action,
    Actor,
    Chain,
    ReportState,
    Status,
    decide,
    is_locked,
)

OLD_CHAIN = Chain(("district", "province", "national"), top_accepts=True)
NEW_CHAIN = Chain(("province", "national"), top_accepts=False)

REPORTER = Actor(is_reporter=True)
SYSTEM = Actor(is_system=True)


def reviewer(*levels):
    return Actor(reviewer_levels=frozenset(levels))


S = ReportState
TABLE = [
    # (state, action, actor, level, reason, expected status or refusal code, approved after)
    (S(Status.DRAFT), "submit", REPORTER, None, "", Status.VALIDATING, ()),
    (S(Status.RETURNED), "submit", REPORTER, None, "", Status.VALIDATING, ()),
    (S(Status.DRAFT), "submit", reviewer("district"), None, "", "not_reporter", None),
    (S(Status.AWAITING_REVIEW), "submit", REPORTER, None, "", "not_editable", None),
    (S(Status.VALIDATING), "validation_passed", SYSTEM, None, "", Status.AWAITING_REVIEW, ()),
    (S(Status.VALIDATING), "validation_failed", SYSTEM, None, "", Status.RETURNED, ()),
    (S(Status.VALIDATING), "validation_passed", REPORTER, None, "", "system_only", None),
    (S(Status.DRAFT), "validation_passed", SYSTEM, None, "", "not_validating", None),
    # district reviews first
    (S(Status.AWAITING_REVIEW), "approve", reviewer("district"), "district", "", Status.AWAITING_REVIEW, ("district",)),
    (S(Status.AWAITING_REVIEW), "approve", reviewer("province"), "province", "", "not_your_turn", None),
    (S(Status.AWAITING_REVIEW), "approve", reviewer("province"), "district", "", "not_reviewer_at_level", None),
    (S(Status.AWAITING_REVIEW), "approve", REPORTER, "district", "", "not_reviewer_at_level", None),
    (S(Status.AWAITING_REVIEW), "return", reviewer("district"), "district", "thiếu số liệu dòng 03", Status.RETURNED, ()),
    (S(Status.AWAITING_REVIEW), "return", reviewer("district"), "district", "  ", "reason_required", None),
    (S(Status.AWAITING_REVIEW), "return", reviewer("province"), "province", "x", "not_awaiting_level", None),
    # then the province, then the national office
    (S(Status.AWAITING_REVIEW, ("district",)), "approve", reviewer("province"), "province", "", Status.AWAITING_REVIEW, ("district", "province")),
    (S(Status.AWAITING_REVIEW, ("district",)), "approve", reviewer("district"), "district", "", "not_your_turn", None),
    (S(Status.AWAITING_REVIEW, ("district", "province")), "approve", reviewer("national"), "national", "", Status.APPROVED, ("district", "province", "national")),
    (S(Status.APPROVED, ("district", "province", "national")), "accept", reviewer("national"), "national", "", Status.ACCEPTED, ("district", "province", "national")),
    (S(Status.APPROVED, ("district", "province", "national")), "accept", reviewer("province"), "province", "", "only_top_accepts", None),
    (S(Status.AWAITING_REVIEW, ("district",)), "accept", reviewer("national"), "national", "", "not_approved_by_all", None),
    # unapproval: by the approving level or above, with a reason, never after acceptance
    (S(Status.AWAITING_REVIEW, ("district",)), "unapprove", reviewer("district"), "district", "sai số", Status.AWAITING_REVIEW, ()),
    (S(Status.AWAITING_REVIEW, ("district",)), "unapprove", reviewer("province"), "province", "sai số", Status.AWAITING_REVIEW, ()),
    (S(Status.AWAITING_REVIEW, ("district", "province")), "unapprove", reviewer("district"), "district", "sai số", "only_from_above", None),
    (S(Status.AWAITING_REVIEW, ("district",)), "unapprove", reviewer("district"), "district", "", "reason_required", None),
    (S(Status.AWAITING_REVIEW), "unapprove", reviewer("district"), "district", "x", "nothing_to_unapprove", None),
    (S(Status.ACCEPTED, ("district", "province", "national")), "unapprove", reviewer("national"), "national", "x", "accepted_is_locked", None),
    (S(Status.AWAITING_REVIEW), "approve", reviewer("commune"), "commune", "", "unknown_level", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "action", "actor", "level", "reason", "expected", "approved"), TABLE
)
def test_three_tier_chain(state, action, actor, level, reason, expected, approved):
    decision = decide(state, action, actor, OLD_CHAIN, level=level, reason=reason)
    if isinstance(expected, Status):
        assert decision.allowed, decision
        assert decision.state.status is expected
        assert decision.state.approved == approved
    else:
        assert not decision.allowed and decision.code == expected


def test_post_reform_chain_without_districts_and_without_acceptance():
    state = S(Status.AWAITING_REVIEW)
    assert (
        decide(state, "approve", reviewer("district"), NEW_CHAIN, level="district").code
        == "unknown_level"
    )
    state = decide(
        state, "approve", reviewer("province"), NEW_CHAIN, level="province"
    ).state
    final = decide(
        state, "approve", reviewer("national"), NEW_CHAIN, level="national"
    ).state
    assert final.status is Status.ACCEPTED and final.approved == (
        "province",
        "national",
    )
    assert (
        decide(final, "accept", reviewer("national"), NEW_CHAIN, level="national").code
        == "no_acceptance_step"
    )


ROLES = {
    "reporter": REPORTER,
    "system": SYSTEM,
    **{f"reviewer@{level}": reviewer(level) for level in OLD_CHAIN.levels},
}
STATES = [
    S(Status.DRAFT),
    S(Status.VALIDATING),
    S(Status.RETURNED),
    S(Status.AWAITING_REVIEW),
    S(Status.AWAITING_REVIEW, ("district",)),
    S(Status.AWAITING_REVIEW, ("district", "province")),
    S(Status.APPROVED, ("district", "province", "national")),
    S(Status.ACCEPTED, ("district", "province", "national")),
]


@pytest.mark.parametrize(
    ("state", "action", "role", "level"),
    list(
        itertools.product(STATES, list(Action), list(ROLES), [None, *OLD_CHAIN.levels])
    ),
)
def test_every_combination_decides_without_raising_and_keeps_the_chain_order(
    state, action, role, level
):
    decision = decide(
        state, action, ROLES[role], OLD_CHAIN, level=level, reason="lý do"
    )
    if not decision.allowed:
        assert decision.code
        return
    new = decision.state
    # Approvals always form a prefix of the chain: no level approves before those below.
    assert new.approved == OLD_CHAIN.levels[: len(new.approved)]
    # Only reviewers of the level they act at can change review states.
    if action in (Action.APPROVE, Action.RETURN, Action.UNAPPROVE, Action.ACCEPT):
        assert level in ROLES[role].reviewer_levels


def test_an_approved_report_is_locked():
    assert is_locked(S(Status.AWAITING_REVIEW, ("district",)))
    assert not is_locked(S(Status.RETURNED))
