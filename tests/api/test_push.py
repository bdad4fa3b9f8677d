"""Pushing data values as JSON and ADX: strategies, dry run, idempotency, refusals."""

import pytest

from reporting.models import Revision, Submission
from tests.api.factories import PERIOD, api_setup, data_value_set, push

pytestmark = pytest.mark.django_db


def _stored(setup, unit=None):
    submission = Submission.objects.get(org_unit=unit or setup.unit, period=PERIOD)
    return submission.current_revision.values


def test_json_push_creates_then_updates_and_reports_unchanged(client):
    # given a token of a commune reporter
    setup = api_setup()

    # when two values are pushed
    first = push(client, setup, data_value_set(setup, {"02:2": "5", "04:5": "7"}))

    # then both are created in an API revision
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "SUCCESS"
    assert first.json()["counts"]["created"] == 2
    assert _stored(setup)["02:2"] == "5"
    assert Revision.objects.get().source == "api"

    # when one is changed and the other sent again
    second = push(client, setup, data_value_set(setup, {"02:2": "6", "04:5": "7"}))

    # then one is updated, one unchanged, and the merge keeps both
    counts = second.json()["counts"]
    assert (counts["updated"], counts["unchanged"], counts["created"]) == (1, 1, 0)
    assert _stored(setup)["02:2"] == "6" and _stored(setup)["04:5"] == "7"

    # when exactly the same values come again, no revision is made
    push(client, setup, data_value_set(setup, {"02:2": "6", "04:5": "7"}))
    assert Revision.objects.count() == 2


def test_decimal_point_numbers_are_read_exactly_and_thousands_refused(client):
    # given a token
    setup = api_setup()

    # when a number with thousands separators is pushed
    response = push(client, setup, data_value_set(setup, {"02:2": "1.234,5"}))

    # then the set is refused, naming the cell, and nothing is stored
    body = response.json()
    assert response.status_code == 409 and body["status"] == "ERROR"
    conflict = body["conflicts"][0]
    assert (conflict["row_code"], conflict["column"], conflict["value"]) == (
        "02",
        2,
        "1.234,5",
    )
    assert conflict["unit"] == setup.unit.code and conflict["period"] == PERIOD
    assert conflict["message"] and conflict["message_en"]
    assert not Revision.objects.exists()


def test_dry_run_counts_everything_and_stores_nothing(client):
    # given a token
    setup = api_setup()

    # when values are pushed as a dry run
    response = push(
        client, setup, data_value_set(setup, {"02:2": "5"}), query="dryRun=true"
    )

    # then the summary counts the creation but no report or revision exists
    assert response.json()["counts"]["created"] == 1
    assert response.json()["dry_run"] is True
    assert not Submission.objects.exists()
    assert not Revision.objects.exists()


def test_replace_removes_stale_values(client):
    # given a report holding two values
    setup = api_setup()
    push(client, setup, data_value_set(setup, {"02:2": "5", "04:5": "7"}))

    # when one value is pushed with REPLACE
    response = push(
        client,
        setup,
        data_value_set(setup, {"02:2": "5"}),
        query="importStrategy=REPLACE",
    )

    # then the other value is gone
    assert response.json()["counts"]["unchanged"] == 1
    assert response.json()["counts"]["deleted"] == 1
    values = _stored(setup)
    assert values["02:2"] == "5" and "04:5" not in values


def test_delete_removes_the_pushed_values_only(client):
    # given a report holding two values
    setup = api_setup()
    push(client, setup, data_value_set(setup, {"02:2": "5", "04:5": "7"}))

    # when one is pushed with DELETE
    response = push(
        client,
        setup,
        data_value_set(setup, {"04:5": ""}),
        query="importStrategy=DELETE",
    )

    # then only that value is removed
    assert response.json()["counts"]["deleted"] == 1
    values = _stored(setup)
    assert values["02:2"] == "5" and "04:5" not in values


def test_a_token_of_one_commune_cannot_push_for_another(client):
    # given a token restricted to commune A, whose user reports for A only
    setup = api_setup()
    other = setup.tree.sibling_commune

    # when it pushes for commune B
    response = push(client, setup, data_value_set(setup, {"02:2": "1"}, unit=other))

    # then B is refused by name and nothing is stored
    body = response.json()
    assert response.status_code == 409
    assert other.name in body["conflicts"][0]["message"]
    assert body["conflicts"][0]["code"] == "unit_not_permitted"
    assert not Submission.objects.exists()


def test_unknown_row_code_is_named(client):
    # given a token
    setup = api_setup()

    # when a value is pushed for a row the form does not have
    response = push(client, setup, data_value_set(setup, {"99X:2": "1"}))

    # then the conflict names the row code and column
    conflict = response.json()["conflicts"][0]
    assert conflict["code"] == "unknown_cell"
    assert "99X" in conflict["message"]


