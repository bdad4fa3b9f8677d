"""Push API ingest: data values per second stored as report revisions through the
real endpoint (POST /api/v1/dataValueSets with the Django test client), against
PostgreSQL COPY of the same rows into a scratch table, measured in the same run.

Run by benchmarks/run.py, or alone: ``python benchmarks/bench_api.py``. One request
holds API_BENCH_UNITS units (default 200) x API_BENCH_CELLS values (default 300);
everything written runs in a transaction that is rolled back.

Target (issue 8): >= 50,000 values/s into revisions.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from bench_setup import communes_reporting, form_document  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from api.services import token_create  # noqa: E402
from reporting.models import Revision  # noqa: E402

UNITS = int(os.environ.get("API_BENCH_UNITS", "200"))
CELLS = int(os.environ.get("API_BENCH_CELLS", "300"))
COLUMNS = 5
FORM_CODE = "BENCH.N/DAY-API"
PERIOD = "2025"
REPEATS = 3
TARGET = 50_000  # values/s into revisions (issue 8)


class _Rollback(Exception):
    pass


def _form_document(rows: int) -> bytes:
    return form_document(
        code=FORM_CODE,
        title="Biểu đo hiệu năng API",
        regime="BENCH-API-REGIME",
        rows=rows,
        columns=[
            {"number": n, "label": f"Cột {n}", "data_type": "integer"}
            for n in range(1, COLUMNS + 1)
        ],
    )


def _rows(codes: list[str], rows: int, shift: int):
    for index, code in enumerate(codes):
        for row in range(1, rows + 1):
            for column in range(1, COLUMNS + 1):
                yield (
                    code,
                    f"{row:03d}",
                    column,
                    str(index * 7 + row * 3 + column + shift),
                )


def _body(codes: list[str], rows: int, shift: int) -> bytes:
    sets: dict[str, list] = {}
    for code, row, column, value in _rows(codes, rows, shift):
        sets.setdefault(code, []).append(
            {"dataElement": row, "categoryOptionCombo": column, "value": value}
        )
    return json.dumps(
        {
            "dataValueSets": [
                {
                    "dataSet": FORM_CODE,
                    "period": PERIOD,
                    "orgUnit": code,
                    "dataValues": values,
                }
                for code, values in sets.items()
            ]
        }
    ).encode()


def _copy(codes: list[str], rows: int, shift: int) -> float:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY bench_api_scratch (unit, period, row_code, col, value) FROM STDIN"
        ) as copy:
            for code, row, column, value in _rows(codes, rows, shift):
                copy.write_row((code, PERIOD, row, column, value))
    return time.perf_counter() - start


def run() -> None:
    rows = max(1, CELLS // COLUMNS)
    values = UNITS * rows * COLUMNS
    print(f"Push API ingest: {UNITS} units x {rows * COLUMNS} values per request")
    try:
        with transaction.atomic():
            _run(rows, values)
            raise _Rollback
    except _Rollback:
        pass


def _run(rows: int, values: int) -> None:
    version, codes = communes_reporting(
        _form_document(rows), prefix="BAPI", label="đo API", count=UNITS, period=PERIOD
    )
    user = get_user_model().objects.create_user(
        username="bench-api", password=None, is_superuser=True
    )
    _token, key = token_create(
        acting_user=user, name="bench", user=user, can_push=True, rate_limit=100_000
    )
    client = Client(SERVER_NAME="localhost")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_api_scratch (unit text, period text, "
            "row_code text, col int, value text)"
        )
    # COPY runs right after each push, so that both see the same load on a shared
    # machine and the ratio compares like with like.
    push_times, copy_times = [], []
    for repeat in range(REPEATS):
        body = _body(codes, rows, shift=repeat)
        start = time.perf_counter()
        response = client.post(
            "/api/v1/dataValueSets",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        push_times.append(time.perf_counter() - start)
        summary = response.json()
        stored = summary["counts"]["created"] + summary["counts"]["updated"]
        assert response.status_code == 200, summary["conflicts"][:3]
        assert stored == values, summary["counts"]
        copy_times.append(_copy(codes, rows, shift=repeat))
    assert Revision.objects.filter(source="api").count() == UNITS * REPEATS
    push_rate = values / statistics.median(push_times)
    copy_rate = values / statistics.median(copy_times)
    print(
        f"  push (JSON -> revisions): {push_rate:12,.0f} values/s  "
        f"(median of {REPEATS}: {statistics.median(push_times) * 1000:.0f} ms)"
    )
    print(f"  PostgreSQL COPY, same rows: {copy_rate:10,.0f} values/s")
    print(
        f"  ratio COPY/push: {copy_rate / push_rate:.2f}x  (target: push >= 50,000 values/s)"
    )
    met = "MET" if push_rate >= TARGET else "NOT MET"
    print(f"  target push >= {TARGET:,} values/s: {met} ({push_rate:,.0f} values/s)")


if __name__ == "__main__":
    run()
