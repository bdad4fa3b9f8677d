"""The cells of the reviewer's read-only grid, drawn in Python like the entry grid's
(``{% review_cell cell row %}``): the value, the previous revision's value when it
changed, last year's value, the checks' findings and the reviewers' comments."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _findings(findings) -> str:
    if not findings:
        return ""
    items = "".join(
        f'<li class="violation-{escape(f.importance)}">{escape(f.message)}'
        + (
            f' <span class="explanation">{escape(_("Explanation:"))} '
            f"{escape(f.explanation)}</span>"
            if f.explanation
            else ""
        )
        + "</li>"
        for f in findings
    )
    return f'<ul class="cell-findings">{items}</ul>'


@register.simple_tag(takes_context=True)
def review_cell(context, cell, row) -> str:
    """Return the <td> of one cell of the review grid."""
    if cell.state == "disabled":
        return mark_safe(  # noqa: S308 (only fixed text and escaped values)
            '<td class="cell cell-disabled"><span class="visually-hidden">'
            f"{escape(_('No value'))}</span></td>"
        )
    changed = cell.key in context.get("changed", ())
    findings = context.get("findings_by_cell", {}).get(cell.key, [])
    comment = context.get("returned", None)
    reviewer_comment = comment.comments.get(cell.key, "") if comment else ""
    classes = ["cell", "review-cell", f"cell-{cell.state}"]
    if changed:
        classes.append("is-changed")
    if findings:
        classes.append(
            "has-error"
            if any(f.importance == "error" for f in findings)
            else "has-warning"
        )
    if reviewer_comment:
        classes.append("has-review-comment")
    parts = [
        f'<span class="cell-value">{escape(cell.text)}</span>',
    ]
    if changed:
        parts.append(
            f'<span class="prior prior-revision" title="{escape(_("Previous revision"))}">'
            f"{escape(_('was'))} {escape(cell.previous or '–')}</span>"
        )
    if cell.last_year:
        parts.append(
            f'<span class="prior" title="{escape(context.get("last_year_label", ""))}">'
            f"{escape(_('last yr.'))} {escape(cell.last_year)}</span>"
        )
    if cell.comment:
        parts.append(
            f'<span class="reporter-note">{escape(_("Reporter:"))} '
            f"{escape(cell.comment)}</span>"
        )
    parts.append(_findings(findings))
    if reviewer_comment:
        parts.append(
            f'<span class="review-comment">{escape(_("Comment:"))} '
            f"{escape(reviewer_comment)}</span>"
        )
    parts.append('<span class="pending-comment" hidden></span>')
    label = _("Comment on row %(row)s, column %(column)s") % {
        "row": row.code,
        "column": cell.column,
    }
    return mark_safe(  # noqa: S308
        f'<td class="{" ".join(classes)}" data-cell="{escape(cell.key)}" '
        f'data-label="{escape(label)}" tabindex="0">{"".join(parts)}</td>'
    )


@register.filter
def status_label(value: str) -> str:
    """Return the name of a stored report status."""
    from reporting.models import SubmissionStatus

    try:
        return SubmissionStatus(value).label
    except ValueError:
        return value


@register.filter
def level_label(code: str, names: dict[str, str] | None = None) -> str:
    """Return the name users read for a level code (``{{ event.level|level_label:
    level_names }}``), through ``workflow.decisions.level_name``."""
    from workflow.decisions import level_name

    return level_name(code, names) if code else ""
