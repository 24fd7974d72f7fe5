"""addProperty, setProperty, removeProperty, mergeObjects (IA vectors for name matching)."""

from __future__ import annotations

import json

import pytest
from function_calls import call, failure
from hypothesis import given
from hypothesis import strategies as st


def ordered(value: dict[str, object]) -> str:
    """Key order matters for these functions; compare the JSON text."""
    return json.dumps(value)


def test_documented_vectors() -> None:
    # FN writes {"firstName","middleName","surName"} for an input that has lastName (a doc
    # error); the new property goes at the end.
    assert ordered(
        call("addProperty", {"firstName": "Sophia", "lastName": "Owen"}, "middleName", "Anne")
    ) == ordered({"firstName": "Sophia", "lastName": "Owen", "middleName": "Anne"})
    assert ordered(
        call(
            "removeProperty",
            {"firstName": "Sophia", "middleName": "Anne", "surName": "Owen"},
            "middleName",
        )
    ) == ordered({"firstName": "Sophia", "surName": "Owen"})
    assert ordered(
        call("setProperty", {"firstName": "Sophia", "surName": "Owen"}, "surName", "Hartnett")
    ) == ordered({"firstName": "Sophia", "surName": "Hartnett"})


@pytest.mark.parametrize(
    ("table", "name", "expected"),
    [
        ({"a": 1}, "A", {"a": 2}),
        ({"A": 1}, "a", {"A": 2}),
        ({"a": 1, "A": 5}, "A", {"a": 1, "A": 2}),
        ({"aAa": 1, "AaA": 2}, "aaa", {"AaA": 2, "aAa": 2}),
        ({"a": 1, "b": 2, "c": 3, "d": 4}, "c", {"a": 1, "b": 2, "d": 4, "c": 2}),
        ({}, "", {"": 2}),
    ],
)
def test_set_property_matches_names_like_property_access(
    table: dict[str, int], name: str, expected: dict[str, int]
) -> None:
    assert ordered(call("setProperty", table, name, 2)) == ordered(expected)
    assert ordered(table) != ordered(expected)  # the input is not changed


@pytest.mark.parametrize(
    ("table", "name", "expected"),
    [
        ({"A": 1}, "a", {}),
        ({"A": 1, "a": 2}, "a", {"A": 1}),
        ({"a": 1, "A": 2}, "a", {"A": 2}),
        ({"aAa": 1, "AaA": 2}, "AAA", {"AaA": 2}),
        ({"x": 1}, "y", {"x": 1}),
    ],
)
def test_remove_property(table: dict[str, int], name: str, expected: dict[str, int]) -> None:
    assert ordered(call("removeProperty", table, name)) == ordered(expected)


@pytest.mark.parametrize("table", [{"a": 1}, {"A": 1}, {"aAa": 1, "AaA": 2}])
def test_add_property_refuses_an_existing_name_in_any_case(table: dict[str, int]) -> None:
    name = next(iter(table)).swapcase()
    assert "expects the property to not exist in the object" in failure(
        "addProperty", table, name, 2
    )


@pytest.mark.parametrize("target", [None, True, 1, "abc", "{}", [1, 2, 3]])
def test_the_object_must_be_an_object(target: object) -> None:
    for name in ("addProperty", "setProperty"):
        assert "expects its first parameter to be of type object" in failure(name, target, "x", 1)
    assert "expects its first parameter to be of type object" in failure(
        "removeProperty", target, "x"
    )


@pytest.mark.parametrize("key", [None, 1, False, [], ["a"]])
def test_the_property_name_must_be_a_string(key: object) -> None:
    assert "expects its second parameter to be of type string" in failure("setProperty", {}, key, 1)


def test_properties_of_binary_content() -> None:
    content = call("binary", "test")
    assert call("addProperty", content, "x", 1) == {
        "$content-type": "application/octet-stream",
        "$content": "dGVzdA==",
        "x": 1,
    }


def test_merge_objects_is_shallow_and_the_second_wins() -> None:
    merged = call("mergeObjects", {"a": 1, "B": {"x": 1}}, {"b": {"y": 2}, "c": 3})
    assert ordered(merged) == ordered({"a": 1, "B": {"y": 2}, "c": 3})


@given(st.dictionaries(st.text(max_size=3), st.integers(), max_size=5), st.text(max_size=3))
def test_set_then_remove_leaves_no_such_property(table: dict[str, int], name: str) -> None:
    updated = call("setProperty", table, name, 7)
    assert call("contains", updated, name)
    removed = call("removeProperty", updated, name)
    assert len(removed) == len(updated) - 1
