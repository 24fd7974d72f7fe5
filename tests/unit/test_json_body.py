"""Counting the values of a JSON body before parsing it (``api.body.count_json_values``)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.api.body import count_json_values
from support.growth import growth

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def values(value: object) -> int:
    if isinstance(value, list):
        return 1 + sum(map(values, value))
    if isinstance(value, dict):
        return 1 + sum(1 + values(v) for v in value.values())  # a key is a value too
    return 1


@given(_json, st.booleans())
def test_every_value_is_counted_and_none_twice_over(value: object, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    counted = count_json_values(raw, 10**9)
    assert values(value) <= counted + 1  # the first number or literal has no separator before it
    assert counted <= 2 * values(value)


def test_text_inside_strings_is_not_counted() -> None:
    raw = json.dumps({"Body": '[{"a": 1, "b": [2, 3]}], \\"x\\": ' * 10_000}).encode()
    assert count_json_values(raw, 10**9) == 4  # {, "Body", :, and the string


def test_counting_stops_past_the_most() -> None:
    raw = b"[" + b"[]," * 1_000_000 + b"[]]"
    assert count_json_values(raw, 1000) == 1001


def test_counting_is_linear_in_escaped_quotes() -> None:
    small, large = (b'"' + b'\\"' * pairs + b'"' for pairs in (2_000, 32_000))
    assert growth(lambda raw: count_json_values(raw, 10), small, large) < 64
