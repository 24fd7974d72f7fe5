""".NET custom numeric format strings (``#,##0.00``, ``0.###E+0``, ``'$'0;('$'0);zero``).

The format is read once into tokens; a section is chosen by the value's sign (and re-chosen when
the value rounds to zero and a zero section exists); digits are then laid into the placeholders
left to right, surplus integer digits going to the first placeholder, as .NET does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from smtp_connector.workflows.expressions.number_culture import NumberCulture
from smtp_connector.workflows.expressions.number_digits import (
    FormatError,
    Number,
    check_length,
    exact,
    fixed_digits,
    is_negative,
    round_places,
    shift,
)

DIGITS = ("0", "#")


@dataclass(frozen=True)
class Token:
    kind: str
    """``0``, ``#``, ``.``, ``,``, ``%``, ``‰``, ``E`` (exponent), ``lit`` or ``;``."""
    text: str = ""
    plus: bool = False
    """Exponent: always print its sign (``E+0``)."""
    width: int = 0
    """Exponent: minimum number of digits."""


def tokenize(fmt: str) -> list[Token]:
    """The tokens of ``fmt``; raises ``FormatError`` on an unterminated quote."""
    tokens: list[Token] = []
    i, size = 0, len(fmt)
    while i < size:
        ch = fmt[i]
        if ch in "0#.,%‰;":
            tokens.append(Token(ch))
            i += 1
        elif ch == "\\":
            tokens.append(Token("lit", fmt[i + 1 : i + 2] or "\\"))
            i += 2
        elif ch in "'\"":
            end = fmt.find(ch, i + 1)
            if end < 0:
                raise FormatError("Cannot find a matching quote character for the character.")
            tokens.append(Token("lit", fmt[i + 1 : end]))
            i = end + 1
        elif ch in "Ee":
            j = i + 1
            plus = j < size and fmt[j] == "+"
            if j < size and fmt[j] in "+-":
                j += 1
            zeros = j
            while zeros < size and fmt[zeros] == "0":
                zeros += 1
            if zeros > j:
                tokens.append(Token("E", ch, plus, zeros - j))
                i = zeros
            else:
                tokens.append(Token("lit", ch))
                i += 1
        else:
            tokens.append(Token("lit", ch))
            i += 1
    return tokens


@dataclass(frozen=True)
class Section:
    tokens: list[Token]
    integer_places: int
    minimum_integer: int
    fraction_places: int
    minimum_fraction: int
    grouping: bool
    scale: int
    """Power of ten the value is multiplied by (``%``: +2, ``‰``: +3, scaling comma: -3)."""
    exponent: Token | None


def analyse(tokens: list[Token]) -> Section:
    """The placeholder counts and flags of one section."""
    integer: list[str] = []
    fraction: list[str] = []
    seen_point = False
    exponent: Token | None = None
    scale = 0
    grouping = False
    pending_commas = 0
    for token in tokens:
        if exponent is not None:
            break
        if token.kind in DIGITS:
            if seen_point:
                fraction.append(token.kind)
            else:
                if pending_commas and integer:
                    grouping = True
                pending_commas = 0
                integer.append(token.kind)
        elif token.kind == "," and not seen_point:
            pending_commas += 1
        elif token.kind == "." and not seen_point:
            seen_point = True
            scale -= 3 * pending_commas if integer else 0
            pending_commas = 0
        elif token.kind == "%":
            scale += 2
        elif token.kind == "‰":
            scale += 3
        elif token.kind == "E":
            exponent = token
    if not seen_point and integer:
        scale -= 3 * pending_commas
    first_zero = integer.index("0") if "0" in integer else len(integer)
    last_zero = len(fraction) - fraction[::-1].index("0") if "0" in fraction else 0
    return Section(
        tokens=tokens,
        integer_places=len(integer),
        minimum_integer=len(integer) - first_zero,
        fraction_places=len(fraction),
        minimum_fraction=last_zero,
        grouping=grouping,
        scale=scale,
        exponent=exponent,
    )


