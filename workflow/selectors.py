"""Permission-checked reads for the reviewer's desk: the queue of reports awaiting a
reviewer's action, one report as a reviewer may open it, the comments of its latest
return, and bulk approval jobs."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import reduce

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from orgunits.models import OrgUnit
from orgunits.selectors import grants_of
from reporting.models import Submission, SubmissionStatus
from workflow.models import ApprovalEvent, BulkApproval, CellComment, EventAction

# Postgres arrays count from 1: the level whose turn it is comes right after the
# levels that have approved.
_NEXT_LEVEL = RawSQL(
    "reporting_submission.chain_levels[coalesce(array_length("
    "reporting_submission.approved_levels, 1), 0) + 1]",
    [],
)
_TOP_LEVEL = RawSQL(
    "reporting_submission.chain_levels[array_length("
    "reporting_submission.chain_levels, 1)]",
    [],
)

CHECK_FILTERS = ("clean", "errors", "warnings", "unchecked")


@dataclass(frozen=True)
class ReviewerGrant:
    unit_id: int
    path: str
    level: str


def reviewer_grants(user) -> list[ReviewerGrant]:
    """Return the units on which ``user`` holds the reviewer role, with their level."""
    grants = [grant for grant in grants_of(user) if grant.role == "reviewer"]
    if not grants:
        return []
    levels = dict(
        OrgUnit.objects.filter(pk__in=[grant.unit_id for grant in grants]).values_list(
            "pk", "level__code"
        )
    )
    return [
        ReviewerGrant(grant.unit_id, grant.path, levels[grant.unit_id])
        for grant in grants
        if grant.unit_id in levels
    ]


def user_is_reviewer(user) -> bool:
    return any(grant.role == "reviewer" for grant in grants_of(user))


def _queue_filter(grants: list[ReviewerGrant]) -> Q | None:
    clauses = []
    for grant in grants:
        below = Q(org_unit__path__startswith=grant.path) & ~Q(org_unit_id=grant.unit_id)
        clauses.append(
            below & Q(status=SubmissionStatus.AWAITING_REVIEW, next_level=grant.level)
        )
        clauses.append(
            below & Q(status=SubmissionStatus.APPROVED, top_level=grant.level)
        )
    return reduce(operator.or_, clauses) if clauses else None


def review_queryset(
    user, *, form=None, period=None, unit_code=None
) -> QuerySet[Submission]:
    """Return the reports awaiting ``user``'s review or acceptance, filtered."""
    scope = _queue_filter(reviewer_grants(user))
    if scope is None:
        return Submission.objects.none()
    reports = (
        Submission.objects.annotate(next_level=_NEXT_LEVEL, top_level=_TOP_LEVEL)
        .filter(scope)
        .select_related("template", "org_unit", "org_unit__level")
        .order_by("submitted_at", "pk")
    )
    if form:
        reports = reports.filter(template_id=form)
    if period:
        reports = reports.filter(period=str(period).strip())
    if unit_code:
        code = str(unit_code).strip()
        reports = reports.filter(
            Q(org_unit__code=code) | Q(org_unit__name__icontains=code)
        )
    return reports


@dataclass(frozen=True)
class QueueItem:
    submission: Submission
    errors: int
    unexplained: int
    checked: bool

    @property
    def action(self) -> str:
        """ "accept" for a report every level approved, else "approve"."""
        if self.submission.status == SubmissionStatus.APPROVED:
            return "accept"
        return "approve"

    @property
    def is_clean(self) -> bool:
        return self.checked and not self.errors and not self.unexplained


@dataclass
class ReviewQueue:
    page: Page
    items: list[QueueItem] = field(default_factory=list)


def _matches(flags: tuple[int, int] | None, checks: str) -> bool:
    if checks == "unchecked":
        return flags is None
    if flags is None:
        return False
    errors, unexplained = flags
    return {
        "clean": not errors and not unexplained,
        "errors": errors > 0,
        "warnings": not errors and unexplained > 0,
    }[checks]


