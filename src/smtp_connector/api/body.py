"""Reading request bodies: a byte cap enforced while streaming, JSON errors as field problems.

Parsing JSON is CPU work that holds the interpreter lock: a body over ``THREAD_PARSE_BYTES`` is
parsed on a worker thread, and first counted (strings skipped at C speed) so that one with more
than ``MAX_JSON_VALUES`` values is refused before ``json.loads`` builds millions of objects and
holds the process for seconds (49 MB of ``[],`` took 7 s). Smaller bodies are parsed in place.
"""

from __future__ import annotations

import json
import re
from typing import TypeVar

from anyio import to_thread
from fastapi import Request
from pydantic import BaseModel, ValidationError

from smtp_connector.errors import FieldProblem, InvalidInput, PayloadTooLarge

ModelT = TypeVar("ModelT", bound=BaseModel)

SMALL_BODY_BYTES = 1024 * 1024
THREAD_PARSE_BYTES = 64 * 1024
MAX_JSON_VALUES = 200_000
"""Most values (strings, numbers, literals, arrays, objects) in one JSON body."""
_STRUCTURE = re.compile(rb'["\[{,:]')


async def read_json(request: Request, max_bytes: int) -> object:
    """The parsed JSON body; InvalidInput when it is not JSON, PayloadTooLarge once more than
    ``max_bytes`` are announced or read, or when a large body holds too many values."""
    payload, _size = await read_json_sized(request, max_bytes)
    return payload


async def read_json_sized(request: Request, max_bytes: int) -> tuple[object, int]:
    """``read_json`` and the body's size in bytes. A body of at most ``THREAD_PARSE_BYTES``
    is parsed on the event loop (bounded, linear work), a larger one on a worker thread."""
    raw = await read_bytes(request, max_bytes)
    if len(raw) > THREAD_PARSE_BYTES:
        return await to_thread.run_sync(_parse, raw, True), len(raw)
    return _parse(raw, False), len(raw)


async def read_bytes(request: Request, max_bytes: int) -> bytearray:
    """The raw body; PayloadTooLarge once more than ``max_bytes`` are announced or read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    raw = bytearray()  # grown in place: a list of chunks joined at the end needs twice the size
    async for chunk in request.stream():
        if len(raw) + len(chunk) > max_bytes:
            raise _too_large(max_bytes)
        raw += chunk
    return raw


def _parse(raw: bytes | bytearray, count: bool) -> object:
    """``raw`` parsed; counting its values first when ``count``."""
    if not raw or raw.isspace():
        raise InvalidInput.field("body", "The request body is empty; send a JSON object.")
    if count and count_json_values(raw, MAX_JSON_VALUES) > MAX_JSON_VALUES:
        message = f"The JSON body holds more than {MAX_JSON_VALUES:,} values."
        raise PayloadTooLarge(message, [FieldProblem("body", message)])
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise InvalidInput.field("body", "The JSON is nested too deeply.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput.field("body", f"The body is not valid JSON: {exc}") from exc


def count_json_values(raw: bytes | bytearray, most: int) -> int:
    """About how many values the JSON text ``raw`` holds, counting at most to ``most + 1``.

    Strings, opening brackets and separators are counted, so a number or literal counts through
    the ``,`` or ``:`` before it. Time is linear in ``raw`` and at most ``most`` steps are taken in
    Python; the text inside strings is skipped with ``bytes.find``. Invalid JSON is counted
    anyway, for ``json.loads`` to refuse.
    """
    values, pos = 0, 0
    while values <= most:
        found = _STRUCTURE.search(raw, pos)
        if found is None:
            break
        values += 1
        pos = found.end()
        if raw[found.start()] == 0x22:  # '"': go past the closing quote, skipping \"
            pos = _string_end(raw, pos)
    return values


def _string_end(raw: bytes | bytearray, pos: int) -> int:
    """Just past the closing quote of the string whose text starts at ``pos`` (or the end)."""
    while (quote := raw.find(b'"', pos)) >= 0:
        if raw[quote - 1] != 0x5C:  # no backslash before it
            return quote + 1
        run = raw[pos:quote]  # the backslashes before it are in this run: an even number or not
        if (len(run) - len(run.rstrip(b"\\"))) % 2 == 0:
            return quote + 1
        pos = quote + 1
    return len(raw)


def _too_large(max_bytes: int) -> PayloadTooLarge:
    message = f"The request body is larger than {max_bytes} bytes."
    return PayloadTooLarge(message, [FieldProblem("body", message)])


def validate(model: type[ModelT], data: object) -> ModelT:
    """Validate with pydantic, turning its errors into our field problems (by camelCase alias)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(_path(err["loc"]) or "body", _message(err["msg"]))
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise InvalidInput("The request is invalid.", problems) from exc


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


async def read_model(request: Request, model: type[ModelT]) -> ModelT:
    return validate(model, await read_json(request, SMALL_BODY_BYTES))
