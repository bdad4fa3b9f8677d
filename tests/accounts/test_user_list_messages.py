"""Messages of the account-list problems, and the sample file."""

import inspect
import re

from django.utils import translation

from accounts import services, user_list
from accounts.user_list import Problem, parse_user_list
from accounts.user_list_messages import PROBLEM_MESSAGES, problem_message, sample_csv


def emitted_codes():
    source = inspect.getsource(user_list) + inspect.getsource(services)
    return set(re.findall(r'(?:Problem|_Unreadable)\(\s*"(\w+)"', source)) | {
        code
        for code in re.findall(r'code = "(\w+)"', source)
        + re.findall(r'code, column(?:, params)? = "(\w+)"', source)
    }


def test_every_problem_code_has_a_message():
    codes = emitted_codes()

    assert len(codes) > 20
    assert codes <= set(PROBLEM_MESSAGES)


def test_a_message_names_the_column_and_the_values():
    problem = Problem(
        "value_too_long",
        line=4,
        column="full_name",
        params={"length": 151, "max_length": 150},
    )

    with translation.override("en"):
        assert problem_message(problem) == (
            "“Full name” has 151 characters; at most 150 are allowed."
        )
        assert problem_message(problem.as_dict()) == problem_message(problem)


def test_a_level_is_shown_by_its_label():
    problem = {
        "code": "unit_level_mismatch",
        "line": 3,
        "column": "unit_code",
        "params": {"code": "01", "date": "01/07/2025", "level": "commune"},
    }

    with translation.override("en"):
        assert problem_message(problem) == (
            "No unit at the commune level has the code 01 on 01/07/2025."
        )


def test_unknown_codes_and_missing_parameters_do_not_break_the_page():
    with translation.override("en"):
        assert problem_message({"code": "nope"}) == "Unexpected problem (nope)."
        assert "%(code)s" in problem_message({"code": "unit_unknown", "params": {}})


def test_the_sample_file_parses_in_every_language():
    for language in ("vi", "en"):
        with translation.override(language):
            result = parse_user_list(sample_csv(), "sample.csv")
        assert result.ok, result.problems
        assert len(result.rows) == 2
