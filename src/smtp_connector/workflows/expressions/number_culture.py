"""Number symbols of a .NET culture (``'en-us'``, ``'de-DE'``, ``''`` = invariant), from CLDR.

``float()``, ``isFloat()`` and ``formatNumber()`` take a culture name; .NET reads its symbols from
ICU, which is CLDR, and ``babel`` ships CLDR. Two adjustments make the results match what the
Logic Apps documentation shows: spaces inside currency and percent patterns are plain spaces
(CLDR writes U+00A0), and the Icelandic krona is written ``kr`` (FN: ``formatNumber(17.35, 'C2',
'is-is')`` is ``17,35 kr``; CLDR says ``kr.``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError, numbers
from babel.core import get_global

DEFAULT_CULTURE = "en-us"

_SYMBOL_OVERRIDES = {("is", "ISK"): "kr"}
_HARD_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


class UnknownCulture(ValueError):
    """The name is not a culture .NET or CLDR knows."""


@dataclass(frozen=True)
class Affixes:
    """Text around a number: ``prefix`` and ``suffix`` for positive and for negative values."""

    positive: tuple[str, str]
    negative: tuple[str, str]

    def around(self, body: str, negative: bool) -> str:
        prefix, suffix = self.negative if negative else self.positive
        return f"{prefix}{body}{suffix}"


@dataclass(frozen=True)
class NumberCulture:
    """The symbols and patterns .NET's ``NumberFormatInfo`` would give for one culture."""

    name: str
    decimal: str
    group: str
    minus: str
    plus: str
    percent: str
    permille: str
    nan: str
    infinity: str
    negative_infinity: str
    group_sizes: tuple[int, ...]
    """From the units digit leftwards; the last size repeats (``(3,)``; ``(3, 2)`` for en-IN)."""
    currency_digits: int
    number: Affixes
    currency: Affixes
    percent_pattern: Affixes


INVARIANT = NumberCulture(
    name="",
    decimal=".",
    group=",",
    minus="-",
    plus="+",
    percent="%",
    permille="‰",
    nan="NaN",
    infinity="Infinity",
    negative_infinity="-Infinity",
    group_sizes=(3,),
    currency_digits=2,
    number=Affixes(("", ""), ("-", "")),
    currency=Affixes(("¤", ""), ("-¤", "")),
    percent_pattern=Affixes(("", " %"), ("-", " %")),
)


def culture(name: str | None) -> NumberCulture:
    """The culture called ``name`` (any case, ``-`` or ``_``); ``None`` is en-US, ``''`` invariant.

    Raises ``UnknownCulture``.
    """
    key = DEFAULT_CULTURE if name is None else name.strip().lower().replace("_", "-")
    if key in ("", "iv", "invariant"):
        return INVARIANT
    return _load(key)


@lru_cache(maxsize=64)
def _load(key: str) -> NumberCulture:
    if len(key) > 40 or not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in key):
        raise UnknownCulture(key)
    try:
        locale = Locale.parse(key, sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UnknownCulture(key) from exc
    symbols = locale.number_symbols.get("latn", {})
    minus = symbols.get("minusSign", "-")
    percent = symbols.get("percentSign", "%")
    currency_code = _currency_code(locale)
    symbol = _SYMBOL_OVERRIDES.get((locale.language, currency_code or ""))
    if symbol is None:
        symbol = numbers.get_currency_symbol(currency_code, locale) if currency_code else "¤"
    infinity = symbols.get("infinity", "∞")
    return NumberCulture(
        name=key,
        decimal=symbols.get("decimal", "."),
        group=symbols.get("group", ","),
        minus=minus,
        plus=symbols.get("plusSign", "+"),
        percent=percent,
        permille=symbols.get("perMille", "‰"),
        nan=symbols.get("nan", "NaN"),
        infinity=infinity,
        negative_infinity=minus + infinity,
        group_sizes=_group_sizes(locale.decimal_formats.get(None)),
        currency_digits=numbers.get_currency_precision(currency_code) if currency_code else 2,
        number=_affixes(locale.decimal_formats.get(None), {"-": minus}),
        currency=_affixes(
            locale.currency_formats.get("standard"), {"-": minus, "¤": symbol}, sign_only=False
        ),
        percent_pattern=_affixes(
            locale.percent_formats.get(None), {"-": minus, "%": percent}, sign_only=False
        ),
    )


def _currency_code(locale: Locale) -> str | None:
    territory = locale.territory
    if territory is None:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = likely.split("_")[-1] if "_" in likely else None
    if territory is None:
        return None
    codes = numbers.get_territory_currencies(territory)
    return str(codes[0]) if codes else None


def _group_sizes(pattern: Any) -> tuple[int, ...]:
    if pattern is None:
        return (3,)
    primary, secondary = pattern.grouping
    if primary > 100:
        return ()
    return (primary,) if secondary in (primary, 0) or secondary > 100 else (primary, secondary)


def _affixes(pattern: Any, symbols: dict[str, str], *, sign_only: bool = True) -> Affixes:
    if pattern is None:
        return Affixes(("", ""), (symbols.get("-", "-"), ""))

    def fill(text: str) -> str:
        out = "".join(symbols.get(ch, ch) for ch in text)
        return out if sign_only else out.translate(_HARD_SPACES)

    pos_prefix, neg_prefix = pattern.prefix
    pos_suffix, neg_suffix = pattern.suffix
    return Affixes((fill(pos_prefix), fill(pos_suffix)), (fill(neg_prefix), fill(neg_suffix)))
