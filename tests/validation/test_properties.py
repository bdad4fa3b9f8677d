"""Properties of the engine over generated input (hypothesis)."""

import gc
import time
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from validation.engine.evaluate import Evaluator, FormSchema, Instance
from validation.engine.rules import Rule, compile_rule, run_rules
from validation.engine.syntax import (
    FUNCTIONS,
    Binary,
    Boolean,
    Call,
    Number,
    Reference,
    RuleSyntaxError,
    Unary,
    parse,
    to_text,
)

SCHEMA = FormSchema(rows=("01", "02", "03", "04"), columns=(1, 2, 3))

numbers = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False).map(
    lambda d: Number(d)
)
references = st.builds(
    Reference,
    rows=st.one_of(st.none(), st.sampled_from([("01", None), ("02", "04")])),
    columns=st.one_of(st.none(), st.sampled_from([(1, None), (2, 3)])),
    form=st.sampled_from([None, None, "F2"]),
)
leaves = st.one_of(numbers, references, st.builds(Boolean, st.booleans()))


def _calls(children):
    plain = [
        name
        for name, (low, high) in FUNCTIONS.items()
        if name not in ("previous", "lastYear", "children")
    ]
    return st.one_of(
        st.sampled_from(plain).flatmap(
            lambda name: st.lists(
                children, min_size=FUNCTIONS[name][0], max_size=FUNCTIONS[name][1] or 3
            ).map(lambda args, name=name: Call(name, tuple(args)))
        ),
        st.builds(
            Call,
            st.sampled_from(["previous", "lastYear", "children"]),
            references.map(lambda r: (r,)),
        ),
    )


trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Unary, st.sampled_from(["-", "!"]), children),
        st.builds(
            Binary,
            st.sampled_from(
                ["+", "-", "*", "/", "%", "^", "==", "!=", "<", ">=", "&&", "||"]
            ),
            children,
            children,
        ),
        _calls(children),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_printing_then_parsing_gives_the_same_tree(tree):
    assert parse(to_text(tree)) == tree


values = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.just(Decimal(0)),
)
datasets = st.dictionaries(
    st.sampled_from([(None, "", ""), (None, "previous", ""), ("F2", "", "")]),
    st.dictionaries(
        st.tuples(st.sampled_from(SCHEMA.rows), st.sampled_from(SCHEMA.columns)),
        values,
        max_size=8,
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(trees, trees, datasets)
def test_any_rule_on_any_data_returns_results_quickly_and_never_raises(
    left, right, data
):
    rule = Rule(
        "P", to_text(left), ">=", to_text(right), message="{left} {right} {row}"
    )
    # CPU time of this process, best of three with the garbage collector paused:
    # a collection of hypothesis's own objects is not the engine's time.
    timings = []
    gc.disable()
    try:
        for _ in range(3):
            start = time.process_time()
            run_rules([compile_rule(rule)], SCHEMA, data)
            Evaluator(SCHEMA, data, Instance(row="01", column=1)).value(left)
            timings.append(time.process_time() - start)
    finally:
        gc.enable()
    assert min(timings) < 0.1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="[]():*.,+-/^%!&|=<>01234 abcifNul\t", max_size=40))
def test_random_text_is_parsed_or_refused_with_a_position(text):
    try:
        parse(text)
    except RuleSyntaxError as error:
        assert 1 <= error.position <= len(text) + 1


def _slow_violations(compiled, data):
    """The same rule checked through the interpreter (Evaluator), instance by instance."""
    from validation.engine.rules import _SKIP, _instances, _side

    found = []
    for instance in _instances(compiled, SCHEMA):
        evaluator = Evaluator(SCHEMA, data, instance)
        left, _ = _side(compiled.left, compiled.rule.left_strategy, evaluator)
        right, _ = _side(compiled.right, compiled.rule.right_strategy, evaluator)
        if left is _SKIP or right is _SKIP:
            continue
        from validation.engine.evaluate import compare

        if not compare(left, compiled.rule.operator.value, right):
            found.append((instance.row, instance.column, str(left), str(right)))
    return found


strategies_ = st.sampled_from(
    ["skip_if_any_value_missing", "skip_if_all_values_missing", "never_skip"]
)


@settings(max_examples=300, deadline=None)
@given(
    trees,
    trees,
    datasets,
    st.sampled_from(["==", "!=", "<", ">="]),
    strategies_,
    strategies_,
)
def test_compiled_rules_agree_with_the_interpreter(
    left, right, data, operator, left_strategy, right_strategy
):
    rule = Rule(
        "P",
        to_text(left),
        operator,
        to_text(right),
        left_strategy=left_strategy,
        right_strategy=right_strategy,
    )
    compiled = compile_rule(rule)
    fast = [
        (v.row, v.column, str(v.left), str(v.right))
        for v in run_rules([compiled], SCHEMA, data)
    ]
    assert fast == _slow_violations(compile_rule(rule), data)
