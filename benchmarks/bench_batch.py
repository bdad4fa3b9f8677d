"""National batch run benchmark: 50 rules on each of 10,599 commune reports of a
300-cell form, values fetched from PostgreSQL and evaluated, as validation_batch_run
does it (chunks of 1,000: bulk fetch, then evaluate in memory).

Target (issue 6): <= 10 s for the 530,000 evaluations including the fetch. The
baseline, measured in the same run, is one query reading the same reports' values.
Everything is created inside a transaction that is rolled back.

BENCH_BATCH_REPORTS sets the number of reports (default 10599).
"""

import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROWS = tuple(f"{n:02d}" for n in range(1, 61))
COLUMNS = (1, 2, 3, 4, 5)
PERIOD = "2026M10"
CODE = "BENCH.BATCH/TK"


class _Rollback(Exception):
    pass


def _document() -> bytes:
    catalog = Path(__file__).resolve().parent.parent / "forms" / "catalog"
    document = json.loads((catalog / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(
        code=CODE,
        title="Biểu đo hiệu năng kiểm tra hàng loạt",
        period_type="month",
        deadlines=[],
        cells=[],
        reporters={**document["reporters"], "levels": ["commune"]},
        columns=[{"number": n, "label": f"Cột {n}"} for n in COLUMNS],
        rows=[{"code": row, "label": f"Chỉ tiêu {row}"} for row in ROWS],
    )
    return json.dumps(document).encode()


def _values(generator: random.Random) -> dict[str, str]:
    values = {
        (row, column): generator.randint(0, 500) for row in ROWS for column in COLUMNS
    }
    for n in range(20):
        for column in COLUMNS:
            parent = values[(ROWS[n], column)]
            values[(ROWS[n + 20], column)] = generator.randint(0, parent)
    for n in range(10):
        a, b = values[(ROWS[50 + n % 5], 2)], values[(ROWS[55 + n % 5], 2)]
        values[(ROWS[40 + n], 2)] = max(values[(ROWS[40 + n], 2)], a + b)
    for row in ROWS[:20]:
        values[(row, 1)] = sum(values[(row, c)] for c in (2, 3, 4, 5))
    if generator.random() < 0.05:
        values[(ROWS[0], 1)] += 1  # a seeded wrong total
    return {f"{row}:{column}": str(value) for (row, column), value in values.items()}


def run() -> None:
    from bench_validation import _rules
    from django.db import connection, transaction
    from django.utils import timezone

    from forms.definition.periods import parse_period
    from forms.services import form_import
    from orgunits.models import OrgUnit
    from reporting.models import Revision, RevisionSource, Submission
    from validation.batch import batch_chunks
    from validation.models import ValidationRule
    from validation.services import submissions_validate

    wanted = int(os.environ.get("BENCH_BATCH_REPORTS", "10599"))
    generator = random.Random(2026)
    period = parse_period(PERIOD)
    results = {}
    try:
        with transaction.atomic():
            version, _created = form_import(acting_user=None, text=_document())
            ValidationRule.objects.bulk_create(
                ValidationRule(
                    template=version.template,
                    code=rule.code,
                    name=rule.code,
                    left=rule.left,
                    operator=rule.operator,
                    right=rule.right,
                    message="{left} / {right}",
                )
                for rule in _rules()
            )
            units = list(
                OrgUnit.objects.filter(level__code="commune").order_by("pk")[:wanted]
            )
            submissions = Submission.objects.bulk_create(
                Submission(
                    template=version.template,
                    form_version=version,
                    org_unit=unit,
                    period=period.id,
                    period_start=period.start,
                    period_end=period.end,
                    revision_count=1,
                )
                for unit in units
            )
            revisions = []
            for submission in submissions:
                values = _values(generator)
                revisions.append(
                    Revision(
                        submission=submission,
                        number=1,
                        source=RevisionSource.WEB,
                        values=values,
                        digest=hashlib.sha256(
                            json.dumps(values, sort_keys=True).encode()
                        ).hexdigest(),
                        created_at=timezone.now(),
                    )
                )
            revisions = Revision.objects.bulk_create(revisions, batch_size=2000)
            for submission, revision in zip(submissions, revisions, strict=True):
                submission.current_revision = revision
            Submission.objects.bulk_update(
                submissions, ["current_revision"], batch_size=2000
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE reporting_submission")
                cursor.execute("ANALYZE reporting_revision")
            batch_reports = Submission.objects.filter(
                period=period.id, template=version.template
            )

            profiler = None
            if os.environ.get("BENCH_BATCH_PROFILE"):
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            start = time.perf_counter()
            checked = violations = 0
            for chunk in batch_chunks(batch_reports):
                found = submissions_validate(chunk)
                checked += len(chunk)
                violations += sum(len(found[s.pk]) for s in chunk)
            results["subject"] = time.perf_counter() - start
            if profiler is not None:
                profiler.disable()
                profiler.print_stats("cumulative")

            start = time.perf_counter()
            fetched = list(batch_reports.values_list("current_revision__values"))
            results["baseline"] = time.perf_counter() - start
            results.update(
                checked=checked,
                violations=violations,
                fetched=len(fetched),
                rules=ValidationRule.objects.filter(template=version.template).count(),
            )
            raise _Rollback
    except _Rollback:
        pass

    subject, baseline = results["subject"], results["baseline"]
    evaluations = results["checked"] * results["rules"]
    print(
        f"National batch run: {results['rules']} rules x {results['checked']} reports"
        f" = {evaluations:,} evaluations (fetch from PostgreSQL + evaluate)"
    )
    print(f"  subject : {subject:8.3f} s  ({evaluations / subject:,.0f} evaluations/s)")
    print(
        f"  baseline: {baseline:8.3f} s  (one query reading the same"
        f" {results['fetched']:,} reports' values)"
    )
    print(f"  ratio subject/baseline: {subject / baseline:.2f}x")
    print(
        f"  target <= 10 s: {'met' if subject <= 10 else 'NOT met'}"
        f" ({results['violations']} violations found)"
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    run()
