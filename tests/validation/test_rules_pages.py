"""The "Rules" page of a form version: designers only, rules checked against the
form before they are saved, and a "try it" panel on typed values or a report."""

import datetime

import pytest
from django.urls import reverse

from reporting.services import submission_open, submission_save_draft
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from validation.models import ValidationRule

pytestmark = pytest.mark.django_db

RULE = {
    "code": "R01",
    "name": "Cá nhân không vượt quá tập thể",
    "left": "[05:2]",
    "operator": "<=",
    "right": "[02:2]",
    "left_strategy": "skip_if_any_value_missing",
    "right_strategy": "skip_if_any_value_missing",
    "importance": "warning",
    "message": "Dòng 05 ({left}) lớn hơn dòng 02 ({right})",
}


@pytest.fixture
def setup(client):
    tree = make_small_tree()
    version = catalog_version()
    designer = make_user(role="designer", unit=tree.national)
    client.force_login(designer)
    return tree, version, designer


def test_reporters_get_403(client):
    tree = make_small_tree()
    version = catalog_version()
    client.force_login(make_user(role="reporter", unit=tree.commune))
    assert client.get(reverse("forms:rules", args=[version.pk])).status_code == 403
    response = client.post(reverse("forms:rules", args=[version.pk]), RULE)
    assert response.status_code == 403
    assert not ValidationRule.objects.exists()


def test_the_page_lists_the_declared_rules(client, setup):
    _tree, version, _designer = setup
    page = client.get(reverse("forms:rules", args=[version.pk])).content.decode()
    assert 'id="declared-rules"' in page and "TD03" in page


def test_a_designer_adds_changes_and_deactivates_a_rule(client, setup):
    _tree, version, designer = setup
    response = client.post(reverse("forms:rules", args=[version.pk]), RULE)
    assert response.status_code == 302
    rule = ValidationRule.objects.get()
    assert (rule.left, rule.importance, rule.template) == (
        "[05:2]",
        "warning",
        version.template,
    )

    changed = {**RULE, "right": "[02:2] + 1"}
    url = reverse("forms:rule_edit", args=[version.pk, rule.pk])
    assert client.post(url, changed).status_code == 302
    rule.refresh_from_db()
    assert rule.right == "[02:2] + 1"

    url = reverse("forms:rule_deactivate", args=[version.pk, rule.pk])
    assert client.post(url).status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False


def test_a_rule_naming_an_unknown_row_is_refused_at_its_field(client, setup):
    _tree, version, _designer = setup
    response = client.post(
        reverse("forms:rules", args=[version.pk]), {**RULE, "right": "[99:2]"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get("right") and not form.errors.get("left")
    assert "99" in " ".join(form.errors["right"])
    assert not ValidationRule.objects.exists()


def test_try_it_on_typed_values_shows_the_violation_or_that_it_holds(client, setup):
    _tree, version, _designer = setup
    url = reverse("forms:rule_try", args=[version.pk])
    response = client.post(url, {**RULE, "samples": "05:2=30\n02:2=12"})
    tried = response.context["tried"]
    assert tried.violations[0]["left"] == "30"
    assert tried.violations[0]["right"] == "12"
    assert "30" in response.content.decode()

    response = client.post(url, {**RULE, "samples": "05:2=3\n02:2=12"})
    assert response.context["tried"].holds is True
    assert 'id="try-holds"' in response.content.decode()
    assert not ValidationRule.objects.exists()


def test_try_it_on_a_real_report(client, setup):
    tree, version, _designer = setup
    assign(version, tree.province, first_period="2025")
    reporter = make_user(role="reporter", unit=tree.commune)
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2025"
    )
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "10", "05:2": "40"},
        base_revision=0,
        today=datetime.date(2026, 3, 1),
    )
    url = reverse("forms:rule_try", args=[version.pk])
    response = client.post(url, {**RULE, "submission": submission.pk})
    (violation,) = response.context["tried"].violations
    assert (violation["left"], violation["right"]) == ("40", "10")
