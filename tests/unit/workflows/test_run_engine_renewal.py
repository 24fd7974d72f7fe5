"""Lease renewal acts only on the runs it renewed: a run started while the renewal was on its
way to the database is not cancelled (under load that left runs stuck in Running)."""

from __future__ import annotations

import asyncio
from typing import Any

from smtp_connector.workflows.actions.base import ActionEnv
from smtp_connector.workflows.engine.rows import RunLease
from smtp_connector.workflows.engine.runner import RunEngine, _Active


async def _never(*_args: Any) -> Any:
    raise AssertionError("not used")


def _engine() -> RunEngine:
    return RunEngine(
        None,  # type: ignore[arg-type]  (no database needed: only the bookkeeping is tested)
        _never,
        ActionEnv(_never),  # type: ignore[arg-type]
        name="test",
        lease_seconds=30,
        concurrency=4,
        poll_seconds=0.5,
        retention=None,
    )


def test_a_run_started_during_a_renewal_is_left_alone() -> None:
    async def scenario() -> dict[str, bool]:
        engine = _engine()
        kept, taken, asked, late = (RunLease(name, "token") for name in "abcd")
        tasks = {}
        for lease in (kept, taken, asked, late):
            task = asyncio.ensure_future(asyncio.sleep(3600))
            engine.active[lease.run] = _Active(lease, task)
            tasks[lease.run] = task
        # The renewal took its snapshot before "d" started; "b" was taken over by another
        # process (not renewed), "c" is to be cancelled.
        engine.renewed([kept, taken, asked], {"a": False, "c": True})
        await asyncio.sleep(0)
        outcome = {run: task.cancelled() for run, task in tasks.items()}
        outcome["c asked"] = engine.active["c"].cancel_requested
        for task in tasks.values():
            task.cancel()
        return outcome

    outcome = asyncio.run(scenario())
    assert outcome == {"a": False, "b": True, "c": False, "c asked": True, "d": False}
