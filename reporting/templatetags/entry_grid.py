"""The cells of the entry grid, drawn in Python.

A form has hundreds of cells; drawing each through template tags costs more than the
rest of the page together, so ``{% entry_cell cell row %}`` writes one cell's HTML in a
single call. The markup is the one templates/reporting/entry.html documents.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _prior(cell, context) -> str:
    if not (cell.previous or cell.last_year):
        return ""
    previous = (
        f'<span title="{escape(context["previous_label"])}">{escape(_("prev."))} '
        f"{escape(cell.previous or '–')}</span>"
    )
    last_year = ""
    if context.get("show_last_year"):
        last_year = (
            f' <span title="{escape(context["last_year_label"])}">'
            f"{escape(_('last yr.'))} {escape(cell.last_year or '–')}</span>"
        )
    return f'<span class="prior">{previous}{last_year}</span>'


@register.simple_tag(takes_context=True)
def entry_cell(context, cell, row) -> str:
    """Return the <td> of one cell: an input (or its value, read-only), a computed
    <output>, or a closed cell."""
    labelled_by = f"{row.dom_id} col-{cell.column}"
    if cell.state == "disabled":
        return mark_safe(  # noqa: S308 (only fixed text and escaped values)
            '<td class="cell cell-disabled"><span class="visually-hidden">'
            f"{escape(_('No value'))}</span></td>"
        )
    if cell.state == "computed":
        return mark_safe(  # noqa: S308
            f'<td class="cell cell-computed" title="= {escape(cell.formula)}">'
            f'<output class="cell-value" id="{cell.dom_id}" '
            f'data-cell="{escape(cell.key)}" data-type="{cell.data_type}" '
            f'aria-labelledby="{escape(labelled_by)}">{escape(cell.text)}</output>'
            f"{_prior(cell, context)}</td>"
        )
    classes = f"cell cell-input cell-{cell.data_type}"
    if cell.comment:
        classes += " has-comment"
    if cell.error:
        classes += " has-error"
    review_comment = context.get("review_comments", {}).get(cell.key, "")
    if review_comment:
        classes += " has-review-comment"
    title = f' title="{escape(cell.comment)}"' if cell.comment else ""
    if context.get("editable"):
        extra = ' inputmode="decimal"' if cell.is_numeric else ""
        if cell.error:
            extra += f' aria-invalid="true" aria-describedby="{cell.dom_id}-error"'
        value = (
            f'<input type="text" id="{escape(cell.dom_id)}" name="{escape(cell.key)}" '
            f'value="{escape(cell.text)}" data-cell="{escape(cell.key)}" '
            f'data-type="{cell.data_type}" aria-labelledby="{escape(labelled_by)}"'
            f'{extra} autocomplete="off" spellcheck="false">'
        )
    else:
        value = (
            f'<span class="cell-value" data-cell="{escape(cell.key)}" '
            f'data-type="{cell.data_type}">{escape(cell.text)}</span>'
        )
    error = (
        f'<span class="cell-error" id="{escape(cell.dom_id)}-error">'
        f"{escape(cell.error)}</span>"
        if cell.error
        else ""
    )
    return mark_safe(  # noqa: S308
        f'<td class="{classes}"{title}>{value}{error}{_review(review_comment)}'
        f"{_prior(cell, context)}</td>"
    )


def _review(comment: str) -> str:
    """The reviewer's comment on a returned report's cell: a marker and the text."""
    if not comment:
        return ""
    return (
        f'<span class="review-marker" title="{escape(comment)}" aria-hidden="true">'
        f'!</span><span class="review-comment-text">{escape(_("Reviewer:"))} '
        f"{escape(comment)}</span>"
    )
