"""Summaries of py-spy's collapsed stacks (``py-spy record --format raw --threads --function``).

Each line of the file is ``thread (TID): NAME;frame;frame;... COUNT`` from the outermost frame
to the innermost, a frame being ``function (file:first line)``. From them: the hottest functions
by self time (the innermost frame) and by cumulative time (anywhere on the stack, once per
sample), the connector's own functions by cumulative time, the share of each thread, and the
share of each part of the service: a sample belongs
to the part of its innermost frame that belongs to any (so ``json`` called by SQLAlchemy counts
as database work, called by the engine as engine work).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("workflow expressions", ("smtp_connector/workflows/expressions/",)),
    ("workflow engine and actions", ("smtp_connector/workflows/",)),
    ("database (SQLAlchemy, sqlite3, psycopg)", ("sqlalchemy/", "sqlite3/", "psycopg/")),
    ("MIME composing", ("smtp_connector/mail/", "email/")),
    ("SMTP (aiosmtplib, our client)", ("smtp_connector/smtp/", "aiosmtplib/")),
    ("outbox and sending", ("smtp_connector/outbox/", "smtp_connector/sending")),
    ("store (our tables, group commit)", ("smtp_connector/store/",)),
    ("HTTP (uvicorn, Starlette, FastAPI)", ("uvicorn/", "starlette/", "fastapi/", "h11/")),
    ("our API routes", ("smtp_connector/api/",)),
    ("validation (pydantic, jsonschema)", ("pydantic", "jsonschema/", "referencing/")),
    ("event loop and threads", ("asyncio/", "uvloop/", "anyio/", "concurrent/", "threading")),
)
ROOTS = (
    "runpy.py",
    "threading.py",
    "asyncio/",
    "uvloop/",
    "concurrent/futures/",
    "click/",
    "typer/",
    "uvicorn/server.py",
    "uvicorn/_compat.py",
    "counted_serve.py",
    "smtp_connector/cli.py",
    "<module>",
)
"""Frames under which everything runs: left out of the cumulative list, which they would top."""
OURS = "smtp_connector/"


@dataclass
class Summary:
    samples: int = 0
    threads: Counter[str] = field(default_factory=Counter)
    parts: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)
    cumulative: Counter[str] = field(default_factory=Counter)
    ours: Counter[str] = field(default_factory=Counter)
    """Cumulative time of the connector's own functions (``smtp_connector``)."""


def part_of(frames: list[str]) -> str:
    """The part of the service a sample belongs to (see the module docstring)."""
    for frame in reversed(frames):
        for name, markers in PARTS:
            if any(marker in frame for marker in markers):
                return name
    return "other"


def _thread_name(label: str) -> str:
    name = label.split(": ", 1)[-1]
    return name.rstrip("0123456789_ ") or name  # "AnyIO worker thread 3" -> one row


def summarize(path: Path) -> Summary:
    """Read a collapsed-stacks file."""
    summary = Summary()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        label, *frames = stack.split(";")
        summary.samples += count
        summary.threads[_thread_name(label)] += count
        summary.parts[part_of(frames)] += count
        if frames:
            summary.own[frames[-1]] += count
        for frame in set(frames):
            if not any(root in frame for root in ROOTS):
                summary.cumulative[frame] += count
                if OURS in frame:
                    summary.ours[frame] += count
    return summary


def report(summary: Summary, top: int = 15) -> str:
    """The summary as text: the threads, the parts, then the top ``top`` by self time, by
    cumulative time and of the connector's own functions, each with its share of all samples."""
    total = max(summary.samples, 1)

    def table(title: str, counts: Counter[str], n: int | None = None) -> list[str]:
        lines = [f"{title}:"]
        for name, count in counts.most_common(n):
            lines.append(f"  {100 * count / total:5.1f}%  {name}")
        return lines

    lines = [f"{summary.samples:,} samples of the thread holding serve's GIL"]
    lines += table("threads", summary.threads)
    lines += table("parts of the service (the innermost frame that belongs to one)", summary.parts)
    lines += table(f"top {top} by self time", summary.own, top)
    roots = "(the event loop, thread and command-line roots left out)"
    lines += table(f"top {top} by cumulative time {roots}", summary.cumulative, top)
    lines += table(f"top {top} of the connector's own functions, cumulative", summary.ours, top)
    return "\n".join(lines)
