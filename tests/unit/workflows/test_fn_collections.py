"""Collection functions: FN and IA vectors, error texts, properties."""

from __future__ import annotations

import pytest
from function_calls import ArityError, call, exact, failure
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.errors import ExpressionLimitExceeded
from smtp_connector.workflows.expressions.values import STRING_LIMIT

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # FN
        ("contains", ("hello world", "world"), True),
        ("contains", ("hello world", "universe"), False),
        ("empty", ("",), True),
        ("empty", ("abc",), False),
        ("first", ("hello",), "h"),
        ("first", ([0, 1, 2],), 0),
        ("last", ("abcd",), "d"),
        ("last", ([0, 1, 2, 3],), 3),
        ("length", ("abcd",), 4),
        ("length", ([0, 1, 2, 3],), 4),
        ("intersection", ([1, 2, 3], [101, 2, 1, 10], [6, 8, 1, 2]), [1, 2]),
        ("union", ([1, 2, 3], [1, 2, 10, 101]), [1, 2, 3, 10, 101]),
        ("join", (["a", "b", "c"], "."), "a.b.c"),
        ("skip", ([0, 1, 2, 3], 1), [1, 2, 3]),
        ("take", ("abcde", 3), "abc"),
        ("take", ([0, 1, 2, 3, 4], 3), [0, 1, 2]),
        ("chunk", ("abcdefghijklmnopqrstuvwxyz", 10), ["abcdefghij", "klmnopqrst", "uvwxyz"]),
        (
            "chunk",
            (list(range(1, 13)), 5),
            [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]],
        ),
        ("reverse", ([0, 1, 2, 3],), [3, 2, 1, 0]),
        ("sort", ([2, 1, 0, 3],), [0, 1, 2, 3]),
        (
            "sort",
            ([{"first": "Amalie", "last": "Rose"}, {"first": "Elise", "last": "Renee"}], "last"),
            [{"first": "Elise", "last": "Renee"}, {"first": "Amalie", "last": "Rose"}],
        ),
        # IA
        ("empty", ("       ",), False),
        ("empty", ([],), True),
        ("empty", ([[]],), False),
        ("empty", ({},), True),
        ("empty", ({"": {}},), False),
        ("empty", ([""],), False),
        ("empty", (None,), True),
        ("first", ("",), ""),
        ("first", ([],), None),
        ("last", ("",), ""),
        ("last", ([],), None),
        ("join", (["", "hello", "", "world"], "XYZ"), "XYZhelloXYZXYZworld"),
        ("join", ([""], "XYZ"), ""),
        ("join", ([], "x"), ""),
        ("join", (["", None, ""], "x"), "xx"),
        ("join", (["", 1, ""], "x"), "x1x"),
        ("join", (["", True, ""], "x"), "xTruex"),
        ("join", (["a", ["b", "c"], "d"], "x"), 'ax["b","c"]xd'),
        ("intersection", ([5, 4, 3, 2, 1], ["a", "b", 3, 5, 1]), [5, 3, 1]),
        ("intersection", ([1, 2, 3, 4, 4, 5], [3, 4, 4, 5]), [3, 4, 5]),
        ("intersection", ([4, 4, 4, 4, 5, 4, 5, 5, 5], [5, 4, 5, 5, 4]), [4, 5]),
        ("intersection", ([5, 4, 5, 5, 4], []), []),
        (
            "intersection",
            ({"spam": "eggs", "food": [5, 4, 1, -1]}, {"spam": "eggs", "food": [1, 2, 3]}),
            {"spam": "eggs"},
        ),
        ("intersection", ({"spam": "eggs", "thing": 3}, {"spam": 3, "food": "eggs"}), {}),
        ("union", (["a", "b", 3, 5, 1], [5, 4, 3, 2, 1]), ["a", "b", 3, 5, 1, 4, 2]),
        ("union", ([3, 4, 4, 5], [1, 2, 3, 4, 5]), [3, 4, 5, 1, 2]),
        ("union", ([], [5, 4, 5, 5, 4]), [5, 4]),
        (
            "union",
            ({"spam": "eggs", "thing": 3}, {"spam": 3, "food": "eggs"}),
            {"spam": 3, "thing": 3, "food": "eggs"},
        ),
    ],
)
def test_documented_vectors(name: str, args: tuple[object, ...], expected: object) -> None:
    assert exact(call(name, *args)) == exact(expected)


