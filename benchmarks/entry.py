"""The entry grid of a 300-cell form: opening the page, and saving a draft.

A form of 60 rows x 5 columns (column 1 sums columns 2-5, row 01 sums rows 02-60, so
64 cells are computed and 236 typed) is assigned to one real commune, whose report
already holds 50 revisions. Everything is built inside a transaction that is rolled
back at the end; the dev database is left as it was.

Timed through the Django test client (routing, session, middleware, SQL, template):

* the entry page (GET), p50/p95 over 50 requests; target p95 < 150 ms;
* saving a draft of every input cell typed the Vietnamese way (POST JSON, a new
  revision each time, computed cells evaluated in exact decimals), p50/p95 over 50
  saves; target p95 < 100 ms.

Baseline in the same run, through the same client and middleware: the health check
(one ``SELECT 1`` and a tiny JSON answer).
"""

from __future__ import annotations

import json
import statistics
import time

from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.services import role_grant, user_create
from forms.definition.model import (
    ColumnDef,
    DataType,
    FormDefinition,
    PeriodType,
    RowDef,
)
from forms.services import form_template_create, form_version_publish, regime_create
from orgunits.models import OrgLevel, OrgUnit
from orgunits.services import REFORM_DATE
from reporting.services import (
    assignment_create,
    submission_open,
    submission_save_draft,
)

REQUESTS = 50
ROWS = 60
PRIOR_REVISIONS = 50
PERIOD = "2025"
ENTRY_BUDGET_MS = 150
SAVE_BUDGET_MS = 100


class _RollBack(Exception):
    pass


def _definition() -> FormDefinition:
    codes = [f"{number:02d}" for number in range(1, ROWS + 1)]
    rows = [RowDef(code="01", label="Tổng số", bold=True, formula=f"02..{codes[-1]}")]
    rows += [
        RowDef(code=code, label=f"Chỉ tiêu {code}", indent=1, unit="Người")
        for code in codes[1:]
    ]
    columns = (
        ColumnDef(1, "Tổng số", formula="2 + 3 + 4"),
        ColumnDef(2, "Nam", group="Chia ra"),
        ColumnDef(3, "Nữ", group="Chia ra"),
        ColumnDef(4, "Dân tộc thiểu số", group="Chia ra"),
        ColumnDef(5, "Tỷ lệ (%)", DataType.DECIMAL, decimal_places=1),
    )
    return FormDefinition(
        code="BENCH-ENTRY.N",
        title="Biểu đo hiệu năng nhập liệu (300 ô)",
        period_type=PeriodType.YEAR,
        rows=tuple(rows),
        columns=columns,
    )


def _typed(iteration: int) -> dict[str, str]:
    """Every input cell, typed as an officer would (1.234 and 12,5)."""
    values = {}
    for row in range(2, ROWS + 1):
        code = f"{row:02d}"
        for column in (2, 3, 4):
            number = 1000 + row * 7 + column + iteration
            values[f"{code}:{column}"] = f"{number:,}".replace(",", ".")
        values[f"{code}:5"] = f"{row % 100},{iteration % 10}"
    return values


def _build():
    commune = (
        OrgUnit.objects.filter(level__code="commune", valid_from=REFORM_DATE)
        .order_by("path")
        .first()
    )
    regime = regime_create(
        acting_user=None,
        code="BENCH-ENTRY",
        name="Chế độ đo hiệu năng",
        legal_basis="(đo hiệu năng)",
        issuing_agency="(đo hiệu năng)",
    )
    version = form_template_create(
        acting_user=None, regime=regime, definition=_definition()
    )
    version = form_version_publish(acting_user=None, version=version)
    assignment_create(
        acting_user=None,
        form_version=version,
        root=commune,
        levels=[OrgLevel.objects.get(code="commune")],
        first_period=PERIOD,
    )
    reporter = user_create(
        acting_user=None, username="bench-entry-reporter", password="x" * 16
    )
    role_grant(acting_user=None, user=reporter, unit=commune, role="reporter")
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=commune, period=PERIOD
    )
    for number in range(PRIOR_REVISIONS):
        submission_save_draft(
            acting_user=reporter,
            submission=submission,
            raw_values=_typed(number),
            base_revision=number,
        )
    submission.refresh_from_db()
    cells = len(version.form_definition.coded_rows) * len(
        version.form_definition.columns
    )
    return commune, version, reporter, submission, cells


def _ms(samples: list[float]) -> tuple[float, float]:
    return (
        statistics.median(samples) * 1000,
        statistics.quantiles(samples, n=20)[18] * 1000,
    )


def _time(function) -> list[float]:
    function()  # warm caches and plans
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def _report(name: str, subject, baseline, budget_ms: int, how: str) -> bool:
    p50, p95 = _ms(subject)
    base50, base95 = _ms(baseline)
    holds = p95 < budget_ms
    print(name)
    print(f"  subject : p50 {p50:8.3f} ms   p95 {p95:8.3f} ms  ({how})")
    print(
        f"  baseline: p50 {base50:8.3f} ms   p95 {base95:8.3f} ms  "
        "(health check through the same client: SELECT 1, tiny JSON)"
    )
    print(f"  ratio subject/baseline (p50): {p50 / base50:.2f}x")
    print(f"  p95 < {budget_ms} ms: {'yes' if holds else 'NO'}")
    return holds


def run() -> bool:
    """Print both timings; return whether both stay within the issue's targets."""
    try:
        with transaction.atomic():
            commune, version, reporter, submission, cells = _build()
            client = Client(HTTP_HOST="localhost")
            client.force_login(reporter)
            entry = reverse(
                "reporting:entry", args=[version.template_id, commune.pk, PERIOD]
            )
            save = reverse("reporting:entry_save", args=[submission.pk])
            health = reverse("health")

            def open_page():
                response = client.get(entry)
                assert response.status_code == 200, response.status_code

            def baseline():
                assert client.get(health).status_code == 200

            state = {"base": submission.revision_count, "iteration": 1000}

            def save_draft():
                state["iteration"] += 1
                response = client.post(
                    save,
                    data=json.dumps(
                        {
                            "base_revision": state["base"],
                            "values": _typed(state["iteration"]),
                            "comments": {"02:2": "Số liệu ước tính"},
                        }
                    ),
                    content_type="application/json",
                )
                assert response.status_code == 200, response.content
                state["base"] = response.json()["revision"]

            entry_samples = _time(open_page)
            entry_baseline = _time(baseline)
            save_samples = _time(save_draft)
            save_baseline = _time(baseline)
            raise _RollBack(
                (entry_samples, entry_baseline, save_samples, save_baseline, cells)
            )
    except _RollBack as done:
        entry_samples, entry_baseline, save_samples, save_baseline, cells = done.args[0]
    opened = _report(
        f"Entry page of a {cells}-cell form with {PRIOR_REVISIONS} prior revisions",
        entry_samples,
        entry_baseline,
        ENTRY_BUDGET_MS,
        "GET, test client",
    )
    saved = _report(
        f"Saving a draft of {cells} cells (236 typed, 64 computed)",
        save_samples,
        save_baseline,
        SAVE_BUDGET_MS,
        "POST JSON, test client, a new revision each time",
    )
    return opened and saved