def format_custom(value: Number, fmt: str, culture: NumberCulture) -> str:
    """``value`` under the custom format ``fmt``; raises ``FormatError``."""
    sections: list[list[Token]] = [[]]
    for token in tokenize(fmt):
        if token.kind == ";":
            sections.append([])
        else:
            sections[-1].append(token)
    sections = sections[:3]
    number = exact(value)
    if isinstance(value, float):
        number = Decimal(format(value, ".14e"))
    negative = is_negative(value) and number != 0
    if number == 0 and len(sections) == 3:
        index = 2
    elif negative and len(sections) >= 2:
        index = 1
    else:
        index = 0
    chosen = sections[index] or sections[0]
    signed = negative and (index == 0 or not sections[index])
    text, zero = _render(analyse(chosen), number.copy_abs(), culture)
    if zero and len(sections) == 3 and index != 2:
        text, _ = _render(analyse(sections[2] or sections[0]), Decimal(0), culture)
        return text
    return f"{culture.minus}{text}" if signed and not zero else text


def _render(section: Section, number: Decimal, culture: NumberCulture) -> tuple[str, bool]:
    """The text of ``|number|`` in ``section`` and whether it rounded to zero."""
    number = shift(number, section.scale)
    check_length(max(number.adjusted(), 0) + section.fraction_places)
    exponent = 0
    if section.exponent is not None and number != 0:
        exponent = number.adjusted() + 1 - section.integer_places
        rounded = round_places(shift(number, -exponent), section.fraction_places)
        if rounded.adjusted() + 1 > max(section.integer_places, 1):
            exponent += 1
        number = shift(number, -exponent)
    whole, fraction = fixed_digits(number, section.fraction_places)
    fraction = fraction[: section.minimum_fraction] + fraction[section.minimum_fraction :].rstrip(
        "0"
    )
    zero = whole == "" and fraction.strip("0") == ""
    check_length(len(whole) + len(section.tokens) * 2 + len(fraction))
    out: list[str] = []
    placed = 0
    fraction_index = 0
    in_fraction = False
    boundaries = _boundaries(culture.group_sizes, max(len(whole), section.integer_places))
    for token in section.tokens:
        kind = token.kind
        if kind in DIGITS and not in_fraction:
            position = section.integer_places - 1 - placed
            if placed == 0 and len(whole) > section.integer_places:
                for extra in range(len(whole) - 1, position, -1):
                    _digit(out, whole, extra, section, culture, boundaries)
            if position < len(whole) or position < section.minimum_integer:
                _digit(out, whole, position, section, culture, boundaries)
            placed += 1
        elif kind in DIGITS:
            if fraction_index < len(fraction):
                out.append(fraction[fraction_index])
            fraction_index += 1
        elif kind == "." and not in_fraction:
            in_fraction = True
            if fraction:
                out.append(culture.decimal)
        elif kind == "%":
            out.append(culture.percent)
        elif kind == "‰":
            out.append(culture.permille)
        elif kind == "E" and token is section.exponent:
            sign = culture.minus if exponent < 0 else (culture.plus if token.plus else "")
            out.append(f"{token.text}{sign}{str(abs(exponent)).rjust(token.width, '0')}")
            in_fraction = True
        elif kind == "lit":
            out.append(token.text)
    return "".join(out), zero


def _digit(
    out: list[str],
    whole: str,
    position: int,
    section: Section,
    culture: NumberCulture,
    boundaries: frozenset[int],
) -> None:
    out.append(whole[len(whole) - 1 - position] if position < len(whole) else "0")
    if section.grouping and position in boundaries:
        out.append(culture.group)


def _boundaries(sizes: tuple[int, ...], width: int) -> frozenset[int]:
    """Digit positions (units = 0) after which a group separator goes."""
    marks: set[int] = set()
    position = 0
    index = 0
    while sizes and position < width:
        size = sizes[min(index, len(sizes) - 1)]
        if size <= 0:
            break
        position += size
        marks.add(position)
        index += 1
    return frozenset(marks)
