"""Pull endpoints: scope by token and role, open data without a token, JSON, CSV and
SDMX-CSV read back by sdmx1 against our own structure message."""

import csv
import io
from decimal import Decimal

import pytest
import sdmx

from api.sdmx import codes_check
from api.sdmx_structure import catalogue_structure
from api.services import token_create
from reporting.models import Revision
from tests.factories import make_user
from tests.indicators.factories import make_catalogue, observe
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import catalog_version, make_submission
from workflow.models import ApprovalEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    tree = make_small_tree()
    total, population, rate = make_catalogue()
    version = catalog_version()

    events = {}

    def put(indicator, unit, value, period="2025", dims=None, status="official"):
        event = events.get(unit.pk)
        if event is None:
            submission = make_submission(version, unit, period, "accepted")
            revision = Revision.objects.create(
                submission=submission, number=1, source="web", values={}, digest="x"
            )
            event = events[unit.pk] = ApprovalEvent.objects.create(
                submission=submission,
                revision=revision,
                action="approve",
                from_status="awaiting_review",
                to_status="accepted",
            )
        submission = event.submission
        return observe(
            indicator,
            unit,
            period,
            Decimal(value),
            submission=submission,
            event=event,
            dims=dims,
            status=status,
        )

    put(total, tree.commune, "12", dims={"SEX": "F"})
    put(total, tree.other_commune, "7.5", dims={"SEX": "F"})
    put(population, tree.commune, "4200")  # not open data
    put(total, tree.sibling_commune, "3", dims={"SEX": "T"}, status="provisional")
    return tree


def token_for(user, units=()):
    admin = make_user(is_superuser=True)
    _token, key = token_create(
        acting_user=admin,
        name="Hệ thống phân tích",
        user=user,
        units=list(units),
        can_push=False,
        rate_limit=600,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def rows_of(response):
    return sorted(
        (o["indicator"], o["unit"], o["value"], o["status"])
        for o in response.json()["observations"]
    )


def test_without_a_token_only_official_open_data_is_served(client, store):
    response = client.get("/api/v1/observations?period=2025")

    assert response.status_code == 200
    assert rows_of(response) == [
        ("0603.01", "T9001", "12", "official"),
        ("0603.01", "T9101", "7.5", "official"),
    ]


def test_a_token_reads_what_its_user_analyses_within_its_units(client, store):
    # given an analyst of the district An Bình (communes T9001 and T9002)
    analyst = make_user(role="analyst", unit=store.district)

    # when its token asks for everything
    response = client.get("/api/v1/observations", **token_for(analyst))

    # then it gets every status and indicator of its district, none of Bình Minh
    assert rows_of(response) == [
        ("0101", "T9001", "4200", "official"),
        ("0603.01", "T9001", "12", "official"),
        ("0603.01", "T9002", "3", "provisional"),
    ]

    # and a token narrowed to one commune sees that commune only
    narrowed = client.get(
        "/api/v1/observations", **token_for(analyst, units=[store.commune])
    )
    assert {o["unit"] for o in narrowed.json()["observations"]} == {"T9001"}


def test_a_reporter_token_reads_nothing_beyond_open_data_rules(client, store):
    reporter = make_user(role="reporter", unit=store.commune)

    response = client.get("/api/v1/observations", **token_for(reporter))

    assert response.json()["observations"] == []


def test_filters_by_indicator_unit_dimension_and_pagination(client, store):
    analyst = make_user(role="analyst", unit=store.province)
    auth = token_for(analyst)

    by_dims = client.get("/api/v1/observations?dims=SEX:F&indicator=0603.01", **auth)
    by_unit = client.get("/api/v1/observations?unit=T9101", **auth)
    paged = client.get("/api/v1/observations?pageSize=2&page=2", **auth)

    assert [o["unit"] for o in by_dims.json()["observations"]] == ["T9001", "T9101"]
    assert [o["unit"] for o in by_unit.json()["observations"]] == ["T9101"]
    assert paged.json()["pager"] == {
        "page": 2,
        "pageSize": 2,
        "total": 4,
        "pageCount": 2,
    }
    assert len(paged.json()["observations"]) == 2


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("period=2025X", "period"),
        ("dims=SEX", "dims"),
        ("reform=1990", "reform"),
        ("format=xml", "format"),
        ("pageSize=0", "pageSize"),
    ],
)
def test_bad_parameters_get_a_clear_bilingual_message(client, store, query, named):
    response = client.get(f"/api/v1/observations?{query}")

    assert response.status_code == 400
    body = response.json()
    assert named in body["message"] and named in body["message_en"]
    assert body["message"] != body["message_en"]  # Vietnamese beside English


