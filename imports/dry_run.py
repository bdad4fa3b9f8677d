"""The dry run of an upload: every report it holds, checked and compared cell by cell.

For each report of the file (a template sheet, or one unit and period of a long
table) the form version, unit and period are found and checked as a save would:
the uploader reports for the unit, the unit reports the form for the period on this
version, the report is not submitted or approved, and entry for the period is not
locked. Then each value is compared with the report's current revision: created,
updated, unchanged, or rejected with the reason. Nothing is written here.

An empty cell in the file leaves the stored value as it is (as DHIS2 imports do);
a value is cleared in the web form, never by leaving a cell blank.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from forms.definition.grid import cell_grid
from forms.definition.periods import Period, PeriodError, parse_period
from forms.rendering.excel_metadata import definition_digest
from imports.dry_run_compare import (
    CREATED,
    UPDATED,
    compare,
    validate,
)
from imports.parsers.long_table import LongTable
from imports.parsers.long_table_values import FormCells, read_long_table_values
from imports.parsers.problems import ImportProblem, gettext_noop, problem
from imports.parsers.report import ReportSource, ReportValues
from imports.parsers.template import read_template_values
from imports.parsers.workbook import TemplateSheet, WorkbookContent
from imports.selectors import (
    current_submissions,
    form_templates_by_code,
    form_versions_by_id,
    lock_exceptions_until,
    units_by_code,
    units_by_id,
    valid_during,
)
from orgunits.selectors import user_has_role
from reporting.bulk_selectors import AssignmentFinder
from reporting.engine.window import WindowState
from reporting.selectors import window_for
from reporting.services import EDITABLE_STATUSES


@dataclass
class CheckedReport:
    """One report of the upload, ready to store as an ImportReport row."""

    source: ReportSource
    version: object = None
    template: object = None
    unit: object = None
    period: Period | None = None
    assignment: object = None
    submission: object = None
    read: ReportValues | None = None
    problems: list[ImportProblem] = field(default_factory=list)
    base_revision: int = 0
    cells: dict[str, list] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return any(p.is_error and not p.cell for p in self.problems)

    @property
    def importable(self) -> bool:
        return (
            self.read is not None
            and not any(p.is_error for p in self.problems)
            and bool(self.counts.get(CREATED) or self.counts.get(UPDATED))
        )

    def refuse(self, code: str, message: str, /, **params) -> None:
        self.problems.append(
            problem(code, message, **params).at(
                sheet=self.source.sheet,
                unit=self.source.unit_code,
                period=self.source.period,
            )
        )


class DryRun:
    """Check the reports of one upload for one user; look-ups are cached and bulk."""

    def __init__(
        self,
        user,
        *,
        form=None,
        today: datetime.date | None = None,
        preview: bool = True,
    ):
        self.user = user
        self.form = form
        # Without the preview (a direct import) no per-cell summary is kept and the
        # validation rules are left to the submission: only counts and problems.
        self.preview = preview
        self.today = today or timezone.localdate()
        self._grids: dict[int, dict] = {}
        self._form_cells: dict[int, FormCells] = {}
        self._digests: dict[int, str] = {}
        self._assignments: dict[tuple, object] = {}
        self._finder = AssignmentFinder()

    # --- finding the reports ---------------------------------------------------------

    def reports(self, content: WorkbookContent, progress=None) -> list[CheckedReport]:
        """Return every report of ``content``, checked and compared."""
        checked: list[CheckedReport] = []
        versions = form_versions_by_id(
            t.metadata.version_id for t in content.templates if t.metadata.version_id
        )
        units = units_by_id(
            t.metadata.unit_id for t in content.templates if t.metadata.unit_id
        )
        for sheet in content.templates:
            checked.append(self._template_report(sheet, versions, units))
            if progress:
                progress(len(checked))
        for table in content.long_tables:
            checked.extend(self._long_table_reports(table))
            if progress:
                progress(len(checked))
        self._check_reports(checked)
        compare(checked, preview=self.preview, grid_of=self._grid)
        if self.preview:
            validate(checked, grid_of=self._grid)
        return checked

    def _grid(self, version) -> dict:
        if version.pk not in self._grids:
            self._grids[version.pk] = cell_grid(version.form_definition)
        return self._grids[version.pk]

    def _cells_of(self, version) -> FormCells:
        if version.pk not in self._form_cells:
            self._form_cells[version.pk] = FormCells(
                version.form_definition, self._grid(version)
            )
        return self._form_cells[version.pk]

    def _template_report(self, sheet: TemplateSheet, versions, units) -> CheckedReport:
        metadata = sheet.metadata
        source = ReportSource(
            sheet=sheet.name,
            layout="template",
            form_code=metadata.form_code,
            unit_code=metadata.unit_code,
            period=metadata.period,
            version_number=metadata.version_number,
            version_id=metadata.version_id,
            definition_sha256=metadata.definition_sha256,
            unit_id=metadata.unit_id,
        )
        report = CheckedReport(source)
        version = versions.get(metadata.version_id)
        if (
            version is None
            or version.template.code != metadata.form_code
            or version.number != metadata.version_number
        ):
            report.refuse(
                "version_unknown",
                gettext_noop(
                    "The sheet is the template of version %(number)s of form %(form)s, which this system does not have. Download the template again."
                ),
                number=metadata.version_number or "?",
                form=metadata.form_code or "?",
            )
            return report
        if version.pk not in self._digests:
            self._digests[version.pk] = definition_digest(version.form_definition)
        if self._digests[version.pk] != metadata.definition_sha256:
            report.refuse(
                "template_altered",
                gettext_noop(
                    "The template's hidden information does not match version %(number)s of form %(form)s (it was altered). Download the template again."
                ),
                number=version.number,
                form=version.template.code,
            )
            return report
        report.version, report.template = version, version.template
        unit = units.get(metadata.unit_id)
        if not metadata.unit_code or not metadata.period:
            report.refuse(
                "template_without_unit",
                gettext_noop(
                    "This copy of the template names no unit or period (it is the blank form). Download the template of your unit and period from the upload page and fill that in."
                ),
            )
            return report
        if unit is None or unit.code != metadata.unit_code:
            report.refuse(
                "unit_unknown",
                gettext_noop("There is no unit with the code %(code)s."),
                code=metadata.unit_code,
            )
            return report
        report.unit = unit
        if not self._period(report, metadata.period):
            return report
        report.read = read_template_values(
            sheet, version.form_definition, self._grid(version), source
        )
        return report

    def _period(self, report: CheckedReport, text: str) -> bool:
        try:
            report.period = parse_period(text)
        except PeriodError:
            report.refuse(
                "period_unknown",
                gettext_noop(
                    "%(value)s is not a reporting period; write periods as 2026, 2026Q3, 2026M11, 2026S1 or 2026N9."
                ),
                value=text,
            )
            return False
        return True

    def _long_table_reports(self, table: LongTable) -> list[CheckedReport]:
        reports: list[CheckedReport] = []
        templates = form_templates_by_code(form for form, _u, _p in table.groups)
        units = units_by_code(unit for _f, unit, _p in table.groups)
        for key in table.groups:
            form_code, unit_code, period_text = key
            template = templates.get(form_code) if form_code else self.form
            source = ReportSource(
                sheet=table.sheet,
                layout="long_table",
                form_code=form_code or (template.code if template else ""),
                unit_code=unit_code,
                period=period_text,
            )
            report = CheckedReport(source)
            reports.append(report)
            if template is None:
                if form_code:
                    report.refuse(
                        "form_unknown",
                        gettext_noop("There is no form with the code %(code)s."),
                        code=form_code,
                    )
                else:
                    report.refuse(
                        "long_table_without_form",
                        gettext_noop(
                            "The long table has no form column: choose the form when uploading, or add a column “form code”."
                        ),
                    )
                continue
            report.template = template
            if not self._period(report, period_text):
                continue
            unit = self._unit_by_code(report, units, unit_code)
            if unit is None:
                continue
            report.unit = unit
            assignment = self._assignment(template, unit, report.period)
            if assignment is None:
                self._not_assigned(report)
                continue
            report.assignment = assignment
            report.version = assignment.form_version
            report.read = read_long_table_values(
                table,
                key,
                report.version.form_definition,
                self._grid(report.version),
                source,
                self._cells_of(report.version),
            )
        table_problems = list(table.problems)
        if table_problems and reports:
            reports[0].problems.extend(table_problems)
        elif table_problems:
            holder = CheckedReport(
                ReportSource(table.sheet, "long_table", "", "", ""), read=None
            )
            holder.problems.extend(table_problems)
            reports.append(holder)
        return reports

    def _unit_by_code(self, report: CheckedReport, units: dict, code: str):
        candidates = units.get(code) or units.get(code.lstrip("0")) or []
        candidates = [u for u in candidates if valid_during(u, report.period)]
        if len(candidates) > 1:
            mine = [u for u in candidates if user_has_role(self.user, "reporter", u)]
            candidates = mine if len(mine) == 1 else candidates
        if not candidates:
            report.refuse(
                "unit_unknown",
                gettext_noop("There is no unit with the code %(code)s."),
                code=code,
            )
            return None
        if len(candidates) > 1:
            report.refuse(
                "unit_ambiguous",
                gettext_noop(
                    "Several units carry the code %(code)s in %(period)s: %(names)s. Upload these figures from the template of the unit."
                ),
                code=code,
                period=report.period.label,
                names=", ".join(u.name for u in candidates[:5]),
            )
            return None
        return candidates[0]

    def _assignment(self, template, unit, period: Period):
        key = (template.pk, unit.pk, period.id)
        if key not in self._assignments:
            self._assignments[key] = self._finder.covering(template, unit, period)
        return self._assignments[key]

    def _not_assigned(self, report: CheckedReport) -> None:
        report.refuse(
            "not_assigned",
            gettext_noop(
                "%(unit)s (%(code)s) does not report %(form)s for %(period)s."
            ),
            unit=report.unit.name,
            code=report.unit.code,
            form=report.template.code,
            period=report.period.label,
        )

    # --- may the user write these reports? -------------------------------------------

    def _check_reports(self, reports: list[CheckedReport]) -> None:
        ready = [r for r in reports if r.read is not None and not r.refused]
        keys = {_key(r) for r in ready}
        submissions = current_submissions(self.user, keys)
        exceptions = lock_exceptions_until(keys)
        for report in ready:
            unit, period = report.unit, report.period
            if not user_has_role(self.user, "reporter", unit):
                report.refuse(
                    "unit_not_permitted",
                    gettext_noop(
                        "You do not report for %(unit)s (%(code)s); its figures were not imported."
                    ),
                    unit=unit.name,
                    code=unit.code,
                )
                continue
            if not valid_during(unit, period):
                report.refuse(
                    "unit_not_valid",
                    gettext_noop("%(unit)s did not exist in %(period)s."),
                    unit=unit.name,
                    period=period.label,
                )
                continue
            if report.assignment is None:
                report.assignment = self._assignment(report.template, unit, period)
            if report.assignment is None:
                self._not_assigned(report)
                continue
            current = report.assignment.form_version
            if current.pk != report.version.pk:
                report.refuse(
                    "version_outdated",
                    gettext_noop(
                        "This is the template of version %(old)d of %(form)s; %(unit)s reports %(period)s on version %(current)d. Download the current template and copy the figures into it."
                    ),
                    old=report.version.number,
                    current=current.number,
                    form=report.template.code,
                    unit=unit.name,
                    period=period.label,
                    current_version_id=current.pk,
                    form_id=report.template.pk,
                    unit_id=unit.pk,
                    period_id=period.id,
                )
                continue
            submission = submissions.get(_key(report))
            report.submission = submission
            if submission is not None:
                report.base_revision = submission.revision_count
                if submission.status not in EDITABLE_STATUSES:
                    report.refuse(
                        "report_not_editable",
                        gettext_noop(
                            "The report of %(unit)s for %(period)s is %(status)s and can no longer be changed."
                        ),
                        unit=unit.name,
                        period=period.label,
                        status=str(submission.get_status_display()).lower(),
                    )
                    continue
            state = window_for(report.version, report.assignment, period).state_on(
                self.today, exception_until=exceptions.get(_key(report))
            )
            if state is WindowState.LOCKED:
                report.refuse(
                    "period_locked",
                    gettext_noop(
                        "Entry for %(period)s closed after its deadline. A reviewer of the level above can reopen it for %(unit)s."
                    ),
                    period=period.label,
                    unit=unit.name,
                )
            elif state is WindowState.NOT_OPEN:
                report.refuse(
                    "period_not_open",
                    gettext_noop("Entry for %(period)s is not open yet."),
                    period=period.label,
                )


def _key(report: CheckedReport) -> tuple[int, int, str]:
    return (report.template.pk, report.unit.pk, report.period.id)
