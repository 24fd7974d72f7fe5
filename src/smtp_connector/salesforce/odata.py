"""The OData ``$filter`` and ``$select`` of the Logic Apps Salesforce trigger, as SOQL.

    filter_to_soql("LeadSource eq 'Web' and not startswith(Company,'Test')")
    # "LeadSource = 'Web' AND (NOT (Company LIKE 'Test%'))"
    select_fields("Id, Name ,Company")  # ['Id', 'Name', 'Company']
    fields_in("Owner/Name eq 'Ada'")  # ['Owner.Name']

The translation cannot inject SOQL: every text value is printed as one SOQL string literal with
backslash escapes (and ``%`` and ``_`` escaped inside LIKE patterns), every field name is a plain
identifier path, numbers and date-times are checked and printed by this module. A single
left-to-right lexer and a recursive-descent parser with a depth counter keep hostile input
linear: at most 4,096 characters, 32 levels of parentheses or ``not``, 200 comparisons. Every
malformed input raises ``FilterError`` with the 1-based column of the problem.

Readings worth knowing: ``not`` applies to the comparison (or parenthesised group) after it, so
``not Name eq 'x'`` is ``NOT (Name = 'x')``; a date-time without an offset is UTC; a field path
has at most 5 names (``A.B.C.D.Field``), Salesforce's limit of five levels.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal

__all__ = ["FilterError", "fields_in", "filter_to_soql", "select_fields"]

MAX_LENGTH: Final = 4096
MAX_DEPTH: Final = 32
MAX_COMPARISONS: Final = 200
MAX_FIELD_NAMES: Final = 5

_FILTER: Final = "$filter"
_SELECT: Final = "$select"

_WHITESPACE: Final = frozenset(" \t\r\n")
_DIGITS: Final = frozenset(string.digits)
_LETTERS: Final = frozenset(string.ascii_letters)
_IDENTIFIER_CHARS: Final = _LETTERS | _DIGITS | {"_"}
_NAME_CHARS: Final = _IDENTIFIER_CHARS | {".", "/"}
_LITERAL_CHARS: Final = _LETTERS | _DIGITS | {".", ":", "+", "-"}
_ESCAPED_CONTROLS: Final = frozenset("\n\r\t\b\f")

_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# date, hh:mm, :ss, .fraction, offset; the fraction is checked here and dropped.
_DATETIME: Final = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2})(?:(:[0-9]{2})(\.[0-9]+)?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)

_SOQL_OPERATORS: Final = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_MIRRORED: Final = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_KEYWORDS: Final = frozenset({"and", "or", "not", *_SOQL_OPERATORS})
_FUNCTIONS: Final = {
    "startswith": "startswith(Field,'text')",
    "endswith": "endswith(Field,'text')",
    "contains": "contains(Field,'text')",
    "substringof": "substringof('text',Field)",
}
_TYPED_LITERALS: Final = frozenset({"datetime", "datetimeoffset"})
# Salesforce's reserved SOQL keywords: none of them can be a field or relationship name.
_SOQL_RESERVED: Final = frozenset(
    [
        "AND",
        "ASC",
        "DESC",
        "EXCLUDES",
        "FALSE",
        "FIRST",
        "FROM",
        "GROUP",
        "HAVING",
        "IN",
        "INCLUDES",
        "LAST",
        "LIKE",
        "LIMIT",
        "NOT",
        "NULL",
        "NULLS",
        "OR",
        "SELECT",
        "TRUE",
        "WHERE",
        "WITH",
    ]
)

_STRING_ESCAPES: Final = str.maketrans(
    {
        "\\": "\\\\",
        "'": "\\'",
        '"': '\\"',
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\b": "\\b",
        "\f": "\\f",
    }
)
_LIKE_ESCAPES: Final = _STRING_ESCAPES | str.maketrans({"%": "\\%", "_": "\\_"})


class FilterError(ValueError):
    """A ``$filter`` or ``$select`` that cannot be translated; ``message`` is the sentence to
    show the user and ``column`` the 1-based position of the problem in the option's text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------------------------------------
# Public functions


