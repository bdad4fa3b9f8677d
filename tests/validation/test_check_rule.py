"""The check_rule command: syntax, references, explanation and evaluation."""

import pytest
from django.core.management import CommandError, call_command

from tests.reporting.factories import catalog_version

pytestmark = pytest.mark.django_db
FORM = "0603.N/BNV-TĐKT"


@pytest.fixture(autouse=True)
def form():
    catalog_version()


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("check_rule", *args, stdout=out)
    return out.getvalue()


def test_a_violated_rule_shows_both_sides():
    text = run(
        "[01:1] == [02..05:1]",
        "--form",
        FORM,
        "--value",
        "01:1=10",
        "--value",
        "02:1=4",
        "--value",
        "03.1=3",
    )
    assert "10" in text and "7" in text


def test_a_holding_rule_says_so_and_explains_the_cells():
    text = run(
        "[*:1] == [*:2..5]", "--form", FORM, "--value", "02:1=5", "--value", "02:2=5"
    )
    assert "02:2" in text or "01:2" in text
    assert "17" in text  # one check per coded row of the form


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [("[01:1] ==", "10"), ("[99:1] == 1", "99"), ("[01:9] == 1", "9")],
)
def test_bad_rules_are_refused_with_a_reason(expression, fragment):
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("check_rule", expression, "--form", FORM, stdout=out)
    # The reason names the place: the position, the unknown row or the column.
    assert fragment in str(error.value) + out.getvalue()
