"""Committing a bulk workbook: many reports saved together, each judged on its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import role_grant
from forms.definition.periods import parse_period
from imports.export import bulk_workbook
from imports.models import ImportReportStatus
from imports.services import import_job_commit, import_job_confirm
from reporting.models import Revision, Submission
from reporting.services import submission_open, submission_save_draft
from tests.imports.factories import report_setup, upload

pytestmark = pytest.mark.django_db


def _bulk_upload(setup, periods, *, units=None):
    role_grant(
        acting_user=None,
        user=setup.reporter,
        unit=setup.tree.sibling_commune,
        role="reporter",
    )
    reports = [
        (unit, parse_period(period), {"02:2": str(index), "04:5": "7"})
        for index, (unit, period) in enumerate(
            (unit, period)
            for period in periods
            for unit in units or (setup.unit, setup.tree.sibling_commune)
        )
    ]
    return upload(setup.reporter, bulk_workbook(setup.version, reports))


def test_a_report_saved_meanwhile_is_refused_and_the_others_are_committed():
    # given a previewed upload of four reports, one of which is then saved on the web
    setup = report_setup()
    job = _bulk_upload(setup, ["2024", "2025"])
    submission = submission_open(
        acting_user=setup.reporter,
        form_version=setup.version,
        unit=setup.unit,
        period="2025",
    )
    submission_save_draft(
        acting_user=setup.reporter,
        submission=submission,
        raw_values={"02:2": "9"},
        base_revision=0,
    )

    # when the upload is committed
    import_job_confirm(acting_user=setup.reporter, job=job, enqueue=False)
    job = import_job_commit(job_id=job.pk)

    # then the web save wins for that report, and the three others are imported
    statuses = {
        (r.unit_code, r.period): r.status for r in job.reports.order_by("position")
    }
    assert statuses[(setup.unit.code, "2025")] == ImportReportStatus.CONFLICT
    assert sorted(statuses.values()).count(ImportReportStatus.COMMITTED) == 3
    assert Revision.objects.filter(source="excel").count() == 3
    web = Submission.objects.get(org_unit=setup.unit, period="2025")
    assert web.current_revision.values["02:2"] == "9"
    assert job.summary["counts"]["created"] == 6
    codes = [c["code"] for c in job.summary["conflicts"]]
    assert codes == ["changed_meanwhile"]


def test_commit_queries_do_not_grow_with_the_number_of_reports():
    # given two uploads, of one report and of four
    setup = report_setup()
    small = _bulk_upload(setup, ["2024"], units=[setup.unit])
    import_job_confirm(acting_user=setup.reporter, job=small, enqueue=False)
    with CaptureQueriesContext(connection) as few:
        import_job_commit(job_id=small.pk)
    large = _bulk_upload(setup, ["2024", "2025"])
    import_job_confirm(acting_user=setup.reporter, job=large, enqueue=False)

    # when the larger one is committed
    with CaptureQueriesContext(connection) as many:
        job = import_job_commit(job_id=large.pk)

    # then the three new reports are imported, with as many queries as one report
    statuses = sorted(r.status for r in job.reports.all())
    assert statuses == [ImportReportStatus.COMMITTED] * 3 + [
        ImportReportStatus.UNCHANGED
    ]
    assert len(many) <= len(few) + 2


def test_new_reports_are_stored_with_their_first_revision_in_one_event_each():
    # given a previewed upload of reports none of which is stored yet
    setup = report_setup()
    job = _bulk_upload(setup, ["2024", "2025"])
    events = Submission.pgh_event_model.objects

    # when it is committed
    import_job_confirm(acting_user=setup.reporter, job=job, enqueue=False)
    job = import_job_commit(job_id=job.pk)

    # then each report is stored pointing at its first revision, recorded by one
    # audited insert of the import's commit (no separate update)
    assert job.summary["status"] == "SUCCESS", job.summary["conflicts"]
    submissions = Submission.objects.filter(template=setup.version.template)
    assert submissions.count() == 4
    for submission in submissions.select_related("current_revision"):
        assert submission.revision_count == 1
        assert submission.current_revision.number == 1
        assert submission.current_revision.submission_id == submission.pk
        found = events.filter(pgh_obj_id=submission.pk)
        assert [e.pgh_label for e in found] == ["insert"]
        assert found.get().pgh_context.metadata["action"] == "import_job_commit"


def test_a_report_opened_meanwhile_is_saved_on_with_the_others(monkeypatch):
    import imports.commit

    # given a previewed upload of four new reports, one of which another officer
    # opens (without saving) just as the commit opens them
    setup = report_setup()
    job = _bulk_upload(setup, ["2024", "2025"])
    real_open = imports.commit.submissions_open_bulk
    opened_meanwhile = []

    def open_while_another_opens(*, acting_user, keys, create=True):
        found = real_open(acting_user=acting_user, keys=keys, create=create)
        if not opened_meanwhile:
            opened_meanwhile.append(
                submission_open(
                    acting_user=setup.reporter,
                    form_version=setup.version,
                    unit=setup.unit,
                    period="2025",
                )
            )
        return found

    monkeypatch.setattr(
        imports.commit, "submissions_open_bulk", open_while_another_opens
    )

    # when the upload is committed
    import_job_confirm(acting_user=setup.reporter, job=job, enqueue=False)
    job = import_job_commit(job_id=job.pk)

    # then all four are imported, the one opened meanwhile keeping its report
    assert job.summary["status"] == "SUCCESS", job.summary["conflicts"]
    assert {r.status for r in job.reports.all()} == {ImportReportStatus.COMMITTED}
    (meanwhile,) = opened_meanwhile
    meanwhile.refresh_from_db()
    assert meanwhile.revision_count == 1
    assert Submission.objects.filter(template=setup.version.template).count() == 4
    assert (
        Revision.objects.filter(submission__template=setup.version.template).count()
        == 4
    )


def test_a_unit_no_longer_reported_for_at_commit_is_refused_by_name():
    from accounts.services import role_revoke

    # given a previewed upload for two communes, then the uploader loses the
    # reporter role of one of them
    setup = report_setup()
    job = _bulk_upload(setup, ["2025"])
    role_revoke(
        acting_user=None,
        user=setup.reporter,
        unit=setup.tree.sibling_commune,
        role="reporter",
    )

    # when the upload is committed
    import_job_confirm(acting_user=setup.reporter, job=job, enqueue=False)
    job = import_job_commit(job_id=job.pk)

    # then that commune's report is refused, naming it, and the other imported
    statuses = {r.unit_code: r.status for r in job.reports.all()}
    assert statuses == {
        setup.unit.code: ImportReportStatus.COMMITTED,
        setup.tree.sibling_commune.code: ImportReportStatus.REFUSED,
    }
    (conflict,) = job.summary["conflicts"]
    assert conflict["code"] == "report_not_editable"
    assert setup.tree.sibling_commune.name in conflict["message"]
