"""Browse the part of the unit tree a user is responsible for."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from orgunits.selectors import (
    access_org_unit_by_id,
    ancestors_of,
    children_visible_to,
    top_units_of,
)


def _as_of(request) -> datetime.date | None:
    raw = request.GET.get("ngay", "")
    return parse_date(raw) if raw else None


@login_required
@require_GET
def unit_index(request):
    return render(request, "orgunits/index.html", {"units": top_units_of(request.user)})


@login_required
@require_GET
def unit_detail(request, unit_id: int):
    unit = access_org_unit_by_id(request.user, unit_id)
    as_of = _as_of(request)
    children = Paginator(children_visible_to(request.user, unit, on=as_of), 100)
    page = children.get_page(request.GET.get("trang"))
    template = "orgunits/_children.html" if request.htmx else "orgunits/detail.html"
    return render(
        request,
        template,
        {
            "unit": unit,
            "ancestors": ancestors_of(unit),
            "children_page": page,
            "as_of": as_of,
            "successors": unit.successor_links.select_related("successor"),
            "predecessors": unit.predecessor_links.select_related("predecessor"),
        },
    )
