"""A sliding window of counts and sums, bucketed in time so recording stays O(1)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

Key = tuple[Hashable, ...]


class SlidingWindow:
    """Counts (and value sums) per key over the last `span` seconds, in `resolution` steps.

    Recording touches one dict entry; reading walks at most span/resolution buckets, which
    only the alert evaluation does (about once a minute).
    """

    def __init__(
        self,
        span: float,
        resolution: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if span <= 0 or resolution <= 0:
            raise ValueError("span and resolution must be positive")
        self.span = span
        self.resolution = resolution
        self._clock = clock
        self._buckets: deque[tuple[int, dict[Key, list[float]]]] = deque()

    def add(self, key: Key, value: float = 0.0) -> None:
        index = int(self._clock() // self.resolution)
        if not self._buckets or self._buckets[-1][0] != index:
            self._buckets.append((index, {}))
            self._trim(index)
        cell = self._buckets[-1][1].get(key)
        if cell is None:
            self._buckets[-1][1][key] = [1.0, value]
        else:
            cell[0] += 1.0
            cell[1] += value

    def _trim(self, index: int) -> None:
        oldest = index - int(self.span // self.resolution) - 1
        while self._buckets and self._buckets[0][0] < oldest:
            self._buckets.popleft()

    def totals(self, within: float | None = None) -> dict[Key, tuple[float, float]]:
        """{key: (count, sum)} over the last `within` seconds (default: the whole span)."""
        within = self.span if within is None else min(within, self.span)
        cutoff = int((self._clock() - within) // self.resolution)
        out: dict[Key, list[float]] = {}
        for index, cells in self._buckets:
            if index <= cutoff:
                continue
            for key, (count, total) in cells.items():
                acc = out.setdefault(key, [0.0, 0.0])
                acc[0] += count
                acc[1] += total
        return {k: (v[0], v[1]) for k, v in out.items()}

    def clear(self) -> None:
        self._buckets.clear()
