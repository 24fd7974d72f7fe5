"""The expression parser: tokens -> tree, by recursive descent over the grammar

    expr  := string | number | null | true | false | call deref*
    call  := name '(' [ expr (',' expr)* ] ')'
    deref := ['?'] ( '.' ident | '[' expr ']' )

Function names are resolved (case-insensitively) and their arity checked here, so a stored
definition never holds a call that cannot run. A string index containing ``/`` directly on
``outputs()``, ``body()``, ``triggerOutputs()`` or ``triggerBody()`` is split into one
dereference per piece (the designer's ``outputs('X')?['body/value']``).

Limits: an expression of more than ``MAX_LENGTH`` characters, or a tree deeper than
``MAX_DEPTH`` (calls and dereferences), raises ``ExpressionLimitExceeded`` before the recursion
can grow; anything else that does not parse raises ``ExpressionSyntaxError``.
"""

from __future__ import annotations

# Importing the package registers every function group.
import smtp_connector.workflows.expressions.functions  # noqa: F401
from smtp_connector.workflows.expressions.ast import Call, Dereference, Literal, Node
from smtp_connector.workflows.expressions.errors import (
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
    UnknownFunction,
)
from smtp_connector.workflows.expressions.functions.registry import Function, lookup
from smtp_connector.workflows.expressions.lexer import Token, TokenKind, tokenize

MAX_LENGTH = 8_192
MAX_DEPTH = 64

_KEYWORDS: dict[str, bool | None] = {"null": None, "true": True, "false": False}
_PATH_FUNCTIONS = frozenset({"outputs", "body", "triggeroutputs", "triggerbody"})
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def parse_expression(expression: str, base: int = 0) -> Node:
    """The tree of ``expression`` (the text after ``@`` or inside ``@{}``); ``base`` is its
    0-based offset in the template string, so that error columns count from the template's
    start. Raises ``ExpressionSyntaxError`` (``UnknownFunction`` for an undefined name) or
    ``ExpressionLimitExceeded``."""
    if len(expression) > MAX_LENGTH:
        raise ExpressionLimitExceeded(
            f"The template language expression is {len(expression):,} characters long; "
            f"the limit is {MAX_LENGTH:,}."
        )
    return _Parser(expression, base).run()


def arity_text(function: Function) -> str:
    """How many parameters ``function`` takes, in words: "two or three parameters"."""
    low, high = function.min_args, function.max_args
    if high is None:
        return f"at least {_count(low)} {_plural(low)}"
    if high == 0:
        return "no parameters"
    if low == high:
        return f"{_count(low)} {_plural(low)}"
    counts = [_count(n) for n in range(low, high + 1)]
    return f"{', '.join(counts[:-1])} or {counts[-1]} {_plural(high)}"


def _count(number: int) -> str:
    return _NUMBER_WORDS[number] if number < len(_NUMBER_WORDS) else str(number)


def _plural(number: int) -> str:
    return "parameter" if number == 1 else "parameters"


class _Parser:
    def __init__(self, text: str, base: int) -> None:
        self.text = text
        self.base = base
        self.tokens = tokenize(text, base)
        self.index = 0

    def run(self) -> Node:
        node, _ = self._expression(1)
        self._expect(TokenKind.END_OF_DATA)
        return node

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _take(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not TokenKind.END_OF_DATA:
            self.index += 1
        return token

    def _accept(self, kind: TokenKind) -> Token | None:
        if self.tokens[self.index].kind is kind:
            return self._take()
        return None

    def _expect(self, kind: TokenKind) -> Token:
        token = self._peek()
        if token.kind is kind:
            return self._take()
        raise self._mismatch(token, kind)

    def _mismatch(self, token: Token, *wanted: TokenKind) -> ExpressionSyntaxError:
        names = " or ".join(f"'{kind.value}'" for kind in wanted)
        return ExpressionSyntaxError(
            f"Unable to parse template language expression '{self.text}': "
            f"expected token {names} and actual '{token.kind.value}'.",
            self._column(token.start),
        )

    def _column(self, offset: int) -> int:
        return self.base + offset + 1

    def _check_depth(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ExpressionLimitExceeded(
                f"The template language expression '{self.text[:100]}' nests function calls and "
                f"dereferences more than {MAX_DEPTH} levels deep."
            )

    def _expression(self, depth: int) -> tuple[Node, int]:
        """One ``expr`` at nesting level ``depth``: the node and the height of its tree."""
        self._check_depth(depth)
        token = self._peek()
        kind = token.kind
        if kind is TokenKind.STRING_LITERAL:
            self._take()
            return Literal(token.text, token.start), 1
        if kind is TokenKind.INTEGER_LITERAL or kind is TokenKind.FLOAT_LITERAL:
            self._take()
            return Literal(token.value, token.start), 1
        if kind is TokenKind.IDENTIFIER:
            word = token.text.lower()
            if word in _KEYWORDS:
                self._take()
                return Literal(_KEYWORDS[word], token.start), 1
            return self._call(depth)
        raise self._mismatch(token, TokenKind.IDENTIFIER)

    def _call(self, depth: int) -> tuple[Node, int]:
        name = self._take()
        self._expect(TokenKind.LEFT_PARENTHESIS)
        function = lookup(name.text)
        if function is None:
            raise UnknownFunction(name.text, self._column(name.start))
        args: list[Node] = []
        height = 0
        if self._accept(TokenKind.RIGHT_PARENTHESIS) is None:
            while True:
                arg, arg_height = self._expression(depth + 1)
                args.append(arg)
                height = max(height, arg_height)
                if self._accept(TokenKind.COMMA) is None:
                    break
            self._expect(TokenKind.RIGHT_PARENTHESIS)
        self._check_arity(function, name, len(args))
        node: Node = Call(name.text, tuple(args), name.start, function)
        height += 1
        self._check_depth(height)
        splits_paths = function.name.lower() in _PATH_FUNCTIONS
        while True:
            question = self._accept(TokenKind.QUESTION_MARK)
            opener = self._peek()
            if self._accept(TokenKind.DOT) is not None:
                member = self._expect(TokenKind.IDENTIFIER)
                keys: list[Node] = [Literal(member.text, member.start)]
                key_height = 1
            elif self._accept(TokenKind.LEFT_SQUARE_BRACKET) is not None:
                key, key_height = self._expression(depth + 1)
                self._expect(TokenKind.RIGHT_SQUARE_BRACKET)
                keys = [key]
                if splits_paths and isinstance(key, Literal) and isinstance(key.value, str):
                    keys = [Literal(piece, key.offset) for piece in key.value.split("/")]
            elif question is not None:
                raise self._mismatch(opener, TokenKind.DOT, TokenKind.LEFT_SQUARE_BRACKET)
            else:
                return node, height
            splits_paths = False
            start = opener.start if question is None else question.start
            for key in keys:
                node = Dereference(node, key, question is not None, start)
                height = max(height, key_height) + 1
                self._check_depth(height)

    def _check_arity(self, function: Function, name: Token, count: int) -> None:
        high = function.max_args
        if count >= function.min_args and (high is None or count <= high):
            return
        raise ExpressionSyntaxError(
            f"The template language function '{function.name}' expects "
            f"{arity_text(function)}; it was given {_count(count)}.",
            self._column(name.start),
        )
