"""The building blocks of the HTTP schemas: the camelCase base model and validated field types.

Each field type (``Name``, ``Server``, ``Text``, ...) checks and normalizes one kind of value;
a failed check is a ValueError, which the API reports as a 400 naming the field. ``Timestamp`` is
how every answer shows a time: RFC 3339 in UTC with a ``Z`` (``rfc3339``); ``QueryTime`` is a
time given in a query string.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from smtp_connector.errors import InvalidInput
from smtp_connector.mail.addresses import parse_address
from smtp_connector.smtp.servers import is_host_name, normalize_server
from smtp_connector.smtp.tls import check_ca_bundle
from smtp_connector.store.models import as_utc, checked_utc

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""What a connection name looks like."""
_NAME = re.compile(NAME_PATTERN)


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def _check_server(value: str) -> str:
    """A host name or IP address in any form, stored canonically (see smtp/servers.py)."""
    return normalize_server(value)


def _check_ehlo_name(value: str) -> str:
    """The name sent with EHLO: an ASCII host name, or an address literal such as
    ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]`` (RFC 5321 section 4.1.3)."""
    if value.startswith("[") and value.endswith("]"):
        literal = value[1:-1]
        if literal[:5].lower() == "ipv6:":
            literal = literal[5:]
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            raise ValueError("must be an ASCII host name or an address literal") from None
        return value
    if not is_host_name(value):
        raise ValueError(
            "must be an ASCII host name (letters, digits, '-' and '.'; an international "
            "name in its xn-- form) or an address literal such as [192.0.2.1]"
        )
    return value


def _check_address(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_address(value, field="defaultFrom")
    except InvalidInput as exc:
        raise ValueError(exc.message) from None
    return value.strip()


def _check_senders(values: list[str]) -> list[str]:
    out = []
    for item in values:
        item = item.strip()
        probe = "x" + item if item.startswith("@") else item
        try:
            address = parse_address(probe, field="allowedSenders")
        except InvalidInput:
            raise ValueError(f"{item!r} is neither an address nor @domain") from None
        out.append(address.key.removeprefix("x") if item.startswith("@") else address.key)
    return out


def _check_pem(value: str | None) -> str | None:
    if value is not None:
        try:
            check_ca_bundle(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
    return value


def no_controls(value: str | None) -> str | None:
    """Refuse control characters (CR, LF, ...): free text must not break a header or a log line."""
    if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters such as CR or LF")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
Server = Annotated[str, Field(max_length=255), AfterValidator(_check_server)]
Port = Annotated[int, Field(ge=1, le=65535)]
Text = Annotated[str, Field(max_length=512), AfterValidator(no_controls)]
EhloName = Annotated[str, Field(max_length=255), AfterValidator(_check_ehlo_name)]
Password = Annotated[SecretStr, Field(max_length=8192)]
DefaultFrom = Annotated[str, Field(max_length=512), AfterValidator(_check_address)]
Senders = Annotated[list[str], Field(max_length=1000), AfterValidator(_check_senders)]
CaBundle = Annotated[str, Field(max_length=1_000_000), AfterValidator(_check_pem)]
Timeout = Annotated[float, Field(gt=0, le=600)]


def rfc3339(value: datetime) -> str:
    """``value`` as RFC 3339 text in UTC ending in ``Z``; a naive value is taken to be UTC."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def rfc3339_or_none(value: datetime | None) -> str | None:
    return None if value is None else rfc3339(value)


_DATE_TIME = {"type": "string", "format": "date-time"}
Timestamp = Annotated[
    datetime, PlainSerializer(rfc3339, return_type=str), WithJsonSchema(_DATE_TIME)
]
"""A time in an answer, always shown by ``rfc3339``."""
QueryTime = Annotated[datetime, AfterValidator(checked_utc)]
"""A time in a query: any RFC 3339 / ISO 8601 time (no offset means UTC), turned into UTC;
an instant outside the years 1-9999 in UTC is a 400, not an overflow."""


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
