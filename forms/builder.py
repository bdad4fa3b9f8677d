"""The builder's step forms, and the plumbing between them and the pure definition.

Each step is one box of text (rows, columns, formulas) or the metadata. A step is
valid when the definition put together from every step has no problem in that step;
so when the last step is submitted and formtools validates every step again, the
wizard goes back to the first step that has a problem, with the problem on its line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forms.definition.model import (
    ColumnDef,
    DataType,
    FormDefinition,
    PeriodType,
    ReporterSpec,
    RowDef,
)
from forms.definition.paste import (
    Assembly,
    LocatedProblem,
    Section,
    assemble_definition,
    columns_to_text,
    deadlines_to_text,
    definition_texts,
    formulas_to_text,
    rows_to_text,
)
from forms.selectors import form_template_code_taken

PERIOD_TYPE_LABELS = {
    PeriodType.MONTH: gettext_lazy("Month"),
    PeriodType.QUARTER: gettext_lazy("Quarter"),
    PeriodType.HALF_YEAR: gettext_lazy("Half-year"),
    PeriodType.NINE_MONTHS: gettext_lazy("Nine months"),
    PeriodType.YEAR: gettext_lazy("Year"),
    PeriodType.SCHOOL_YEAR: gettext_lazy("School year"),
    PeriodType.AD_HOC: gettext_lazy("Ad hoc (one day)"),
}
DATA_TYPE_LABELS = {
    DataType.INTEGER: gettext_lazy("Whole number"),
    DataType.DECIMAL: gettext_lazy("Decimal number"),
    DataType.PERCENT: gettext_lazy("Percentage"),
    DataType.TEXT: gettext_lazy("Text"),
    DataType.BOOLEAN: gettext_lazy("Yes or no"),
}
STEP_TITLES = {
    "metadata": gettext_lazy("Form details"),
    "rows": gettext_lazy("Rows"),
    "columns": gettext_lazy("Columns"),
    "formulas": gettext_lazy("Formulas and cells"),
    "preview": gettext_lazy("Preview and save"),
}
METADATA_TEXT_FIELDS = (
    "code",
    "title",
    "period_type",
    "unit_of_measure",
    "legal_basis",
    "notes",
    "deadlines",
    "reporter_levels",
    "reporter_kinds",
    "reporter_unit_codes",
    "receiver",
)
CHECKBOX_TRUE = {"on", "true", "True", "1"}


def problem_message(located: LocatedProblem) -> str:
    """Return the problem as a translated sentence, with its line when it has one."""
    message = located.problem.render(_)
    if located.line:
        return _("Line %(line)d: %(message)s") % {
            "line": located.line,
            "message": message,
        }
    return message


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def header_from(metadata: dict) -> FormDefinition:
    """Build the definition's metadata from the first step's values (raw or clean)."""
    try:
        period_type = PeriodType(metadata.get("period_type") or PeriodType.YEAR)
    except ValueError:
        period_type = PeriodType.YEAR
    return FormDefinition(
        code=(metadata.get("code") or "").strip(),
        title=" ".join((metadata.get("title") or "").split()),
        period_type=period_type,
        unit_of_measure=(metadata.get("unit_of_measure") or "").strip(),
        legal_basis=(metadata.get("legal_basis") or "").strip(),
        notes=(metadata.get("notes") or "").strip(),
        has_unit_column=bool(metadata.get("has_unit_column")),
        reporters=ReporterSpec(
            levels=_split_list(metadata.get("reporter_levels")),
            kinds=_split_list(metadata.get("reporter_kinds")),
            unit_codes=_split_list(metadata.get("reporter_unit_codes")),
            receiver=(metadata.get("receiver") or "").strip() or "parent",
        ),
    )


def assemble(values: dict[str, dict]) -> Assembly:
    """Put the steps' values together: ``values[step]`` holds that step's fields."""
    metadata = values.get("metadata", {})
    return assemble_definition(
        header_from(metadata),
        deadlines_text=metadata.get("deadlines") or "",
        rows_text=values.get("rows", {}).get("text") or "",
        columns_text=values.get("columns", {}).get("text") or "",
        formulas_text=values.get("formulas", {}).get("text") or "",
    )


def initial_from_definition(definition: FormDefinition) -> dict[str, dict]:
    """Return each step's initial values for editing ``definition``."""
    texts = definition_texts(definition)
    return {
        "metadata": {
            "code": definition.code,
            "title": definition.title,
            "period_type": definition.period_type.value,
            "unit_of_measure": definition.unit_of_measure,
            "legal_basis": definition.legal_basis,
            "notes": definition.notes,
            "deadlines": texts["deadlines"],
            "has_unit_column": definition.has_unit_column,
            "reporter_levels": ", ".join(definition.reporters.levels),
            "reporter_kinds": ", ".join(definition.reporters.kinds),
            "reporter_unit_codes": ", ".join(definition.reporters.unit_codes),
            "receiver": definition.reporters.receiver,
        },
        "rows": {"text": texts["rows"]},
        "columns": {"text": texts["columns"]},
        "formulas": {"text": texts["formulas"]},
    }