def test_bulk_sets_store_each_report(client):
    # given a token of a reporter of two communes
    setup = api_setup(units=["district"])
    from accounts.services import role_grant

    role_grant(
        acting_user=None,
        user=setup.reporter,
        unit=setup.tree.sibling_commune,
        role="reporter",
    )
    body = {
        "dataValueSets": [
            data_value_set(setup, {"02:2": "1"}),
            data_value_set(setup, {"02:2": "2"}, unit=setup.tree.sibling_commune),
        ]
    }

    # when both sets are pushed at once
    response = push(client, setup, body)

    # then two reports are stored
    assert response.json()["counts"]["created"] == 2
    assert _stored(setup, setup.tree.sibling_commune)["02:2"] == "2"


def test_idempotency_key_replays_and_refuses_another_body(client):
    # given a token
    setup = api_setup()
    body = data_value_set(setup, {"02:2": "5"})

    # when the same request is sent twice with one key
    first = push(client, setup, body, headers={"Idempotency-Key": "abc-1"})
    second = push(client, setup, body, headers={"Idempotency-Key": "abc-1"})

    # then one revision is made and the second answer is the first one
    assert Revision.objects.count() == 1
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"

    # when the key comes with another body
    third = push(
        client,
        setup,
        data_value_set(setup, {"02:2": "6"}),
        headers={"Idempotency-Key": "abc-1"},
    )

    # then it is refused
    assert third.status_code == 422
    assert third.json()["code"] == "idempotency_key_reused"
    assert Revision.objects.count() == 1


def test_adx_push_stores_values(client):
    # given a token and an ADX message for the year
    setup = api_setup()
    message = f"""<?xml version="1.0" encoding="UTF-8"?>
<adx xmlns="urn:ihe:qrph:adx:2015" exported="2026-01-05T10:00:00Z">
  <group dataSet="{setup.form_code}" period="2025-01-01/P1Y" orgUnit="{setup.unit.code}">
    <dataValue dataElement="02" column="2" value="12"/>
    <dataValue dataElement="04" column="5" value="3"/>
  </group>
</adx>""".encode()

    # when it is pushed
    response = push(client, setup, message, path="adx")

    # then the values are stored
    assert response.status_code == 200, response.json()
    assert response.json()["counts"]["created"] == 2
    assert _stored(setup)["02:2"] == "12"


@pytest.mark.parametrize(
    "message",
    [
        b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>
<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="&lol3;"/></adx>""",
        b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="&xxe;"/></adx>""",
    ],
    ids=["billion-laughs", "xxe"],
)
def test_hostile_xml_is_refused(client, message):
    # given a token
    setup = api_setup()

    # when a message with entity tricks is pushed
    response = push(client, setup, message, path="adx")

    # then it is refused with a clear message and nothing is stored
    assert response.status_code == 400
    assert response.json()["code"] == "xml_forbidden"
    assert not Submission.objects.exists()


def test_malformed_json_is_a_clear_400(client):
    setup = api_setup()
    response = client.post(
        "/api/v1/dataValueSets",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {setup.key}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "json_invalid"


def test_pushed_revisions_carry_the_audit_context_and_canonical_values(client):
    import pghistory.models

    # given a token of a commune reporter
    setup = api_setup()

    # when whole numbers are pushed, canonical or not (leading zeros, -0, 1.0)
    response = push(
        client,
        setup,
        data_value_set(
            setup,
            {"02:2": "007", "02:3": "1.0", "04:2": "-0", "05:2": 12, "04:3": "5"},
        ),
        query="importStrategy=REPLACE",
    )

    # then every value is stored in its canonical form, as a typed save stores it
    assert response.status_code == 200, response.json()
    revision = Revision.objects.get()
    assert {cell: revision.values[cell] for cell in ("02:2", "02:3", "04:2")} == {
        "02:2": "7",
        "02:3": "1",
        "04:2": "0",
    }
    assert revision.values["05:2"] == "12" and revision.values["04:3"] == "5"
    assert response.json()["counts"]["created"] == 5
    # and the revision's audit event names the reporter, the push, its token and strategy
    (event,) = pghistory.models.Events.objects.filter(
        pgh_model="reporting.RevisionEvent", pgh_obj_id=revision.pk
    )
    assert event.pgh_data["values"] == revision.values
    context = event.pgh_context
    assert context["user"] == setup.reporter.pk
    assert (context["action"], context["step"]) == ("api_push", "submission_save")
    assert (context["token"], context["strategy"]) == (setup.token.pk, "REPLACE")
