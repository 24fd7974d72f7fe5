"""String functions: concat, substring, slice, replace, guid, toLower, toUpper, split, trim,
trimByteOrderMark, formatNumber. (The search functions are in ``string_search.py``.)

Strings are indexed by code point, not by UTF-16 unit as in .NET: only text outside the Basic
Multilingual Plane (emoji, ...) counts differently; ``utf16Length()`` gives the .NET length.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from smtp_connector.workflows.expressions import casing
from smtp_connector.workflows.expressions.content import text_of
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.errors import ExpressionEvaluationError
from smtp_connector.workflows.expressions.functions.checks import (
    check_length,
    excerpt,
    failure,
    usage,
    want_int,
    want_number,
    want_str,
)
from smtp_connector.workflows.expressions.functions.registry import function
from smtp_connector.workflows.expressions.number_culture import UnknownCulture, culture
from smtp_connector.workflows.expressions.number_format import FormatError, format_number

_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
""".NET ``Char.IsWhiteSpace``: the Unicode White_Space characters (Python's ``isspace`` differs)."""


@function("concat", 1, None)
def concat(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The texts of the arguments joined: null is empty, ``True``/``False``, JSON for the rest."""
    parts = [text_of(arg) for arg in args]
    check_length("concat", sum(len(part) for part in parts))
    return "".join(parts)


@function("substring", 2, 3)
def substring(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """``length`` characters from ``startIndex`` (default: to the end); out of range is an error."""
    text = want_str("substring", args[0], 0)
    start = want_int("substring", args[1], 1)
    length = want_int("substring", args[2], 2) if len(args) > 2 else len(text) - start
    if start < 0 or length < 0 or start + length > len(text):
        raise failure(
            "substring",
            "parameters are out of range: 'start index' and 'length' must be non-negative "
            "integers and their sum must be no larger than the length of the string.",
        )
    return text[start : start + length]


@function("slice", 2, 3)
def slice_(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """Characters from ``startIndex`` up to ``endIndex`` (exclusive); negative indexes count from
    the end; never out of range (an empty string instead)."""
    text = want_str("slice", args[0], 0)
    start = want_int("slice", args[1], 1)
    end = want_int("slice", args[2], 2) if len(args) > 2 else len(text)
    return text[start:end]


@function("replace", 3)
def replace(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """Every occurrence of ``oldText`` (case-sensitive, not a pattern) replaced by ``newText``."""
    text = want_str("replace", args[0], 0)
    old = want_str("replace", args[1], 1)
    new = want_str("replace", args[2], 2)
    if old == "":
        raise ExpressionEvaluationError("String cannot be of zero length. (Parameter 'oldValue')")
    if len(new) > len(old):
        check_length("replace", len(text) + text.count(old) * (len(new) - len(old)))
    return text.replace(old, new)


_GUID_FORMATS = {
    "n": "{hex}",
    "d": "{dashed}",
    "b": "{{{dashed}}}",
    "p": "({dashed})",
}


@function("guid", 0, 1)
def guid(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """A new random GUID in lower-case hex: ``N`` 32 digits, ``D`` (default) dashed, ``B``
    ``{...}``, ``P`` ``(...)``, ``X`` ``{0x...,0x...,0x...,{0x..,...}}``."""
    fmt = want_str("guid", args[0], None) if args else "D"
    value = uuid.uuid4()
    key = (fmt or "D").lower()
    if key == "x":
        raw = value.hex
        tail = ",".join(f"0x{raw[i : i + 2]}" for i in range(16, 32, 2))
        return f"{{0x{raw[:8]},0x{raw[8:12]},0x{raw[12:16]},{{{tail}}}}}"
    if key not in _GUID_FORMATS:
        raise failure(
            "guid",
            f"was invoked with a format '{excerpt(fmt)}' that is not valid: "
            'the format can be only "D", "d", "N", "n", "P", "p", "B", "b", "X" or "x".',
        )
    return _GUID_FORMATS[key].format(hex=value.hex, dashed=str(value))


@function("toLower", 1)
def to_lower(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The text in lower case, culture-invariant (Turkish ``İ`` and ``ı`` unchanged)."""
    return casing.lower(want_str("toLower", args[0], None))


@function("toUpper", 1)
def to_upper(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The text in upper case, culture-invariant (``ß`` and Turkish ``ı`` unchanged)."""
    return casing.upper(want_str("toUpper", args[0], None))


@function("split", 2)
def split(ctx: EvaluationContext, args: Sequence[Any]) -> list[str]:
    """The pieces between separators, empty pieces kept; an empty separator gives ``[text]``."""
    text = want_str("split", args[0], 0)
    separator = want_str("split", args[1], 1)
    if separator == "":
        return [text]
    return text.split(separator)


@function("trim", 1)
def trim(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The text without leading and trailing white space (all Unicode white space)."""
    return want_str("trim", args[0], None).strip(_WHITESPACE)


@function("trimByteOrderMark", 1)
def trim_byte_order_mark(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The text without a leading byte order mark (U+FEFF)."""
    text = want_str("trimByteOrderMark", args[0], None)
    return text[1:] if text.startswith("\ufeff") else text


@function("formatNumber", 2, 3)
def format_number_(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The number as .NET formats it (``C2``, ``N0``, ``0,0.00``, ...) in the culture (en-us)."""
    number = want_number("formatNumber", args[0], 0)
    fmt = want_str("formatNumber", args[1], 1)
    name = want_str("formatNumber", args[2], 2) if len(args) > 2 else None
    try:
        numbers = culture(name)
    except UnknownCulture:
        raise failure(
            "formatNumber", f"was invoked with a locale '{excerpt(name or '')}' that is not valid."
        ) from None
    try:
        return format_number(number, fmt, numbers)
    except FormatError as exc:
        raise ExpressionEvaluationError(
            f"The template language function 'formatNumber' was invoked with a format "
            f"'{excerpt(fmt)}' that is not valid: {exc} {usage('formatNumber')}"
        ) from None