def test_csv_lists_the_rows_with_their_lineage(client, store):
    response = client.get("/api/v1/observations?format=csv")

    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["unit"], r["value"], r["dims"]) for r in lines] == [
        ("T9001", "12", "SEX=F"),
        ("T9101", "7.5", "SEX=F"),
    ]
    assert all(r["revision"] and r["approval_event"] for r in lines)


def test_sdmx_csv_is_read_back_by_sdmx1_with_our_structure(client, store):
    # given the structure message the API publishes, read by sdmx1
    structure = client.get("/api/v1/sdmx/structure")
    assert structure.status_code == 200
    message = sdmx.read_sdmx(io.BytesIO(structure.content))
    dsd = message.structure["DF_EBAOCAO"]
    assert [d.id for d in dsd.dimensions] == [
        "INDICATOR",
        "REF_AREA",
        "SEX",
        "TIME_PERIOD",
    ]

    # when the open data is asked for as SDMX-CSV 2.0
    response = client.get(
        "/api/v1/observations",
        HTTP_ACCEPT="application/vnd.sdmx.data+csv;version=2.0.0",
    )
    text = response.content.decode()

    # then sdmx1 reads the same observations back
    data = sdmx.read_sdmx(io.BytesIO(text.encode()), format="csv", structure=dsd)
    observations = sorted(
        (
            obs.key.get_values(),
            str(obs.value),
            str(obs.attached_attribute["OBS_STATUS"].value),
        )
        for dataset in data.data
        for obs in dataset.obs
    )
    assert observations == [
        (("0603_01", "CT9001", "F", "2025"), "12", "A"),
        (("0603_01", "CT9101", "F", "2025"), "7.5", "A"),
    ]

    # and every code is in its codelist (sdmx1 does not check this)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert codes_check(catalogue_structure(), rows) == []
    assert codes_check(catalogue_structure(), [{**rows[0], "SEX": "X"}])


def test_history_and_rollup_need_a_token(client, store):
    assert client.get("/api/v1/rollup?indicator=0603.01&period=2025").status_code == (
        401
    )
    analyst = make_user(role="analyst", unit=store.province)

    rollup = client.get(
        "/api/v1/rollup?indicator=0603.01&period=2025&level=district&dims=SEX:F",
        **token_for(analyst),
    )
    missing = client.get("/api/v1/rollup?indicator=0603.01", **token_for(analyst))

    assert rollup.status_code == 200
    assert {(r["unit"], r["rolledUp"]) for r in rollup.json()["rollup"]} == {
        ("T91", "12"),
        ("T92", "7.5"),
    }
    assert missing.status_code == 400
    assert "period" in missing.json()["message_en"]


def test_the_catalogue_hides_closed_indicators_from_anonymous_callers(client, store):
    analyst = make_user(role="analyst", unit=store.province)

    anonymous = client.get("/api/v1/indicators").json()["indicators"]
    with_token = client.get("/api/v1/indicators", **token_for(analyst)).json()

    assert [i["code"] for i in anonymous] == ["0603.01"]
    assert [i["code"] for i in with_token["indicators"]] == ["0101", "0102", "0603.01"]
