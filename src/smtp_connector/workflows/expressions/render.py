"""Text of a value, as ``@{...}`` interpolation and ``string()`` produce it.

The runtime is .NET: booleans print ``True``/``False``, null prints nothing, an integral float
prints without ``.0`` on its own but keeps it inside JSON, a ``decimal()`` keeps its scale, and
objects and arrays print as compact JSON (non-ASCII kept as is).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


def number_text(value: float) -> str:
    """A float alone: ``5.0`` -> ``5``, ``0.32`` -> ``0.32``, ``1e21`` -> ``1E+21`` (.NET "R")."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}E{sign}{exponent.lstrip('+-').zfill(2)}"
    return text


def to_text(value: Any) -> str:
    """The string the runtime makes of ``value`` in ``@{...}`` and ``string()``."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return to_json(value)


def to_json(value: Any) -> str:
    """Compact JSON of ``value`` (floats keep ``.0``; inside JSON a decimal is a double)."""
    return json.dumps(_encodable(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _encodable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return number_text(value)
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encodable(item) for key, item in value.items()}
    return value
