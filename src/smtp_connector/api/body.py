"""Reading request bodies: a byte cap enforced while streaming, JSON errors as field problems."""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from smtp_connector.errors import FieldProblem, InvalidInput, PayloadTooLarge

ModelT = TypeVar("ModelT", bound=BaseModel)

SMALL_BODY_BYTES = 1024 * 1024


async def read_json(request: Request, max_bytes: int) -> object:
    """The parsed JSON body; PayloadTooLarge once more than ``max_bytes`` are announced or read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise InvalidInput.field("body", "The request body is empty; send a JSON object.")
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise InvalidInput.field("body", "The JSON is nested too deeply.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput.field("body", f"The body is not valid JSON: {exc}") from exc


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