def initial_from_layout(proposal) -> dict[str, dict]:
    """Return each step's initial values from an Excel layout proposal."""
    rows = [
        RowDef(
            code=row.code,
            label=row.label,
            indent=row.indent,
            unit=row.unit,
            of_which=row.of_which,
            bold=row.bold,
        )
        for row in proposal.rows
    ]
    columns = [
        ColumnDef(
            number=column.number,
            label=column.label,
            group=column.group,
            formula=column.formula,
        )
        for column in proposal.columns
    ]
    shape = FormDefinition(code="", title="", rows=tuple(rows), columns=tuple(columns))
    return {
        "metadata": {
            "code": proposal.code,
            "title": proposal.title,
            "period_type": PeriodType.YEAR.value,
            "unit_of_measure": proposal.unit_of_measure,
            "has_unit_column": proposal.has_unit_column,
            "deadlines": deadlines_to_text(()),
            "receiver": "parent",
        },
        "rows": {"text": rows_to_text(rows)},
        "columns": {"text": columns_to_text(columns)},
        "formulas": {"text": formulas_to_text(shape)},
    }


def new_form_initial() -> dict[str, dict]:
    return {
        "metadata": {
            "period_type": PeriodType.YEAR.value,
            "has_unit_column": True,
            "receiver": "parent",
        }
    }


# --- Step forms -------------------------------------------------------------------


class StepForm(forms.Form):
    """A step that checks the whole definition and keeps the problems of its part.

    ``assemble`` (given by the wizard) returns the Assembly of every step's values
    with this step's cleaned values in place.
    """

    section: Section | None = None

    def __init__(self, *args, assemble: Callable[[dict], Assembly] | None = None, **kw):
        super().__init__(*args, **kw)
        self._assemble = assemble
        self.line_problems: list[tuple[int | None, str]] = []

    def clean(self):
        cleaned = super().clean()
        if self.section is None or self._assemble is None or self.errors:
            return cleaned
        assembly = self._assemble(cleaned)
        for located in assembly.in_section(self.section):
            field = located.field or "text"
            if field not in self.fields:
                field = None
            self.add_error(field, problem_message(located))
            self.line_problems.append((located.line, problem_message(located)))
        return cleaned


def _textarea(rows: int, *, tabs: bool = True, **attrs) -> forms.Textarea:
    attrs = {"rows": rows, "spellcheck": "false", "class": "paste-box", **attrs}
    if tabs:
        attrs["data-tab-input"] = "true"
    return forms.Textarea(attrs=attrs)


