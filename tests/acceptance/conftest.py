"""Fixtures for tests that run the real CLI in subprocesses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.processes import Process


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Processes a test started; any still running at teardown is killed."""
    started: list[Process] = []
    yield started
    for proc in started:
        if proc.process.poll() is None:
            proc.process.kill()
            proc.process.wait(timeout=10)
