"""A small SOQL parser and evaluator over in-memory records, for the fake Salesforce server.

The subset::

    SELECT f1, f2 FROM Object
    [WHERE condition]
    [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST] [, ...]]
    [LIMIT n]

Conditions: ``=``, ``!=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``, ``LIKE 'pattern'``,
``IN (...)``, ``NOT IN (...)``, ``AND``, ``OR``, ``NOT`` and parentheses (precedence NOT > AND >
OR). Literals: single-quoted strings with Salesforce's backslash escapes, numbers, ``true`` and
``false``, ``null``, dateTimes (``2024-01-02T03:04:05Z``, ``...+01:00``) and dates
(``2024-01-02``). Keywords and field names are case-insensitive; answers use the describe
spelling.

    query = compile_query("SELECT Id, Name FROM lead WHERE name LIKE 'ada%'", schema)
    query.sobject, query.fields          # "Lead", ("Id", "Name")
    rows = query.run(records)            # the matching records, ordered and limited

``schema`` maps each object name to its fields (name -> Salesforce type such as ``"string"`` or
``"datetime"``). Every failure raises :class:`SoqlError` whose ``code`` is the Salesforce error
code (``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE`` or
``INVALID_QUERY_FILTER_OPERATOR``) and whose ``message`` points at the offending token the way
Salesforce does (the query line, a caret, ``ERROR at Row:r:Column:c`` and the reason).

Semantics: string comparisons (``=``, ``!=``, ranges, ``LIKE``, ``IN``) ignore case, as in
Salesforce; a comparison with a null field value is false except ``= null`` (and ``NOT`` of a
false comparison is true: SOQL has two-valued logic). On a boolean field ``= null`` means
``= false``. ``ORDER BY`` sorts text without regard to case and puts nulls first unless told
``NULLS LAST``; records that tie keep their insertion order.

The tokenizer reads the text once and the parser is recursive descent with a nesting limit, so
the cost is linear in the length of the query.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal

__all__ = [
    "FIELD_TYPES",
    "BoundQuery",
    "Query",
    "SoqlError",
    "compile_query",
    "parse",
]

MAX_QUERY_LENGTH = 100_000
"""Salesforce refuses longer SOQL statements."""
MAX_DEPTH = 50
"""How deeply parentheses and NOTs may nest."""

FIELD_TYPES: Mapping[str, str] = {
    "id": "text",
    "reference": "text",
    "string": "text",
    "email": "text",
    "picklist": "text",
    "textarea": "text",
    "phone": "text",
    "url": "text",
    "boolean": "boolean",
    "double": "number",
    "int": "number",
    "currency": "number",
    "percent": "number",
    "datetime": "datetime",
    "date": "date",
}
"""The Salesforce field types this evaluator knows, and the kind of literal each compares with."""

_RESERVED = frozenset(
    {
        "AND",
        "ASC",
        "DESC",
        "EXCLUDES",
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
        "WHERE",
        "WITH",
    }
)
_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:(Z)|([+-])(\d{2}):(\d{2}))"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_SALESFORCE_ID = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")


class SoqlError(Exception):
    """A query Salesforce would refuse: ``code`` is its error code, ``message`` its text."""

    def __init__(self, message: str, code: str = "MALFORMED_QUERY") -> None:
        super().__init__(f"{code}: {message}")
        self.message = message
        self.code = code


class Wild(enum.Enum):
    """A LIKE wildcard: ``%`` (any run of characters) or ``_`` (exactly one)."""

    RUN = "%"
    ONE = "_"


LikePattern = tuple["str | Wild", ...]
"""A LIKE pattern: case-folded literal characters and wildcards."""

ValueKind = Literal["string", "number", "boolean", "null", "datetime", "date"]
TokenKind = Literal[
    "ident", "string", "number", "datetime", "date", "op", "comma", "lparen", "rparen", "eof"
]
_PUNCTUATION: Mapping[str, TokenKind] = {",": "comma", "(": "lparen", ")": "rparen"}
_LITERAL_KINDS: Mapping[str, ValueKind] = {
    "string": "string",
    "number": "number",
    "datetime": "datetime",
    "date": "date",
}


@dataclass(frozen=True)
class Token:
    """One token: its kind, its source text, where it starts, and its value for literals."""

    kind: TokenKind
    text: str
    pos: int
    value: Any = None
    pattern: LikePattern | None = None
    """For strings: the literal read as a LIKE pattern (``\\%`` and ``\\_`` are not wildcards)."""


@dataclass(frozen=True)
class FieldRef:
    """A field named in the query (as written until bound, then in the describe spelling)."""

    name: str
    pos: int
    type: str = ""


@dataclass(frozen=True)
class Value:
    """A literal: its kind, its Python value, and (for strings) its LIKE pattern."""

    kind: ValueKind
    value: Any
    pos: int
    text: str
    pattern: LikePattern | None = None


@dataclass(frozen=True)
class Compare:
    field: FieldRef
    op: str
    """One of ``= != < <= > >=`` (``<>`` is read as ``!=``)."""
    value: Value


@dataclass(frozen=True)
class InList:
    field: FieldRef
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class Like:
    field: FieldRef
    value: Value


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class BoolOp:
    op: Literal["AND", "OR"]
    operands: tuple[Expr, ...]


Expr = Compare | InList | Like | Not | BoolOp


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    """A parsed query, not yet checked against a schema."""

    text: str
    fields: tuple[FieldRef, ...]
    sobject: str
    sobject_pos: int
    where: Expr | None
    order_by: tuple[OrderItem, ...]
    limit: int | None


# -- error messages ---------------------------------------------------------------------------


def _located(text: str, pos: int, reason: str) -> str:
    """Salesforce's error layout: the query line, a caret under ``pos``, row and column."""
    pos = max(0, min(pos, len(text)))
    row = text.count("\n", 0, pos) + 1
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    column = pos - line_start
    return f"\n{line}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{reason}"


