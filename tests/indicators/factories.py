"""A small catalogue, a form mapped to it, and observations put straight in."""

import json

from django.utils import timezone

from forms.definition.periods import parse_period
from forms.services import form_import
from indicators.models import Observation, ObservationStatus
from indicators.publishing import dim_key_of
from indicators.services import cell_mapping_set, dimension_save, indicator_save
from tests.reporting.factories import CATALOG


def make_catalogue():
    """Dimension SEX (T, F, M); indicators of commendations, a weighted rate."""
    dimension_save(
        acting_user=None,
        code="SEX",
        name="Giới tính",
        codes=[("T", "Tổng số"), ("F", "Nữ"), ("M", "Nam")],
    )
    total = indicator_save(
        acting_user=None,
        code="0603.01",
        name="Số khen thưởng",
        unit_of_measure="Lượt",
        dimensions=["SEX"],
        open_data=True,
    )
    population = indicator_save(
        acting_user=None, code="0101", name="Dân số", unit_of_measure="Người"
    )
    rate = indicator_save(
        acting_user=None,
        code="0102",
        name="Tỷ lệ biết chữ",
        unit_of_measure="%",
        aggregation="weighted_average",
        weight_indicator="0101",
    )
    return total, population, rate


def map_version(version):
    """Map rows 02 and 11 (column 2) of the 0603 form."""
    return cell_mapping_set(
        acting_user=None,
        form_version=version,
        mappings=[
            {"row": "02", "column": 2, "indicator": "0603.01", "dims": {"SEX": "T"}},
            {"row": "03", "column": 2, "indicator": "0603.01", "dims": {"SEX": "F"}},
            {"row": "11", "column": 2, "indicator": "0101", "dims": {}},
        ],
    )


def observe(indicator, unit, period, value, *, submission, dims=None, **fields):
    """Insert a current observation directly (for tests of what reads the store)."""
    parsed = parse_period(period)
    event = fields.pop("event")
    return Observation.objects.create(
        indicator=indicator,
        dim_key=dim_key_of(dims or {}),
        dims=dims or {},
        org_unit=unit,
        period=parsed.id,
        period_start=parsed.start,
        period_end=parsed.end,
        value=value,
        status=fields.pop("status", ObservationStatus.OFFICIAL),
        published_at=timezone.now(),
        submission=submission,
        revision_id=event.revision_id,
        approval_event=event,
        **fields,
    )


def long_version(rows: int = 64):
    """Return a published form of ``rows`` coded rows ("01"...) by the five columns
    of the 0603 form (column 1 their total), for the mapping editor of a big form."""
    document = json.loads((CATALOG / "0603.N_BNV-TDKT.form.json").read_text())
    document.update(
        code="T64.N/THU-NGHIEM",
        title=f"Biểu thử nghiệm {rows} dòng",
        rows=[
            {"code": f"{n:02d}", "label": f"Dòng thử số {n}"}
            for n in range(1, rows + 1)
        ],
        cells=[],
    )
    version, _created = form_import(
        acting_user=None, text=json.dumps(document).encode()
    )
    return version
