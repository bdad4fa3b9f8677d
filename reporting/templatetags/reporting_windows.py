"""The entry-window banner of a report, for any page that shows the report.

``{% load reporting_windows %}{% window_banner submission %}`` renders
reporting/_window_banner.html: open, late (flagged), not open yet, or locked with
why and who above can reopen it. A view that already built the banner passes it:
``{% window_banner submission banner %}``.
"""

from django import template

from reporting.windows import window_banner_of

register = template.Library()


@register.inclusion_tag("reporting/_window_banner.html", takes_context=True)
def window_banner(context, submission, banner=None):
    request = context.get("request")
    if banner is None:
        banner = window_banner_of(
            submission, user=getattr(request, "user", None) if request else None
        )
    return {"banner": banner, "request": request}