def _error(text: str, pos: int, reason: str, code: str = "MALFORMED_QUERY") -> SoqlError:
    return SoqlError(_located(text, pos, reason), code)


# -- tokenizer --------------------------------------------------------------------------------


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``eof`` token.

    Raises:
        SoqlError: MALFORMED_QUERY for a character outside the language, an unterminated
            string, an unknown escape, or a malformed number, date or dateTime.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise SoqlError(
            f"SOQL statements cannot be longer than {MAX_QUERY_LENGTH:,} characters.",
        )
    tokens: list[Token] = []
    pos, end = 0, len(text)
    while pos < end:
        char = text[pos]
        if char in " \t\r\n\f":
            pos += 1
        elif char.isascii() and (char.isalpha() or char == "_"):
            start = pos
            while pos < end and _is_word_char(text[pos]):
                pos += 1
            tokens.append(Token("ident", text[start:pos], start))
        elif char == "'":
            token = _read_string(text, pos)
            tokens.append(token)
            pos += len(token.text)
        elif char.isdigit() or (char in "+-" and pos + 1 < end and text[pos + 1].isdigit()):
            token = _read_number_or_date(text, pos)
            tokens.append(token)
            pos += len(token.text)
        elif char in "=<>!":
            op = text[pos : pos + 2]
            if op not in ("!=", "<>", "<=", ">="):
                op = char
            if op == "!":
                raise _error(text, pos, "unexpected token: '!'")
            tokens.append(Token("op", op, pos))
            pos += len(op)
        elif char in ",()":
            tokens.append(Token(_PUNCTUATION[char], char, pos))
            pos += 1
        else:
            raise _error(text, pos, f"unexpected token: '{char}'")
    tokens.append(Token("eof", "<EOF>", end))
    return tokens


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _read_string(text: str, start: int) -> Token:
    """The string literal opening at ``start`` (a single quote), escapes resolved.

    Raises:
        SoqlError: for an unterminated literal or an escape SOQL does not define.
    """
    chars: list[str] = []
    pattern: list[str | Wild] = []
    pos, end = start + 1, len(text)
    while True:
        if pos >= end:
            raise _error(text, start, "unterminated string literal: missing closing quote (')")
        char = text[pos]
        if char == "'":
            pos += 1
            break
        if char != "\\":
            chars.append(char)
            pattern.append(Wild(char) if char in "%_" else char.casefold())
            pos += 1
            continue
        if pos + 1 >= end:
            raise _error(text, start, "unterminated string literal: missing closing quote (')")
        escape = text[pos + 1]
        if escape in "%_":
            chars.append(escape)
            pattern.append(escape)
            pos += 2
            continue
        if escape in "uU":
            digits = text[pos + 2 : pos + 6]
            if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise _error(text, pos, f"Invalid unicode escape sequence '\\{escape}{digits}'")
            decoded = chr(int(digits, 16))
            pos += 6
        else:
            resolved = _ESCAPES.get(escape if escape in "\"'\\" else escape.lower())
            if resolved is None:
                raise _error(
                    text,
                    pos,
                    f"Invalid string literal: illegal escape sequence '\\{escape}'",
                )
            decoded = resolved
            pos += 2
        chars.append(decoded)
        pattern.append(decoded.casefold())
    return Token("string", text[start:pos], start, "".join(chars), tuple(pattern))


