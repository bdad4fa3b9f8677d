"""Benchmarks, each printed as a ratio against a baseline measured in the same run.

Run with `make bench`. Timings vary between machines; ratios are what to compare.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from orgunits.models import OrgUnit  # noqa: E402
from orgunits.services import LEGACY_END, admin_units_load  # noqa: E402

REPEATS = 200


def timed(function, repeats=REPEATS) -> list[float]:
    function()  # warm caches and plans
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def report(name: str, subject: list[float], baseline: list[float], baseline_name: str):
    p50, base50 = statistics.median(subject), statistics.median(baseline)
    p95 = statistics.quantiles(subject, n=20)[18]
    base95 = statistics.quantiles(baseline, n=20)[18]
    print(f"{name}")
    print(f"  subject : p50 {p50 * 1000:8.3f} ms   p95 {p95 * 1000:8.3f} ms")
    print(
        f"  baseline: p50 {base50 * 1000:8.3f} ms   p95 {base95 * 1000:8.3f} ms  ({baseline_name})"
    )
    print(f"  ratio subject/baseline (p50): {p50 / base50:.2f}x")


def bench_subtree() -> None:
    """All units below a province: materialized-path prefix scan vs recursive CTE."""
    province = OrgUnit.objects.get(
        level__code="province", code="01", valid_to=LEGACY_END
    )
    expected = OrgUnit.objects.filter(path__startswith=province.path).count()

    def by_path():
        rows = list(
            OrgUnit.objects.filter(path__startswith=province.path).values_list(
                "id", flat=True
            )
        )
        assert len(rows) == expected

    def by_recursive_cte():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH RECURSIVE below(id) AS (
                    SELECT id FROM orgunits_orgunit WHERE id = %s
                    UNION ALL
                    SELECT child.id FROM orgunits_orgunit child
                    JOIN below ON child.parent_id = below.id
                )
                SELECT id FROM below
                """,
                [province.pk],
            )
            assert len(cursor.fetchall()) == expected

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgunits_orgunit")
    report(
        f"Subtree of Hà Nội (pre-2025, {expected} units)",
        timed(by_path),
        timed(by_recursive_cte),
        "recursive CTE over the indexed parent_id",
    )


def main() -> int:
    admin_units_load()
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}")
    bench_subtree()
    import bench_validation

    bench_validation.run()
    import bench_batch

    bench_batch.run()
    from benchmarks import inbox

    inbox.run()
    from benchmarks import entry

    entry.run()
    # benchmarks/imports.py shares its name with the imports app: load it by path.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_imports", Path(__file__).with_name("imports.py")
    )
    bench_imports = importlib.util.module_from_spec(spec)
    # Registered, so the functions it runs in a child process can be pickled.
    sys.modules["bench_imports"] = bench_imports
    spec.loader.exec_module(bench_imports)
    bench_imports.run()
    import bench_api

    bench_api.run()
    from benchmarks import bench_indicators

    bench_indicators.run()
    import bench_workflow

    bench_workflow.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
