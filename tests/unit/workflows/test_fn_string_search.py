"""indexOf, lastIndexOf, nthIndexOf, startsWith, endsWith: case-insensitive search."""

from __future__ import annotations

import pytest
from function_calls import call, failure
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # FN
        ("indexOf", ("hello world", "world"), 6),
        ("lastIndexOf", ("hello world hello world", "world"), 18),
        ("lastIndexOf", ("hello world hello world", ""), 22),
        ("startsWith", ("hello world", "hello"), True),
        ("startsWith", ("hello world", "greetings"), False),
        ("endsWith", ("hello world", "world"), True),
        ("endsWith", ("hello world", "universe"), False),
        ("nthIndexOf", ("123456789123465789", "1", 1), 0),
        ("nthIndexOf", ("123456789123465789", "1", 2), 9),
        ("nthIndexOf", ("123456789123465789", "12", 2), 9),
        ("nthIndexOf", ("123456789123465789", "6", 4), -1),
        # cross-check; §1.2 empty-string rules
        ("startsWith", ("Hello", "he"), True),
        ("lastIndexOf", ("", "x"), -1),
        ("lastIndexOf", ("", ""), 0),
        ("indexOf", ("abc", ""), 0),
        ("indexOf", ("abc", "d"), -1),
    ],
)
def test_documented_vectors(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("indexOf", ("Hello WORLD", "world"), 6),
        ("lastIndexOf", ("abcABC", "abc"), 3),
        ("startsWith", ("ÉCOLE", "éc"), True),
        ("endsWith", ("STRASSE", "sse"), True),
        ("nthIndexOf", ("aAaA", "a", 3), 2),
    ],
)
def test_search_ignores_case(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


def test_nth_index_of_counts_overlapping_occurrences_and_from_the_end() -> None:
    assert call("nthIndexOf", "aaaa", "aa", 2) == 1
    assert call("nthIndexOf", "aaaa", "aa", 3) == 2
    assert call("nthIndexOf", "aaaa", "aa", 4) == -1
    assert call("nthIndexOf", "123456789123465789", "1", -1) == 9
    assert call("nthIndexOf", "123456789123465789", "1", -2) == 0
    assert call("nthIndexOf", "123456789123465789", "1", -3) == -1
    assert call("nthIndexOf", "abc", "", 2) == 1


def test_nth_index_of_zero_is_an_error() -> None:
    assert "'occurrence' to be non-zero" in failure("nthIndexOf", "abc", "a", 0)


def test_nth_index_of_with_a_self_overlapping_search_text() -> None:
    # Repeated find() calls would compare 10**5 characters per occurrence; the linear scan
    # that takes over must give the same answers.
    text = "a" * 300_000
    needle = "a" * 100_000
    assert call("nthIndexOf", text, needle, 150_000) == 149_999
    assert call("nthIndexOf", text, needle, 200_001) == 200_000
    assert call("nthIndexOf", text, needle, 200_002) == -1
    assert call("nthIndexOf", text, needle, -200_001) == 0


def test_search_arguments_must_be_strings() -> None:
    assert "expects its first parameter to be of type string" in failure("indexOf", None, "a")
    assert "expects its second parameter to be of type string" in failure("endsWith", "a", 1)
    assert "expects its third parameter to be an integer" in failure("nthIndexOf", "a", "a", "1")


@given(st.text(alphabet="abAB", max_size=12), st.text(alphabet="abAB", min_size=1, max_size=3))
def test_nth_index_of_agrees_with_a_naive_search(text: str, search: str) -> None:
    folded, needle = text.upper(), search.upper()
    starts = [i for i in range(len(text)) if folded.startswith(needle, i)]
    for n in range(1, len(starts) + 2):
        expected = starts[n - 1] if n <= len(starts) else -1
        assert call("nthIndexOf", text, search, n) == expected
        expected_back = starts[-n] if n <= len(starts) else -1
        assert call("nthIndexOf", text, search, -n) == expected_back
    assert call("indexOf", text, search) == (starts[0] if starts else -1)
    assert call("lastIndexOf", text, search) == (starts[-1] if starts else -1)
