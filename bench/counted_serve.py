"""``smtp-connector`` with counters of its database work, for the workflow profile.

    python bench/counted_serve.py COUNTS.json serve --port ... [other serve arguments]

Counts, with SQLAlchemy's engine events (nothing of the connector is changed): transactions
committed, those that wrote (ran an INSERT, UPDATE or DELETE) and those of them committed by the
group commit's writer thread; statements, the writing ones by verb with the rows of each
executemany, the SELECTs and the BEGINs; the units of work handed to the group commit; and the
connections opened (a pool that is too small opens and closes one per use). COUNTS.json is
rewritten every 0.2 s (write, then rename) while the process runs, so the benchmark can take the
difference around one case.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool

WRITES = ("INSERT", "UPDATE", "DELETE")
COUNTED = (*WRITES, "SELECT", "BEGIN ")  # BEGIN: SQLite's BEGIN IMMEDIATE / DEFERRED
GROUP_THREAD = "group-commit"
INTERVAL = 0.2

counts: Counter[str] = Counter()
lock = threading.Lock()


def _statement(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    verb = statement.lstrip()[:6].upper()
    rows = len(parameters) if many and parameters else 1
    with lock:
        counts["statements"] += 1
        if verb in COUNTED:
            counts[f"{verb.strip().lower()}_statements"] += 1
        if verb in WRITES:
            counts[f"{verb.lower()}_rows"] += rows
            conn.info["bench_wrote"] = True


def _commit(conn: Connection) -> None:
    wrote = conn.info.pop("bench_wrote", False)
    group = threading.current_thread().name == GROUP_THREAD
    with lock:
        counts["transactions"] += 1
        if wrote:
            counts["write_transactions"] += 1
            counts["group_commit_write_transactions"] += group


def _connected(dbapi_connection: Any, record: Any) -> None:
    with lock:
        counts["connections_opened"] += 1


def _rollback(conn: Connection) -> None:
    conn.info.pop("bench_wrote", None)
    with lock:
        counts["rollbacks"] += 1


def _count_group_units() -> None:
    from smtp_connector.store.group_commit import GroupCommit

    submit = GroupCommit.submit

    def counted(self: GroupCommit, work: Any) -> Any:
        with lock:
            counts["group_commit_units"] += 1
        return submit(self, work)

    GroupCommit.submit = counted  # type: ignore[method-assign]


def _write(path: Path) -> None:
    with lock:
        text = json.dumps(dict(counts))
    partial = path.with_suffix(".part")
    partial.write_text(text)
    os.replace(partial, path)


def _keep_writing(path: Path) -> None:
    while True:
        _write(path)
        time.sleep(INTERVAL)


def main() -> None:
    path = Path(sys.argv[1])
    event.listen(Engine, "before_cursor_execute", _statement)
    event.listen(Engine, "commit", _commit)
    event.listen(Engine, "rollback", _rollback)
    event.listen(Pool, "connect", _connected)
    _count_group_units()
    threading.Thread(target=_keep_writing, args=(path,), name="bench-counts", daemon=True).start()
    from smtp_connector.cli import main as cli

    sys.argv = ["smtp-connector", *sys.argv[2:]]
    try:
        cli()
    finally:
        _write(path)


if __name__ == "__main__":
    main()
