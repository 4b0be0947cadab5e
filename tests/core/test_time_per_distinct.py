"""Times parsed once per distinct value give every row the answer that parsing row by row gives.

``timevalues.per_distinct`` lets a column that repeats its values (a tower dump's
rows share their seconds) be parsed and checked per distinct value, the answers
taken back to the rows. These properties compare it with the row-by-row path
over the values that break parsers: impossible days (31/02, 29/02 of a common
year, 31/09), 24:00:00 and leap seconds, the 1st to 3rd of months (where a
rolled-over day lands), two-digit years, blanks, junk, non-ASCII digits and
several formats in one column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core.schema import STR
from cellsight.importers.cdr import times, timevalues

_FORMS = ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%d/%m/%y %H:%M:%S", "%Y%m%d%H%M%S",
          "%d.%m.%Y %H.%M.%S", "%d %b %Y %H:%M:%S", "%d/%m/%Y %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y"]
_ODD = [None, "", "  ", "n/a", "TOTAL", "31/02/2023 10:00:00", "29/02/2023 10:00:00", "29/02/2024 10:00:00",
        "31/09/2025 00:00:00", "2023-02-31 10:00:00", "2023-04-31 23:59:59", "20230231120000",
        "01/03/2023 24:00:00", "31/12/2023 23:59:60", "2023-06-30 23:59:60", "1/2/23 1:02:03", "01/01/ 2023 10:00",
        "٠١/٠٢/٢٠٢٣ ١٠:٠٠:٠٠", "2023-05-0２ 10:00:00", " 02/05/2023 10:00:00 ", "02/05/2023 10:00:00.5",
        "02/05/2023 10:00:00+01:00", "03/01/23 10:00:00", "01/13/2023 10:00:00", "00/01/2023 10:00:00"]
_DAYS = st.dates(min_value=pd.Timestamp("1975-01-01").date(), max_value=pd.Timestamp("2060-12-31").date())


@st.composite
def _column(draw) -> tuple[pd.Series, str]:
    """A time column that repeats its values: mostly one form, some rows in another, impossible or junk,
    days drawn often from the 1st to 3rd and the month's last days."""
    form = draw(st.sampled_from(_FORMS))
    distinct = []
    for _ in range(draw(st.integers(1, 12))):
        day = draw(_DAYS)
        day = day.replace(day=draw(st.sampled_from([1, 2, 3, day.day, min(day.day, 28)])))
        stamp = pd.Timestamp(day) + pd.Timedelta(seconds=draw(st.integers(0, 86_399)))
        kind = draw(st.integers(0, 5))
        late = form.replace("%d", str(draw(st.sampled_from([29, 30, 31]))))  # 30/02, 31/04: none or another day
        distinct.append(draw(st.sampled_from(_ODD)) if kind == 0 else
                        stamp.strftime(draw(st.sampled_from(_FORMS))) if kind == 1 else
                        stamp.strftime(late) if kind == 2 else stamp.strftime(form))
    rows = draw(st.lists(st.sampled_from(distinct), min_size=1, max_size=60))
    return pd.Series(rows, dtype=STR), form


class _RowByRow(times.WrittenTimes):
    """The column read as before: every row parsed and checked on its own."""

    def strptime(self, fmt: str) -> pa.Array:
        return timevalues._strptime(self.arr, fmt)


@settings(max_examples=120, deadline=None)
@given(_column(), st.data())
def test_each_format_per_distinct_value_reads_every_row_as_row_by_row(drawn, data) -> None:
    column, form = drawn
    fmt = data.draw(st.one_of(st.just(form), st.sampled_from(_FORMS)))  # its own form, or any
    arr = times.WrittenTimes(column).arr
    got = timevalues.strptime_values(arr, fmt, pc.dictionary_encode(arr))
    assert got.type == pa.timestamp("us")  # (the unit the times are kept in)
    want = timevalues._strptime(arr, fmt).cast(pa.timestamp("us"))
    assert got.cast(pa.int64()).to_pylist() == want.cast(pa.int64()).to_pylist()


@settings(max_examples=80, deadline=None)
@given(_column(), st.booleans(), st.booleans())
def test_a_column_parsed_per_distinct_value_reads_as_row_by_row(drawn, month_first, order_fixed) -> None:
    column, _form = drawn
    got = times._parse(times.WrittenTimes(column), month_first, None, order_fixed)
    want = times._parse(_RowByRow(column), month_first, None, order_fixed)
    pd.testing.assert_series_equal(got.naive, want.naive)
    pd.testing.assert_series_equal(got.aware, want.aware)
    assert (got.format, got.month_first) == (want.format, want.month_first)


def test_a_rolled_over_day_is_refused_per_distinct_value() -> None:
    arr = pa.array(["31/09/2025 10:00:00", "01/10/2025 10:00:00", "29/02/2023 10:00:00"] * 3)
    got = timevalues.strptime_values(arr, "%d/%m/%Y %H:%M:%S", pc.dictionary_encode(arr))
    assert got.to_pylist() == [None, pd.Timestamp("2025-10-01 10:00").to_pydatetime(), None] * 3


def test_only_a_column_that_repeats_its_values_is_encoded() -> None:
    """A spread of random rows decides: sorted seconds shared by many rows are encoded (a strided pick
    would see each second once), a column of all-different seconds is parsed row by row."""
    seconds = np.datetime64("2023-05-02T10:00:00") + np.sort(np.arange(100_000) % 1_500).astype("timedelta64[s]")
    repeating = pa.array(np.datetime_as_string(seconds).tolist())
    encoded = timevalues.per_distinct(repeating)
    assert encoded is not None and len(encoded.dictionary) == 1_500
    unique = np.datetime64("2023-05-02T10:00:00") + np.arange(100_000).astype("timedelta64[s]")
    assert timevalues.per_distinct(pa.array(np.datetime_as_string(unique).tolist())) is None
    small = pa.array(["2023-05-02T10:00:00", "2023-05-03T10:00:00"])
    assert len(timevalues.per_distinct(small).dictionary) == 2  # a small column is always encoded
