"""API authorization matrix: every endpoint x caller x own/foreign unit.

The callers: no token, tokens of a commune reporter, of a district reviewer,
analyst and administrator, of a superuser, and tokens narrowed to the district (an
analyst of the whole province, a superuser). "Own" is the commune Xã An Hòa
(T9001, in the district Huyện An Bình T91); "foreign" the commune Xã Bình Lợi
(T9101, in Huyện Bình Minh T92). Rows of a foreign unit never appear, pushes for
it are refused naming it, and without a token only official figures of open-data
indicators are served; history and rollups refuse callers without a token.
"""

import csv
import io
import json
from decimal import Decimal

import pytest
from defusedxml import ElementTree

from api.services import token_create
from reporting.models import Revision
from tests.factories import make_user
from tests.imports.factories import report_setup
from tests.indicators.factories import make_catalogue, observe
from tests.reporting.factories import make_submission
from workflow.models import ApprovalEvent

pytestmark = pytest.mark.django_db

PERIOD = "2025"
PUSH_PERIOD = "2024"  # the reports of PERIOD are accepted (the figures' lineage)
CALLERS = (
    "anonymous",
    "reporter",
    "reviewer",
    "analyst",
    "administrator",
    "superuser",
    "narrowed_analyst",
    "narrowed_superuser",
)
SIDES = ("own", "foreign")
# Callers that read every figure of a unit of the side (analysable units).
_READS = {
    "own": {
        "reviewer",
        "analyst",
        "administrator",
        "superuser",
        "narrowed_analyst",
        "narrowed_superuser",
    },
    "foreign": {"superuser"},
}
# Callers that may push the reports of a unit of the side.
_PUSHES = {
    "own": {"reporter", "superuser", "narrowed_superuser"},
    "foreign": {"superuser"},
}


@pytest.fixture(autouse=True)
def generous_anonymous_limit(monkeypatch):
    # The matrix makes many calls without a token from one address.
    monkeypatch.setattr("api.auth.ANONYMOUS_RATE_LIMIT", 100_000)


@pytest.fixture
def world():
    """The small tree reporting one form, a catalogue and figures of both sides:
    open-data 0603.01 (official SEX=F, provisional SEX=T) and closed 0101."""
    setup = report_setup()
    tree = setup.tree
    total, population, _rate = make_catalogue()
    for unit, female, both, people in (
        (tree.commune, "12", "30", "4200"),
        (tree.other_commune, "7.5", "20", "900"),
        (tree.district, "12", None, None),
        (tree.other_district, "7.5", None, None),
    ):
        submission = _accepted(setup.version, unit)
        event = ApprovalEvent.objects.create(
            submission=submission,
            revision=submission.current_revision,
            action="approve",
            from_status="awaiting_review",
            to_status="accepted",
        )
        figures = [(total, female, {"SEX": "F"}, "official")]
        if both:
            figures.append((total, both, {"SEX": "T"}, "provisional"))
        if people:
            figures.append((population, people, {}, "official"))
        for indicator, value, dims, status in figures:
            observe(
                indicator,
                unit,
                PERIOD,
                Decimal(value),
                submission=submission,
                event=event,
                dims=dims,
                status=status,
            )
    return setup


def _accepted(version, unit):
    submission = make_submission(version, unit, PERIOD, "accepted")
    revision = Revision.objects.create(
        submission=submission, number=1, source="web", values={}, digest="x"
    )
    submission.current_revision = revision
    submission.save(update_fields=["current_revision"])
    return submission


