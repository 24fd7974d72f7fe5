"""The stores' read cache: expiry counted from before the read, a bounded size, invalidation."""

from __future__ import annotations

import threading

import pytest

from smtp_connector.cache import ReadCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_lives_seconds_from_the_start_of_its_read() -> None:
    clock = Clock()
    cache: ReadCache[str, str] = ReadCache(5, clock=clock)
    ticket = cache.ticket()
    clock.now += 2  # the read took two seconds
    cache.put("k", "v", ticket)
    clock.now += 2.9
    assert cache.get("k") == "v"
    clock.now += 0.1  # five seconds after the read began
    assert cache.get("k") is None
    assert len(cache) == 0


def test_a_value_read_before_an_invalidation_is_not_kept() -> None:
    cache: ReadCache[str, str] = ReadCache(5)
    before = cache.ticket()
    cache.invalidate("k")  # a write committed while the old value was being read
    cache.put("k", "old", before)
    assert cache.get("k") is None
    cache.put("k", "new", cache.ticket())
    assert cache.get("k") == "new"


def test_invalidate_forgets_one_key_or_all() -> None:
    cache: ReadCache[str, int] = ReadCache(5)
    for i in range(3):
        cache.put(str(i), i, cache.ticket())
    cache.invalidate("1")
    assert [cache.get(str(i)) for i in range(3)] == [0, None, 2]
    cache.invalidate()
    assert len(cache) == 0


def test_the_least_recently_used_value_goes_first_beyond_max_entries() -> None:
    cache: ReadCache[int, int] = ReadCache(5, max_entries=3)
    for i in range(3):
        cache.put(i, i, cache.ticket())
    assert cache.get(0) == 0  # 1 is now the least recently used
    cache.put(3, 3, cache.ticket())
    assert len(cache) == 3
    assert [cache.get(i) for i in range(4)] == [0, None, 2, 3]


def test_zero_seconds_keeps_nothing() -> None:
    cache: ReadCache[str, str] = ReadCache(0)
    cache.put("k", "v", cache.ticket())
    assert cache.get("k") is None
    assert len(cache) == 0


def test_threads_never_push_it_past_its_bound() -> None:
    cache: ReadCache[int, int] = ReadCache(5, max_entries=64)

    def fill(offset: int) -> None:
        for i in range(2000):
            cache.put(offset + i, i, cache.ticket())
            cache.get(offset + i - 1)
            if i % 100 == 0:
                cache.invalidate(offset + i)

    threads = [threading.Thread(target=fill, args=(n * 10_000,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0 < len(cache) <= 64


@pytest.mark.parametrize(("seconds", "entries"), [(-1, 10), (5, 0)])
def test_nonsense_sizes_are_refused(seconds: float, entries: int) -> None:
    with pytest.raises(ValueError):
        ReadCache(seconds, max_entries=entries)
