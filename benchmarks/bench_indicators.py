"""The indicator store at national scale.

1. National rollup of one period: 10,599 legacy units (every commune, then
   districts in path order) x 500 cells (5 indicators x a 100-code dimension),
   5.3 million synthetic observations loaded with COPY. Subject: ``rollup`` of each
   indicator at the district level (every district's reported value beside the sum
   of its communes, flagged). Baseline: one raw SQL GROUP BY over the same rows
   (values summed per parent unit, indicator and dimension key, nothing beside
   them). Target: <= 2x.
2. One indicator, all 63 pre-2025 provinces, 60 months through
   ``observations_query``: p50/p95, target < 100 ms; baseline a raw SQL SELECT
   of the same rows and columns (no sorting, no row objects).

Everything happens in a transaction rolled back at the end: the dev database is left
as it was. Foreign keys of the synthetic rows point at one real report, revision
and approval event.
"""

from __future__ import annotations

import datetime
import io
import json
import time
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from forms.definition.periods import parse_period
from forms.services import form_import
from indicators.models import Indicator
from indicators.selectors import observations_query, rollup
from indicators.services import dimension_save, indicator_save
from orgunits.models import OrgUnit
from orgunits.services import LEGACY_END
from reporting.models import Revision, Submission
from workflow.models import ApprovalEvent

CATALOG = Path(__file__).resolve().parent.parent / "forms" / "catalog"
UNITS = 10_599
INDICATORS = 5
CODES = 100
PERIOD = "2025M1"
MONTHS = 60
BUDGET_MS = 100


class _RollBack(Exception):
    pass


def _lineage():
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(code="BENCH-IND.N", title="Biểu đo hiệu năng chỉ tiêu")
    version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    unit = OrgUnit.objects.get(parent__isnull=True)
    period = parse_period("2025")
    submission = Submission.objects.create(
        template=version.template,
        form_version=version,
        org_unit=unit,
        period=period.id,
        period_start=period.start,
        period_end=period.end,
        status="accepted",
    )
    revision = Revision.objects.create(
        submission=submission, number=1, source="web", values={}, digest="bench"
    )
    event = ApprovalEvent.objects.create(
        submission=submission,
        revision=revision,
        action="approve",
        from_status="awaiting_review",
        to_status="accepted",
    )
    return submission.pk, revision.pk, event.pk


def _copy(rows) -> int:
    """COPY ``rows`` (tuples of the columns below) into the store."""
    columns = (
        "indicator_id, dim_key, dims, org_unit_id, period, period_start, period_end, "
        "value, status, is_current, published_at, submission_id, revision_id, "
        "approval_event_id"
    )
    count = 0
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY indicators_observation ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(map(str, row)) + "\n")
                count += 1
                if count % 100_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE indicators_observation")
    return count


def _load_cells(lineage) -> tuple[list[Indicator], int]:
    dimension_save(
        acting_user=None,
        code="BENCHCELL",
        name="Ô đo hiệu năng",
        codes=[(f"C{n:03d}", f"Ô {n}") for n in range(1, CODES + 1)],
    )
    indicators = [
        indicator_save(
            acting_user=None,
            code=f"BENCH.R{n}",
            name=f"Chỉ tiêu đo {n}",
            dimensions=["BENCHCELL"],
        )
        for n in range(1, INDICATORS + 1)
    ]
    legacy = OrgUnit.objects.filter(valid_to=LEGACY_END).exclude(level__code="province")
    units = list(
        legacy.order_by("-level__rank", "path").values_list("pk", flat=True)[:UNITS]
    )
    period = parse_period(PERIOD)
    now = timezone.now().isoformat()
    submission_id, revision_id, event_id = lineage

    def rows():
        for indicator in indicators:
            for n in range(1, CODES + 1):
                key = f"BENCHCELL=C{n:03d}"
                dims = json.dumps({"BENCHCELL": f"C{n:03d}"})
                for unit_id in units:
                    yield (
                        indicator.pk,
                        key,
                        dims,
                        unit_id,
                        period.id,
                        period.start,
                        period.end,
                        (unit_id * 7 + n) % 1000,
                        "official",
                        "t",
                        now,
                        submission_id,
                        revision_id,
                        event_id,
                    )

    started = time.perf_counter()
    count = _copy(rows())
    print(
        f"  loaded {count:,} observations ({len(units):,} units x "
        f"{INDICATORS * CODES} cells) with COPY in {time.perf_counter() - started:.1f} s"
    )
    return indicators, len(units)


