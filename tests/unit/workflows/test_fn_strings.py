"""String functions: FN and IA vectors (WORKFLOWS.md §1.5), error texts, hostile inputs."""

from __future__ import annotations

import re

import pytest
from function_calls import ArityError, call, failure
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.errors import (
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
)
from smtp_connector.workflows.expressions.values import STRING_LIMIT


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # FN
        ("toLower", ("Hello",), "hello"),
        ("concat", ("Sophia", "Owen"), "SophiaOwen"),
        ("concat", ("Hello", "World"), "HelloWorld"),
        ("replace", ("the old string", "old", "new"), "the new string"),
        ("substring", ("hello world", 6, 5), "world"),
        ("toLower", ("Hello World",), "hello world"),
        ("toUpper", ("Hello World",), "HELLO WORLD"),
        ("trim", (" Hello World  ",), "Hello World"),
        ("split", ("a_b_c", "_"), ["a", "b", "c"]),
        ("split", ("a_b_c", " "), ["a_b_c"]),
        ("slice", ("Hello World", 2), "llo World"),
        ("slice", ("Hello World", 30), ""),
        ("slice", ("Hello World", 10, 2), ""),
        ("slice", ("Hello World", 0), "Hello World"),
        ("slice", ("Hello World", 2, 5), "llo"),
        ("slice", ("Hello World", 6, 20), "World"),
        ("slice", ("Hello World", -2), "ld"),
        ("slice", ("Hello World", 3, -1), "lo Worl"),
        ("slice", ("Hello World", 3, 3), ""),
        # IA
        ("slice", ("abcdef", -3, -1), "de"),
        ("slice", ("abcdef", 39, 99), ""),
        ("slice", ("abcdef", -33), "abcdef"),
        ("slice", ("abcdef", -33, -44), ""),
        ("slice", ("abcdef", -1, -2), ""),
        ("substring", ("abcdef", 0), "abcdef"),
        ("substring", ("abcdef", 3), "def"),
        ("substring", ("abcdef", 3, 1), "d"),
        ("replace", ("xxxxx", "x", "y"), "yyyyy"),
        ("replace", ("xxxxx", "x", ""), ""),
        ("replace", ("abcdef", "cd", "z"), "abzef"),
        ("replace", ("abcdef", ".", "z"), "abcdef"),
        ("replace", ("ABC", "b", "z"), "ABC"),
        ("split", ("abc,,,def", ","), ["abc", "", "", "def"]),
        ("split", (",abc,def,", ","), ["", "abc", "def", ""]),
        ("split", (",,,,", ","), ["", "", "", "", ""]),
        ("split", ("abc,def", "."), ["abc,def"]),
        ("split", ("abcSPdefSPghi", "SP"), ["abc", "def", "ghi"]),
        ("split", ("abc,def", ""), ["abc,def"]),
        ("split", ("", ","), [""]),
        ("split", ("", ""), [""]),
        ("toLower", ("ıIiİçÇğĞ",), "ıiiİççğğ"),
        ("toUpper", ("ıIiİçÇğĞ",), "ıIIİÇÇĞĞ"),
        ("toLower", ("Ｚｅｎｋａｋｕ　Ｔｅｘｔ",), "ｚｅｎｋａｋｕ　ｔｅｘｔ"),
        ("toUpper", ("Ｚｅｎｋａｋｕ　Ｔｅｘｔ",), "ＺＥＮＫＡＫＵ　ＴＥＸＴ"),
        ("trim", ("       ",), ""),
        ("trim", ("test     ing",), "test     ing"),
        ("trim", ("\r\n\r  \t\rtesting\r \n\t\r",), "testing"),
        ("trim", ("\u3000\u3000testing\u3000",), "testing"),
        # cross-checks
        ("concat", (None, "x"), "x"),
        ("substring", ("hello", 2), "llo"),
        ("slice", ("hello", 1, 4), "ell"),
    ],
)
def test_documented_vectors(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


def test_concat_renders_like_the_runtime() -> None:
    assert call("concat", 1, 2.5, 5.0, True, False, None, [1, "a"], {"k": 1.0}) == (
        '12.55TrueFalse[1,"a"]{"k":1.0}'
    )


def test_concat_of_binary_content_is_its_text() -> None:
    assert call("concat", "<", call("binary", "bytes"), ">") == "<bytes>"


def test_to_upper_keeps_sharp_s_and_lowers_sigma_alone() -> None:
    assert call("toUpper", "straße") == "STRAßE"
    assert call("toLower", "ΟΔΟΣ") == "οδοσ"


def test_trim_leaves_other_characters() -> None:
    assert call("trim", "\u200bx\u200b") == "\u200bx\u200b"  # zero-width space is not white
    assert call("trim", "\ufeffx") == "\ufeffx"
    assert call("trimByteOrderMark", "\ufeffx\ufeff") == "x\ufeff"
    assert call("trimByteOrderMark", "x") == "x"


def test_split_of_null_has_the_runtime_message() -> None:
    assert failure("split", None, ",") == (
        "The template language function 'split' expects its first parameter to be of type "
        "string. The provided value is of type 'Null'. Please see "
        "https://aka.ms/logicexpressions#split for usage details."
    )


@pytest.mark.parametrize("separator", [1, True, None, [",", "e"]])
def test_split_separator_must_be_a_string(separator: object) -> None:
    assert "expects its second parameter to be of type string" in failure(
        "split", "abc,def", separator
    )


@pytest.mark.parametrize(
    "args", [(0, 99), (39, 99), (39, -10), (-3,), (-1, 2), (-3, -1), (-33,), (-33, -44)]
)
def test_substring_out_of_range(args: tuple[int, ...]) -> None:
    message = failure("substring", "abcdef", *args)
    assert message.startswith(
        "The template language function 'substring' parameters are out of range: 'start index' "
        "and 'length' must be non-negative integers and their sum must be no larger than the "
        "length of the string."
    )


def test_replace_with_empty_old_text_fails_with_the_runtime_text() -> None:
    assert failure("replace", "xxxxx", "", "y") == (
        "String cannot be of zero length. (Parameter 'oldValue')"
    )


def test_to_lower_of_a_number_is_a_type_error() -> None:
    assert failure("toLower", 5) == (
        "The template language function 'toLower' expects its parameter to be of type string. "
        "The provided value is of type 'Integer'. Please see "
        "https://aka.ms/logicexpressions#tolower for usage details."
    )


def test_slice_indexes_must_be_integers() -> None:
    assert "expects its second parameter to be an integer" in failure("slice", "abc", "1")
    assert "of type 'Float'" in failure("slice", "abc", 0, 1.0)


def test_arity_is_registered() -> None:
    with pytest.raises(ArityError):
        call("concat")
    with pytest.raises(ArityError):
        call("substring", "abc")


@pytest.mark.parametrize(
    ("fmt", "shape"),
    [
        (None, r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"),
        ("N", r"[0-9a-f]{32}"),
        ("d", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        ("B", r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}"),
        ("P", r"\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)"),
        (
            "X",
            r"\{0x[0-9a-f]{8},0x[0-9a-f]{4},0x[0-9a-f]{4},\{(0x[0-9a-f]{2},){7}0x[0-9a-f]{2}\}\}",
        ),
    ],
)
def test_guid_formats(fmt: str | None, shape: str) -> None:
    value = call("guid") if fmt is None else call("guid", fmt)
    assert re.fullmatch(shape, value)
    assert value != (call("guid") if fmt is None else call("guid", fmt))


def test_guid_rejects_other_formats() -> None:
    assert "the format can be only" in failure("guid", "Z")


def test_concat_beyond_the_string_limit_is_refused_before_building() -> None:
    half = "x" * (STRING_LIMIT // 2 + 1)
    with pytest.raises(ExpressionLimitExceeded):
        call("concat", half, half)


def test_replace_that_would_pass_the_limit_is_refused() -> None:
    with pytest.raises(ExpressionLimitExceeded):
        call("replace", "x" * 1000, "x", "y" * (STRING_LIMIT // 1000 + 1))


@given(st.text(), st.text(min_size=1))
def test_split_then_join_gives_the_text_back(text: str, separator: str) -> None:
    assert call("join", call("split", text, separator), separator) == text


@given(st.text(max_size=30), st.integers(), st.integers() | st.none())
def test_slice_never_fails_on_integers(text: str, start: int, end: int | None) -> None:
    result = call("slice", text, start) if end is None else call("slice", text, start, end)
    assert result in text


@given(st.text(max_size=30), st.integers(-40, 40), st.integers(-40, 40))
def test_substring_either_answers_or_says_out_of_range(text: str, start: int, size: int) -> None:
    try:
        result = call("substring", text, start, size)
    except ExpressionEvaluationError as error:
        assert "out of range" in error.message
        assert start < 0 or size < 0 or start + size > len(text)
    else:
        assert len(result) == size and text[start : start + size] == result


@given(st.text())
def test_case_mappings_keep_the_length(text: str) -> None:
    assert len(call("toLower", text)) == len(text) == len(call("toUpper", text))


def test_large_inputs_give_exact_results() -> None:
    big = "a" * 2_000_000
    assert len(call("split", big, "a")) == 2_000_001
    assert call("replace", big, "a", "bc") == "bc" * 2_000_000
    assert call("toUpper", "é" * 1_000_000) == "É" * 1_000_000
    assert call("trim", " " * 1_000_000 + "x" + "\u3000" * 1_000_000) == "x"


def test_text_of_a_value_nested_too_deeply_is_a_limit_error() -> None:
    nested: list[object] = []
    for _ in range(5_000):
        nested = [nested]
    with pytest.raises(ExpressionLimitExceeded):
        call("concat", nested)
