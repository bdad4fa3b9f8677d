"""Pull endpoints of /api/v1/: published observations as JSON, CSV and SDMX-CSV 2.0,
the SDMX-ML 2.1 structure they follow, the indicator catalogue, history and rollups.

A token reads the units its user may analyse (analyst, reviewer or administrator
roles), narrowed to the token's own units; without a token only official figures of
open-data indicators are served.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_noop

from api import openapi_pull
from api.auth import ApiError, ApiPrincipal, api_endpoint
from api.sdmx import OBS_STATUS, OBS_VALUE, TIME_PERIOD, data_csv, sdmx_period
from api.sdmx import structure_message as sdmx_structure_message
from api.sdmx_structure import (
    NOT_APPLICABLE,
    STATUS_CODES,
    area_id,
    catalogue_structure,
    indicator_id,
)
from indicators.selectors import (
    REFORMS,
    observation_history,
    observations_query,
    rollup,
    unit_paths_for,
)

MAX_PAGE_SIZE = 10_000
MAX_ROWS = 1_000_000  # of one CSV answer
SDMX_CSV = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
SDMX_STRUCTURE = "application/vnd.sdmx.structure+xml; version=2.1; charset=utf-8"
_PERIOD_RANGE = re.compile(r"^\s*([0-9A-Za-z]+)\s*(?:\.\.\s*([0-9A-Za-z]+))?\s*$")


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )


def scope_of(principal: ApiPrincipal) -> tuple[list[str] | None, bool]:
    """Return (unit paths, open data only) for the caller: anonymous callers read
    open data anywhere; a token its user's analysable units within its own."""
    if principal.anonymous:
        return None, True
    user_paths = unit_paths_for(principal.user)
    token_paths = list(principal.unit_paths)
    if not token_paths:
        return user_paths, False
    if user_paths is None:
        return token_paths, False
    narrowed = {
        longer
        for user_path in user_paths
        for token_path in token_paths
        for shorter, longer in ((user_path, token_path), (token_path, user_path))
        if longer.startswith(shorter)
    }
    return sorted(narrowed), False


def _list(request: HttpRequest, name: str) -> list[str] | None:
    raw = request.GET.get(name, "")
    items = [item.strip() for item in re.split(r"[,;]", raw) if item.strip()]
    return items or None


def _period_range(request: HttpRequest) -> tuple[str | None, str | None]:
    raw = request.GET.get("period", "").strip()
    if not raw:
        return None, None
    match = _PERIOD_RANGE.match(raw)
    if not match:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop(
                "period must be a period (2026M01) or a range (2026M01..2026M10)."
            ),
        )
    first, last = match.groups()
    return first, last or first


def _dims(request: HttpRequest) -> dict[str, str] | None:
    pairs = _list(request, "dims")
    if not pairs:
        return None
    dims = {}
    for pair in pairs:
        dimension, sep, code = pair.partition(":")
        if not sep or not dimension.strip() or not code.strip():
            raise ApiError(
                400,
                "parameter_invalid",
                gettext_noop(
                    "dims must list dimension:code pairs, for example SEX:F,AREA:U; "
                    "%(pair)s is not one."
                ),
                {"pair": pair[:40]},
            )
        dims[dimension.strip()] = code.strip()
    return dims


def _reform(request: HttpRequest) -> str:
    reform = request.GET.get("reform", "as_reported").strip() or "as_reported"
    if reform not in REFORMS:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop("reform must be one of %(choices)s."),
            {"choices": ", ".join(REFORMS)},
        )
    return reform


def _int(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop("%(name)s must be a whole number from 1 to %(max)d."),
            {"name": name, "max": maximum},
        )
    return int(raw)


def _format(request: HttpRequest) -> str:
    wanted = request.GET.get("format", "").strip().lower()
    if not wanted:
        accept = request.headers.get("Accept", "")
        if "application/vnd.sdmx.data+csv" in accept:
            wanted = "sdmx-csv"
        elif "text/csv" in accept:
            wanted = "csv"
        else:
            wanted = "json"
    if wanted not in {"json", "csv", "sdmx-csv"}:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop("format must be json, csv or sdmx-csv."),
        )
    return wanted


