"""The SDMX structure of the indicator store, built from the catalogue and the units.

One data structure definition (and dataflow) covers every indicator: its dimensions
are INDICATOR, REF_AREA, each disaggregation dimension of the catalogue (``_Z``, "not
applicable", where an indicator does not use it) and TIME_PERIOD. REF_AREA codes are
a level letter and the unit code (P01, D001, C00004), with the last year of validity
for units that ended (P01_2025 is Hà Nội before the 2025 reform).
"""

from __future__ import annotations

from django.conf import settings

from api.sdmx import Code, Codelist, Dimension, Structure
from indicators.models import Dimension as IndicatorDimension
from indicators.models import Indicator
from orgunits.models import OrgUnit

NOT_APPLICABLE = "_Z"
STATUS_CODES = {"official": "A", "provisional": "P"}
LEVEL_LETTERS = {"national": "N", "province": "P", "district": "D", "commune": "C"}
STRUCTURE_ID = "DF_EBAOCAO"


def _code(text: str) -> str:
    return "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "_@$-") else "_" for ch in text
    )


def indicator_id(code: str) -> str:
    return _code(code)


def area_id(code: str, level: str, valid_to) -> str:
    suffix = f"_{valid_to.year}" if valid_to else ""
    return f"{LEVEL_LETTERS.get(level, 'U')}{_code(code)}{suffix}"


def catalogue_structure(*, open_only: bool = False) -> Structure:
    """Return the structure of the whole store as it stands; ``open_only`` lists
    only open-data indicators (for callers without a token, who must not learn
    even the names of the others)."""
    catalogue = Indicator.objects.order_by("code")
    if open_only:
        catalogue = catalogue.filter(open_data=True)
    indicators = Codelist(
        "CL_INDICATOR",
        "Chỉ tiêu thống kê",
        tuple(
            Code(indicator_id(code), name)
            for code, name in catalogue.values_list("code", "name")
        ),
    )
    areas = Codelist(
        "CL_REF_AREA",
        "Đơn vị hành chính và cơ quan",
        tuple(
            Code(area_id(code, level, valid_to), name)
            for code, level, valid_to, name in OrgUnit.objects.order_by(
                "level__rank", "code", "valid_to"
            ).values_list("code", "level__code", "valid_to", "name")
        ),
    )
    dimensions = [
        Dimension("INDICATOR", "Chỉ tiêu", indicators),
        Dimension("REF_AREA", "Đơn vị", areas),
    ]
    for dimension in IndicatorDimension.objects.order_by("code").prefetch_related(
        "codes"
    ):
        codes = [Code(_code(c.code), c.name) for c in dimension.codes.order_by("code")]
        codes.append(Code(NOT_APPLICABLE, "Không áp dụng"))
        dimensions.append(
            Dimension(
                _code(dimension.code),
                dimension.name,
                Codelist(f"CL_{_code(dimension.code)}", dimension.name, tuple(codes)),
            )
        )
    return Structure(
        agency=getattr(settings, "SDMX_AGENCY", "VN_NSO"),
        id=STRUCTURE_ID,
        version="1.0",
        name="Hệ thống chỉ tiêu thống kê – báo cáo thống kê điện tử",
        dimensions=tuple(dimensions),
        statuses=Codelist(
            "CL_OBS_STATUS",
            "Tình trạng số liệu",
            (Code("A", "Chính thức"), Code("P", "Sơ bộ")),
        ),
    )
