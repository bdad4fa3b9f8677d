"""Approval benchmark (issue 7): 3,321 post-reform commune reports, each submitted,
checked and awaiting its province's review, approved by the 34 provincial reviewers
through the reviewers' bulk approval jobs (``workflow.bulk``) in a real Celery worker (every
approval's notification and staleness check run there too), then the 34 provincial
reports compiled from them.

Target: <= 60 s from the first approval until the last compilation is stored (the
compilations run on a second queue of the same worker, beside the approvals'
effects). When every approval's effects (notification, e-mail, staleness check)
are done is printed too.
The baseline, in the same run, is one raw SQL UPDATE of the same rows to approved.
The worker is started here on a queue of its own; the setup rows are inserted in
bulk and removed afterwards. BENCH_WORKFLOW_CONCURRENCY sets the worker's processes
(default 2, the machine's cores).
"""

import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from celery import shared_task  # noqa: E402

QUEUE_ENV = "BENCH_WORKFLOW_QUEUE"
CODE = "BENCH.WORKFLOW/TK"
REGIME = "BENCH-WORKFLOW"
PERIOD = "2026M10"
USER_PREFIX = "bench-wf-"
TARGET_SECONDS = 60


def _route_to_private_queue() -> None:
    """Send every task to the benchmark's own queue (in this process and in the
    worker, which imports this module), never to a queue other workers read."""
    queue = os.environ.get(QUEUE_ENV)
    if not queue:
        return
    from config.celery import app

    app.conf.task_default_queue = queue
    app.conf.task_default_exchange = queue
    app.conf.task_default_routing_key = queue


_route_to_private_queue()


@shared_task(name="bench.workflow.ping")
def ping() -> str:
    return "pong"


@shared_task(name="bench.workflow.compile_province")
def compile_province(reviewer_id: int, template_id: int, unit_id: int) -> int:
    """Compile one province's report as its reviewer; return the reports included."""
    from django.contrib.auth import get_user_model

    from forms.models import FormTemplate
    from orgunits.models import OrgUnit
    from workflow.consolidation import consolidation_compile

    consolidation = consolidation_compile(
        acting_user=get_user_model().objects.get(pk=reviewer_id),
        template=FormTemplate.objects.get(pk=template_id),
        unit=OrgUnit.objects.get(pk=unit_id),
        period=PERIOD,
    )
    return consolidation.sources.count()


