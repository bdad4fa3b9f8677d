"""The inbox of a reviewer above every post-2025 commune: 3,321 communes x 12 months.

The issue asks for "a province reviewer with 3,321 communes x 12 periods". No
province has that many communes after the reform (Hồ Chí Minh City, the largest, has
168), so the reviewer is granted on the national root, whose subtree holds all 3,321:
the same query shape, the largest case. Everything is built inside a transaction that
is rolled back at the end; the dev database is left as it was.

Timed: the first page of "My reports" through the Django test client (routing,
session, the SQL, the template), p50/p95 over 20 requests. Baseline in the same run: a
plain COUNT(*) of the same units x periods in SQL.
"""

from __future__ import annotations

import datetime
import json
import statistics
import time
from pathlib import Path

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import role_grant, user_create
from forms.definition.model import PeriodType
from forms.definition.periods import period_containing
from forms.services import form_import
from orgunits.models import OrgLevel, OrgUnit
from orgunits.services import REFORM_DATE
from reporting.models import Submission, SubmissionStatus
from reporting.services import assignment_create

CATALOG = Path(__file__).resolve().parent.parent / "forms" / "catalog"
REQUESTS = 20
PERIODS = 12
BUDGET_MS = 300


class _RollBack(Exception):
    pass


def _monthly_version():
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(
        code="BENCH-INBOX.T",
        title="Biểu đo hiệu năng hằng tháng",
        period_type="month",
        deadlines=[{"kind": "days_after_period", "days": 10, "label": "10 ngày"}],
    )
    version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    return version


def _periods(today: datetime.date):
    period = period_containing(PeriodType.MONTH, today)
    periods = [period]
    while len(periods) < PERIODS:
        period = period.previous()
        periods.append(period)
    return list(reversed(periods))


def _build(today: datetime.date):
    national = OrgUnit.objects.get(level__code="national", parent__isnull=True)
    commune_level = OrgLevel.objects.get(code="commune")
    communes = list(
        OrgUnit.objects.filter(
            level=commune_level, valid_from=REFORM_DATE, valid_to__isnull=True
        ).order_by("path")
    )
    version = _monthly_version()
    periods = _periods(today)
    assignment_create(
        acting_user=None,
        form_version=version,
        root=national,
        levels=[commune_level],
        first_period=periods[0].id,
    )
    reviewer = user_create(
        acting_user=None, username="bench-inbox-reviewer", password="x" * 16
    )
    role_grant(acting_user=None, user=reviewer, unit=national, role="reviewer")
    # A third of the reports exist: mostly submitted, some drafts and approvals.
    cycle = [
        SubmissionStatus.SUBMITTED,
        SubmissionStatus.SUBMITTED,
        SubmissionStatus.DRAFT,
        SubmissionStatus.APPROVED,
    ]
    now = timezone.now()
    submissions = [
        Submission(
            template=version.template,
            form_version=version,
            org_unit=commune,
            period=period.id,
            period_start=period.start,
            period_end=period.end,
            status=cycle[(index + offset) % len(cycle)],
            submitted_at=now,
        )
        for index, commune in enumerate(communes)
        for offset, period in enumerate(periods)
        if (index + offset) % 3 == 0
    ]
    Submission.objects.bulk_create(submissions, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgunits_orgunit")
        cursor.execute("ANALYZE reporting_submission")
    return national, commune_level, communes, periods, reviewer, len(submissions)


def _ms(samples: list[float]) -> tuple[float, float]:
    p50 = statistics.median(samples) * 1000
    p95 = statistics.quantiles(samples, n=20)[18] * 1000
    return p50, p95


def _time(function) -> list[float]:
    function()
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def run() -> bool:
    """Print the timings; return whether the first page stays under 300 ms (p95)."""
    today = timezone.localdate()
    try:
        with transaction.atomic():
            national, level, communes, periods, reviewer, submitted = _build(today)
            client = Client(HTTP_HOST="localhost")
            client.force_login(reviewer)
            url = reverse("reporting:inbox")

            def first_page():
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            def baseline():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM orgunits_orgunit u "
                        "CROSS JOIN generate_series(1, %s) p "
                        "WHERE u.path LIKE %s AND u.level_id = %s "
                        "AND (u.valid_to IS NULL OR u.valid_to >= %s)",
                        [len(periods), national.path + "%", level.pk, periods[0].start],
                    )
                    (count,) = cursor.fetchone()
                    assert count == len(communes) * len(periods), count

            subject = _time(first_page)
            base = _time(baseline)
            raise _RollBack((subject, base, len(communes), submitted))
    except _RollBack as done:
        subject, base, commune_count, submitted = done.args[0]
    p50, p95 = _ms(subject)
    base50, base95 = _ms(base)
    holds = p95 < BUDGET_MS
    print(
        f"Inbox first page of a reviewer on the national root "
        f"({commune_count} communes x {PERIODS} months = "
        f"{commune_count * PERIODS} obligations, {submitted} reports exist; no "
        f"province has {commune_count} communes, so the national root stands in)"
    )
    print(f"  subject : p50 {p50:8.3f} ms   p95 {p95:8.3f} ms  (GET, test client)")
    print(
        f"  baseline: p50 {base50:8.3f} ms   p95 {base95:8.3f} ms  "
        "(COUNT(*) of the same units x periods in SQL)"
    )
    print(f"  ratio subject/baseline (p50): {p50 / base50:.2f}x")
    print(f"  p95 < {BUDGET_MS} ms: {'yes' if holds else 'NO'}")
    return holds
