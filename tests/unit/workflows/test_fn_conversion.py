"""json, int, float, decimal, string, bool, array, createArray, isInt, isFloat."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from function_calls import call, exact, failure
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.render import to_text

INVALID = "was invoked with a parameter that is not valid. The value cannot be converted"


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # FN
        ("array", ("hello",), ["hello"]),
        ("bool", (1,), True),
        ("bool", (0,), False),
        ("bool", (-1,), True),
        ("bool", ("true",), True),
        ("bool", ("false",), False),
        ("createArray", ("h", "e", "l", "l", "o"), ["h", "e", "l", "l", "o"]),
        ("float", ("10.333",), 10.333),
        ("int", ("10",), 10),
        ("json", ("[1, 2, 3]",), [1, 2, 3]),
        ("json", ('{"fullName": "Sophia Owen"}',), {"fullName": "Sophia Owen"}),
        ("string", (10,), "10"),
        ("string", ({"name": "Sophie Owen"},), '{"name":"Sophie Owen"}'),
        ("float", ("10,000.333",), 10000.333),
        ("float", ("10.000,333", "de-DE"), 10000.333),
        ("isFloat", ("10,000.00",), True),
        ("isFloat", ("10.000,00", "de-DE"), True),
        ("isInt", ("10",), True),
        # IA
        ("float", ("  +1,000 ",), 1000.0),
        ("float", ("  200- ",), -200.0),
        ("float", ("400,000", "en-gb"), 400000.0),
        ("float", ("400.000", "en-gb"), 400.0),
        ("float", ("400,000", "de-de"), 400.0),
        ("float", ("400.000", "de-de"), 400000.0),
        ("float", ("5e-350",), 0.0),
        ("float", ("1.7e+350",), math.inf),
        ("float", ("-1e400",), -math.inf),
        ("float", ("Infinity", ""), math.inf),
        ("float", (Decimal("10000000000.00000000001234"),), 10000000000.0),
        ("int", (1.0,), 1),
        ("int", ("1.0",), 1),
        ("int", (Decimal("1.00000"),), 1),
        ("int", ("  +1,000 ",), 1000),
        ("int", ("nan",), -9223372036854775808),
        ("int", ("100000000000000010",), 100000000000000016),
        ("int", ("-9223372036854775809",), -9223372036854775808),
        ("int", ("-9223372036854775809.05",), -9223372036854775808),
        ("isFloat", ("NaN",), True),
        ("isFloat", ("NaN", "de-de"), True),
        ("isFloat", ("Infinity",), True),
        ("isFloat", ("infINITY", ""), True),
        ("isFloat", ("Infinity", "en-us"), False),
        ("isFloat", ("inf",), False),
        ("isFloat", ("400,000", "en-gb"), True),
        ("isFloat", ("400.000", "de-de"), True),
        ("isFloat", ("111.222.333",), False),
        ("isFloat", ("111.222.333", "en-gb"), False),
        ("isFloat", ("111.222.333", "de-de"), True),
        ("bool", ("True",), True),
        ("bool", (0.3,), True),
        ("json", ('{"abCDef": 123}',), {"abCDef": 123}),
        ("json", ('{"f":5.0}',), {"f": 5.0}),
        # cross-checks
        ("isFloat", ("abc",), False),
        ("isInt", ("12.5",), False),
    ],
)
def test_documented_vectors(name: str, args: tuple[object, ...], expected: object) -> None:
    assert exact(call(name, *args)) == exact(expected)


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("1.2345678912312131", "1.2345678912312131"),
        ("5.0000", "5.0000"),
        ("5", "5"),
        ("  +1,000 ", "1000"),
        ("  200- ", "-200"),
        ("10000000000.00000000001234", "10000000000.00000000001234"),
        ("70000000000000000000000000000", "70000000000000000000000000000"),
    ],
)
def test_decimal_keeps_its_digits_as_text(text: str, printed: str) -> None:
    value = call("decimal", text)
    assert isinstance(value, Decimal)
    assert call("string", value) == printed


def test_decimal_as_a_number_is_a_double() -> None:
    # FN: decimal('1.2345678912312131') -> 1.234567891231213 as a number.
    assert float(call("decimal", "1.2345678912312131")) == 1.234567891231213


def test_decimal_of_a_double_has_fifteen_digits() -> None:
    assert call("string", call("decimal", 100000.000009)) == "100000.000009"
    assert call("string", call("decimal", 0.0)) == "0"
    assert call("string", call("decimal", 1.2345678912312131)) == "1.23456789123121"


@pytest.mark.parametrize("text", ["(200)", "3e-1", "7e28", "3e50", "abc", ""])
def test_decimal_refuses(text: str) -> None:
    assert INVALID in failure("decimal", text)


@pytest.mark.parametrize(
    "text",
    ["  200- ", "(200)", "9223372036854775808", "9223372036854775807", "3e50", "3e-50", "1.5"],
)
def test_int_refuses(text: str) -> None:
    assert INVALID in failure("int", text)


@pytest.mark.parametrize("value", [1.5, 2.5, 100000.000009, math.inf, Decimal("1.5")])
def test_int_of_a_fractional_number_is_an_error(value: object) -> None:
    assert INVALID in failure("int", value)


@pytest.mark.parametrize("args", [("(200)",), ("Infinity",), ("inf",), ("∞x",)])
def test_float_refuses(args: tuple[str, ...]) -> None:
    assert INVALID in failure("float", *args)


def test_float_of_nan_prints_nan() -> None:
    assert to_text(call("float", "nan")) == "NaN"
    assert to_text(call("float", "5.0")) == "5"
    assert to_text(call("float", "5e-324")) == "5E-324"


def test_unknown_locale_is_a_clear_error() -> None:
    assert "locale 'xx-nowhere' that is not valid" in failure("float", "1", "xx-nowhere")
    assert "locale 'zz' that is not valid" in failure("isFloat", "1", "zz")


def test_is_float_and_is_int_take_strings_only() -> None:
    assert "expects its first parameter to be of type string" in failure("isFloat", 3.14)
    assert "expects its parameter to be of type string" in failure("isInt", 3)


def test_is_int_accepts_exponents_and_separators_within_int64() -> None:
    assert call("isInt", "1e3") is True
    assert call("isInt", " -1,000 ") is True
    assert call("isInt", "9223372036854775807") is True
    assert call("isInt", "9223372036854775808") is False
    assert call("isInt", "1e400") is False
    assert call("isInt", "") is False


def test_bool_refuses_other_words_with_the_runtime_text() -> None:
    assert failure("bool", "troo") == (
        "The template language function 'bool' was invoked with a parameter that is not valid. "
        "The value cannot be converted to the target type. "
        "Please see https://aka.ms/logicexpressions#bool for usage details."
    )
    assert "expects its parameter to be a boolean, a number or a string" in failure("bool", None)


def test_json_errors_are_clear() -> None:
    assert "cannot be parsed" in failure("json", "{not json")
    assert "cannot be parsed" in failure("json", "NaN")
    assert "cannot be parsed" in failure("json", "")
    assert "nested too deeply" in failure("json", "[" * 100_000 + "]" * 100_000)
    assert "expects its parameter to be a string" in failure("json", 5)


def test_json_of_binary_content_parses_its_text_and_refuses_xml() -> None:
    assert call("json", call("binary", "[1,2,3]")) == [1, 2, 3]
    xml = {"$content-type": "application/xml;charset=utf-8", "$content": "PGEvPg=="}
    assert "XML values are not supported" in failure("json", xml)


def test_json_duplicate_keys_keep_the_last() -> None:
    assert call("json", '{"a": 1, "a": 2}') == {"a": 2}


def test_string_renders_like_interpolation() -> None:
    assert call("string", None) == ""
    assert call("string", True) == "True"
    assert call("string", 5.0) == "5"
    assert call("string", [1.0, None]) == "[1.0,null]"


@given(st.integers(-(2**63), 2**63 - 1))
def test_is_int_and_int_agree_on_int64_text(number: int) -> None:
    # int() goes through a double, as the runtime does: near 2**63 it rounds out of range.
    assert call("isInt", str(number)) is True
    if float(number) < 2**63:
        assert call("int", str(number)) == int(float(number))
    else:
        assert "not valid" in failure("int", str(number))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_reads_back_its_own_text(number: float) -> None:
    assert call("float", repr(number)) == number
    assert call("isFloat", repr(number)) is True
