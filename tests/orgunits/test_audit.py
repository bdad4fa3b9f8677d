"""Every change to domain data leaves an audit event with who did it and why."""

import pghistory.models
import pytest
from django.urls import reverse

from accounts.services import role_grant, role_revoke
from orgunits.models import OrgUnit, OrgUnitUserObjectPermission
from orgunits.services import org_levels_ensure, org_unit_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def events_for(model):
    return pghistory.models.Events.objects.references(model).order_by("pgh_created_at")


def test_role_grant_and_revoke_are_audited_with_the_acting_user():
    # Given an administrator and a commune
    admin = make_user(is_superuser=True, is_staff=True)
    commune = OrgUnit.objects.filter(level__code="commune").first()
    officer = make_user()
    # When a role is granted and withdrawn
    role_grant(acting_user=admin, user=officer, unit=commune, role="reporter")
    role_revoke(acting_user=admin, user=officer, unit=commune, role="reporter")
    # Then both changes are recorded, with who and which action
    events = list(
        pghistory.models.Events.objects.filter(
            pgh_model="orgunits.OrgUnitUserObjectPermissionEvent",
            pgh_data__user_id=officer.pk,
        ).order_by("pgh_created_at")
    )
    assert [event.pgh_label for event in events] == ["insert", "delete"]
    assert [event.pgh_context["action"] for event in events] == [
        "role_grant",
        "role_revoke",
    ]
    assert all(event.pgh_context["user"] == admin.pk for event in events)
    assert not OrgUnitUserObjectPermission.objects.filter(user=officer).exists()


def test_bulk_updates_are_caught_by_the_triggers():
    level = org_levels_ensure()["commune"]
    parent = OrgUnit.objects.get(level__code="national")
    unit = org_unit_create(
        acting_user=None, code="99999", name="Xã Thử", level=level, parent=parent
    )
    OrgUnit.objects.filter(pk=unit.pk).update(name="Xã Thử Mới")
    labels = list(
        pghistory.models.Events.objects.filter(
            pgh_model="orgunits.OrgUnitEvent", pgh_obj_id=str(unit.pk)
        ).values_list("pgh_label", flat=True)
    )
    assert labels.count("update") == 1 and labels.count("insert") == 1


def test_administrators_browse_the_audit_trail(client):
    admin = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse("admin:pghistory_events_changelist"))
    assert response.status_code == 200


def test_non_staff_cannot_browse_the_audit_trail(client):
    client.force_login(
        make_user(role="analyst", unit=OrgUnit.objects.get(level__code="national"))
    )
    response = client.get(reverse("admin:pghistory_events_changelist"))
    assert response.status_code == 302


def test_nested_services_keep_the_outer_action():
    from core.audit import audit_context

    admin = make_user(is_superuser=True, is_staff=True)
    commune = OrgUnit.objects.filter(level__code="commune").first()
    officer = make_user()
    with audit_context(acting_user=admin, action="users_bulk_import"):
        role_grant(acting_user=admin, user=officer, unit=commune, role="reporter")
    event = pghistory.models.Events.objects.get(
        pgh_model="orgunits.OrgUnitUserObjectPermissionEvent",
        pgh_data__user_id=officer.pk,
    )
    assert event.pgh_context["action"] == "users_bulk_import"
    assert event.pgh_context["step"] == "role_grant"


def test_renaming_a_unit_is_audited_and_keeps_its_identity():
    from orgunits.services import org_unit_rename

    commune = OrgUnit.objects.filter(level__code="commune").first()
    code, path = commune.code, commune.path
    org_unit_rename(
        acting_user=None,
        unit=commune,
        name="Xa\u0300 Mới",
        short_name="Mới",
        type_name="Xã",
    )
    commune.refresh_from_db()
    assert (commune.code, commune.path, commune.name) == (code, path, "Xà Mới")


def test_user_changes_are_audited_without_the_password():
    user = make_user(username="canbo.xa")
    user.email = "canbo@xa.gov.vn"
    user.save()
    events = pghistory.models.Events.objects.filter(
        pgh_model="accounts.UserEvent", pgh_obj_id=str(user.pk)
    ).order_by("pgh_created_at")
    assert [event.pgh_label for event in events] == ["insert", "update"]
    assert "password" not in events[0].pgh_data
