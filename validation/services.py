"""Run validation rules on reports: fetch the values in bulk, evaluate in memory, store
the result with the revision. The engine (validation/engine) never touches the database.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.text import nfc
from forms.definition.grid import cell_grid
from forms.definition.model import CellState
from forms.definition.periods import parse_period
from forms.models import FormVersion
from reporting.models import (
    Revision,
    Submission,
    SubmissionStatus,
)
from validation.declared import declared_rules
from validation.engine import outliers
from validation.engine.evaluate import FormSchema
from validation.engine.rules import (
    CompiledRule,
    Importance,
    Rule,
    RuleSyntaxError,
    Violation,
    compile_rule,
    run_rules,
)
from validation.models import (
    OutlierPolicy,
    ValidationResult,
    ValidationRule,
    WarningExplanation,
)
from validation.selectors import violation_cell_key

THIS = (None, "", "")
APPROVED = (SubmissionStatus.APPROVED, SubmissionStatus.ACCEPTED)
_compiled_cache: dict[tuple, list[CompiledRule]] = {}


def schema_of(version: FormVersion) -> FormSchema:
    definition = version.form_definition
    return FormSchema(
        rows=tuple(row.code for row in definition.coded_rows),
        columns=tuple(column.number for column in definition.columns),
        text_columns=frozenset(
            c.number for c in definition.columns if not c.data_type.is_numeric
        ),
    )


def rules_for(
    version: FormVersion, *, period_type: str = "", level: str = ""
) -> list[CompiledRule]:
    """Return the compiled rules of a form version: the declared ones and the active
    designed ones that apply to ``period_type`` and ``level``. Cached per version and
    rule set (designed rules are read each time; compiling is what is cached)."""
    designed = [
        rule
        for rule in ValidationRule.objects.filter(
            template_id=version.template_id, is_active=True
        )
        if (not rule.period_types or period_type in rule.period_types)
        and (not rule.levels or level in rule.levels)
    ]
    key = (version.pk, tuple((rule.pk, rule.left, rule.operator, rule.right, rule.message, rule.importance,
                              rule.left_strategy, rule.right_strategy) for rule in designed))  # fmt: skip
    cached = _compiled_cache.get(key)
    if cached is not None:
        return cached
    compiled = [compile_rule(rule) for rule in declared_rules(version.form_definition)]
    for rule in designed:
        try:
            compiled.append(compile_rule(as_engine_rule(rule)))
        except RuleSyntaxError:
            # A stored rule that no longer parses is reported by check_rules, not here.
            continue
    if len(_compiled_cache) > 512:
        _compiled_cache.clear()
    _compiled_cache[key] = compiled
    return compiled


def as_engine_rule(rule: ValidationRule) -> Rule:
    return Rule(
        code=rule.code,
        left=rule.left,
        operator=rule.operator,
        right=rule.right,
        importance=rule.importance,
        message=rule.message,
        left_strategy=rule.left_strategy,
        right_strategy=rule.right_strategy,
    )


def _decimals(values: dict) -> dict[tuple[str, int], object]:
    result = {}
    for cell, text in values.items():
        row, _sep, column = cell.rpartition(":")
        try:
            result[(row, int(column))] = Decimal(text)
        except (InvalidOperation, ValueError):
            result[(row, int(column))] = text
    return result


def _referenced_forms(compiled: list[CompiledRule]) -> set[str]:
    from validation.engine.rules import _references

    return {
        reference.form
        for rule in compiled
        for side in (rule.left, rule.right)
        for reference in _references(side)
        if reference.form is not None
    }


def _data_needs(compiled: list[CompiledRule]) -> set[str]:
    """Which other sources the rules read: "previous", "lastYear", "children"."""
    from validation.engine.syntax import Binary, Call, Unary

    needs: set[str] = set()
    stack = [side for rule in compiled for side in (rule.left, rule.right)]
    while stack:
        item = stack.pop()
        if isinstance(item, Call):
            if item.name in ("previous", "lastYear", "children"):
                needs.add(item.name)
            stack.extend(item.arguments)
        elif isinstance(item, Binary):
            stack.extend((item.left, item.right))
        elif isinstance(item, Unary):
            stack.append(item.operand)
    return needs


def _pk(submission: Submission) -> int:
    return submission.pk


def report_data_bulk(
    submissions: list[Submission],
    compiled: list[CompiledRule],
    values_of=None,
    *,
    key=_pk,
) -> dict[int, dict]:
    """Return each submission's engine data (this period, and only what the rules
    read of the previous period, the same period last year, the approved children
    and other forms), in a handful of queries.

    ``values_of`` overrides the values of a submission (for unsaved typing); the
    result is keyed by ``key(submission)``, its id unless told otherwise."""
    if not submissions:
        return {}
    data: dict[int, dict] = {}
    wanted: dict[tuple, list[tuple[int, tuple]]] = defaultdict(list)
    other_forms = _referenced_forms(compiled)
    needs = _data_needs(compiled)
    for submission in submissions:
        values = values_of(submission) if values_of else (
            submission.current_revision.values if submission.current_revision else {}
        )  # fmt: skip
        data[key(submission)] = {THIS: _decimals(values)}
        unit_id, template_id = submission.org_unit_id, submission.template_id
        if needs & {"previous", "lastYear"}:
            period = parse_period(submission.period)
            if "previous" in needs:
                wanted[(template_id, unit_id, period.previous().id)].append(
                    (key(submission), (None, "previous", ""))
                )
            if "lastYear" in needs:
                wanted[
                    (template_id, unit_id, period.same_period_last_year().id)
                ].append((key(submission), (None, "lastYear", "")))
        for code in other_forms:
            wanted[(code, unit_id, submission.period)].append(
                (key(submission), (code, "", ""))
            )

    if wanted:
        # One query over the cross product of the wanted units, periods and forms,
        # matched back in Python: far cheaper to build than one OR per report.
        template_ids = {key[0] for key in wanted if isinstance(key[0], int)}
        codes = {key[0] for key in wanted if isinstance(key[0], str)}
        rows = Submission.objects.filter(
            Q(template_id__in=template_ids) | Q(template__code__in=codes),
            org_unit_id__in={key[1] for key in wanted},
            period__in={key[2] for key in wanted},
        ).values_list(
            "template_id",
            "template__code",
            "org_unit_id",
            "period",
            "current_revision__values",
        )
        for template_id, code, unit_id, period_id, values in rows:
            for key in ((template_id, unit_id, period_id), (code, unit_id, period_id)):
                for submission_id, source in wanted.get(key, ()):
                    data[submission_id][source] = _decimals(values or {})

    if "children" not in needs:
        return data
    # Approved reports of the units directly below, summed cell by cell.
    parents = {submission.org_unit_id: submission for submission in submissions}
    children_rows = Submission.objects.filter(
        org_unit__parent_id__in=parents.keys(),
        template_id__in={s.template_id for s in submissions},
        period__in={s.period for s in submissions},
        status__in=APPROVED,
    ).values_list(
        "org_unit__parent_id", "template_id", "period", "current_revision__values"
    )
    sums: dict[tuple, dict] = defaultdict(dict)
    for parent_id, template_id, period_id, values in children_rows:
        total = sums[(parent_id, template_id, period_id)]
        for cell, value in _decimals(values or {}).items():
            if isinstance(value, Decimal):
                total[cell] = total.get(cell, Decimal(0)) + value
    for submission in submissions:
        key = (submission.org_unit_id, submission.template_id, submission.period)
        if key in sums:
            data[key(submission)][(None, "", "children")] = sums[key]
    return data


def violation_to_json(violation: Violation) -> dict:
    def shown(value):
        if value is None or isinstance(value, bool):
            return value
        return format(value, "f") if isinstance(value, Decimal) else str(value)

    return {
        "rule": violation.rule,
        "importance": violation.importance.value,
        "row": violation.row,
        "column": violation.column,
        "left": shown(violation.left),
        "right": shown(violation.right),
        "operator": violation.operator.value,
        "cells": [
            {
                "form": c.form,
                "row": c.row,
                "column": c.column,
                "period": c.period,
                "scope": c.scope,
            }
            for c in violation.cells
        ],
        "message": violation.message,
    }


def _check(
    submissions: list[Submission], values_of=None, *, key=_pk
) -> dict[int, list[Violation]]:
    results: dict[int, list[Violation]] = {}
    groups: dict[tuple, list[Submission]] = defaultdict(list)
    for submission in submissions:
        groups[(submission.form_version_id, submission.org_unit.level.code)].append(
            submission
        )
    for group in groups.values():
        version = group[0].form_version
        compiled = rules_for(
            version,
            period_type=version.form_definition.period_type.value,
            level=group[0].org_unit.level.code,
        )
        schema = schema_of(version)
        data = report_data_bulk(group, compiled, values_of, key=key)
        for submission in group:
            results[key(submission)] = run_rules(
                compiled, schema, data[key(submission)]
            )
    return results


def values_check(*, submission: Submission, values: dict[str, str]) -> list[dict]:
    """Check values as typed (not saved): the violations, for the entry grid. Cells
    that do not parse are left out here (the grid reports them itself); computed
    cells are computed as the save would."""
    from reporting.services import parse_submitted_values, with_computed_cells

    version = submission.form_version
    parsed, _problems = parse_submitted_values(version, values)
    complete = with_computed_cells(version, parsed)
    found = _check([submission], values_of=lambda _submission: complete)
    return [
        violation_to_json(violation) for violation in found[submission.pk]
    ] + outliers_check(submission=submission, values=parsed)


def values_check_bulk(
    *, items: list[tuple[Submission, dict[str, str]]]
) -> list[list[dict]]:
    """Check the values of many reports as ``values_check`` checks one report's
    (saved or not): each form's grid and rules are read once, the data the rules
    read is fetched in bulk, and the outlier policies in one query. Return the
    violations of each item, in the order of ``items``."""
    from reporting.services import parse_submitted_values, with_computed_cells

    grids: dict[int, dict] = {}
    complete: dict[int, dict[str, str]] = {}
    parsed_of: dict[int, dict[str, str]] = {}
    # Results are keyed by object: one copy per item, so that a report given twice
    # (or unsaved reports, all without an id) keeps each item's own values.
    items = [(copy.copy(submission), values) for submission, values in items]
    for submission, values in items:
        version = submission.form_version
        if version.pk not in grids:
            grids[version.pk] = cell_grid(version.form_definition)
        grid = grids[version.pk]
        parsed, _problems = parse_submitted_values(version, values, grid=grid)
        parsed_of[id(submission)] = parsed
        complete[id(submission)] = with_computed_cells(version, parsed, grid=grid)
    submissions = [submission for submission, _values in items]
    found = _check(
        submissions, values_of=lambda submission: complete[id(submission)], key=id
    )
    policies = set(
        OutlierPolicy.objects.filter(
            template_id__in={s.template_id for s in submissions}
        ).values_list("template_id", flat=True)
    )
    return [
        [violation_to_json(violation) for violation in found[id(submission)]]
        + (
            outliers_check(submission=submission, values=parsed_of[id(submission)])
            if submission.template_id in policies
            else []
        )
        for submission in submissions
    ]


def revision_validate(*, revision: Revision) -> ValidationResult:
    """Check a revision and store the result with it (idempotent)."""
    submission = Submission.objects.select_related(
        "form_version", "org_unit__level", "template"
    ).get(pk=revision.submission_id)
    violations = _check([submission], values_of=lambda _submission: revision.values)[
        submission.pk
    ]
    payload = [violation_to_json(v) for v in violations] + outliers_check(
        submission=submission, values=revision.values
    )
    result, _created = ValidationResult.objects.update_or_create(
        revision=revision,
        defaults={
            "violations": payload,
            "errors": sum(1 for v in payload if v["importance"] == "error"),
            "warnings": sum(1 for v in payload if v["importance"] == "warning"),
        },
    )
    return result


def submissions_validate(submissions: list[Submission]) -> dict[int, list[Violation]]:
    """Check many current revisions at once (batch runs); nothing is stored."""
    return _check(submissions)


def unexplained_warnings(
    submission: Submission, result: ValidationResult
) -> list[dict]:
    """Return the warnings of ``result`` the reporter has not explained yet."""
    explained = set(submission.explanations.values_list("rule", "cell"))
    return [
        violation
        for violation in result.violations
        if violation["importance"] == Importance.WARNING.value
        and (violation["rule"], violation_cell_key(violation)) not in explained
    ]


def warning_explain(
    *, acting_user, submission: Submission, rule: str, cell: str, text: str
) -> WarningExplanation:
    """Record the reporter's explanation of a warning."""
    text = nfc(text).strip()
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="warning_explain"),
    ):
        explanation, _created = WarningExplanation.objects.update_or_create(
            submission=submission,
            rule=rule,
            cell=cell,
            defaults={"text": text, "written_by": acting_user},
        )
        return explanation


