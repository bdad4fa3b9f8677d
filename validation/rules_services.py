"""Designed validation rules: save them once they check against the form, deactivate
them, and try them on sample values or a real report."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.text import nfc
from forms.models import FormVersion
from reporting.models import Submission
from validation.engine.rules import (
    Rule,
    check_rule,
    compile_rule,
    format_value,
    run_rules,
)
from validation.models import ValidationRule
from validation.services import schema_of

RULE_FIELDS = (
    "code",
    "name",
    "left",
    "operator",
    "right",
    "left_strategy",
    "right_strategy",
    "importance",
    "message",
    "period_types",
    "levels",
)
_SIDE_FIELDS = {"left": "left", "right": "right"}


def _engine_rule(values: dict) -> Rule:
    return Rule(
        code=values.get("code") or "CHECK",
        left=values["left"],
        operator=values["operator"],
        right=values["right"],
        importance=values.get("importance") or "error",
        message=values.get("message") or "{left} / {right}",
        left_strategy=values.get("left_strategy") or "skip_if_any_value_missing",
        right_strategy=values.get("right_strategy") or "skip_if_any_value_missing",
    )


def rule_problems(version: FormVersion, values: dict) -> dict[str, list[str]]:
    """Return what is wrong with a rule for ``version``'s form, by field name."""
    problems = check_rule(
        _engine_rule(values),
        schema_of(version),
        known_forms=FormVersion.objects.values_list("template__code", flat=True),
    )
    by_field: dict[str, list[str]] = {}
    for found in problems:
        field = _SIDE_FIELDS.get(found.side, "left")
        by_field.setdefault(field, []).append(_(found.message) % found.params)
    return by_field


def validation_rule_save(
    *,
    acting_user,
    version: FormVersion,
    values: dict,
    rule: ValidationRule | None = None,
) -> ValidationRule:
    """Create or change a designed rule of ``version``'s form; raise ValidationError
    (by field) when it does not check against the form."""
    values = {
        key: nfc(value).strip() if isinstance(value, str) else value
        for key, value in values.items()
        if key in RULE_FIELDS
    }
    problems = rule_problems(version, values)
    if problems:
        raise ValidationError(problems)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="validation_rule_save"),
    ):
        if rule is None:
            rule = ValidationRule(template=version.template)
        for key, value in values.items():
            setattr(rule, key, value)
        rule.full_clean()
        rule.save()
    return rule


def validation_rule_deactivate(*, acting_user, rule: ValidationRule) -> ValidationRule:
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="validation_rule_deactivate"),
    ):
        rule.is_active = False
        rule.save(update_fields=["is_active"])
    return rule


@dataclass
class TryResult:
    problems: list[str]
    violations: list[dict]
    holds: bool


def _cell(text: str) -> tuple[str, int]:
    if ":" in text:
        row, column = text.split(":", 1)
    else:
        row, _sep, column = text.rpartition(".")
    return row.strip(), int(column)


def sample_values(text: str) -> tuple[dict, list[str]]:
    """Read lines like "02:1=12" into engine data; return it and the bad lines."""
    data, bad = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            cell, raw = line.split("=", 1)
            data[_cell(cell)] = Decimal(raw.strip().replace(",", "."))
        except (ValueError, InvalidOperation):
            bad.append(line)
    return data, bad


def rule_try(
    *,
    version: FormVersion,
    values: dict,
    samples: str = "",
    submission: Submission | None = None,
) -> TryResult:
    """Evaluate a rule (saved or not) on typed values, or on a report's values."""
    problems = [
        text for texts in rule_problems(version, values).values() for text in texts
    ]
    if problems:
        return TryResult(problems, [], False)
    data: dict = {}
    if submission is not None and submission.current_revision_id:
        for cell, text in submission.current_revision.values.items():
            try:
                data[_cell(cell)] = Decimal(text)
            except (ValueError, InvalidOperation):
                continue
    typed, bad = sample_values(samples)
    data.update(typed)
    problems = [
        _("%(value)s is not a value like 02:1=12.") % {"value": line} for line in bad
    ]
    violations = run_rules(
        [compile_rule(_engine_rule(values))],
        schema_of(version),
        {(None, "", ""): data},
    )
    shown = [
        {
            "where": f"{v.row or '*'}:{v.column or '*'}",
            "left": format_value(v.left),
            "right": format_value(v.right),
            "message": v.message,
        }
        for v in violations
    ]
    return TryResult(problems, shown, not violations and not problems)
