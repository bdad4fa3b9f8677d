"""Run validation rules on reports: fetch the values in bulk, evaluate in memory, store
the result with the revision. The engine (validation/engine) never touches the database.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q

from core.audit import audit_context
from core.text import nfc
from forms.definition.periods import parse_period
from forms.models import FormVersion
from reporting.models import Revision, Submission, SubmissionStatus
from validation.declared import declared_rules
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
from validation.models import ValidationResult, ValidationRule, WarningExplanation

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


def report_data_bulk(
    submissions: list[Submission], compiled: list[CompiledRule], values_of=None
) -> dict[int, dict]:
    """Return each submission's engine data (this period, previous period, same
    period last year, approved children, other forms), in a handful of queries.

    ``values_of`` overrides the values of a submission (for unsaved typing)."""
    if not submissions:
        return {}
    data: dict[int, dict] = {}
    wanted: dict[tuple, list[tuple[int, tuple]]] = defaultdict(list)
    other_forms = _referenced_forms(compiled)
    for submission in submissions:
        values = values_of(submission) if values_of else (
            submission.current_revision.values if submission.current_revision else {}
        )  # fmt: skip
        data[submission.pk] = {THIS: _decimals(values)}
        period = parse_period(submission.period)
        unit_id, template_id = submission.org_unit_id, submission.template_id
        wanted[(template_id, unit_id, period.previous().id)].append(
            (submission.pk, (None, "previous", ""))
        )
        wanted[(template_id, unit_id, period.same_period_last_year().id)].append(
            (submission.pk, (None, "lastYear", ""))
        )
        for code in other_forms:
            wanted[(code, unit_id, submission.period)].append(
                (submission.pk, (code, "", ""))
            )

    by_template = Q()
    by_code = Q()
    for template, unit_id, period_id in wanted:
        if isinstance(template, int):
            by_template |= Q(
                template_id=template, org_unit_id=unit_id, period=period_id
            )
        else:
            by_code |= Q(template__code=template, org_unit_id=unit_id, period=period_id)
    condition = by_template | by_code
    if condition:
        rows = Submission.objects.filter(condition).values_list(
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
            data[submission.pk][(None, "", "children")] = sums[key]
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


def _check(submissions: list[Submission], values_of=None) -> dict[int, list[Violation]]:
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
        data = report_data_bulk(group, compiled, values_of)
        for submission in group:
            results[submission.pk] = run_rules(compiled, schema, data[submission.pk])
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
    return [violation_to_json(violation) for violation in found[submission.pk]]


def revision_validate(*, revision: Revision) -> ValidationResult:
    """Check a revision and store the result with it (idempotent)."""
    submission = Submission.objects.select_related(
        "form_version", "org_unit__level", "template"
    ).get(pk=revision.submission_id)
    violations = _check([submission], values_of=lambda _submission: revision.values)[
        submission.pk
    ]
    payload = [violation_to_json(v) for v in violations]
    result, _created = ValidationResult.objects.update_or_create(
        revision=revision,
        defaults={
            "violations": payload,
            "errors": sum(1 for v in violations if v.importance is Importance.ERROR),
            "warnings": sum(
                1 for v in violations if v.importance is Importance.WARNING
            ),
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
        and (violation["rule"], _cell_key(violation)) not in explained
    ]


def _cell_key(violation: dict) -> str:
    if violation["row"] is None and violation["column"] is None:
        return ""
    return f"{violation['row'] or '*'}:{violation['column'] or '*'}"


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
