"""How a function's cost grows with its input: CPU time ratios with generous bounds, not timings.

A linear function takes about ``factor`` times longer on an input ``factor`` times larger, a
quadratic one ``factor ** 2`` times. Comparing the two sizes in the same run, on the CPU time of
this process, taking the best of interleaved rounds with the garbage collector off, makes the
ratio stable on a busy machine; tests then allow several times the linear ratio and still fail
well below the quadratic one.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

SMALL_SECONDS = 0.002
"""Each measurement repeats the call on the small input until it takes at least this long."""


def _best(function: Callable[[T], object], text: T, calls: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            function(text)
        best = min(best, time.process_time() - start)
    return best / calls


def growth(function: Callable[[str], object], small: str, large: str, *, rounds: int = 5) -> float:
    """CPU time of ``function(large)`` divided by that of ``function(small)``."""
    calls = 1
    enabled = gc.isenabled()
    gc.disable()
    try:
        while _best(function, small, calls, 1) * calls < SMALL_SECONDS and calls < 1 << 16:
            calls *= 2
        small_time = large_time = float("inf")
        for _ in range(rounds):  # interleaved, so that a busy moment hurts both sizes alike
            small_time = min(small_time, _best(function, small, calls, 1))
            large_time = min(large_time, _best(function, large, 1, 1))
    finally:
        if enabled:
            gc.enable()
    return large_time / max(small_time, 1e-9)