def _document() -> bytes:
    catalog = ROOT / "forms" / "catalog"
    document = json.loads((catalog / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(
        code=CODE,
        title="Biểu đo hiệu năng phê duyệt",
        period_type="month",
        deadlines=[],
    )
    document["regime"] = {**document["regime"], "code": REGIME}
    return json.dumps(document).encode()


def _cleanup() -> None:
    """Remove what an earlier run left (reports, events, users), keeping the form."""
    import pgtrigger
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from reporting.models import Assignment, Receipt, Revision, Submission
    from validation.models import ValidationResult
    from workflow.models import (
        ApprovalEvent,
        BulkApproval,
        CellComment,
        Consolidation,
        ConsolidationSource,
    )

    reports = Submission.objects.filter(template__code=CODE)
    with (
        transaction.atomic(),
        pgtrigger.ignore(
            "workflow.ApprovalEvent:approvalevent_is_immutable",
            "reporting.Revision:revision_is_immutable",
        ),
    ):
        ConsolidationSource.objects.filter(
            consolidation__submission__in=reports
        ).delete()
        Consolidation.objects.filter(submission__in=reports).delete()
        CellComment.objects.filter(submission__in=reports).delete()
        ApprovalEvent.objects.filter(submission__in=reports).delete()
        ValidationResult.objects.filter(revision__submission__in=reports).delete()
        Receipt.objects.filter(submission__in=reports).delete()
        reports.update(current_revision=None)
        Revision.objects.filter(submission__in=reports).delete()
        reports.delete()
        Assignment.objects.filter(template__code=CODE).delete()
        BulkApproval.objects.filter(
            created_by__username__startswith=USER_PREFIX
        ).delete()
        get_user_model().objects.filter(username__startswith=USER_PREFIX).delete()


def _setup():
    """Insert the form, chain, assignment, users and 3,321 reports awaiting review."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.services import role_grant
    from forms.definition.periods import parse_period
    from forms.services import form_import
    from orgunits.models import OrgLevel, OrgUnit
    from reporting.models import (
        Receipt,
        Revision,
        RevisionSource,
        Submission,
        SubmissionStatus,
    )
    from reporting.services import assignment_create
    from validation.models import ValidationResult
    from workflow.models import ApprovalChain

    version, _created = form_import(acting_user=None, text=_document())
    regime = version.template.regime
    ApprovalChain.objects.get_or_create(
        regime=regime,
        valid_from=datetime.date(2025, 7, 1),
        defaults={
            "levels": ["province", "national"],
            "top_accepts": True,
            "consolidates": True,
        },
    )
    national = OrgUnit.objects.get(level__code="national")
    assignment_create(
        acting_user=None,
        form_version=version,
        root=national,
        levels=list(OrgLevel.objects.filter(code__in=["commune", "province"])),
        first_period="2026M1",
    )
    communes = list(
        OrgUnit.objects.filter(level__code="commune", valid_to__isnull=True).order_by(
            "code"
        )
    )
    provinces = list(
        OrgUnit.objects.filter(
            level__code="province", valid_to__isnull=True, kind="area"
        ).order_by("code")
    )[: int(os.environ.get("BENCH_WORKFLOW_PROVINCES", "34"))]
    kept = {province.pk for province in provinces}
    communes = [commune for commune in communes if commune.parent_id in kept]
    users = get_user_model()
    reviewers = {}
    for province in provinces:
        reviewer = users(username=f"{USER_PREFIX}tinh-{province.code}")
        reviewer.set_unusable_password()
        reviewer.save()
        role_grant(acting_user=None, user=reviewer, unit=province, role="reviewer")
        reviewers[province.pk] = reviewer
    reporters = []
    for commune in communes:
        reporter = users(
            username=f"{USER_PREFIX}xa-{commune.code}",
            email=f"xa-{commune.code}@example.invalid",
        )
        reporter.set_unusable_password()
        reporters.append(reporter)
    period = parse_period(PERIOD)
    generator = random.Random(2026)  # noqa: S311 (test data)
    now = timezone.now()
    with transaction.atomic():
        reporters = users.objects.bulk_create(reporters)
        reports = Submission.objects.bulk_create(
            Submission(
                template=version.template,
                form_version=version,
                org_unit=commune,
                period=period.id,
                period_start=period.start,
                period_end=period.end,
                status=SubmissionStatus.AWAITING_REVIEW,
                revision_count=1,
                submitted_at=now,
                chain_levels=["province"],
                chain_top_accepts=False,
            )
            for commune in communes
        )
        revisions = []
        for report, reporter in zip(reports, reporters, strict=True):
            values = {
                f"{row:02d}:{column}": str(generator.randint(0, 50))
                for row in range(2, 18)
                for column in (2, 3, 4, 5)
            }
            revisions.append(
                Revision(
                    submission=report,
                    number=1,
                    created_by=reporter,
                    source=RevisionSource.WEB,
                    values=values,
                    digest=hashlib.sha256(json.dumps(values).encode()).hexdigest(),
                )
            )
        revisions = Revision.objects.bulk_create(revisions)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE reporting_submission s SET current_revision_id = r.id "
                "FROM reporting_revision r WHERE r.submission_id = s.id "
                "AND s.template_id = %s AND s.period = %s",
                [version.template_id, period.id],
            )
        ValidationResult.objects.bulk_create(
            ValidationResult(revision=revision) for revision in revisions
        )
        stamp = uuid.uuid4().hex[:8]
        Receipt.objects.bulk_create(
            Receipt(
                number=f"BW{stamp}-{n:05d}",
                submission=report,
                revision=revision,
                submitted_by=reporter,
                digest=revision.digest,
            )
            for n, (report, revision, reporter) in enumerate(
                zip(reports, revisions, reporters, strict=True)
            )
        )
    by_province: dict[int, list[int]] = {}
    province_of = dict(
        OrgUnit.objects.filter(pk__in=[c.pk for c in communes]).values_list(
            "pk", "parent_id"
        )
    )
    for report in reports:
        by_province.setdefault(province_of[report.org_unit_id], []).append(report.pk)
    return version, provinces, reviewers, by_province


def _baseline(submission_ids: list[int]) -> float:
    """Seconds for one raw UPDATE of the same rows to approved, rolled back."""
    from django.db import connection, transaction

    class Rollback(Exception):
        pass

    start = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE reporting_submission SET status = 'accepted', "
                "approved_levels = '{province}' WHERE id = ANY(%s)",
                [submission_ids],
            )
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    return elapsed


def _wait_for_notifications(submission_ids: list[int], *, timeout: float) -> float:
    """Wait until every approval's notification (the last of its effects) exists;
    return the time it did."""
    from reporting.models import Notification

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        done = Notification.objects.filter(
            user__username__startswith=f"{USER_PREFIX}xa-"
        ).count()
        if done >= len(submission_ids):
            break
        time.sleep(0.2)
    return time.perf_counter()


def _start_worker(queue: str, log_path: Path) -> subprocess.Popen:
    concurrency = os.environ.get("BENCH_WORKFLOW_CONCURRENCY", "2")
    env = {**os.environ, QUEUE_ENV: queue}
    log = log_path.open("wb")
    return subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            f"{queue},{queue}-compile",
            "-c",
            concurrency,
            "-I",
            "benchmarks.bench_workflow",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def run() -> None:
    from django.db import connection

    from reporting.models import Submission, SubmissionStatus

    queue = f"bench-workflow-{uuid.uuid4().hex[:12]}"
    os.environ[QUEUE_ENV] = queue
    _route_to_private_queue()
    _cleanup()
    setup_start = time.perf_counter()
    version, provinces, reviewers, by_province = _setup()
    setup_seconds = time.perf_counter() - setup_start
    all_ids = [pk for ids in by_province.values() for pk in ids]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reporting_submission")
    log_path = Path(tempfile.gettempdir()) / f"{queue}.log"
    worker = _start_worker(queue, log_path)
    try:
        ping.apply_async(queue=queue).get(timeout=120)
        start = time.perf_counter()
        # The product's path: each provincial reviewer starts a bulk approval job
        # (as the "approve selected" button does); the worker runs the jobs.
        from workflow.bulk import bulk_approval_start
        from workflow.models import BulkApproval

        jobs = [
            bulk_approval_start(
                acting_user=reviewers[province.pk],
                submission_ids=by_province[province.pk],
            ).pk
            for province in provinces
            if province.pk in by_province
        ]
        while (
            BulkApproval.objects.filter(pk__in=jobs)
            .exclude(status__in=["finished", "failed"])
            .exists()
        ):
            time.sleep(0.2)
        approved = sum(
            sum(1 for outcome in job.outcomes if outcome["approved"])
            for job in BulkApproval.objects.filter(pk__in=jobs)
        )
        approve_seconds = time.perf_counter() - start
        compiles = [
            compile_province.apply_async(
                (reviewers[province.pk].pk, version.template_id, province.pk),
                queue=f"{queue}-compile",
            )
            for province in provinces
        ]
        included = sum(result.get(timeout=1800) for result in compiles)
        total = time.perf_counter() - start
        drained = _wait_for_notifications(all_ids, timeout=1800) - start
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    final = Submission.objects.filter(
        pk__in=all_ids, status=SubmissionStatus.ACCEPTED
    ).count()
    baseline = _baseline(all_ids)
    print(
        f"Bulk approval of {len(all_ids)} commune reports by {len(provinces)} "
        "provincial reviewers, then compilation of the provincial reports "
        "(real worker)"
    )
    print(f"  setup (bulk insert, not timed): {setup_seconds:6.1f} s")
    print(
        f"  approvals: {approve_seconds:6.1f} s  ({approved} approved, {final} final)"
    )
    print(f"  compilations: {total - approve_seconds:6.1f} s  ({included} included)")
    print(
        f"  total: {total:6.1f} s   target <= {TARGET_SECONDS} s: "
        f"{'met' if total <= TARGET_SECONDS else 'MISSED'}"
    )
    print(
        f"  baseline: {baseline * 1000:8.1f} ms (one raw UPDATE of the same rows); "
        f"ratio {total / baseline:,.0f}x"
    )
    print(
        f"  every approval's effects (notification, e-mail, staleness check) done "
        f"after {drained:6.1f} s"
    )
    print(f"  worker log: {log_path}")
    _cleanup()


if __name__ == "__main__":
    import django

    django.setup()
    run()