def _query(request: HttpRequest, principal: ApiPrincipal):
    unit_paths, open_only = scope_of(principal)
    period_from, period_to = _period_range(request)
    try:
        return observations_query(
            unit_paths=unit_paths,
            indicators=_list(request, "indicator"),
            units=_list(request, "unit"),
            level=request.GET.get("level", "").strip() or None,
            period_from=period_from,
            period_to=period_to,
            dims=_dims(request),
            reform=_reform(request),
            open_only=open_only,
        )
    except ValueError:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop(
                "period must be a period (2026M01) or a range (2026M01..2026M10)."
            ),
        ) from None


def _row_json(row) -> dict:
    return {
        "indicator": row.indicator,
        "dims": row.dims,
        "unit": row.unit_code,
        "unitName": row.unit_name,
        "level": row.level,
        "period": row.period,
        "value": _plain(row.value),
        "status": row.status,
        "publishedAt": row.published_at.isoformat(),
        "revision": row.revision_id,
        "approvalEvent": row.event_id,
    }


def _plain(value) -> str:
    """Return an exact decimal in plain notation: 1234.5, never 1.2345E+3."""
    return format(value.normalize(), "f")


@api_endpoint(methods=("GET",), anonymous=True, openapi=openapi_pull.OBSERVATIONS)
def observations(request: HttpRequest, principal: ApiPrincipal) -> HttpResponse:
    """Return published observations as JSON (paginated), CSV or SDMX-CSV 2.0."""
    wanted = _format(request)
    page = _int(request, "page", 1, 1_000_000)
    page_size = _int(request, "pageSize", 1000, MAX_PAGE_SIZE)
    rows = _query(request, principal)
    if wanted == "json":
        total = len(rows)
        first = (page - 1) * page_size
        return _json(
            {
                "pager": {
                    "page": page,
                    "pageSize": page_size,
                    "total": total,
                    "pageCount": max(1, -(-total // page_size)),
                },
                "observations": [_row_json(r) for r in rows[first : first + page_size]],
            }
        )
    if len(rows) > MAX_ROWS:
        raise ApiError(
            400,
            "too_many_rows",
            gettext_noop(
                "The answer would hold %(count)d rows (at most %(max)d): narrow the "
                "indicators, units or periods."
            ),
            {"count": len(rows), "max": MAX_ROWS},
        )
    if wanted == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["indicator", "dims", "unit", "unit_name", "level", "period", "value"]
            + ["status", "published_at", "revision", "approval_event"]
        )
        for row in rows:
            writer.writerow(
                [
                    row.indicator,
                    row.dim_key,
                    row.unit_code,
                    _csv_safe(row.unit_name),
                    row.level,
                    row.period,
                    _plain(row.value),
                    row.status,
                    row.published_at.isoformat(),
                    row.revision_id or "",
                    row.event_id or "",
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="observations.csv"'
        return response
    structure = catalogue_structure()
    dimension_ids = [d.id for d in structure.dimensions[2:]]
    records = [
        {
            "INDICATOR": indicator_id(row.indicator),
            "REF_AREA": area_id(row.unit_code, row.level, row.unit_valid_to),
            **{d: row.dims.get(d, NOT_APPLICABLE) for d in dimension_ids},
            TIME_PERIOD: sdmx_period(row.period),
            OBS_VALUE: _plain(row.value),
            OBS_STATUS: STATUS_CODES[row.status],
        }
        for row in rows
    ]
    response = HttpResponse(data_csv(structure, records), content_type=SDMX_CSV)
    response["Content-Disposition"] = 'attachment; filename="observations.sdmx.csv"'
    return response


def _csv_safe(text: str) -> str:
    """Keep a text cell from turning into a formula in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\x00") else text


@api_endpoint(methods=("GET",), anonymous=True, openapi=openapi_pull.STRUCTURE)
def structure(request: HttpRequest, principal: ApiPrincipal) -> HttpResponse:
    """Return the SDMX-ML 2.1 structure message the SDMX-CSV data follows (the
    open-data indicators only, without a token)."""
    body = sdmx_structure_message(
        catalogue_structure(open_only=principal.anonymous),
        prepared=timezone.localtime().replace(tzinfo=None),
        message_id=f"STR{datetime.datetime.now():%Y%m%d%H%M%S}",
    )
    return HttpResponse(body, content_type=SDMX_STRUCTURE)


@api_endpoint(methods=("GET",), anonymous=True, openapi=openapi_pull.INDICATORS)
def indicators(request: HttpRequest, principal: ApiPrincipal) -> JsonResponse:
    """Return the indicator catalogue (open-data indicators only without a token)."""
    from indicators.selectors import indicators_catalogue

    catalogue = indicators_catalogue()
    items = [
        {
            "code": indicator.code,
            "name": indicator.name,
            "unitOfMeasure": indicator.unit_of_measure,
            "aggregation": indicator.aggregation,
            "openData": indicator.open_data,
            "dimensions": [d.code for d in indicator.dimensions.all()],
        }
        for indicator in catalogue
        if indicator.open_data or not principal.anonymous
    ]
    return _json({"indicators": items})


def _require(request: HttpRequest, *names: str) -> None:
    """Refuse a request that lacks any of the query parameters ``names``."""
    missing = [name for name in names if not request.GET.get(name)]
    if missing:
        raise ApiError(
            400,
            "parameter_missing",
            gettext_noop("Parameters required: %(names)s."),
            {"names": ", ".join(missing)},
        )


@api_endpoint(methods=("GET",), openapi=openapi_pull.HISTORY)
def history(request: HttpRequest, principal: ApiPrincipal) -> JsonResponse:
    """Return every version of one observation with its lineage."""
    unit_paths, _open = scope_of(principal)
    _require(request, *("indicator", "unit", "period"))
    try:
        rows = observation_history(
            unit_paths=unit_paths,
            indicator=request.GET["indicator"].strip(),
            unit_code=request.GET["unit"].strip(),
            period=request.GET["period"].strip(),
            dim_key=request.GET.get("dims", "").strip(),
        )
    except ValueError:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop(
                "period must be a period (2026M01) or a range (2026M01..2026M10)."
            ),
        ) from None
    return _json(
        {
            "history": [
                {
                    "value": _plain(row.value),
                    "status": row.status,
                    "current": row.is_current,
                    "publishedAt": row.published_at.isoformat(),
                    "withdrawnAt": row.withdrawn_at.isoformat()
                    if row.withdrawn_at
                    else None,
                    "revision": row.revision_id,
                    "revisionNumber": row.revision_number,
                    "approvalEvent": row.event_id,
                    "approvalAction": row.event_action,
                    "approvedBy": row.approved_by,
                    "approvedAt": row.approved_at.isoformat(),
                }
                for row in rows
            ]
        }
    )


@api_endpoint(methods=("GET",), openapi=openapi_pull.ROLLUP)
def rollups(request: HttpRequest, principal: ApiPrincipal) -> JsonResponse:
    """Return, per unit of a level, the reported and the rolled-up value."""
    unit_paths, _open = scope_of(principal)
    _require(request, *("indicator", "period", "level"))
    try:
        rows = rollup(
            unit_paths=unit_paths,
            indicator=request.GET["indicator"].strip(),
            period=request.GET["period"].strip(),
            level=request.GET["level"].strip(),
            dims=_dims(request),
        )
    except ValueError:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop(
                "period must be a period (2026M01) or a range (2026M01..2026M10)."
            ),
        ) from None
    return _json(
        {
            "rollup": [
                {
                    "unit": row.unit_code,
                    "unitName": row.unit_name,
                    "dims": row.dim_key,
                    "reported": _plain(row.reported)
                    if row.reported is not None
                    else None,
                    "rolledUp": _plain(row.rolled_up)
                    if row.rolled_up is not None
                    else None,
                    "unitsBelow": row.units_below,
                    "differs": row.differs,
                }
                for row in rows
            ]
        }
    )
