"""Check a rule expression against a form, optionally evaluating it on values."""

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forms.models import FormVersion
from forms.selectors import form_version_by_code
from reporting.models import Submission
from validation.engine.evaluate import Evaluator, Instance
from validation.engine.rules import (
    Rule,
    check_rule,
    compile_rule,
    explain_rule,
    format_value,
    run_rules,
)
from validation.engine.syntax import (
    COMPARISONS,
    Binary,
    RuleSyntaxError,
    parse,
    to_text,
)
from validation.services import schema_of


def _cell(text: str) -> tuple[str, int]:
    """Read "01:2" (or "01.2", the last dot before the column) as (row, column)."""
    if ":" in text:
        row, column = text.split(":", 1)
    else:
        row, _sep, column = text.rpartition(".")
    return row.strip(), int(column)


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


class Command(BaseCommand):
    help = gettext_lazy(
        'Check a rule against a form: check_rule "[01:1] == [02..05:1]" --form CODE '
        "[--value 02:1=12 ...] [--submission ID]"
    )

    def add_arguments(self, parser):
        parser.add_argument("expression")
        parser.add_argument("--form", required=True, help=gettext_lazy("form code"))
        parser.add_argument(
            "--value",
            action="append",
            default=[],
            help=gettext_lazy("a value, as 02:1=12"),
        )
        parser.add_argument(
            "--submission",
            type=int,
            help=gettext_lazy("evaluate on this report's values"),
        )

    def handle(self, *args, expression, form, value, submission, **options):
        try:
            version = form_version_by_code(form)
        except FormVersion.DoesNotExist:
            raise CommandError(_("No form %(code)s.") % {"code": form}) from None
        try:
            node = parse(expression)
        except RuleSyntaxError as error:
            raise CommandError(_(error.message) % error.params) from None
        self.stdout.write(_("Expression: %(text)s") % {"text": to_text(node)})
        is_rule = isinstance(node, Binary) and node.operator in COMPARISONS
        left, operator, right = (to_text(node.left), node.operator, to_text(node.right)) if is_rule else (
            to_text(node), "==", "true"
        )  # fmt: skip
        rule = Rule("CHECK", left, operator, right, message="{left} / {right}")
        schema = schema_of(version)
        problems = check_rule(
            rule,
            schema,
            known_forms=FormVersion.objects.values_list("template__code", flat=True),
        )
        for problem in problems:
            self.stdout.write(self.style.ERROR(_(problem.message) % problem.params))
        if problems:
            raise CommandError(_("The rule has problems."))
        explanation = explain_rule(rule, schema)
        cells = ", ".join(f"{c.form + '|' if c.form else ''}{c.row}:{c.column}{' ' + c.period if c.period else ''}"
                          for c in explanation.left_cells + explanation.right_cells)  # fmt: skip
        self.stdout.write(
            _(
                "Checked at %(count)d places (per row: %(rows)s, per column: %(columns)s); first reads %(cells)s."
            )
            % {
                "count": explanation.instances,
                "rows": _("yes") if explanation.over_rows else _("no"),
                "columns": _("yes") if explanation.over_columns else _("no"),
                "cells": cells or "-",
            }
        )
        data = {}
        if submission is not None:
            row = (
                Submission.objects.select_related("current_revision")
                .filter(pk=submission)
                .first()
            )
            if row is None or row.current_revision is None:
                raise CommandError(
                    _("Report %(id)s has no saved values.") % {"id": submission}
                )
            data = {
                _cell(cell): Decimal(text)
                for cell, text in row.current_revision.values.items()
                if _is_number(text)
            }
        for item in value:
            try:
                cell, raw = item.split("=", 1)
                data[_cell(cell)] = Decimal(raw.replace(",", "."))
            except (ValueError, InvalidOperation):
                raise CommandError(
                    _("%(value)r is not a value like 02:1=12.") % {"value": item}
                ) from None
        if not data:
            return
        report = {(None, "", ""): data}
        if is_rule:
            violations = run_rules([compile_rule(rule)], schema, report)
            if violations:
                for violation in violations:
                    where = violation.row or violation.column or ""
                    self.stdout.write(
                        self.style.WARNING(
                            _("Violated %(where)s: left %(left)s, right %(right)s")
                            % {
                                "where": where,
                                "left": format_value(violation.left),
                                "right": format_value(violation.right),
                            }
                        )
                    )
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        _("The rule holds (or is skipped for missing values).")
                    )
                )
        else:
            result = Evaluator(schema, report, Instance()).value(node)
            self.stdout.write(_("Value: %(value)s") % {"value": format_value(result)})
