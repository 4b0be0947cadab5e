"""Keyed time-window joins without a cross join: the shared engine of dedupe and proximity.

Both analyses ask "for each item on one side, which items on the other side
share a key (a pair of parties, a grid cell) and lie within a time window?". The
answer here is positions in a table sorted by (key, time): one ``searchsorted``
per query bound gives a range, and ranges are expanded into candidate pairs only
as needed, so the work is proportional to the candidates, never to |A| × |B|.

Times are integer microseconds since the epoch (``epoch_us``): window edges are
inclusive and exact, with no floating-point seconds anywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def epoch_us(times: pd.Series) -> np.ndarray:
    """Zone-aware (or UTC) times as int64 microseconds since 1970-01-01 UTC."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[us]").view("int64")


def from_epoch_us(values: np.ndarray) -> pd.Series:
    """int64 microseconds back to UTC times."""
    return pd.Series(np.asarray(values, dtype="int64").view("datetime64[us]")).dt.tz_localize("UTC")


class KeyedTimes:
    """A table's (key, time) pairs, sorted, ready for window queries.

    ``order`` maps sorted positions back to the caller's rows. Ranges are found
    on a composite of the key's rank and the time's rank, both small integers,
    so that no key × time product can overflow whatever the span of the data.
    """

    def __init__(self, keys: np.ndarray, times: np.ndarray) -> None:
        keys = np.asarray(keys, dtype="int64")
        times = np.asarray(times, dtype="int64")
        self.order = np.lexsort((times, keys))
        self.keys = keys[self.order]
        self.times = times[self.order]
        by_time = np.argsort(self.times, kind="stable")
        self._all_times = self.times[by_time]
        self._stride = len(self.times) + 1
        # Each item's time rank (how many times are smaller), from the sort, without a search.
        starts = first_of_groups(self._all_times)
        time_rank = np.empty(len(self.times), dtype="int64")
        time_rank[by_time] = np.maximum.accumulate(np.where(starts, np.arange(len(starts)), 0))
        self._unique_keys = sorted_unique(self.keys)
        key_rank = np.cumsum(first_of_groups(self.keys)) - 1  # keys are sorted
        self._composite = key_rank * self._stride + time_rank

    def ranges(self, keys: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted positions ``[lo, hi)`` of the items with ``key`` and ``start <= time <= end``.

        ``keys`` is one key per query (n) or several (n × k, e.g. neighbouring
        grid cells) sharing the query's time bounds. Binary search is much
        faster when queries come in (key, time) order, so callers that can
        should sort them first.
        """
        keys = np.asarray(keys, dtype="int64")
        shape = keys.shape
        columns = keys.reshape(len(keys), -1)
        lo = np.zeros(columns.shape, dtype="int64")
        hi = np.zeros(columns.shape, dtype="int64")
        if len(self._unique_keys) and len(keys):
            first = np.searchsorted(self._all_times, start, "left")
            past = np.searchsorted(self._all_times, end, "right")
            for j in range(columns.shape[1]):
                rank = np.searchsorted(self._unique_keys, columns[:, j])
                present = self._unique_keys[np.minimum(rank, len(self._unique_keys) - 1)] == columns[:, j]
                base = rank * self._stride
                lo[:, j] = np.where(present, np.searchsorted(self._composite, base + first, "left"), 0)
                hi[:, j] = np.where(present, np.searchsorted(self._composite, base + past, "left"), 0)
        return lo.reshape(shape), hi.reshape(shape)


def expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(query, position)`` with ``lo[query] <= position < hi[query]``, query-major."""
    lengths = np.maximum(np.asarray(hi) - np.asarray(lo), 0)
    total = int(lengths.sum())
    query = np.repeat(np.arange(len(lengths), dtype="int64"), lengths)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(total, dtype="int64") - np.repeat(starts - lo, lengths)
    return query, position


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting (numpy 2's hash-based unique is several times slower on int64)."""
    ordered = np.sort(values)
    return ordered[first_of_groups(ordered)]


def first_of_groups(sorted_ids: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal ids in a sorted array."""
    mask = np.ones(len(sorted_ids), dtype=bool)
    if len(sorted_ids) > 1:
        mask[1:] = sorted_ids[1:] != sorted_ids[:-1]
    return mask


def greedy_nearest_matching(left: np.ndarray, right: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """One-to-one matching of candidate pairs, cheapest first; returns a mask of accepted pairs.

    The greedy rule (take the cheapest pair whose two ends are both free, repeat)
    with ties broken by ``(cost, right, left)`` is a strict total order, and under
    a strict order it equals repeatedly accepting every pair that is the best of
    both its ends: the globally cheapest pair always is, and accepting mutual
    bests never blocks a pair the sequential rule would take. Each round is
    vectorised; rounds continue only over the candidates still open.
    """
    accepted = np.zeros(len(left), dtype=bool)
    alive = np.lexsort((left, right, cost))
    if len(alive) == 0:
        return accepted
    left_taken = np.zeros(int(left.max()) + 1, dtype=bool)
    right_taken = np.zeros(int(right.max()) + 1, dtype=bool)
    while len(alive):
        lv, rv = left[alive], right[alive]
        best_left = np.zeros(len(alive), dtype=bool)
        best_left[np.unique(lv, return_index=True)[1]] = True
        best_right = np.zeros(len(alive), dtype=bool)
        best_right[np.unique(rv, return_index=True)[1]] = True
        take = alive[best_left & best_right]
        accepted[take] = True
        left_taken[left[take]] = True
        right_taken[right[take]] = True
        alive = alive[~(left_taken[lv] | right_taken[rv])]
    return accepted
