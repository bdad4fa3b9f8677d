"""A small catalogue, a form mapped to it, and observations put straight in."""

from django.utils import timezone

from forms.definition.periods import parse_period
from indicators.models import Observation, ObservationStatus
from indicators.publishing import dim_key_of
from indicators.services import cell_mapping_set, dimension_save, indicator_save


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