def _best(function, repeats: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - started)
    samples.sort()
    return samples[len(samples) // 2], result


def bench_rollup(lineage) -> None:
    indicators, units = _load_cells(lineage)

    def subject():
        return sum(
            len(
                rollup(
                    unit_paths=None, indicator=i.code, period=PERIOD, level="district"
                )
            )
            for i in indicators
        )

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.parent_id, o.indicator_id, o.dim_key, SUM(o.value)
                FROM indicators_observation o
                JOIN orgunits_orgunit c ON c.id = o.org_unit_id
                WHERE o.indicator_id = ANY(%s) AND o.period = %s AND o.is_current
                GROUP BY c.parent_id, o.indicator_id, o.dim_key
                """,
                [[i.pk for i in indicators], parse_period(PERIOD).id],
            )
            return len(cursor.fetchall())

    subject()  # warm caches and plans
    baseline()
    subject_s, rows = _best(subject, 3)
    baseline_s, groups = _best(baseline, 3)
    print(f"National rollup of {PERIOD}: {units:,} units x {INDICATORS * CODES} cells")
    print(
        f"  subject : rollup(level='district') x 5 indicators: {subject_s * 1000:9.1f} ms ({rows:,} rows)"
    )
    print(
        f"  baseline: raw SQL GROUP BY of the same rows: {baseline_s * 1000:9.1f} ms ({groups:,} groups)"
    )
    print(
        f"  ratio subject/baseline (p50): {subject_s / baseline_s:.2f}x (target <= 2x)"
    )


def bench_sixty_months(lineage) -> None:
    indicator_save(acting_user=None, code="BENCH.M", name="Chỉ tiêu tháng đo")
    indicator = Indicator.objects.get(code="BENCH.M")
    provinces = list(
        OrgUnit.objects.filter(level__code="province", valid_to=LEGACY_END).values_list(
            "pk", flat=True
        )
    )
    months = [parse_period(f"{2021 + m // 12}M{m % 12 + 1}") for m in range(MONTHS)]
    now = timezone.now().isoformat()
    submission_id, revision_id, event_id = lineage
    _copy(
        (
            indicator.pk,
            "",
            "{}",
            unit_id,
            p.id,
            p.start,
            p.end,
            unit_id % 997,
            "official",
            "t",
            now,
            submission_id,
            revision_id,
            event_id,
        )
        for unit_id in provinces
        for p in months
    )
    expected = len(provinces) * MONTHS

    def subject():
        rows = observations_query(
            unit_paths=None,
            indicators=["BENCH.M"],
            level="province",
            period_from="2021M01",
            period_to="2025M12",
        )
        assert len(rows) == expected, len(rows)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.code, o.dim_key, o.dims, u.code, u.name, l.code, o.period,
                       o.value, o.status, o.published_at, o.revision_id,
                       o.approval_event_id
                FROM indicators_observation o
                JOIN indicators_indicator i ON i.id = o.indicator_id
                JOIN orgunits_orgunit u ON u.id = o.org_unit_id
                JOIN orgunits_orglevel l ON l.id = u.level_id
                WHERE o.indicator_id = %s AND o.is_current AND l.code = 'province'
                  AND o.period_start >= %s AND o.period_end <= %s
                """,
                [indicator.pk, months[0].start, months[-1].end],
            )
            assert len(cursor.fetchall()) == expected

    from benchmarks.run import report, timed

    subject_samples = timed(subject, repeats=50)
    report(
        f"One indicator, {len(provinces)} provinces x {MONTHS} months "
        f"({expected:,} rows) through observations_query (target p95 < {BUDGET_MS} ms)",
        subject_samples,
        timed(baseline, repeats=50),
        "raw SQL SELECT of the same rows and columns, unsorted, no row objects",
    )


def run() -> None:
    print(f"Indicator store (built {datetime.date.today():%d/%m/%Y}, rolled back)")
    try:
        with transaction.atomic():
            lineage = _lineage()
            bench_sixty_months(lineage)
            bench_rollup(lineage)
            raise _RollBack
    except _RollBack:
        pass