def filter_to_soql(text: str) -> str:
    """The SOQL condition for the OData filter expression ``text``.

    Raises ``FilterError`` for an empty, too long, too deep or malformed filter, an unknown
    function, an invalid value or field name, or a comparison SOQL cannot express.
    """
    condition, _ = _Parser(text).parse()
    return condition.soql


def fields_in(text: str) -> list[str]:
    """The field names (dotted paths) the filter ``text`` refers to, in order of appearance,
    without case-insensitive duplicates. Raises ``FilterError`` like ``filter_to_soql``."""
    _, fields = _Parser(text).parse()
    return _unique(fields)


def select_fields(text: str) -> list[str]:
    """The field names of a comma-separated ``$select``, without case-insensitive duplicates
    (the first spelling is kept); ``Owner/Name`` is ``Owner.Name``.

    Raises ``FilterError`` for an empty or too long ``$select``, an empty item or an item that
    is not a field name.
    """
    _check_length(text, _SELECT)
    if not text.strip():
        raise FilterError(f"The {_SELECT} is empty.", 1)
    fields: list[str] = []
    offset = 0
    for item in text.split(","):
        name = item.strip(" \t\r\n")
        column = offset + len(item) - len(item.lstrip(" \t\r\n")) + 1
        offset += len(item) + 1
        if not name:
            raise FilterError(
                f"The {_SELECT} has an empty item at column {column}: "
                "remove the extra comma or write a field name.",
                column,
            )
        path = _field_path(name, column, _SELECT)
        _check_not_reserved(path, name, column, _SELECT)
        fields.append(path)
    return _unique(fields)


# ---------------------------------------------------------------------------------------------
# Shared checks and printing


def _check_length(text: str, option: str) -> None:
    """Raises ``FilterError`` when ``text`` is longer than ``MAX_LENGTH`` characters."""
    if len(text) > MAX_LENGTH:
        raise FilterError(
            f"The {option} is {len(text)} characters long; at most {MAX_LENGTH} are allowed.",
            MAX_LENGTH + 1,
        )


def _unique(names: list[str]) -> list[str]:
    """``names`` without case-insensitive duplicates, keeping the first spelling."""
    seen: set[str] = set()
    unique: list[str] = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            unique.append(name)
    return unique


def _shown(text: str) -> str:
    """``text`` made fit for a message: shortened, control characters as ``\\uXXXX``."""
    short = text if len(text) <= 40 else text[:37] + "..."
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in short)


def _is_identifier(name: str) -> bool:
    """Whether ``name`` is ``[A-Za-z][A-Za-z0-9_]*``."""
    return bool(name) and name[0] in _LETTERS and all(char in _IDENTIFIER_CHARS for char in name)


def _field_path(name: str, column: int, option: str) -> str:
    """The dotted field path of ``name`` (``/`` navigation becomes ``.``).

    Raises ``FilterError`` when a part is not an identifier or the path is too long.
    """
    parts = name.replace("/", ".").split(".")
    if not all(_is_identifier(part) for part in parts):
        raise FilterError(
            f"'{_shown(name)}' is not a field name at column {column} of the {option}.", column
        )
    if len(parts) > MAX_FIELD_NAMES:
        raise FilterError(
            f"'{_shown(name)}' follows more than {MAX_FIELD_NAMES - 1} relationships "
            f"at column {column} of the {option}.",
            column,
        )
    return ".".join(parts)


def _check_not_reserved(path: str, name: str, column: int, option: str) -> None:
    """Raises ``FilterError`` when a part of ``path`` is a reserved SOQL keyword."""
    for part in path.split("."):
        if part.upper() in _SOQL_RESERVED:
            raise FilterError(
                f"'{_shown(name)}' is not a field name ('{part}' is a SOQL keyword) "
                f"at column {column} of the {option}.",
                column,
            )


def _soql_string(value: str) -> str:
    """``value`` as one SOQL string literal (quoted, backslash escapes)."""
    return "'" + value.translate(_STRING_ESCAPES) + "'"


def _like_pattern(value: str, before: str, after: str) -> str:
    """A SOQL LIKE pattern literal: ``before`` + ``value`` (``%`` and ``_`` escaped) + ``after``."""
    return "'" + before + value.translate(_LIKE_ESCAPES) + after + "'"