def _caller(name: str, world) -> dict:
    """Return the request headers of caller ``name`` (a token that may push)."""
    tree = world.tree
    if name == "anonymous":
        return {}
    user, units = {
        "reporter": (lambda: make_user(role="reporter", unit=tree.commune), []),
        "reviewer": (lambda: make_user(role="reviewer", unit=tree.district), []),
        "analyst": (lambda: make_user(role="analyst", unit=tree.district), []),
        "administrator": (
            lambda: make_user(role="administrator", unit=tree.district),
            [],
        ),
        "superuser": (lambda: make_user(is_superuser=True), []),
        "narrowed_analyst": (
            lambda: make_user(role="analyst", unit=tree.province),
            [tree.district],
        ),
        "narrowed_superuser": (
            lambda: make_user(is_superuser=True),
            [tree.district],
        ),
    }[name]
    _token, key = token_create(
        acting_user=make_user(is_superuser=True),
        name=f"Hệ thống {name}",
        user=user(),
        units=units,
        can_push=True,
        rate_limit=10_000,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _unit(world, side: str):
    return world.tree.commune if side == "own" else world.tree.other_commune


def _district(world, side: str):
    return world.tree.district if side == "own" else world.tree.other_district


# Every endpoint below runs the whole matrix.
MATRIX = [(caller, side) for caller in CALLERS for side in SIDES]


@pytest.mark.parametrize(("caller", "side"), MATRIX)
@pytest.mark.parametrize("wanted", ["json", "csv", "sdmx-csv"])
def test_observations(client, world, caller, side, wanted):
    # given the caller and a unit of the side
    unit = _unit(world, side)

    # when it asks for the unit's observations
    response = client.get(
        f"/api/v1/observations?unit={unit.code}&format={wanted}",
        **_caller(caller, world),
    )

    # then it sees every figure of an analysable unit, official open data without
    # a token, and nothing otherwise
    assert response.status_code == 200
    if caller == "anonymous":
        expected = {("0603.01", unit.code, "official")}
    elif caller in _READS[side]:
        expected = {
            ("0603.01", unit.code, "official"),
            ("0603.01", unit.code, "provisional"),
            ("0101", unit.code, "official"),
        }
    else:
        expected = set()
    assert _rows(response, wanted) == expected


@pytest.mark.parametrize("caller", CALLERS)
def test_observations_without_filters_never_list_a_foreign_unit(client, world, caller):
    # when the caller asks for everything
    response = client.get("/api/v1/observations", **_caller(caller, world))

    # then only the units it may read appear (open data: everyone's, official)
    tree = world.tree
    units = {o["unit"]: o for o in response.json()["observations"]}
    if caller == "anonymous":
        assert set(units) == {"T9001", "T9101", "T91", "T92"}
        assert {o["status"] for o in units.values()} == {"official"}
    elif caller == "superuser":
        assert set(units) == {"T9001", "T9101", "T91", "T92"}
    elif caller in _READS["own"]:
        assert set(units) == {tree.commune.code, tree.district.code}
    else:
        assert units == {}


@pytest.mark.parametrize(("caller", "side"), MATRIX)
def test_history(client, world, caller, side):
    unit = _unit(world, side)

    response = client.get(
        f"/api/v1/observations/history?indicator=0603.01&unit={unit.code}"
        f"&period={PERIOD}&dims=SEX=F",
        **_caller(caller, world),
    )

    if caller == "anonymous":
        assert response.status_code == 401
        assert response.json()["code"] == "token_missing"
        return
    assert response.status_code == 200
    versions = response.json()["history"]
    if caller in _READS[side]:
        expected = "12" if side == "own" else "7.5"
        assert [(v["value"], v["current"]) for v in versions] == [(expected, True)]
    else:
        assert versions == []


@pytest.mark.parametrize(("caller", "side"), MATRIX)
def test_rollup(client, world, caller, side):
    district = _district(world, side)

    response = client.get(
        f"/api/v1/rollup?indicator=0603.01&period={PERIOD}&level=district&dims=SEX:F",
        **_caller(caller, world),
    )

    if caller == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    rows = {r["unit"]: r for r in response.json()["rollup"]}
    if caller in _READS[side]:
        expected = "12" if side == "own" else "7.5"
        row = rows[district.code]
        assert (row["reported"], row["rolledUp"]) == (expected, expected)
    else:
        assert district.code not in rows
    # nothing of a unit outside the caller's reach, whatever the side asked
    allowed = {"superuser": {"T91", "T92"}}.get(
        caller, {"T91"} if caller in _READS["own"] else set()
    )
    assert set(rows) <= allowed


@pytest.mark.parametrize(("caller", "side"), MATRIX)
@pytest.mark.parametrize("path", ["dataValueSets", "adx"])
def test_push(client, world, caller, side, path):
    # given a data value set for a unit of the side
    unit = _unit(world, side)
    form = world.version.template.code
    if path == "adx":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<adx xmlns="urn:ihe:qrph:adx:2015" exported="2026-01-05T10:00:00Z">'
            f'<group dataSet="{form}" period="{PUSH_PERIOD}-01-01/P1Y" '
            f'orgUnit="{unit.code}">'
            '<dataValue dataElement="02" column="2" value="5"/></group></adx>'
        ).encode()
        content_type = "application/adx+xml"
    else:
        body = json.dumps(
            {
                "dataSet": form,
                "period": PUSH_PERIOD,
                "orgUnit": unit.code,
                "dataValues": [
                    {"dataElement": "02", "categoryOptionCombo": "2", "value": "5"}
                ],
            }
        )
        content_type = "application/json"

    # when the caller pushes it (a dry run: the checks are the same)
    response = client.post(
        f"/api/v1/{path}?dryRun=true",
        data=body,
        content_type=content_type,
        **_caller(caller, world),
    )

    # then a reporter of the unit (or a superuser within the token's units) is
    # counted, anyone else refused naming the unit, and no token is a 401
    if caller == "anonymous":
        assert response.status_code == 401
        return
    body = response.json()
    if caller in _PUSHES[side]:
        assert response.status_code == 200, body
        assert body["counts"]["created"] == 1
    else:
        assert response.status_code == 409, body
        conflict = body["conflicts"][0]
        assert conflict["code"] == "unit_not_permitted"
        assert conflict["unit"] == unit.code
        assert unit.name in conflict["message"] and unit.name in conflict["message_en"]
        assert body["counts"]["created"] == 0