def test_contains_looks_for_items_and_keys() -> None:
    assert call("contains", [1, "a", {"b": [1]}], {"b": [1.0]}) is True
    assert call("contains", [1, 2], True) is False
    assert call("contains", [True], 1) is False
    assert call("contains", [None], None) is True
    assert call("contains", {"Name": 1}, "name") is True
    assert call("contains", {"Name": 1}, "other") is False
    assert call("contains", "Hello", "hello") is False


def test_contains_of_null_has_the_newer_runtime_message() -> None:
    assert failure("contains", None, "x").startswith(
        "The template language function 'contains' expects its first argument 'collection' to "
        "be a dictionary (object), an array or a string. The provided value is of type 'Null'."
    )


@pytest.mark.parametrize("value", [{}, None, True, 99])
def test_length_takes_strings_and_arrays_only(value: object) -> None:
    assert "expects its parameter to be an array or a string" in failure("length", value)


@pytest.mark.parametrize("value", [1, 0, False, 0.0])
def test_empty_of_a_scalar_is_an_error(value: object) -> None:
    assert "to be an object, an array or a string" in failure("empty", value)


def test_first_and_last_refuse_objects_and_null() -> None:
    for name in ("first", "last"):
        assert "to be an array or a string" in failure(name, {"a": "b"})
        assert "to be an array or a string" in failure(name, None)


def test_join_refuses_a_null_delimiter_and_a_non_array() -> None:
    assert "expects its second parameter to be of type string" in failure("join", ["a"], None)
    assert "expects its first parameter to be an array" in failure("join", "asdf", "x")
    assert "expects its first parameter to be an array" in failure("join", {}, "x")


def test_union_and_intersection_refuse_mixed_kinds() -> None:
    assert "expects its second parameter to be an object" in failure("union", {"spam": 3}, ["spam"])
    assert "expects its second parameter to be an array" in failure(
        "intersection", ["spam"], {"spam": 3}
    )
    assert "to be an array or an object" in failure("union", "abc", "abc")
    with pytest.raises(ArityError):
        call("intersection", [1])


def test_take_and_skip_with_counts_out_of_range() -> None:
    assert call("take", [1, 2], 5) == [1, 2]
    assert call("take", "ab", -1) == ""
    assert call("skip", [1, 2], 5) == []
    assert call("skip", [1, 2], -1) == [1, 2]
    assert "expects its first parameter to be an array" in failure("skip", "abc", 1)


def test_chunk_length_must_be_positive() -> None:
    assert "'length' to be greater than zero" in failure("chunk", [1, 2], 0)


def test_sort_errors_and_case_insensitive_sort_by() -> None:
    assert call("sort", ["b", "B", "a"]) == ["B", "a", "b"]
    assert exact(call("sort", [2.5, 1, 0.5])) == exact([0.5, 1, 2.5])
    assert call("sort", [True, False]) == [False, True]
    assert call("sort", [{"Key": 2}, {"key": 1}], "KEY") == [{"key": 1}, {"Key": 2}]
    assert "all numbers, all strings or all booleans" in failure("sort", [1, "a"])
    assert "with the property 'x'" in failure("sort", [{"x": 1}, {"y": 2}], "x")


def test_join_beyond_the_string_limit_is_refused() -> None:
    piece = "x" * (STRING_LIMIT // 4)
    with pytest.raises(ExpressionLimitExceeded):
        call("join", [piece] * 5, "")


def test_union_of_large_arrays_is_exact() -> None:
    first = list(range(0, 200_000, 2))
    second = list(range(0, 200_000, 3))
    merged = call("union", first, second)
    assert len(merged) == len(set(first) | set(second))
    assert call("intersection", first, second) == list(range(0, 200_000, 6))


@given(st.lists(json_values, max_size=8), st.integers(-3, 12))
def test_take_and_skip_recompose_the_array(items: list[object], count: int) -> None:
    assert exact(call("take", items, count) + call("skip", items, count)) == exact(items)


@given(st.lists(st.integers(-5, 5)), st.lists(st.integers(-5, 5)))
def test_union_and_intersection_are_set_operations(a: list[int], b: list[int]) -> None:
    assert call("union", a, b) == list(dict.fromkeys(a + b))
    assert call("intersection", a, b) == [x for x in dict.fromkeys(a) if x in b]


@given(st.lists(json_values, min_size=1, max_size=6))
def test_an_array_contains_each_of_its_items(items: list[object]) -> None:
    assert all(call("contains", items, item) for item in items)
