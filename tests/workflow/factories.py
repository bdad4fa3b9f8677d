"""Reports on their way up a chain, for tests of the reviewer's desk: a small tree,
form 0603 assigned to its communes, reviewers at every level, and reports sent up
through the real services (save, submit, check, record the check's outcome)."""

import datetime
from dataclasses import dataclass

from reporting.models import Submission
from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.orgunits.factories import SmallTree, make_small_tree
from tests.reporting.factories import assign, catalog_version
from validation.services import submission_validate_after_submit
from workflow.models import ApprovalChain
from workflow.services import submission_submit, submission_validation_record

DAY = datetime.date(2026, 3, 1)
CLEAN = {"02:2": "120", "03:2": "15", "04:2": "30", "11:2": "150"}
# Row 03 ("of which") exceeds its parent row 02: an error of the form's own checks.
WITH_ERROR = {**CLEAN, "03:2": "150"}


@dataclass
class Desk:
    tree: SmallTree
    version: object
    reporter: object
    sibling_reporter: object
    other_reporter: object
    district_reviewer: object
    other_district_reviewer: object
    province_reviewer: object
    national_reviewer: object


def make_desk(*, levels=("district", "province", "national"), top_accepts=True) -> Desk:
    """Build the tree, the form, a chain where every level approves (no
    consolidation) and a reporter or reviewer for each unit."""
    tree = make_small_tree()
    version = catalog_version()
    assign(version, tree.province, first_period="2024")
    ApprovalChain.objects.create(
        regime=version.template.regime,
        valid_from=datetime.date(2000, 1, 1),
        levels=list(levels),
        top_accepts=top_accepts,
        consolidates=False,
    )
    return Desk(
        tree=tree,
        version=version,
        reporter=make_user(
            username="xa.an.hoa", role="reporter", unit=tree.commune, full_name="Lê Hoa"
        ),
        sibling_reporter=make_user(role="reporter", unit=tree.sibling_commune),
        other_reporter=make_user(role="reporter", unit=tree.other_commune),
        district_reviewer=make_user(
            username="huyen.an.binh",
            role="reviewer",
            unit=tree.district,
            full_name="Trần Văn Duyệt",
        ),
        other_district_reviewer=make_user(role="reviewer", unit=tree.other_district),
        province_reviewer=make_user(role="reviewer", unit=tree.province),
        national_reviewer=make_user(role="reviewer", unit=tree.national),
    )


def send_report(
    desk: Desk, unit, reporter, values=None, *, period: str = "2025"
) -> Submission:
    """Save ``values`` as the unit's report, submit it and record its check, as the
    worker would: clean figures leave it awaiting review, errors return it."""
    submission = submission_open(
        acting_user=reporter, form_version=desk.version, unit=unit, period=period
    )
    saved = submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values=CLEAN if values is None else values,
        base_revision=submission.revision_count,
        today=DAY,
    )
    submission_submit(
        acting_user=reporter,
        submission=submission,
        base_revision=saved.revision.number,
        today=DAY,
    )
    result = submission_validate_after_submit(
        submission_id=submission.pk, revision_id=saved.revision.pk
    )
    submission_validation_record(
        submission_id=submission.pk,
        revision_id=saved.revision.pk,
        errors=result.errors,
    )
    return Submission.objects.get(pk=submission.pk)
