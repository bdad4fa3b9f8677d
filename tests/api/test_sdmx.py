"""Our SDMX output read back by the independent sdmx1 library; codes checked by us."""

import datetime
import io

import pytest
import sdmx

from api.sdmx import (
    Code,
    Codelist,
    Dimension,
    Structure,
    codes_check,
    data_csv,
    sdmx_period,
    structure_message,
)

STATUSES = Codelist(
    "CL_OBS_STATUS", "Tình trạng", (Code("A", "Chính thức"), Code("P", "Sơ bộ"))
)
STRUCTURE = Structure(
    agency="GSO",
    id="DF_EBAOCAO",
    version="1.0",
    name="Chỉ tiêu thống kê quốc gia",
    dimensions=(
        Dimension(
            "INDICATOR",
            "Chỉ tiêu",
            Codelist("CL_INDICATOR", "Chỉ tiêu", (Code("X0101", "Dân số"),)),
        ),
        Dimension(
            "REF_AREA",
            "Đơn vị hành chính",
            Codelist(
                "CL_REF_AREA",
                "Đơn vị",
                (Code("P01", "Thành phố Hà Nội"), Code("P79", "TP Hồ Chí Minh")),
            ),
        ),
        Dimension(
            "SEX",
            "Giới tính",
            Codelist(
                "CL_SEX",
                "Giới tính",
                (Code("F", "Nữ"), Code("M", "Nam"), Code("_T", "Tổng")),
            ),
        ),
    ),
    statuses=STATUSES,
)
ROWS = [
    {
        "INDICATOR": "X0101",
        "REF_AREA": "P01",
        "SEX": "F",
        "TIME_PERIOD": "2026-01",
        "OBS_VALUE": "4275.5",
        "OBS_STATUS": "A",
    },
    {
        "INDICATOR": "X0101",
        "REF_AREA": "P79",
        "SEX": "_T",
        "TIME_PERIOD": "2026-02",
        "OBS_VALUE": "9521",
        "OBS_STATUS": "P",
    },
]


def read_structure():
    message = structure_message(
        STRUCTURE,
        prepared=datetime.datetime(2026, 11, 26, 8, 0),
        message_id="test-1",
    )
    return sdmx.read_sdmx(io.BytesIO(message))


def test_sdmx1_reads_the_structure_message():
    message = read_structure()

    flow = message.dataflow["DF_EBAOCAO"]
    dsd = message.structure["DF_EBAOCAO"]
    assert flow.structure is dsd or flow.structure.id == "DF_EBAOCAO"
    assert [d.id for d in dsd.dimensions] == [
        "INDICATOR",
        "REF_AREA",
        "SEX",
        "TIME_PERIOD",
    ]
    assert [a.id for a in dsd.attributes] == ["OBS_STATUS"]
    assert [m.id for m in dsd.measures] == ["OBS_VALUE"]
    assert sorted(message.codelist["CL_SEX"].items) == ["F", "M", "_T"]
    assert str(message.codelist["CL_REF_AREA"]["P01"].name) == "Thành phố Hà Nội"
    assert "TIME_PERIOD" in message.concept_scheme["CS_DF_EBAOCAO"].items


def test_sdmx1_reads_our_csv_back_with_the_same_values():
    dsd = read_structure().structure["DF_EBAOCAO"]
    text = data_csv(STRUCTURE, ROWS)

    assert text.splitlines()[0] == (
        "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,SEX,TIME_PERIOD,"
        "OBS_VALUE,OBS_STATUS"
    )
    assert text.splitlines()[1].startswith("dataflow,GSO:DF_EBAOCAO(1.0),I,")
    message = sdmx.read_sdmx(io.BytesIO(text.encode()), format="csv", structure=dsd)
    observations = [
        (
            obs.key.get_values(),
            str(obs.value),
            str(obs.attached_attribute["OBS_STATUS"].value),
        )
        for dataset in message.data
        for obs in dataset.obs
    ]
    assert sorted(observations) == [
        (("X0101", "P01", "F", "2026-01"), "4275.5", "A"),
        (("X0101", "P79", "_T", "2026-02"), "9521", "P"),
    ]


def test_codes_outside_the_codelists_are_reported():
    rows = [{**ROWS[0], "SEX": "X"}, {**ROWS[1], "OBS_STATUS": "Z"}]

    problems = codes_check(STRUCTURE, rows)

    assert [(p.row, p.column, p.value) for p in problems] == [
        (1, "SEX", "X"),
        (2, "OBS_STATUS", "Z"),
    ]
    assert codes_check(STRUCTURE, ROWS) == []


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("2026M1", "2026-01"),
        ("2026M12", "2026-12"),
        ("2026Q2", "2026-Q2"),
        ("2026", "2026"),
    ],
)
def test_periods_are_written_in_sdmx_time_format(ours, theirs):
    assert sdmx_period(ours) == theirs
