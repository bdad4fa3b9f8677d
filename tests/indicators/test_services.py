"""The catalogue's file round trip, the validation of cell mappings, and
publishing called directly (policy status, cleared cells)."""

import pytest
from django.core.management import call_command
from django.utils import translation

from indicators.models import CellMapping, Dimension, Indicator, Observation
from indicators.services import (
    CatalogueInvalid,
    MappingInvalid,
    cell_mapping_set,
    indicators_export,
    indicators_import,
    observations_publish,
    publishing_policy_set,
)
from reporting.models import Revision
from tests.indicators.factories import make_catalogue, map_version
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import catalog_version, make_submission
from workflow.models import ApprovalEvent

pytestmark = pytest.mark.django_db


def test_catalogue_export_import_round_trip_is_byte_identical(tmp_path):
    # given a catalogue with dimensions, codes and a weighted indicator
    make_catalogue()
    exported = indicators_export()

    # when the store is emptied and the file imported through the command
    Indicator.objects.update(weight_indicator=None)
    Indicator.objects.all().delete()
    Dimension.objects.all().delete()
    path = tmp_path / "chi-tieu.json"
    path.write_bytes(exported)
    call_command("import_indicators", str(path))
    out = tmp_path / "lai.json"
    call_command("export_indicators", str(out))

    # then exporting again gives the same bytes, with Vietnamese kept readable
    assert out.read_bytes() == exported
    assert "Tỷ lệ biết chữ".encode() in exported
    assert Indicator.objects.get(code="0102").weight_indicator.code == "0101"


def test_a_bad_catalogue_is_refused_whole():
    with pytest.raises(CatalogueInvalid):
        indicators_import(acting_user=None, file=b"not json")
    document = (
        b'{"format": 1, "dimensions": [], "indicators": [{"code": "X1", "name": "X",'
        b' "dimensions": ["NOPE"]}]}'
    )
    with pytest.raises(CatalogueInvalid) as refused:
        indicators_import(acting_user=None, file=document)
    assert "NOPE" in str(refused.value)
    assert not Indicator.objects.filter(code="X1").exists()


def test_mappings_are_saved_on_a_published_version():
    make_catalogue()
    version = catalog_version()
    assert version.is_published
    map_version(version)
    assert CellMapping.objects.filter(form_version=version).count() == 3


def test_mapping_errors_name_every_cell():
    # given mappings to an unknown cell, to an unknown indicator, with a code
    # outside the codelist and with a dimension the indicator lacks
    make_catalogue()
    version = catalog_version()
    mappings = [
        {"row": "99", "column": 2, "indicator": "0603.01", "dims": {}},
        {"row": "02", "column": 2, "indicator": "KHONG-CO", "dims": {}},
        {"row": "03", "column": 2, "indicator": "0603.01", "dims": {"SEX": "X"}},
        {"row": "04", "column": 2, "indicator": "0603.01", "dims": {"AGE": "Y15"}},
    ]

    # when they are saved
    with translation.override("vi"), pytest.raises(MappingInvalid) as refused:
        cell_mapping_set(acting_user=None, form_version=version, mappings=mappings)

    # then every problem is reported, each naming its cell, and nothing is saved
    messages = refused.value.messages
    assert len(messages) == 4
    for cell, message in zip(["99:2", "02:2", "03:2", "04:2"], messages, strict=True):
        assert cell in message
    assert [problem.cell for problem in refused.value.problems] == [
        "99:2",
        "02:2",
        "03:2",
        "04:2",
    ]
    assert not CellMapping.objects.exists()


def test_two_cells_feeding_the_same_key_are_refused():
    make_catalogue()
    version = catalog_version()
    with pytest.raises(MappingInvalid) as refused:
        cell_mapping_set(
            acting_user=None,
            form_version=version,
            mappings=[
                {"row": "02", "column": 2, "indicator": "0101"},
                {"row": "03", "column": 2, "indicator": "0101"},
            ],
        )
    assert "03:2" in refused.value.messages[0] and "02:2" in refused.value.messages[0]
    # and the refused cell is the second one, for the editor to mark
    assert [problem.cell for problem in refused.value.problems] == ["03:2"]


def _accepted(version, unit, values):
    """A report of ``unit`` accepted with ``values`` (the event that publishes)."""

    submission = make_submission(version, unit, "2025", "accepted")
    revision = Revision.objects.create(
        submission=submission, number=1, source="web", values=values, digest="x"
    )
    return ApprovalEvent.objects.create(
        submission=submission,
        revision=revision,
        action="approve",
        from_status="awaiting_review",
        to_status="accepted",
    )


def test_the_regime_policy_sets_the_status_and_cleared_cells_are_withdrawn():

    # given a mapped form whose regime publishes provisional figures
    tree = make_small_tree()
    make_catalogue()
    version = catalog_version()
    map_version(version)
    publishing_policy_set(
        acting_user=None, regime=version.template.regime, status="provisional"
    )
    event = _accepted(version, tree.commune, {"02:2": "12", "03:2": "", "11:2": "x"})

    # when it is published
    inserted = observations_publish(
        submission_id=event.submission_id, event_id=event.pk
    )

    # then only the numeric mapped cell becomes an observation, provisional
    (observation,) = Observation.objects.all()
    assert inserted == 1
    assert (observation.value, observation.status) == (12, "provisional")

    # when a later final approval of a revision without that cell is published

    revision = Revision.objects.create(
        submission=event.submission, number=2, source="web", values={}, digest="y"
    )
    later = ApprovalEvent.objects.create(
        submission=event.submission,
        revision=revision,
        action="approve",
        from_status="awaiting_review",
        to_status="accepted",
    )
    observations_publish(submission_id=event.submission_id, event_id=later.pk)

    # then the earlier figure is withdrawn, not deleted
    observation.refresh_from_db()
    assert not observation.is_current and observation.withdrawn_at is not None