class MetadataForm(StepForm):
    section = Section.METADATA

    regime = forms.ModelChoiceField(
        label=gettext_lazy("Reporting regime"),
        queryset=None,
        empty_label=gettext_lazy("– choose a regime –"),
    )
    code = forms.CharField(
        label=gettext_lazy("Form code"),
        max_length=64,
        help_text=gettext_lazy("As the annex prints it, e.g. 0603.N/BNV-TĐKT."),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=500)
    period_type = forms.ChoiceField(
        label=gettext_lazy("Reporting period"),
        choices=[(kind.value, label) for kind, label in PERIOD_TYPE_LABELS.items()],
    )
    unit_of_measure = forms.CharField(
        label=gettext_lazy("Unit of measure"),
        required=False,
        help_text=gettext_lazy(
            "Printed above the table; leave empty when rows carry their own unit."
        ),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "E.g. Ban hành kèm theo Thông tư số 02/2023/TT-BNV ngày 23/3/2023."
        ),
    )
    deadlines = forms.CharField(
        label=gettext_lazy("Deadlines"),
        required=False,
        widget=_textarea(3, tabs=False),
        help_text=gettext_lazy(
            "One a line: “15 ngày sau kỳ”, “15/12” or “20/01 năm sau”."
        ),
    )
    has_unit_column = forms.BooleanField(
        label=gettext_lazy("The form has a unit column (C)"), required=False
    )
    reporter_levels = forms.CharField(
        label=gettext_lazy("Levels that report"),
        required=False,
        help_text=gettext_lazy(
            "Level codes separated by commas, e.g. province, commune."
        ),
    )
    reporter_kinds = forms.CharField(
        label=gettext_lazy("Kinds of unit that report"), required=False
    )
    reporter_unit_codes = forms.CharField(
        label=gettext_lazy("Codes of the units that report"), required=False
    )
    receiver = forms.CharField(
        label=gettext_lazy("Receiver"),
        required=False,
        help_text=gettext_lazy(
            "“parent” for the unit above, or a level code such as national."
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, regimes=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["regime"]
            self.fields["code"].disabled = True
            self.fields["code"].help_text = gettext_lazy(
                "A form keeps its code across versions."
            )
        else:
            self.fields["regime"].queryset = regimes

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not self.editing and form_template_code_taken(code):
            raise forms.ValidationError(
                _(
                    "A form with the code %(code)s exists already; start a new version of it instead."
                ),
                params={"code": code},
            )
        return code


class RowsForm(StepForm):
    section = Section.ROWS
    text = forms.CharField(
        label=gettext_lazy("Rows"),
        required=False,
        widget=_textarea(18),
        help_text=gettext_lazy(
            "One row a line: code, label, unit, indent, options (bold, of which), "
            "separated by tabs (paste from a spreadsheet) or by “|”. "
            "An empty code makes a group header; a label starting with “Trong đó” is an of-which row. "
            "When an upper unit compiles the reports below, a row is summed unless its "
            "options say average, max, min or no sum (rates: recomputed by formulas)."
        ),
    )


class ColumnsForm(StepForm):
    section = Section.COLUMNS
    text = forms.CharField(
        label=gettext_lazy("Value columns"),
        required=False,
        widget=_textarea(8),
        help_text=gettext_lazy(
            "One column a line: number, label, type, group, decimal places, unit. "
            "Types: integer, decimal, percent, text, yes-no. "
            "Columns with the same group are printed under one heading."
        ),
    )


class FormulasForm(StepForm):
    section = Section.FORMULAS
    text = forms.CharField(
        label=gettext_lazy("Formulas and cells"),
        required=False,
        widget=_textarea(8, tabs=False),
        help_text=gettext_lazy(
            "“1 = 2 + 3 + 4”: column 1 is the sum of columns 2 to 4 on every row. "
            "“01 = 02 + 03”: row 01 is the sum of rows 02 and 03. "
            "“[05:3] = [06:3] * 2”: one cell. “disable 03:1”: a cell that takes no value."
        ),
    )


class PreviewForm(StepForm):
    """The last step: nothing to fill in; saving validates every step again."""


STEP_FORMS = [
    ("metadata", MetadataForm),
    ("rows", RowsForm),
    ("columns", ColumnsForm),
    ("formulas", FormulasForm),
    ("preview", PreviewForm),
]


@dataclass(frozen=True)
class StepValues:
    """Reads each step's values: submitted (raw) data when the step has been
    submitted, else its initial values."""

    stored: Callable[[str], dict | None]
    initial: Callable[[str], dict]
    prefix: Callable[[str], str]
    fixed_code: str | None = None

    def of(self, step: str) -> dict:
        data = self.stored(step)
        initial = self.initial(step)
        if data is None:
            values = dict(initial)
        else:
            prefix = self.prefix(step)
            names = METADATA_TEXT_FIELDS if step == "metadata" else ("text",)
            values = {name: data.get(f"{prefix}-{name}", "") for name in names}
            if step == "metadata":
                values["has_unit_column"] = (
                    data.get(f"{prefix}-has_unit_column") in CHECKBOX_TRUE
                )
        if step == "metadata" and self.fixed_code is not None:
            values["code"] = self.fixed_code
        return values

    def all(self, **replacing: dict) -> dict[str, dict]:
        steps = ("metadata", "rows", "columns", "formulas")
        values = {step: self.of(step) for step in steps}
        for step, cleaned in replacing.items():
            values[step] = {**values[step], **cleaned}
            if step == "metadata" and self.fixed_code is not None:
                values[step]["code"] = self.fixed_code
        return values
