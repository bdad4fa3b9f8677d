"""Validation engine benchmark: the pure evaluation of 50 rules against hand-written
Python functions computing the same 50 rules, on the same synthetic reports.

Target (issue 6): the engine runs at >= 0.3x the speed of the hand-written functions.
The database-inclusive national run (50 rules x 10,599 reports) is measured by the
product benchmark once rules are stored with forms.
"""

import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validation.engine.evaluate import FormSchema  # noqa: E402
from validation.engine.rules import Rule, compile_rule, run_rules  # noqa: E402

ROWS = tuple(f"{n:02d}" for n in range(1, 61))
COLUMNS = (1, 2, 3, 4, 5)
SCHEMA = FormSchema(rows=ROWS, columns=COLUMNS)
REPORTS = 400


def _rules() -> list[Rule]:
    rules = []
    # 20 row totals: column 1 = 2 + 3 + 4 + 5 on a given row
    for n in range(20):
        row = ROWS[n]
        rules.append(
            Rule(
                f"col{n}",
                f"[{row}:1]",
                "==",
                f"[{row}:2] + [{row}:3] + [{row}:4] + [{row}:5]",
            )
        )
    # 20 "of which" checks: row n+20 <= row n, column 1..
    for n in range(20):
        rules.append(
            Rule(
                f"of{n}",
                f"[{ROWS[n + 20]}:{1 + n % 5}]",
                "<=",
                f"[{ROWS[n]}:{1 + n % 5}]",
            )
        )
    # 10 range sums: row 41+n = sum of two following rows
    for n in range(10):
        first, a, b = ROWS[40 + n], ROWS[50 + n % 5], ROWS[55 + n % 5]
        rules.append(Rule(f"sum{n}", f"[{first}:2]", ">=", f"[{a}:2] + [{b}:2]"))
    return rules


def _hand_written(values: dict) -> int:
    """The same 50 rules as plain Python, with the same skip-if-missing semantics."""
    violations = 0
    get = values.get
    for n in range(20):
        row = ROWS[n]
        parts = [get((row, c)) for c in (1, 2, 3, 4, 5)]
        if None in parts:
            continue
        if parts[0] != parts[1] + parts[2] + parts[3] + parts[4]:
            violations += 1
    for n in range(20):
        column = 1 + n % 5
        low, high = get((ROWS[n + 20], column)), get((ROWS[n], column))
        if low is None or high is None:
            continue
        if not low <= high:
            violations += 1
    for n in range(10):
        first, a, b = (
            get((ROWS[40 + n], 2)),
            get((ROWS[50 + n % 5], 2)),
            get((ROWS[55 + n % 5], 2)),
        )
        if None in (first, a, b):
            continue
        if not first >= a + b:
            violations += 1
    return violations


def run() -> None:
    generator = random.Random(2026)
    reports = []
    for _ in range(REPORTS):
        values = {
            (row, column): Decimal(generator.randint(0, 500))
            for row in ROWS
            for column in COLUMNS
        }
        for row in ROWS[:20]:
            values[(row, 1)] = sum(values[(row, c)] for c in (2, 3, 4, 5))
        reports.append(values)
    compiled = [compile_rule(rule) for rule in _rules()]

    start = time.perf_counter()
    engine_total = sum(
        len(run_rules(compiled, SCHEMA, {(None, "", ""): values})) for values in reports
    )
    engine = time.perf_counter() - start

    start = time.perf_counter()
    hand_total = sum(_hand_written(values) for values in reports)
    hand = time.perf_counter() - start

    assert engine_total == hand_total, (engine_total, hand_total)
    evaluations = REPORTS * len(compiled)
    speed = hand / engine
    print(
        f"Validation engine: {len(compiled)} rules x {REPORTS} reports = {evaluations} evaluations"
    )
    print(
        f"  engine      : {engine:8.3f} s  ({evaluations / engine:,.0f} evaluations/s)"
    )
    print(f"  hand-written: {hand:8.3f} s  (baseline, same rules, same data)")
    print(
        f"  engine speed / hand-written speed: {speed:.2f}x (target >= 0.30x: {'met' if speed >= 0.3 else 'NOT met'})"
    )
    print(f"  violations found by both: {engine_total}")


if __name__ == "__main__":
    run()
