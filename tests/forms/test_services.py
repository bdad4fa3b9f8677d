"""Forms and versions in the database: JSON round trip, immutability, all-or-nothing."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import ProgrammingError, transaction

from forms.definition import RowDef
from forms.models import FormTemplate, FormVersion, Regime
from forms.services import (
    FormDefinitionInvalid,
    FormImportError,
    PublishedVersionImmutable,
    form_import,
    form_template_create,
    form_version_export,
    form_version_publish,
    form_version_start_next,
    form_version_update_draft,
    regime_create,
)
from tests.forms.test_definition import awards_form

pytestmark = pytest.mark.django_db

CATALOG = sorted(
    (Path(__file__).resolve().parents[2] / "forms" / "catalog").glob("*.json")
)


@pytest.fixture
def regime():
    return regime_create(
        acting_user=None,
        code="TT02-2023-BNV",
        name="Chế độ báo cáo thống kê ngành Nội vụ",
        legal_basis="Thông tư số 02/2023/TT-BNV ngày 23/3/2023",
        issuing_agency="Bộ Nội vụ",
    )


@pytest.mark.parametrize("path", CATALOG, ids=lambda path: path.name)
def test_export_import_export_is_byte_identical(path):
    text = path.read_text(encoding="utf-8")
    version, created = form_import(acting_user=None, text=text)
    assert created and version.is_published
    assert form_version_export(version) == text
    # Importing the same document again changes nothing
    again, created = form_import(acting_user=None, text=text)
    assert (again.pk, created) == (version.pk, False)


def test_commands_round_trip(tmp_path, capsys):
    call_command("import_form", str(CATALOG[0]))
    code = FormTemplate.objects.get().code
    capsys.readouterr()
    call_command("export_form", code, "--version", "1")
    assert capsys.readouterr().out == CATALOG[0].read_text(encoding="utf-8")


def test_published_version_refuses_edits_and_offers_a_new_version(regime):
    version = form_template_create(
        acting_user=None, regime=regime, definition=awards_form()
    )
    form_version_publish(acting_user=None, version=version)
    with pytest.raises(PublishedVersionImmutable) as error:
        form_version_update_draft(
            acting_user=None, version=version, definition=awards_form()
        )
    assert "new version" in str(error.value) or "phiên bản mới" in str(error.value)
    draft = form_version_start_next(acting_user=None, template=version.template)
    assert (draft.number, draft.is_published) == (2, False)
    assert draft.definition == FormVersion.objects.get(pk=version.pk).definition


def test_the_database_itself_refuses_to_change_a_published_version(regime):
    version = form_template_create(
        acting_user=None, regime=regime, definition=awards_form()
    )
    form_version_publish(acting_user=None, version=version)
    with pytest.raises(ProgrammingError, match="Cannot update"), transaction.atomic():
        FormVersion.objects.filter(pk=version.pk).update(definition={})


def test_invalid_definition_saves_nothing(regime):
    bad = awards_form(rows=(RowDef("01", "A", formula="01 + 02"), RowDef("01", "B")))
    with pytest.raises(FormDefinitionInvalid) as error:
        form_template_create(acting_user=None, regime=regime, definition=bad)
    assert any("01" in message for message in error.value.messages())
    assert not FormTemplate.objects.exists() and not FormVersion.objects.exists()


def test_import_of_a_changed_published_version_is_refused():
    text = CATALOG[0].read_text(encoding="utf-8")
    form_import(acting_user=None, text=text)
    changed = text.replace('"label": "Tổng số"', '"label": "Tổng cộng"', 1)
    with pytest.raises(FormImportError) as error:
        form_import(acting_user=None, text=changed)
    assert "already published" in str(error.value) or "đã được công bố" in str(
        error.value
    )


@pytest.mark.parametrize(
    "text",
    [b"not json", b"[]", b'{"format": "other"}', b"\xff\xfe"],
)
def test_import_of_malformed_documents_explains_and_saves_nothing(text):
    with pytest.raises(FormImportError) as error:
        form_import(acting_user=None, text=text)
    assert error.value.messages
    assert not Regime.objects.exists()
