"""add, sub, mul, div, mod, min, max, rand, range: .NET number types and limits."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from function_calls import call, exact, failure
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.errors import ExpressionLimitExceeded
from smtp_connector.workflows.expressions.render import to_text

int64 = st.integers(-(2**63), 2**63 - 1)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # FN
        ("add", (1, 1.5), 2.5),
        ("div", (10, 5), 2),
        ("div", (11, 5), 2),
        ("div", (11, 5.0), 2.2),
        ("div", (11.0, 5), 2.2),
        ("max", (1, 2, 3), 3),
        ("max", ([1, 2, 3],), 3),
        ("min", (1, 2, 3), 1),
        ("min", ([1, 2, 3],), 1),
        ("mod", (3, 2), 1),
        ("mul", (1, 2), 2),
        ("mul", (1.5, 2), 3.0),
        ("range", (1, 4), [1, 2, 3, 4]),
        ("sub", (10.3, 0.3), 10.0),  # FN writes .3, a literal LAUX cannot scan
        ("mod", (-5, 2), -1),
        ("mod", (4, -3), 1),
        # IA
        ("add", (2147483647, 1), 2147483648),
        ("add", (4294967295, 1), 4294967296),
        ("mul", (1e308, 2), math.inf),
        ("mul", (4294967295, 4294967295.0), 1.8446744065119617e19),
    ],
)
def test_documented_vectors(name: str, args: tuple[object, ...], expected: object) -> None:
    assert exact(call(name, *args)) == exact(expected)


def test_integral_float_results_print_without_point() -> None:
    assert to_text(call("mul", 1.5, 2)) == "3"
    assert to_text(call("sub", 10.3, 0.3)) == "10"


def test_decimal_arithmetic_keeps_decimal_digits() -> None:
    # FN-2023: add(decimal(...), decimal(...)) is 2.469135782462426 as a number and
    # "2.4691357824624262" as text.
    d = call("decimal", "1.2345678912312131")
    total = call("add", d, d)
    assert isinstance(total, Decimal)
    assert float(total) == 2.469135782462426
    assert call("string", total) == "2.4691357824624262"
    # IA: a decimal times a float is computed as decimals.
    assert call("string", call("mul", call("decimal", "4294967295"), 4294967295.0)) == (
        "18446744065119617025"
    )
    assert call("string", call("add", call("decimal", 0.0), 3.0)) == "3"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("add", (9223372036854775807, 1)),
        ("mul", (4294967295 * 4, 4294967295 * 4)),
        ("sub", (-9223372036854775808, 1)),
        ("div", (-9223372036854775808, -1)),
    ],
)
def test_int64_overflow_is_an_error(name: str, args: tuple[int, int]) -> None:
    assert "Arithmetic operation resulted in an overflow" in failure(name, *args)


def test_decimal_overflow_is_an_error() -> None:
    big = call("decimal", "70000000000000000000000000000")
    assert "overflow" in failure("mul", big, 10)
    # max() converts 30.1 to a decimal because one argument is a decimal (IA).
    assert "overflow" in failure("mul", call("max", 20, call("decimal", "10"), 30.1), 1e50)


@pytest.mark.parametrize("args", [(-1, 0), (0, 0), (1.5, 0.0), (1, 0.0)])
def test_division_by_zero_is_an_error(args: tuple[float, float]) -> None:
    assert "Attempted to divide by zero" in failure("div", *args)
    assert "Attempted to divide by zero" in failure("mod", *args)


def test_operands_must_be_numbers() -> None:
    assert failure("add", "1", 2) == (
        "The template language function 'add' expects its first parameter to be an integer or "
        "a decimal number. The provided value is of type 'String'. Please see "
        "https://aka.ms/logicexpressions#add for usage details."
    )
    assert "of type 'Boolean'" in failure("sub", 1, True)
    assert "of type 'Null'" in failure("max", 1, None)


def test_min_and_max_promote_like_dotnet() -> None:
    assert exact(call("max", 1, 2.5)) == exact(2.5)
    assert exact(call("max", 3, 2.5)) == exact(3.0)
    assert exact(call("min", [4])) == exact(4)
    assert "non-empty array" in failure("min", [])


def test_mod_of_floats_takes_the_dividends_sign() -> None:
    assert call("mod", -5.5, 2) == -1.5
    assert math.isnan(call("mod", math.inf, 2))


def test_rand_stays_in_range() -> None:
    seen = {call("rand", 1, 5) for _ in range(300)}
    assert seen <= {1, 2, 3, 4}
    assert call("rand", 7, 7) == 7
    assert "no larger than its second" in failure("rand", 5, 1)


def test_range_limits() -> None:
    assert len(call("range", 0, 100_000)) == 100_000
    assert call("range", 5, 0) == []
    with pytest.raises(ExpressionLimitExceeded):
        call("range", 0, 100_001)
    with pytest.raises(ExpressionLimitExceeded):
        call("range", 0, 10**18)
    assert "out of range" in failure("range", 2147483647, 1)
    assert "out of range" in failure("range", 1, -1)
    assert call("range", 2147483646, 1) == [2147483646]


@given(int64, int64.filter(lambda n: n != 0))
def test_integer_division_truncates_toward_zero(a: int, b: int) -> None:
    if a == -(2**63) and b == -1:
        return
    quotient = call("div", a, b)
    remainder = call("mod", a, b)
    assert quotient * b + remainder == a
    assert abs(remainder) < abs(b)
    assert remainder == 0 or (remainder < 0) == (a < 0)


@given(int64, int64)
def test_add_is_exact_or_an_overflow_error(a: int, b: int) -> None:
    if -(2**63) <= a + b < 2**63:
        assert call("add", a, b) == a + b
    else:
        assert "overflow" in failure("add", a, b)
