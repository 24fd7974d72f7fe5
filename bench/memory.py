"""Resident memory of a process started by the benchmark, read from ``/proc/PID/status`` (Linux).

``VmRSS`` is the resident set now, ``VmHWM`` its peak; writing ``5`` to ``/proc/PID/clear_refs``
resets that peak to the current size, so a peak can be measured around one operation. A sampler
thread reads ``VmRSS`` every few milliseconds as a cross-check (and for when the reset is not
allowed); the kernel's peak catches what falls between two samples.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

MB = 1024 * 1024


def status_bytes(pid: int, field: str) -> int | None:
    """``field`` (``VmRSS``, ``VmHWM``) of ``pid`` in bytes; None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # the kernel writes kB
    return None


def reset_peak(pid: int) -> bool:
    """Reset ``VmHWM`` of ``pid`` to its current ``VmRSS``; False if the kernel refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples ``VmRSS`` of ``pid`` every ``interval`` seconds in a thread, between start and
    stop (a context manager); ``peak`` is the largest sample, ``samples`` how many were read."""

    def __init__(self, pid: int, interval: float) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = status_bytes(self.pid, "VmRSS")
            if rss is None:
                return
            self.peak = max(self.peak, rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def wait_quiet(pid: int, seconds: float = 0.5, timeout: float = 10) -> int | None:
    """``VmRSS`` once it has not changed by more than 1 MB over ``seconds`` (or at ``timeout``):
    a baseline taken after the process has settled."""
    deadline = time.monotonic() + timeout
    last = status_bytes(pid, "VmRSS")
    while last is not None and time.monotonic() < deadline:
        time.sleep(seconds)
        now = status_bytes(pid, "VmRSS")
        if now is None or abs(now - last) <= MB:
            return now
        last = now
    return last