def _soql_datetime(text: str, column: int) -> str:
    """The SOQL dateTime literal (UTC, whole seconds) of an ISO 8601 date-time ``text``; one
    without an offset is UTC. Raises ``FilterError`` when ``text`` is not a valid date-time."""
    match = _DATETIME.fullmatch(text)
    invalid = FilterError(
        f"'{_shown(text)}' is not a valid date-time at column {column} of the {_FILTER}.", column
    )
    if match is None:
        raise invalid
    day, minutes, seconds, _fraction, offset = match.groups()
    if offset in {"Z", "z"}:
        offset = "+00:00"
    try:
        moment = datetime.fromisoformat(f"{day}T{minutes}{seconds or ''}{offset or ''}")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        utc = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise invalid from None
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def _soql_date(text: str, column: int) -> str:
    """The SOQL date literal of ``YYYY-MM-DD``; raises ``FilterError`` for an invalid date."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise FilterError(
            f"'{_shown(text)}' is not a valid date at column {column} of the {_FILTER}.", column
        ) from None


# ---------------------------------------------------------------------------------------------
# Lexer

_TokenKind = Literal["(", ")", ",", "name", "string", "number", "date", "datetime", "end"]


@dataclass(frozen=True, slots=True)
class _Token:
    """One token: ``text`` as written; ``value`` the decoded text of a string, the dotted path
    of a name, the SOQL text of a number, date or date-time."""

    kind: _TokenKind
    text: str
    value: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    """The tokens of ``text``, ending with an ``end`` token; one left-to-right scan.

    Raises ``FilterError`` for an unexpected character, an unterminated or invalid text value,
    an invalid number, date or date-time, or a malformed name.
    """
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in _WHITESPACE:
            index += 1
            continue
        if char in "(),":
            kind: _TokenKind = "(" if char == "(" else ")" if char == ")" else ","
            tokens.append(_Token(kind, char, char, index + 1))
            index += 1
        elif char == "'":
            value, end = _scan_string(text, index)
            tokens.append(_Token("string", text[index:end], value, index + 1))
            index = end
        elif char in _DIGITS or (char == "-" and text[index + 1 : index + 2] in _DIGITS):
            end = index + 1
            while end < len(text) and text[end] in _LITERAL_CHARS:
                end += 1
            tokens.append(_literal_token(text[index:end], index + 1))
            index = end
        elif char in _LETTERS:
            token, index = _scan_name(text, index)
            tokens.append(token)
        else:
            raise _unexpected_character(char, index + 1)
    tokens.append(_Token("end", "", "", len(text) + 1))
    return tokens


def _unexpected_character(char: str, column: int) -> FilterError:
    """The error for a character no token starts with."""
    shown = f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"
    hint = "; text values go in single quotes" if char == '"' else ""
    return FilterError(
        f"Unexpected character {shown} at column {column} of the {_FILTER}{hint}.", column
    )


def _scan_string(text: str, start: int) -> tuple[str, int]:
    """The decoded text of the quoted value at ``text[start]`` (``''`` is one quote) and the
    index after its closing quote.

    Raises ``FilterError`` when the quote is not closed or the value holds a control character
    SOQL cannot escape.
    """
    parts: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "'":
            if text[index + 1 : index + 2] != "'":
                return "".join(parts), index + 1
            parts.append("'")
            index += 2
            continue
        if char < " " and char not in _ESCAPED_CONTROLS:
            raise FilterError(
                f"The control character U+{ord(char):04X} is not allowed in a text value "
                f"at column {index + 1} of the {_FILTER}.",
                index + 1,
            )
        parts.append(char)
        index += 1
    raise FilterError(
        f"The text value starting at column {start + 1} of the {_FILTER} has no closing quote.",
        start + 1,
    )


def _literal_token(text: str, column: int) -> _Token:
    """The number, date or date-time token of ``text`` (a run of digits, letters, ``.:+-``).

    Raises ``FilterError`` when ``text`` is none of them or an invalid date or date-time.
    """
    if _DATE.fullmatch(text):
        return _Token("date", text, _soql_date(text, column), column)
    if len(text) > len("YYYY-MM-DD") and _DATE.fullmatch(text[:10]):
        return _Token("datetime", text, _soql_datetime(text, column), column)
    if _NUMBER.fullmatch(text):
        return _Token("number", text, text, column)
    raise FilterError(
        f"'{_shown(text)}' is not a valid number, date or date-time "
        f"at column {column} of the {_FILTER}.",
        column,
    )


def _scan_name(text: str, start: int) -> tuple[_Token, int]:
    """The name token at ``text[start]`` (a letter), or the typed date-time literal
    (``datetime'...'``, ``datetimeoffset'...'``) it prefixes, and the index after it.

    Raises ``FilterError`` for a malformed name, an unknown literal type or a bad date-time.
    """
    end = start + 1
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    name = text[start:end]
    column = start + 1
    if text[end : end + 1] != "'":
        return _Token("name", name, _field_path(name, column, _FILTER), column), end
    if name.lower() not in _TYPED_LITERALS:
        raise FilterError(
            f"Unexpected quote after '{_shown(name)}' at column {end + 1} of the {_FILTER}: "
            "only datetime'...' and datetimeoffset'...' are typed values.",
            end + 1,
        )
    value, after = _scan_string(text, end)
    return _Token("datetime", text[start:after], _soql_datetime(value, column), column), after


# ---------------------------------------------------------------------------------------------
# Parser


@dataclass(frozen=True, slots=True)
class _Condition:
    """Translated SOQL and its shape: ``atom`` needs no parentheses around it."""

    soql: str
    kind: Literal["atom", "and", "or", "not"]


@dataclass(frozen=True, slots=True)
class _Field:
    path: str
    token: _Token


@dataclass(frozen=True, slots=True)
class _Value:
    soql: str
    kind: Literal["string", "number", "date", "datetime", "boolean", "null"]
    token: _Token


@dataclass(frozen=True, slots=True)
class _Call:
    """A function call, already translated to ``Field LIKE 'pattern'``."""

    like: str
    token: _Token


_Operand = _Field | _Value | _Call


def _is_keyword(token: _Token, *words: str) -> bool:
    """Whether ``token`` is one of the (lower-case) keywords ``words``, in any case."""
    return token.kind == "name" and token.text.lower() in words


def _grouped(condition: _Condition) -> str:
    """``condition`` ready to be an operand of AND or OR: parenthesised unless an atom."""
    return condition.soql if condition.kind == "atom" else f"({condition.soql})"


def _joined(parts: list[_Condition], operator: Literal["and", "or"]) -> _Condition:
    """``parts`` joined by the SOQL ``operator``; a single part is returned as it is."""
    if len(parts) == 1:
        return parts[0]
    return _Condition(f" {operator.upper()} ".join(_grouped(part) for part in parts), operator)


class _Parser:
    """Recursive descent over the tokens of one filter; ``or`` < ``and`` < ``not`` <
    comparison. ``_depth`` counts open parentheses and ``not``s, ``_comparisons`` the
    comparisons and function calls, ``_fields`` the field paths in order."""

    def __init__(self, text: str) -> None:
        _check_length(text, _FILTER)
        if not text.strip():
            raise FilterError(f"The {_FILTER} is empty.", 1)
        self._tokens = _tokenize(text)
        self._position = 0
        self._depth = 0
        self._comparisons = 0
        self._fields: list[str] = []

    def parse(self) -> tuple[_Condition, list[str]]:
        """The whole filter's condition and field paths; raises ``FilterError``."""
        condition = self._or()
        self._expect("end", "'and', 'or' or the end of the filter")
        return condition, self._fields

    # -- token access

    def _peek(self) -> _Token:
        return self._tokens[self._position]

    def _next(self) -> _Token:
        """The current token, moving past it (the ``end`` token stays current)."""
        token = self._tokens[self._position]
        if token.kind != "end":
            self._position += 1
        return token

    def _expect(self, kind: _TokenKind, expected: str) -> None:
        """Moves past a ``kind`` token; raises ``FilterError`` naming ``expected`` otherwise."""
        if self._peek().kind != kind:
            raise self._unexpected(self._peek(), expected)
        self._next()

    @staticmethod
    def _unexpected(token: _Token, expected: str) -> FilterError:
        """The error for ``token`` where ``expected`` was expected."""
        if token.kind == "end":
            return FilterError(
                f"Unexpected end of the {_FILTER} at column {token.column}: expected {expected}.",
                token.column,
            )
        shown = (
            f"text {_shown(token.text)}" if token.kind == "string" else f"'{_shown(token.text)}'"
        )
        return FilterError(
            f"Unexpected {shown} at column {token.column} of the {_FILTER}: expected {expected}.",
            token.column,
        )

    def _enter(self, token: _Token) -> None:
        """One level deeper (at ``token``); raises ``FilterError`` past ``MAX_DEPTH``."""
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise FilterError(
                f"The {_FILTER} nests parentheses and 'not' more than {MAX_DEPTH} deep "
                f"at column {token.column} of the {_FILTER}.",
                token.column,
            )

    def _count(self, token: _Token) -> None:
        """One more comparison (starting at ``token``); raises ``FilterError`` past
        ``MAX_COMPARISONS``."""
        self._comparisons += 1
        if self._comparisons > MAX_COMPARISONS:
            raise FilterError(
                f"The {_FILTER} has more than {MAX_COMPARISONS} comparisons; the one past the "
                f"limit is at column {token.column} of the {_FILTER}.",
                token.column,
            )

    # -- grammar

    def _or(self) -> _Condition:
        parts = [self._and()]
        while _is_keyword(self._peek(), "or"):
            self._next()
            parts.append(self._and())
        return _joined(parts, "or")

    def _and(self) -> _Condition:
        parts = [self._unary()]
        while _is_keyword(self._peek(), "and"):
            self._next()
            parts.append(self._unary())
        return _joined(parts, "and")

    def _unary(self) -> _Condition:
        token = self._peek()
        if _is_keyword(token, "not"):
            self._next()
            self._enter(token)
            inner = self._unary()
            self._depth -= 1
            return _Condition(f"NOT ({inner.soql})", "not")
        if token.kind == "(":
            self._next()
            self._enter(token)
            inner = self._or()
            self._expect(")", "'and', 'or' or ')'")
            self._depth -= 1
            return inner
        return self._comparison()

    def _comparison(self) -> _Condition:
        """``operand op operand``, or a function call alone or with ``eq true/false``."""
        start = self._peek()
        left = self._operand()
        if isinstance(left, _Call):
            return self._call_condition(left)
        operator_token = self._peek()
        if not _is_keyword(operator_token, *_SOQL_OPERATORS):
            raise self._unexpected(operator_token, "a comparison operator (eq, ne, lt, le, gt, ge)")
        self._next()
        right = self._operand()
        self._count(start)
        return _Condition(self._compared(left, operator_token, right), "atom")

    def _compared(self, left: _Field | _Value, operator_token: _Token, right: _Operand) -> str:
        """The SOQL of ``left op right`` with the field on the left.

        Raises ``FilterError`` for a function on the right, two fields, two values, or ``null``
        or a boolean with an operator other than eq and ne.
        """
        operator = operator_token.text.lower()
        if isinstance(right, _Call):
            raise FilterError(
                f"A function can only be compared with true or false, as in "
                f"startswith(Name,'A') eq true, at column {right.token.column} of the {_FILTER}.",
                right.token.column,
            )
        if isinstance(left, _Field) and isinstance(right, _Value):
            field, value = left, right
        elif isinstance(left, _Value) and isinstance(right, _Field):
            field, value, operator = right, left, _MIRRORED[operator]
        elif isinstance(left, _Field) and isinstance(right, _Field):
            raise FilterError(
                f"SOQL cannot compare two fields ({left.path} and {right.path}): compare "
                f"{left.path} with a value at column {right.token.column} of the {_FILTER}.",
                right.token.column,
            )
        else:
            raise FilterError(
                f"A comparison needs a field on one side, but both sides are values "
                f"at column {left.token.column} of the {_FILTER}.",
                left.token.column,
            )
        if value.kind in {"null", "boolean"} and operator not in {"eq", "ne"}:
            raise FilterError(
                f"{value.soql} can only be compared with eq or ne "
                f"at column {operator_token.column} of the {_FILTER}.",
                operator_token.column,
            )
        return f"{field.path} {_SOQL_OPERATORS[operator]} {value.soql}"

    def _call_condition(self, call: _Call) -> _Condition:
        """A function call alone, or followed by ``eq``/``ne`` and ``true``/``false``."""
        self._count(call.token)
        operator_token = self._peek()
        if not _is_keyword(operator_token, *_SOQL_OPERATORS):
            return _Condition(call.like, "atom")
        value_token = self._tokens[self._position + 1]
        if not _is_keyword(operator_token, "eq", "ne") or not _is_keyword(
            value_token, "true", "false"
        ):
            raise FilterError(
                f"{call.token.text}(...) can only be followed by eq true or eq false "
                f"at column {operator_token.column} of the {_FILTER}.",
                operator_token.column,
            )
        self._next()
        self._next()
        positive = (operator_token.text.lower() == "eq") == (value_token.text.lower() == "true")
        return _Condition(call.like if positive else f"(NOT {call.like})", "atom")

    def _operand(self) -> _Operand:
        """A field, a value or a function call; raises ``FilterError`` for anything else."""
        token = self._next()
        if token.kind == "name":
            word = token.text.lower()
            if word in {"true", "false"}:
                return _Value(word, "boolean", token)
            if word == "null":
                return _Value("null", "null", token)
            if word in _KEYWORDS:
                raise self._unexpected(token, "a field or a value")
            if self._peek().kind == "(":
                return self._call(token)
            return self._field(token)
        if token.kind == "string":
            return _Value(_soql_string(token.value), "string", token)
        if token.kind == "number":
            return _Value(token.value, "number", token)
        if token.kind == "date":
            return _Value(token.value, "date", token)
        if token.kind == "datetime":
            return _Value(token.value, "datetime", token)
        raise self._unexpected(token, "a field or a value")

    def _field(self, token: _Token) -> _Field:
        """The field named by ``token``, recorded; raises ``FilterError`` for a SOQL keyword."""
        _check_not_reserved(token.value, token.text, token.column, _FILTER)
        self._fields.append(token.value)
        return _Field(token.value, token)

    def _call(self, name: _Token) -> _Call:
        """The function call starting at ``name`` (its ``(`` is next), as a LIKE.

        Raises ``FilterError`` for an unknown function or arguments other than a field and a
        text value in the function's order.
        """
        function = name.text.lower()
        usage = _FUNCTIONS.get(function)
        if usage is None:
            raise FilterError(
                f"Unknown function '{_shown(name.text)}' at column {name.column} of the "
                f"{_FILTER}: use startswith, endswith, contains or substringof.",
                name.column,
            )
        self._next()
        if function == "substringof":
            text = self._text_argument(usage)
            self._expect(",", f"',' as in {usage}")
            field = self._field_argument(usage)
        else:
            field = self._field_argument(usage)
            self._expect(",", f"',' as in {usage}")
            text = self._text_argument(usage)
        self._expect(")", f"')' as in {usage}")
        before = "" if function == "startswith" else "%"
        after = "" if function == "endswith" else "%"
        return _Call(f"{field.path} LIKE {_like_pattern(text, before, after)}", name)

    def _field_argument(self, usage: str) -> _Field:
        """A function's field argument; raises ``FilterError`` for anything else."""
        token = self._next()
        if (
            token.kind != "name"
            or token.text.lower() in _KEYWORDS | {"true", "false", "null"}
            or self._peek().kind == "("
        ):
            raise FilterError(
                f"Expected a field at column {token.column} of the {_FILTER}: write {usage}.",
                token.column,
            )
        return self._field(token)

    def _text_argument(self, usage: str) -> str:
        """A function's text argument (decoded); raises ``FilterError`` for anything else."""
        token = self._next()
        if token.kind != "string":
            raise FilterError(
                f"Expected a text value in quotes at column {token.column} of the {_FILTER}: "
                f"write {usage}.",
                token.column,
            )
        return token.value
