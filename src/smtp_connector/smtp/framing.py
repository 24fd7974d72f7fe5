"""The bytes the client writes for a mail transaction: command lines and the message body.

The output is byte for byte what aiosmtplib writes for ``mail()``, ``rcpt()`` and ``data()``
(the same address quoting, the same checks, the same line endings and dot-stuffing), made
cheaper for what the composer gives: a message that already has CRLF line endings is not
copied to normalise them, the common plain address is quoted without ``email.utils``, and
dot-stuffing is a couple of linear passes in C rather than a regular expression per line.

* :func:`crlf_lines` is the message with every line ending made CRLF, ending in CRLF: its
  length is what ``SIZE=`` declares;
* :func:`data_payload` is that message as it goes after ``354``: lines starting with a dot
  get a second one (RFC 5321 section 4.5.2), and the final ``.`` line follows;
* :func:`mail_line` and :func:`rcpt_line` are the ``MAIL FROM`` and ``RCPT TO`` commands;
  an address that cannot go on a command line raises ``ValueError`` (as aiosmtplib does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aiosmtplib.email import quote_address
from aiosmtplib.protocol import COMMAND_INJECTION_REGEX

__all__ = [
    "DATA_LINE",
    "END_OF_DATA",
    "RSET_LINE",
    "crlf_lines",
    "data_payload",
    "mail_line",
    "rcpt_line",
]

DATA_LINE = b"DATA\r\n"
RSET_LINE = b"RSET\r\n"
END_OF_DATA = b".\r\n"

# These find their first byte with memchr: much faster than ``b"\n." in data`` or a count of
# CRLF pairs on a message of many short lines.
_LONE_CR = re.compile(rb"\r(?!\n)")
_LINE_STARTING_WITH_DOT = re.compile(rb"\n\.")
# An address that email.utils.parseaddr gives back unchanged and that needs no quoting.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._+\-]+@[A-Za-z0-9.\-]+")


def crlf_lines(data: bytes) -> bytes:
    """``data`` with CRLF after every line: lone CR and lone LF become CRLF, and the last line
    is ended too. ``data`` itself when it is already so."""
    # No CR without its LF, and as many LFs as CRs: no LF without its CR either.
    if _LONE_CR.search(data) is None and data.count(b"\n") == data.count(b"\r"):
        return data if data.endswith(b"\r\n") else data + b"\r\n"
    # Each CRLF, lone CR and lone LF becomes one LF, then every LF a CRLF.
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    return lines if lines.endswith(b"\r\n") else lines + b"\r\n"


def data_payload(message: bytes) -> bytes:
    """After ``354``: ``message`` (from :func:`crlf_lines`) dot-stuffed, then the final dot."""
    if message.startswith(b"."):
        message = b"." + message
    if _LINE_STARTING_WITH_DOT.search(message) is not None:
        message = message.replace(b"\n.", b"\n..")
    return message + END_OF_DATA


def mail_line(address: str, options: Sequence[str], encoding: str) -> bytes:
    """``MAIL FROM:<address> OPTIONS...`` with its CRLF; ``ValueError`` for an unusable address."""
    return _command(b"MAIL", b"FROM:", address, options, encoding)


def rcpt_line(address: str, options: Sequence[str], encoding: str) -> bytes:
    """``RCPT TO:<address> OPTIONS...`` with its CRLF; ``ValueError`` for an unusable address."""
    return _command(b"RCPT", b"TO:", address, options, encoding)


def _command(
    verb: bytes, keyword: bytes, address: str, options: Sequence[str], encoding: str
) -> bytes:
    # quote_address raises ValueError for an address that cannot go on a command line.
    quoted = f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else quote_address(address)
    args = [verb, keyword + quoted.encode(encoding), *(o.encode("ascii") for o in options)]
    for arg in args:
        if COMMAND_INJECTION_REGEX.search(arg):
            raise ValueError("Command arg contains a prohibited control character")
    return b" ".join(args) + b"\r\n"
