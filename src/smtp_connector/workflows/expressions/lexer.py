"""The expression scanner: text -> tokens, in one left-to-right pass.

Tokens are ``. , ( ) [ ] ?``, single-quoted strings (``''`` inside is ``'``), numbers
(``[+|-]digits[.digits][e[+|-]digits]``; a ``.`` or an exponent makes a float) and identifiers
(any run of characters other than ``.,(){}@[]?'`` and whitespace). Whitespace is .NET's
``Char.IsWhiteSpace`` set. Each token keeps its 0-based offset in the expression text.

The scanner never backtracks: every character is looked at a bounded number of times.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smtp_connector.workflows.expressions.errors import ExpressionSyntaxError

WHITESPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
"""The characters for which .NET's ``Char.IsWhiteSpace`` is true."""

_PUNCTUATION = ".,()[]?"
_NOT_ALLOWED = "{}@"
_STOP = frozenset(_PUNCTUATION + _NOT_ALLOWED + "'") | WHITESPACE
"""Characters that end an identifier (or a number)."""
_DIGITS = frozenset("0123456789")
_INT64 = (-(2**63), 2**63 - 1)


class TokenKind(enum.Enum):
    """The token types, named as the runtime names them in its parse errors."""

    DOT = "Dot"
    COMMA = "Comma"
    LEFT_PARENTHESIS = "LeftParenthesis"
    RIGHT_PARENTHESIS = "RightParenthesis"
    LEFT_SQUARE_BRACKET = "LeftSquareBracket"
    RIGHT_SQUARE_BRACKET = "RightSquareBracket"
    QUESTION_MARK = "QuestionMark"
    IDENTIFIER = "Identifier"
    STRING_LITERAL = "StringLiteral"
    INTEGER_LITERAL = "IntegerLiteral"
    FLOAT_LITERAL = "FloatLiteral"
    END_OF_DATA = "EndOfData"


_SINGLE = {
    ".": TokenKind.DOT,
    ",": TokenKind.COMMA,
    "(": TokenKind.LEFT_PARENTHESIS,
    ")": TokenKind.RIGHT_PARENTHESIS,
    "[": TokenKind.LEFT_SQUARE_BRACKET,
    "]": TokenKind.RIGHT_SQUARE_BRACKET,
    "?": TokenKind.QUESTION_MARK,
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    """The identifier, the string's value (quotes removed, ``''`` undone) or the number as
    written; empty for punctuation and the end."""
    start: int
    """0-based offset of the token's first character in the expression."""
    value: int | float | None = None
    """The number of a numeric literal."""


def tokenize(expression: str, base: int = 0) -> list[Token]:
    """All tokens of ``expression``, ending with ``EndOfData``; ``base`` is the expression's
    offset in the template string (for error columns). Raises ``ExpressionSyntaxError``."""
    return _Scanner(expression, base).run()


class _Scanner:
    def __init__(self, text: str, base: int) -> None:
        self.text = text
        self.base = base

    def run(self) -> list[Token]:
        text = self.text
        size = len(text)
        tokens: list[Token] = []
        pos = 0
        while True:
            while pos < size and text[pos] in WHITESPACE:
                pos += 1
            if pos >= size:
                tokens.append(Token(TokenKind.END_OF_DATA, "", size))
                return tokens
            char = text[pos]
            kind = _SINGLE.get(char)
            if kind is not None:
                tokens.append(Token(kind, char, pos))
                pos += 1
            elif char == "'":
                pos = self._string(pos, tokens)
            elif char in _NOT_ALLOWED:
                raise self._unexpected(pos)
            elif char in "+-" or char in _DIGITS:
                pos = self._number(pos, tokens)
            else:
                pos = self._identifier(pos, tokens)

    def _string(self, start: int, tokens: list[Token]) -> int:
        text = self.text
        pieces: list[str] = []
        pos = start + 1
        while True:
            close = text.find("'", pos)
            if close == -1:
                raise self._error(
                    f"the string literal starting at position '{start}' is not terminated", start
                )
            if text.startswith("''", close):
                pieces.append(text[pos : close + 1])
                pos = close + 2
                continue
            pieces.append(text[pos:close])
            tokens.append(Token(TokenKind.STRING_LITERAL, "".join(pieces), start))
            return close + 1

    def _number(self, start: int, tokens: list[Token]) -> int:
        text = self.text
        size = len(text)
        pos = start + 1 if text[start] in "+-" else start
        digits = pos
        while pos < size and text[pos] in _DIGITS:
            pos += 1
        mantissa_digits = pos - digits
        is_float = False
        if pos < size and text[pos] == ".":
            is_float = True
            pos += 1
            fraction = pos
            while pos < size and text[pos] in _DIGITS:
                pos += 1
            mantissa_digits += pos - fraction
        if mantissa_digits == 0:
            raise self._bad_number(start, pos)
        if pos < size and text[pos] in "eE":
            is_float = True
            pos += 1
            if pos < size and text[pos] in "+-":
                pos += 1
            exponent = pos
            while pos < size and text[pos] in _DIGITS:
                pos += 1
            if pos == exponent:
                raise self._bad_number(start, pos)
        if pos < size and text[pos] not in _STOP:
            raise self._unexpected(pos)
        written = text[start:pos]
        if is_float:
            tokens.append(Token(TokenKind.FLOAT_LITERAL, written, start, float(written)))
            return pos
        number = int(written)
        if _INT64[0] <= number <= _INT64[1]:
            tokens.append(Token(TokenKind.INTEGER_LITERAL, written, start, number))
        else:
            # .NET would not hold it in a long; a double keeps the magnitude.
            tokens.append(Token(TokenKind.FLOAT_LITERAL, written, start, float(number)))
        return pos

    def _identifier(self, start: int, tokens: list[Token]) -> int:
        text = self.text
        size = len(text)
        pos = start
        while pos < size and text[pos] not in _STOP:
            pos += 1
        name = text[start:pos]
        if name.startswith('"') and name.endswith('"'):
            raise self._error(
                f"the identifier {name} at position '{start}' is in double quotes; "
                "string literals are written in single quotes",
                start,
            )
        tokens.append(Token(TokenKind.IDENTIFIER, name, start))
        return pos

    def _bad_number(self, start: int, end: int) -> ExpressionSyntaxError:
        written = self.text[start:end]
        return self._error(f"the number '{written}' at position '{start}' is not valid", start)

    def _unexpected(self, pos: int) -> ExpressionSyntaxError:
        detail = f"the string character '{self.text[pos]}' at position '{pos}' is not expected"
        return self._error(detail, pos)

    def _error(self, detail: str, pos: int) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(
            f"The template language expression '{self.text}' is not valid: {detail}.",
            self.base + pos + 1,
        )
