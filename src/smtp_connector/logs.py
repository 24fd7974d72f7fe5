"""Structured log events: ``event=send.sent connection=... message_id=...``, never secrets."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("smtp_connector")


def _format(value: Any) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event as ``key=value`` pairs; callers pass only non-secret fields."""
    if logger.isEnabledFor(level):
        pairs = " ".join(f"{key}={_format(value)}" for key, value in fields.items())
        logger.log(level, "event=%s %s", event, pairs)


def configure(level: str) -> None:
    """Our events at ``level``; the chatty libraries (inbox server, migrations) at WARNING."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    for name in ("mail.log", "alembic"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
