"""Every function answers or raises an ExpressionError, whatever JSON values it is given."""

from __future__ import annotations

from decimal import Decimal

import pytest
from function_calls import call
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.errors import ExpressionError
from smtp_connector.workflows.expressions.functions import registry

GROUPS = (
    "collections",
    "conversion",
    "encodings",
    "math",
    "objects",
    "string_search",
    "strings",
    "uri",
)
NAMES = sorted(
    function.name
    for function in registry.REGISTRY.values()
    if function.impl.__module__.rsplit(".", 1)[-1] in GROUPS
)

texts = st.text() | st.sampled_from(
    [
        "",
        "data:,x",
        "data:;base64,AA==",
        "https://h:1/p?q",
        "1,000.5",
        "NaN",
        "Infinity",
        "0,0.00",
        "#,##0.00;(0);zero",
        "E+0",
        "'",
        "de-DE",
        "is-is",
        "\ufeff",
        "İı",
        "%",
        "%zz",
    ]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | texts
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        | st.builds(lambda b: {"$content-type": "text/plain", "$content": b}, texts)
    ),
    max_leaves=6,
)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_only_expression_errors_escape(name: str, data: st.DataObject) -> None:
    function = registry.lookup(name)
    assert function is not None
    upper = function.max_args if function.max_args is not None else function.min_args + 3
    count = data.draw(st.integers(function.min_args, upper))
    args = data.draw(st.lists(values, min_size=count, max_size=count))
    try:
        result = call(name, *args)
    except ExpressionError:
        return
    assert is_value(result), result


def is_value(value: object) -> bool:
    """A value the evaluator may pass on: JSON as Python objects, or a decimal."""
    if value is None or isinstance(value, bool | int | float | Decimal | str):
        return True
    if isinstance(value, list):
        return all(is_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_value(item) for key, item in value.items())
    return False


def test_every_function_of_the_groups_is_fuzzed() -> None:
    assert len(NAMES) == 74
