""".NET invariant casing: ``ToLowerInvariant``, ``ToUpperInvariant``, and case-insensitive search.

.NET maps one UTF-16 unit to one: ``ß`` stays ``ß`` in upper case (Python writes ``SS``), a final
sigma lowers to ``σ`` (Python: ``ς``), and the invariant culture leaves the Turkish letters alone:
``toLower('ıIiİçÇğĞ')`` is ``ıiiİççğğ`` and ``toUpper`` gives ``ıIIİÇÇĞĞ`` (IA). So each character
maps on its own, to itself when Python's mapping is not one character or is a Turkish dotted or
dotless i. Every mapping keeps the length, so an index found in ``fold(text)`` is an index in
``text``.
"""

from __future__ import annotations

from collections.abc import Callable

_TURKISH = frozenset((0x0130, 0x0131))


class _CaseTable(dict[int, int]):
    """A ``str.translate`` table filled on first use of each character."""

    def __init__(self, convert: Callable[[str], str]) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, code: int) -> int:
        mapped = self._convert(chr(code))
        result = ord(mapped) if len(mapped) == 1 and code not in _TURKISH else code
        self[code] = result
        return result


_LOWER = _CaseTable(str.lower)
_UPPER = _CaseTable(str.upper)


def lower(text: str) -> str:
    """``text.ToLowerInvariant()``."""
    return text.lower() if text.isascii() else text.translate(_LOWER)


def upper(text: str) -> str:
    """``text.ToUpperInvariant()``."""
    return text.upper() if text.isascii() else text.translate(_UPPER)


def fold(text: str) -> str:
    """The key for ignore-case comparison (.NET ordinal ignore-case upper-cases)."""
    return upper(text)
