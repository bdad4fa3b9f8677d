"""Approval chains: the version in force for a period, the levels a report climbs,
and putting a new version in force (administrators also edit them in the admin)."""

from __future__ import annotations

import datetime

from django.db import transaction

from core.audit import audit_context
from orgunits.selectors import ancestors_of
from reporting.models import Submission
from workflow.models import ApprovalChain


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