def review_queue(
    user,
    *,
    form=None,
    period=None,
    unit_code=None,
    checks=None,
    page=1,
    per_page=25,
) -> ReviewQueue:
    """Return one page of the reports awaiting ``user``'s action across their
    subtree: those whose next chain level is the level of a unit on which the user
    holds the reviewer role (strictly below it), and those every level approved that
    await acceptance by the chain's top level when that is the user's. Each with
    the errors and unexplained warnings of its latest check."""
    from validation.selectors import latest_result_flags

    reports = review_queryset(user, form=form, period=period, unit_code=unit_code)
    if checks in CHECK_FILTERS:
        ids = list(reports.values_list("pk", flat=True))
        flags = latest_result_flags(ids)
        wanted = [pk for pk in ids if _matches(flags.get(pk), checks)]
        reports = reports.filter(pk__in=wanted)
    paginator = Paginator(reports, per_page)
    shown = paginator.get_page(page)
    submissions = list(shown.object_list)
    flags = latest_result_flags([submission.pk for submission in submissions])
    items = []
    for submission in submissions:
        found = flags.get(submission.pk)
        errors, unexplained = found or (0, 0)
        items.append(QueueItem(submission, errors, unexplained, found is not None))
    return ReviewQueue(page=shown, items=items)


def clean_queue_ids(user, *, form=None, period=None, unit_code=None) -> list[int]:
    """Return the ids of every clean report awaiting ``user``'s approval that
    matches the filter (all pages)."""
    from validation.selectors import latest_result_flags

    reports = review_queryset(user, form=form, period=period, unit_code=unit_code)
    ids = list(
        reports.filter(status=SubmissionStatus.AWAITING_REVIEW).values_list(
            "pk", flat=True
        )
    )
    flags = latest_result_flags(ids)
    return [pk for pk in ids if _matches(flags.get(pk), "clean")]


def approvable_ids(user, submission_ids) -> list[int]:
    """Return those of ``submission_ids`` awaiting ``user``'s approval, in order."""
    wanted = {int(pk) for pk in submission_ids}
    found = set(
        review_queryset(user)
        .filter(pk__in=wanted, status=SubmissionStatus.AWAITING_REVIEW)
        .values_list("pk", flat=True)
    )
    return [pk for pk in dict.fromkeys(int(pk) for pk in submission_ids) if pk in found]


def access_submission_for_review(user, submission_id) -> Submission:
    """Return the report if ``user`` holds the reviewer role on an ancestor of its
    unit; 404 otherwise."""
    try:
        submission = Submission.objects.select_related(
            "template__regime",
            "form_version",
            "org_unit__level",
            "current_revision",
        ).get(pk=int(submission_id))
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404("No such report") from None
    unit = submission.org_unit
    for grant in grants_of(user):
        if (
            grant.role == "reviewer"
            and grant.unit_id != unit.pk
            and unit.path.startswith(grant.path)
        ):
            return submission
    raise Http404("No such report")


@dataclass(frozen=True)
class ReturnComments:
    """The latest return of a report: its reason and the comments on cells."""

    event: ApprovalEvent | None
    comments: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.event.reason if self.event else ""


def comments_for(submission: Submission) -> ReturnComments:
    """Return the reason and cell comments ("<row>:<column>" -> text) of the
    report's latest return by a reviewer."""
    event = (
        ApprovalEvent.objects.filter(submission=submission, action=EventAction.RETURN)
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    if event is None:
        return ReturnComments(None)
    comments = dict(
        CellComment.objects.filter(event=event)
        .order_by("id")
        .values_list("cell", "text")
    )
    return ReturnComments(event, comments)


def events_of(submission: Submission) -> QuerySet[ApprovalEvent]:
    return ApprovalEvent.objects.filter(submission=submission).select_related("actor")


def access_bulk_approval_by_id(user, job_id) -> BulkApproval:
    """Return the bulk approval job if ``user`` started it; 404 otherwise."""
    job = BulkApproval.objects.filter(pk=job_id, created_by_id=user.pk).first()
    if job is None:
        raise Http404("No such job")
    return job
