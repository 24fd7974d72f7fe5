"""Reading loosely typed JSON members the way Logic Apps does.

Definitions come from hand edits and portal exports: member names in any case (the runtime's
JSON reader ignores case), numbers sometimes written as text (``"hours": ["12"]``), a single
value where a list is expected (``"weekDays": "Monday"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_DIGITS = re.compile(r"[+-]?[0-9]{1,18}")


def member(obj: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
    """``(key as written, value)`` of ``name`` in ``obj``: the exact spelling first, then any case.

    ``None`` when absent; a member whose value is JSON null counts as absent.
    """
    if name in obj:
        found: tuple[str, Any] = (name, obj[name])
    else:
        folded = name.casefold()
        match = [(k, v) for k, v in obj.items() if isinstance(k, str) and k.casefold() == folded]
        if not match:
            return None
        found = match[0]
    return None if found[1] is None else found


def whole_number(value: Any) -> int | None:
    """``value`` as an int: a JSON integer, an integral float, or decimal digits as text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value)
    return None


def as_list(value: Any) -> list[Any]:
    """A JSON array as a list; a single value as a one-item list."""
    return list(value) if isinstance(value, list) else [value]


def pointer(*parts: str | int) -> str:
    """The JSON pointer (RFC 6901) made of ``parts``; no parts is ``""``, the whole object."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