@pytest.mark.parametrize("caller", CALLERS)
def test_catalogue_structure_and_openapi(client, world, caller):
    auth = _caller(caller, world)

    indicators = client.get("/api/v1/indicators", **auth)
    structure = client.get("/api/v1/sdmx/structure", **auth)
    openapi = client.get("/api/v1/openapi.json", **auth)

    assert (indicators.status_code, structure.status_code, openapi.status_code) == (
        200,
        200,
        200,
    )
    codes = [i["code"] for i in indicators.json()["indicators"]]
    listed = _structure_indicators(structure.content)
    if caller == "anonymous":
        # a closed indicator is not even named without a token
        assert codes == ["0603.01"]
        assert listed == {"0603_01"}
    else:
        assert codes == ["0101", "0102", "0603.01"]
        assert listed == {"0101", "0102", "0603_01"}


def _structure_indicators(content: bytes) -> set[str]:
    root = ElementTree.fromstring(content)
    return {
        code.get("id")
        for codelist in root.iter()
        if codelist.tag.endswith("}Codelist") and codelist.get("id") == "CL_INDICATOR"
        for code in codelist
        if code.tag.endswith("}Code")
    }


def _rows(response, wanted: str) -> set[tuple[str, str, str]]:
    if wanted == "json":
        return {
            (o["indicator"], o["unit"], o["status"])
            for o in response.json()["observations"]
        }
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    if wanted == "csv":
        return {(r["indicator"], r["unit"], r["status"]) for r in lines}
    statuses = {"A": "official", "P": "provisional"}
    return {
        (
            r["INDICATOR"].replace("_", "."),
            r["REF_AREA"][1:],
            statuses[r["OBS_STATUS"]],
        )
        for r in lines
    }
