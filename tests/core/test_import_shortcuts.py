"""The shortcuts of the faster call-record import give the answers of the longer way, value for value.

Each shortcut (issue 24) is compared with what it replaces, over generated
inputs: the date-format search that skips formats whose literal characters no
sampled value holds; hours told apart over the span of a file; a column's
first distinct values found from its first rows; a sample of chosen rows taken
in place; the cells a source's events name, counted in one pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core.schema import STR
from cellsight.core.timezones import localize
from cellsight.importers.cdr import checks, times
from cellsight.importers.cellcounts import named_cells

_STAMPS = st.datetimes(min_value=pd.Timestamp("1975-01-01").to_pydatetime(),
                       max_value=pd.Timestamp("2060-12-31").to_pydatetime())


def _every_format(sample: pa.Array, candidates: list[tuple[str, str]]) -> tuple[str | None, str]:
    """The search as it was: every candidate tried in order."""
    best, best_family, best_count = None, "", 0
    for fmt, family in candidates:
        count = times._plausible_count(times._strptime(sample, fmt))
        if count > best_count:
            best, best_family, best_count = fmt, family, count
            if count == len(sample):
                break
    return best, best_family


@settings(max_examples=15, deadline=None)
@given(st.lists(_STAMPS, min_size=1, max_size=12), st.data(), st.booleans())
def test_the_format_search_chooses_as_trying_every_format(stamps, data, month_first) -> None:
    candidates = times._candidates(month_first)
    written = [pd.Timestamp(s).strftime(data.draw(st.sampled_from([f for f, _ in candidates]))) for s in stamps]
    junk = data.draw(st.lists(st.sampled_from(["", "n/a", "12", "1/2", "TOTAL", "2023-13-45"]), max_size=3))
    sample = pa.array(written + junk, pa.string())
    assert times._best_format(sample, candidates) == _every_format(sample, candidates)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.one_of(st.none(), _STAMPS), min_size=1, max_size=300),
       st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC"]))
def test_hours_by_span_localise_as_row_by_row(stamps, zone) -> None:
    naive = pd.Series(pd.to_datetime(pd.Series(stamps, dtype=object))).astype("datetime64[us]")
    naive = pd.concat([naive] * 5, ignore_index=True)  # repeated hours, so the per-hour path is taken
    utc, flags = times.localize_by_hour(naive, zone)
    want_utc, want_flags = localize(naive, zone)
    pd.testing.assert_series_equal(utc, want_utc, check_names=False)
    assert flags.astype(str).tolist() == want_flags.astype(str).tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, "234-30-1-1", "234-30-1-2", "TOWER-7", "x"]),
                          st.sampled_from([None, "234-30-1-1", "234-30-1-3", "TOWER-7"])), max_size=40))
def test_named_cells_count_as_value_counts(pairs) -> None:
    first = pd.Series([a for a, _ in pairs], dtype=STR)
    last = pd.Series([b for _, b in pairs], dtype=STR)
    counts = first.value_counts().add(last[last.ne(first).fillna(True)].value_counts(), fill_value=0)
    cells = named_cells(first, last)
    got = dict(zip(cells.keys, cells.events.tolist()))
    assert got == {k: int(v) for k, v in counts.items()}
    chosen = cells.keys.isin(["234-30-1-1", "TOWER-7"]).to_numpy()
    want = first.isin(["234-30-1-1", "TOWER-7"]) | last.isin(["234-30-1-1", "TOWER-7"])
    assert cells.naming(chosen).tolist() == want.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "-", "--", " x "]), st.integers(0, 400).map(str)),
                max_size=3000))
def test_a_columns_first_distinct_values_are_found_from_its_first_rows(values) -> None:
    column = pd.Series(values, dtype=STR)
    found = pd.Series(pd.unique(column.dropna()), dtype=object).astype(str).str.strip()
    whole = list(found[found.ne("") & ~found.str.fullmatch(r"-{1,3}")].head(checks.SAMPLE))
    assert checks._distinct(column) == whole


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 20_000), st.integers(1, 50), st.integers(0, 2**31))
def test_sampling_the_chosen_rows_in_place_samples_as_copying_them(n, distinct, seed) -> None:
    rng = np.random.default_rng(seed)
    values = pd.Series(rng.integers(0, distinct, n).astype(str), dtype=STR)
    rows = rng.random(n) < rng.random()
    assert times._sample_where(values, rows).tolist() == times._sample(values[rows]).tolist()