def _read_number_or_date(text: str, pos: int) -> Token:
    """A dateTime, a date or a number starting at ``pos``.

    Raises:
        SoqlError: when the literal is malformed or runs into letters.
    """
    token: Token
    if (match := _DATETIME.match(text, pos)) is not None:
        token = Token("datetime", match.group(), pos, _datetime_value(text, pos, match))
    elif (match := _DATE.match(text, pos)) is not None:
        if match.end() < len(text) and text[match.end()] == "T":
            raise _error(text, pos, "invalid dateTime literal: use YYYY-MM-DDThh:mm:ssZ")
        year, month, day = (int(g) for g in match.groups())
        try:
            token = Token("date", match.group(), pos, date(year, month, day))
        except ValueError:
            raise _error(text, pos, f"invalid date: {match.group()}") from None
    else:
        match = _NUMBER.match(text, pos)
        assert match is not None  # the caller saw a digit
        lexeme = match.group()
        number = float(lexeme) if "." in lexeme else int(lexeme)
        token = Token("number", lexeme, pos, number)
    after = pos + len(token.text)
    if after < len(text) and (_is_word_char(text[after]) or text[after] in ".:"):
        raise _error(text, after, f"unexpected token: '{text[after]}'")
    return token


def _datetime_value(text: str, pos: int, match: re.Match[str]) -> datetime:
    """The instant of a matched dateTime literal.

    Raises:
        SoqlError: for an impossible date, time or offset.
    """
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    microsecond = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        if match.group(8):
            zone = UTC
        else:
            hours, minutes = int(match.group(10)), int(match.group(11))
            if minutes >= 60:
                raise ValueError("offset minutes")
            offset = timedelta(hours=hours, minutes=minutes)
            zone = timezone(-offset if match.group(9) == "-" else offset)
        return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)
    except ValueError:
        raise _error(text, pos, f"invalid dateTime: {match.group()}") from None


# -- parser -----------------------------------------------------------------------------------


def parse(text: str) -> Query:
    """Parse a SOQL statement of the subset.

    Raises:
        SoqlError: MALFORMED_QUERY for anything outside the subset or nested deeper than
            ``MAX_DEPTH``.
    """
    return _Parser(text, tokenize(text)).query()


