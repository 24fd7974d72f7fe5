"""formatNumber: .NET standard and custom numeric formats in a culture (default en-us).

Expected values are the FN examples (§1.5) and .NET's documented outputs for the same format
strings (dotnet/docs, standard and custom numeric format strings).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from function_calls import call, failure
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.errors import ExpressionLimitExceeded


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # FN
        ((1234567890, "0,0.00", "en-us"), "1,234,567,890.00"),
        ((1234567890, "0,0.00", "is-is"), "1.234.567.890,00"),
        ((17.35, "C2"), "$17.35"),
        ((17.35, "C2", "is-is"), "17,35 kr"),
        # cross-check: /^100\s*kr\.?$/
        ((100, "C0", "is-IS"), "100 kr"),
    ],
)
def test_documented_vectors(args: tuple[object, ...], expected: str) -> None:
    assert call("formatNumber", *args) == expected


@pytest.mark.parametrize(
    ("number", "fmt", "expected"),
    [
        (1234.5678, "N", "1,234.57"),
        (-1234.5678, "N1", "-1,234.6"),
        (1234, "N0", "1,234"),
        (0.1234, "P", "12.34%"),
        (0.5, "P0", "50%"),
        (12345.6789, "E", "1.234568E+004"),
        (12345.6789, "e2", "1.23e+004"),
        (1234.5, "F", "1234.50"),
        (2.5, "F0", "3"),
        (-2.5, "F0", "-3"),
        (1.005, "F2", "1.00"),  # the double is 1.00499999...
        (-0.001, "F2", "-0.00"),
        (255, "X", "FF"),
        (255, "x4", "00ff"),
        (-1, "X", "FFFFFFFFFFFFFFFF"),
        (42, "D5", "00042"),
        (-42, "D5", "-00042"),
        (1e15, "G", "1E+15"),
        (123456789012345.0, "G", "123456789012345"),
        (0.00001, "G", "1E-05"),
        (0.0001, "G", "0.0001"),
        (12345, "G2", "1.2E+04"),
        (0.1 + 0.2, "R", "0.30000000000000004"),
        (Decimal("5.0000"), "G", "5.0000"),
        (-1234.5, "C", "-$1,234.50"),
        (1234.5, "", "1234.5"),
        (float("nan"), "N2", "NaN"),
        (float("-inf"), "C", "-∞"),
    ],
)
def test_standard_formats(number: object, fmt: str, expected: str) -> None:
    assert call("formatNumber", number, fmt) == expected


@pytest.mark.parametrize(
    ("number", "fmt", "expected"),
    [
        (1234.5, "#,##0.00", "1,234.50"),
        (0.5, "#.##", ".5"),
        (0, "#", ""),
        (0, "0", "0"),
        (1.0, "0.##", "1"),
        (5551234567, "(###) ###-####", "(555) 123-4567"),
        (1234567, "(###) ###-####", "() 123-4567"),
        (12345, "0.###E+0", "1.235E+4"),
        (12345, "00.00E+0", "12.35E+3"),
        (0.00012, "0.0E-00", "1.2E-04"),
        (-5, "$0", "-$5"),
        (-5, "0;(0)", "(5)"),
        (0, "0;(0);zero", "zero"),
        (-0.001, "0.00;(0.00);zero", "zero"),
        (-0.001, "0.00", "0.00"),
        (1234567, "#,##0,", "1,235"),
        (1234567, "0,,.0", "1.2"),
        (0.256, "0.0%", "25.6%"),
        (0.256, "0.0‰", "256.0‰"),
        (42, "'#'0 \\# \"#\"", "#42 # #"),
        (-123, "abc", "-abc"),
        (123.456, "0.00000000000000000000", "123.45600000000000000000"),
    ],
)
def test_custom_formats(number: object, fmt: str, expected: str) -> None:
    assert call("formatNumber", number, fmt) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de-DE", "1.234.567,89"),
        ("fr-FR", "1\u202f234\u202f567,89"),
        ("en-IN", "12,34,567.89"),
        ("", "1,234,567.89"),
    ],
)
def test_group_and_decimal_symbols_follow_the_locale(locale: str, expected: str) -> None:
    assert call("formatNumber", 1234567.891, "N2", locale) == expected


def test_percent_and_currency_patterns_follow_the_locale() -> None:
    assert call("formatNumber", 0.1234, "P1", "de-de") == "12,3 %"
    assert call("formatNumber", 1234.5, "C", "de-DE") == "1.234,50 €"
    assert call("formatNumber", 1234.5, "C", "ja-JP") == "￥1,235"


def test_errors() -> None:
    assert "Format specifier was invalid" in failure("formatNumber", 1.5, "D")
    assert "Format specifier was invalid" in failure("formatNumber", 1, "Z")
    assert "matching quote" in failure("formatNumber", 1, "0 'open")
    assert "locale 'xx-nowhere' that is not valid" in failure("formatNumber", 1, "N", "xx-nowhere")
    assert "expects its first parameter to be an integer or a decimal number" in failure(
        "formatNumber", "12", "N"
    )


def test_a_huge_precision_is_refused_not_built() -> None:
    with pytest.raises(ExpressionLimitExceeded):
        call("formatNumber", 1.5, "F999999999")
    with pytest.raises(ExpressionLimitExceeded):
        call("formatNumber", 7, "D999999999")


@given(st.integers(-(10**15), 10**15))
def test_grouped_integers_read_back(number: int) -> None:
    text = call("formatNumber", number, "#,##0")
    assert int(text.replace(",", "")) == number


@given(st.floats(-1e12, 1e12, allow_nan=False), st.integers(0, 6))
def test_fixed_point_matches_exact_half_up_rounding(number: float, places: int) -> None:
    text = call("formatNumber", number, f"F{places}")
    exact = Decimal(number).quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    assert Decimal(text) == exact


def test_an_enormous_format_string_is_refused() -> None:
    with pytest.raises(ExpressionLimitExceeded):
        call("formatNumber", 1, "0" * 100_001)
    assert call("formatNumber", 1, "0" * 100_000) == "0" * 99_999 + "1"