# --- Outliers against the unit's own history ----------------------------------------


def _history_of(submission: Submission, policy: OutlierPolicy):
    """Return the current values of the unit's earlier reports of the form (oldest
    first), of the previous period and of the same period last year: one query."""
    period = parse_period(submission.period)
    earlier = []
    cursor = period
    for _step in range(policy.history_periods):
        cursor = cursor.previous()
        earlier.append(cursor.id)
    previous_id = period.previous().id
    last_year_id = period.same_period_last_year().id
    rows = dict(
        Submission.objects.filter(
            template_id=submission.template_id,
            org_unit_id=submission.org_unit_id,
            period__in={*earlier, previous_id, last_year_id},
            current_revision__isnull=False,
        ).values_list("period", "current_revision__values")
    )
    history = [
        _decimals(rows[period_id])
        for period_id in reversed(earlier)
        if period_id in rows
    ]
    return (
        history,
        _decimals(rows.get(previous_id) or {}),
        _decimals(rows.get(last_year_id) or {}),
    )


def _shown(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def _outlier(code, row, column, value, reference, message) -> dict:
    return {
        "rule": code,
        "importance": Importance.WARNING.value,
        "row": row,
        "column": column,
        "left": format(value, "f"),
        "right": format(reference, "f") if isinstance(reference, Decimal) else None,
        "operator": ">",
        "cells": [
            {"form": None, "row": row, "column": column, "period": "", "scope": ""}
        ],
        "message": message,
    }


def outliers_check(*, submission: Submission, values: dict[str, str]) -> list[dict]:
    """Return a warning for each numeric input cell far from the unit's own history
    (z-score, modified z-score, change against the previous period and the same
    period last year, a fixed range), by the form's outlier policy; none without
    one. Messages are in the site language."""
    policy = OutlierPolicy.objects.filter(template_id=submission.template_id).first()
    if policy is None:
        return []
    numbers = {
        cell: value
        for cell, value in _decimals(values).items()
        if isinstance(value, Decimal)
    }
    if not numbers:
        return []
    grid = cell_grid(submission.form_version.form_definition)
    history, previous, last_year = _history_of(submission, policy)
    found: list[dict] = []
    with translation.override(settings.LANGUAGE_CODE):
        for (row, column), value in sorted(numbers.items()):
            spec = grid.get((row, column))
            if spec is None or spec.state is not CellState.INPUT:
                continue
            found.extend(
                _cell_outliers(policy, row, column, value, history, previous, last_year)
            )
    return found


def _cell_outliers(policy, row, column, value, history, previous, last_year):
    past = [
        values[(row, column)]
        for values in history
        if isinstance(values.get((row, column)), Decimal)
    ]
    where = {"row": row, "column": column, "value": format(value, "f")}
    if policy.z_score is not None:
        score = outliers.z_score(value, past)
        if score is not None and score > policy.z_score:
            yield _outlier("OUTLIER_Z", row, column, value, policy.z_score, _(
                "Row %(row)s, column %(column)s: %(value)s is far from this unit's "
                "history (z-score %(score)s, above %(limit)s)."
            ) % {**where, "score": _shown(score), "limit": _shown(policy.z_score)})  # fmt: skip
    if policy.modified_z_score is not None:
        score = outliers.modified_z_score(value, past)
        if score is not None and score > policy.modified_z_score:
            yield _outlier("OUTLIER_MZ", row, column, value, policy.modified_z_score, _(
                "Row %(row)s, column %(column)s: %(value)s is far from this unit's "
                "usual figures (modified z-score %(score)s, above %(limit)s)."
            ) % {**where, "score": _shown(score),
                 "limit": _shown(policy.modified_z_score)})  # fmt: skip
    for code, limit, reference, text in (
        ("OUTLIER_PREV", policy.change_percent, previous.get((row, column)), _(
            "Row %(row)s, column %(column)s: %(value)s changed by %(change)s%% "
            "against the previous period (%(reference)s)."
        )),
        ("OUTLIER_YEAR", policy.change_last_year_percent,
         last_year.get((row, column)), _(
            "Row %(row)s, column %(column)s: %(value)s changed by %(change)s%% "
            "against the same period last year (%(reference)s)."
        )),
    ):  # fmt: skip
        if limit is None or not isinstance(reference, Decimal):
            continue
        change = outliers.percent_change(value, reference)
        if change is not None and abs(change) > limit:
            yield _outlier(code, row, column, value, reference, text % {
                **where, "change": _shown(change), "reference": format(reference, "f")
            })  # fmt: skip
    if policy.minimum is not None and value < policy.minimum:
        yield _outlier("OUTLIER_MIN", row, column, value, policy.minimum, _(
            "Row %(row)s, column %(column)s: %(value)s is below the minimum "
            "%(limit)s."
        ) % {**where, "limit": format(policy.minimum.normalize(), "f")})  # fmt: skip
    if policy.maximum is not None and value > policy.maximum:
        yield _outlier("OUTLIER_MAX", row, column, value, policy.maximum, _(
            "Row %(row)s, column %(column)s: %(value)s is above the maximum "
            "%(limit)s."
        ) % {**where, "limit": format(policy.maximum.normalize(), "f")})  # fmt: skip


# --- After a submission ---------------------------------------------------------------


def submission_validate_after_submit(*, submission_id: int, revision_id: int):
    """Check the submitted revision and store the result (once per revision); the
    workflow then returns the report on errors or sends it for review."""
    revision = Revision.objects.get(pk=revision_id, submission_id=submission_id)
    return revision_validate(revision=revision)