class _Parser:
    """Recursive descent over the token list; ``depth`` bounds nesting."""

    def __init__(self, text: str, tokens: Sequence[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    # -- helpers

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def at(self, kind: TokenKind) -> bool:
        return self.current.kind == kind

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def is_keyword(self, word: str) -> bool:
        token = self.current
        return token.kind == "ident" and token.text.upper() == word

    def unexpected(self) -> SoqlError:
        token = self.current
        return _error(self.text, token.pos, f"unexpected token: '{token.text}'")

    def keyword(self, word: str) -> Token:
        if not self.is_keyword(word):
            raise self.unexpected()
        return self.advance()

    def expect(self, kind: TokenKind) -> Token:
        if not self.at(kind):
            raise self.unexpected()
        return self.advance()

    def field(self) -> FieldRef:
        token = self.current
        if token.kind != "ident" or token.text.upper() in _RESERVED:
            raise self.unexpected()
        self.advance()
        return FieldRef(token.text, token.pos)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(
                self.text, self.current.pos, f"conditions nest deeper than {MAX_DEPTH} levels"
            )

    # -- grammar

    def query(self) -> Query:
        self.keyword("SELECT")
        fields = [self.field()]
        while self.at("comma"):
            self.advance()
            fields.append(self.field())
        self.keyword("FROM")
        sobject = self.field()
        where = None
        if self.is_keyword("WHERE"):
            self.advance()
            where = self.or_expr()
        order_by: list[OrderItem] = []
        if self.is_keyword("ORDER"):
            self.advance()
            self.keyword("BY")
            order_by.append(self.order_item())
            while self.at("comma"):
                self.advance()
                order_by.append(self.order_item())
        limit = None
        if self.is_keyword("LIMIT"):
            self.advance()
            token = self.current
            if token.kind != "number" or not isinstance(token.value, int) or token.value < 0:
                raise self.unexpected()
            if not token.text[0].isdigit():
                raise self.unexpected()
            limit = self.advance().value
        if not self.at("eof"):
            raise self.unexpected()
        return Query(
            text=self.text,
            fields=tuple(fields),
            sobject=sobject.name,
            sobject_pos=sobject.pos,
            where=where,
            order_by=tuple(order_by),
            limit=limit,
        )

    def order_item(self) -> OrderItem:
        field = self.field()
        descending = False
        if self.is_keyword("ASC"):
            self.advance()
        elif self.is_keyword("DESC"):
            self.advance()
            descending = True
        nulls_last = False
        if self.is_keyword("NULLS"):
            self.advance()
            if self.is_keyword("LAST"):
                nulls_last = True
            elif not self.is_keyword("FIRST"):
                raise self.unexpected()
            self.advance()
        return OrderItem(field, descending, nulls_last)

    def or_expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.is_keyword("OR"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def and_expr(self) -> Expr:
        operands = [self.not_expr()]
        while self.is_keyword("AND"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def not_expr(self) -> Expr:
        if self.is_keyword("NOT"):
            self.advance()
            self.nest()
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand)
        if self.at("lparen"):
            self.advance()
            self.nest()
            inner = self.or_expr()
            self.expect("rparen")
            self.depth -= 1
            return inner
        return self.condition()

    def condition(self) -> Expr:
        field = self.field()
        token = self.current
        if token.kind == "op":
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Compare(field, op, self.value())
        if self.is_keyword("LIKE"):
            self.advance()
            if not self.at("string"):
                raise self.unexpected()
            return Like(field, self.value())
        negated = False
        if self.is_keyword("NOT"):
            self.advance()
            negated = True
            if not self.is_keyword("IN"):
                raise self.unexpected()
        if self.is_keyword("IN"):
            self.advance()
            self.expect("lparen")
            values = [self.value()]
            while self.at("comma"):
                self.advance()
                values.append(self.value())
            self.expect("rparen")
            return InList(field, tuple(values), negated)
        raise self.unexpected()

    def value(self) -> Value:
        token = self.current
        kind: ValueKind
        if token.kind in _LITERAL_KINDS:
            kind, value = _LITERAL_KINDS[token.kind], token.value
        elif token.kind == "ident" and token.text.upper() in ("TRUE", "FALSE"):
            kind, value = "boolean", token.text.upper() == "TRUE"
        elif token.kind == "ident" and token.text.upper() == "NULL":
            kind, value = "null", None
        else:
            raise self.unexpected()
        self.advance()
        return Value(kind, value, token.pos, token.text, token.pattern)


# -- binding to a schema ----------------------------------------------------------------------


@dataclass(frozen=True)
class BoundQuery:
    """A query checked against a schema, every field in its describe spelling."""

    query: Query
    sobject: str
    fields: tuple[str, ...]
    where: Expr | None
    order_by: tuple[OrderItem, ...]
    limit: int | None

    def run(self, records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The records that match ``WHERE``, in ``ORDER BY`` order, cut at ``LIMIT``."""
        where = self.where
        rows = [r for r in records if where is None or evaluate(where, r)]
        for item in reversed(self.order_by):
            rows = _sorted(rows, item)
        return rows if self.limit is None else rows[: self.limit]


def compile_query(text: str, schema: Mapping[str, Mapping[str, str]]) -> BoundQuery:
    """Parse ``text`` and check it against ``schema`` (object -> field name -> type).

    Raises:
        SoqlError: MALFORMED_QUERY (syntax, a field selected twice, ``null`` with a range
            operator), INVALID_TYPE (unknown object), INVALID_FIELD (unknown field) or
            INVALID_QUERY_FILTER_OPERATOR (a literal of the wrong type for its field, LIKE on
            a field that is not text).
    """
    query = parse(text)
    objects = {name.lower(): name for name in schema}
    sobject = objects.get(query.sobject.lower())
    if sobject is None:
        raise _error(
            text,
            query.sobject_pos,
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please reference "
            "your WSDL or the describe call for the appropriate names.",
            "INVALID_TYPE",
        )
    binder = _Binder(text, sobject, schema[sobject])
    fields = tuple(binder.field(f) for f in query.fields)
    seen: set[str] = set()
    for ref, name in zip(query.fields, (f.name for f in fields), strict=True):
        if name in seen:
            raise _error(text, ref.pos, f"duplicate field selected: {name}")
        seen.add(name)
    where = binder.expr(query.where) if query.where is not None else None
    order_by = tuple(replace(item, field=binder.field(item.field)) for item in query.order_by)
    return BoundQuery(
        query=query,
        sobject=sobject,
        fields=tuple(f.name for f in fields),
        where=where,
        order_by=order_by,
        limit=query.limit,
    )


class _Binder:
    """Resolves field names case-insensitively and checks literal types against fields."""

    def __init__(self, text: str, sobject: str, fields: Mapping[str, str]) -> None:
        self.text = text
        self.sobject = sobject
        self.fields = fields
        self.names = {name.lower(): name for name in fields}

    def field(self, ref: FieldRef) -> FieldRef:
        name = self.names.get(ref.name.lower())
        if name is None:
            raise _error(
                self.text,
                ref.pos,
                f"No such column '{ref.name}' on entity '{self.sobject}'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the appropriate names.",
                "INVALID_FIELD",
            )
        return FieldRef(name, ref.pos, self.fields[name])

    def expr(self, expr: Expr) -> Expr:
        if isinstance(expr, BoolOp):
            return BoolOp(expr.op, tuple(self.expr(e) for e in expr.operands))
        if isinstance(expr, Not):
            return Not(self.expr(expr.operand))
        field = self.field(expr.field)
        if isinstance(expr, Like):
            if FIELD_TYPES[field.type] != "text":
                raise _error(
                    self.text,
                    expr.field.pos,
                    f"invalid operator on field '{field.name}': LIKE needs a text field",
                    "INVALID_QUERY_FILTER_OPERATOR",
                )
            return Like(field, expr.value)
        if isinstance(expr, InList):
            for value in expr.values:
                self.check(field, value, "=")
            return InList(field, expr.values, expr.negated)
        self.check(field, expr.value, expr.op)
        return Compare(field, expr.op, expr.value)

    def check(self, field: FieldRef, value: Value, op: str) -> None:
        """Refuse a literal that cannot be compared with ``field`` using ``op``.

        Raises:
            SoqlError: MALFORMED_QUERY for ``null`` with a range operator,
                INVALID_QUERY_FILTER_OPERATOR for a literal of the wrong type.
        """
        if value.kind == "null":
            if op not in ("=", "!="):
                raise _error(self.text, value.pos, f"null is not valid with operator '{op}'")
            return
        kind = FIELD_TYPES[field.type]
        expected = {"text": "string", "number": "number", "boolean": "boolean"}.get(kind, kind)
        if value.kind != expected:
            sf_type = {"text": "string", "datetime": "dateTime"}.get(kind, field.type)
            quoted = (
                "should be enclosed in quotes"
                if kind == "text"
                else ("should not be enclosed in quotes")
            )
            raise _error(
                self.text,
                value.pos,
                f"value of filter criterion for field '{field.name}' must be of type "
                f"{sf_type} and {quoted}",
                "INVALID_QUERY_FILTER_OPERATOR",
            )
        if kind == "boolean" and op not in ("=", "!="):
            raise _error(
                self.text,
                value.pos,
                f"invalid operator on boolean field '{field.name}': '{op}'",
                "INVALID_QUERY_FILTER_OPERATOR",
            )
        if field.type in ("id", "reference") and not _SALESFORCE_ID.fullmatch(value.value):
            raise _error(
                self.text,
                value.pos,
                f"invalid ID field: {value.value}",
                "INVALID_QUERY_FILTER_OPERATOR",
            )


# -- evaluation -------------------------------------------------------------------------------


def evaluate(expr: Expr, record: Mapping[str, Any]) -> bool:
    """Whether ``record`` satisfies a bound condition (two-valued logic)."""
    if isinstance(expr, BoolOp):
        if expr.op == "AND":
            return all(evaluate(e, record) for e in expr.operands)
        return any(evaluate(e, record) for e in expr.operands)
    if isinstance(expr, Not):
        return not evaluate(expr.operand, record)
    actual = record.get(expr.field.name)
    if isinstance(expr, Like):
        return isinstance(actual, str) and _like(actual, expr.value.pattern or ())
    if isinstance(expr, InList):
        if actual is None and not expr.negated:
            return any(v.kind == "null" for v in expr.values)
        if actual is None:
            return False
        found = any(_compare(expr.field, actual, "=", v) for v in expr.values)
        return found != expr.negated
    return _compare(expr.field, actual, expr.op, expr.value)


def _compare(field: FieldRef, actual: Any, op: str, value: Value) -> bool:
    kind = FIELD_TYPES[field.type]
    if value.kind == "null":
        is_null = actual is None or (kind == "boolean" and actual is False)
        return is_null if op == "=" else not is_null
    if actual is None:
        return False
    left, right = actual, value.value
    if field.type in ("id", "reference") and len(right) == 15:
        left = left[:15]  # a 15-character id is the case-sensitive form of the 18-character one
    elif kind == "text":
        left, right = left.casefold(), right.casefold()
    elif kind == "number":
        left, right = float(left), float(right)
    match op:
        case "=":
            return bool(left == right)
        case "!=":
            return bool(left != right)
        case "<":
            return bool(left < right)
        case "<=":
            return bool(left <= right)
        case ">":
            return bool(left > right)
        case ">=":
            return bool(left >= right)
    raise AssertionError(f"unknown operator {op!r}")  # pragma: no cover - the parser's set


def _like(text: str, pattern: LikePattern) -> bool:
    """Whether all of ``text`` matches ``pattern``, ignoring case (O(len(text) * len(pattern)))."""
    t = p = 0
    star_p, star_t = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] is Wild.RUN:
            star_p, star_t = p, t
            p += 1
        elif p < len(pattern) and (pattern[p] is Wild.ONE or pattern[p] == text[t].casefold()):
            t += 1
            p += 1
        elif star_p >= 0:
            star_t += 1
            t, p = star_t, star_p + 1
        else:
            return False
    while p < len(pattern) and pattern[p] is Wild.RUN:
        p += 1
    return p == len(pattern)


def _sorted(rows: list[Mapping[str, Any]], item: OrderItem) -> list[Mapping[str, Any]]:
    """``rows`` stably sorted on one ORDER BY item, nulls first unless ``NULLS LAST``."""
    name, kind = item.field.name, FIELD_TYPES[item.field.type]
    nulls = [r for r in rows if r.get(name) is None]
    values = [r for r in rows if r.get(name) is not None]

    def key(row: Mapping[str, Any]) -> Any:
        value = row[name]
        if kind == "text" and item.field.type not in ("id", "reference"):
            return value.casefold()
        return value

    values.sort(key=key, reverse=item.descending)
    return values + nulls if item.nulls_last else nulls + values
