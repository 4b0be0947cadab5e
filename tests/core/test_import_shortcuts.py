"""The shortcuts of the faster call-record import give the answers of the longer way, value for value.

Each shortcut (issue 24) is compared with what it replaces, over generated
inputs: the date-format search that skips formats whose literal characters no
sampled value holds; hours told apart over the span of a file; a column's
first distinct values found from its first rows; a sample of chosen rows taken
in place; the cells a source's events name, counted in one pass.
"""

from __future__ import annotations

import codecs
import gc
import hashlib
import os
import re
import tempfile
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from cellsight.core.phone import normalise_series
from cellsight.core.casefile import file_sha256
from cellsight.core.schema import STR
from cellsight.importers.base import ImportFailure
from cellsight.importers.safety import check_line_lengths
from cellsight.core.timezones import localize
from cellsight.importers import bytegrid, factorise, filepass, registry, tabular
from cellsight.importers.cdr import checks, dateclock, durations, times
from cellsight.importers.cdr.context import _party_numbers, numbers_ahead, party_numbers
from cellsight.importers.cdr.parties import NumberIds, _votes
from cellsight.importers.cellcounts import named_cells
from cellsight.importers.cells import ip_address_rows, is_ip_address
from cellsight.importers.cdr.codes import decode_code, value_shares

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
    assert times._sample_of(times.WrittenTimes(values), rows).tolist() == times._sample(values[rows]).tolist()


_DATE_FORMS = ["%d/%m/%Y", "%d/%m/%y", "%m/%d/%Y", "%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%d-%m-%y", "%d %b %Y",
               "%-d/%-m/%Y"]
_CLOCK_FORMS = ["%H:%M:%S", "%H:%M", "%H%M%S", "%H.%M.%S", "%I:%M:%S %p", "%-H:%M:%S"]
_ODD_DATES = [None, "", "  ", "31/12/2023", "30/06/2023", "31/02/2023", "29/02/2023", "29/02/2024", "00/01/2023",
              "01/13/2023", "31/09/2025", "2023-02-30", "20230231", "01/01/ 2023", "01/01/202", "01/01/20231",
              " 01/01/2023 ", "n/a", "TOTAL", "01/01/2023 12:00:00", "1/1/23", "01/01/", "٠١/٠١/٢٠٢٣"]
_ODD_CLOCKS = [None, "", " ", "24:00:00", "23:59:60", "23:59:61", "12:60:00", "1:2:3", " 12:00:00 ", "junk",
               "12:00:00.5", "12:00:00+01:00", "12:00:00Z", "2023 12:00:00", ":00:00", "00:00:00", "12:00:0",
               "12 :00:00"]


def _written(stamp: pd.Timestamp, form: str) -> str:
    return stamp.strftime(form.replace("%-", "%")).lstrip("0") if form.startswith("%-") else stamp.strftime(form)


@st.composite
def _date_and_clock_columns(draw) -> tuple[pd.Series, pd.Series]:
    """A date column and a clock column as operators write them: mostly one form each, some rows
    in another form, impossible, blank or junk."""
    rows = draw(st.integers(1, 40))
    date_form, clock_form = draw(st.sampled_from(_DATE_FORMS)), draw(st.sampled_from(_CLOCK_FORMS))
    dates, clocks = [], []
    for _ in range(rows):
        stamp = pd.Timestamp(draw(_STAMPS))
        odd_date, odd_clock = draw(st.integers(0, 9)), draw(st.integers(0, 9))
        dates.append(draw(st.sampled_from(_ODD_DATES)) if odd_date == 0 else
                     _written(stamp, draw(st.sampled_from(_DATE_FORMS))) if odd_date == 1 else
                     _written(stamp, date_form))
        clocks.append(draw(st.sampled_from(_ODD_CLOCKS)) if odd_clock == 0 else
                      _written(stamp, draw(st.sampled_from(_CLOCK_FORMS))) if odd_clock == 1 else
                      _written(stamp, clock_form))
    return pd.Series(dates, dtype=STR), pd.Series(clocks, dtype=STR)


def _joined(date: pd.Series, clock: pd.Series) -> pd.Series:
    """The two columns joined row by row, as the import read them before."""
    joined = pc.binary_join_element_wise(times._arrow(date, keep_missing=True), times._arrow(clock, keep_missing=True),
                                         " ")
    return pd.Series(STR.__from_arrow__(pa.chunked_array([joined])), index=date.index)


@settings(max_examples=30, deadline=None)
@given(_date_and_clock_columns(), st.booleans(), st.booleans())
def test_dates_and_clocks_per_distinct_date_parse_as_joined(columns, month_first, order_fixed) -> None:
    date, clock = columns
    joined = _joined(date, clock)
    split = dateclock.DateAndClock(date, clock)
    assert split.text_at().tolist() == joined.tolist()
    got = times._parse(split, month_first, None, order_fixed)
    want = times.parse_times(joined, month_first, None, order_fixed)
    pd.testing.assert_series_equal(got.naive, want.naive)
    pd.testing.assert_series_equal(got.aware, want.aware)
    assert (got.format, got.month_first) == (want.format, want.month_first)


_SPLIT_FORMATS = ["%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y%m%d %H%M%S",
                  "%d.%m.%Y %H.%M.%S", "%d-%m-%y %H:%M:%S", "%d/%m/%Y %I:%M:%S %p", "%d %b %Y %H:%M:%S",
                  "%Y%m%d%H%M%S", "%d/%m/%Y"]


@settings(max_examples=80, deadline=None)
@given(_date_and_clock_columns(), st.sampled_from(_SPLIT_FORMATS))
def test_every_format_reads_the_split_columns_as_the_joined_text(columns, fmt) -> None:
    date, clock = columns
    whole = times.WrittenTimes(_joined(date, clock))
    split = dateclock.DateAndClock(date, clock)
    assert split.strptime(fmt).cast(pa.int64()).to_pylist() == whole.strptime(fmt).cast(pa.int64()).to_pylist()
    assert split.present.tolist() == whole.present.tolist()
    positions = np.arange(len(date))[::2]
    assert split.take(positions).to_pylist() == whole.take(positions).to_pylist()


_GRID_CLOCKS = {"%H:%M:%S": ":", "%H.%M.%S": ".", "%H%M%S": "", "%H:%M": ":"}


@st.composite
def _fixed_width_clocks(draw) -> tuple[pd.Series, pd.Series, str]:
    """A date column and a clock column written in one fixed width throughout (two digits a
    field, any two digits: 24, 60 and 99 too), or all blank of one width; and a format to read."""
    rows = draw(st.integers(1, 30))
    written = draw(st.sampled_from(sorted(_GRID_CLOCKS)))
    fields = written.count("%")
    two_digits = st.one_of(st.integers(0, 23), st.sampled_from([0, 23, 24, 59, 60, 61, 99]),
                           st.integers(0, 99)).map(lambda n: f"{n:02d}")
    if draw(st.integers(0, 9)) == 0:
        clocks = [" " * (3 * fields - 1)] * rows
    else:
        clocks = [_GRID_CLOCKS[written].join(draw(st.lists(two_digits, min_size=fields, max_size=fields)))
                  for _ in range(rows)]
    dates = [draw(st.sampled_from(_ODD_DATES)) if draw(st.integers(0, 5)) == 0 else
             pd.Timestamp(draw(_STAMPS)).strftime("%d/%m/%Y") for _ in range(rows)]
    fmt = "%d/%m/%Y " + draw(st.sampled_from([written, *_GRID_CLOCKS]))
    # The clock column in chunks, as pyarrow parses a file; one chunk may use the other separator.
    bounds = sorted(set(draw(st.lists(st.integers(1, rows), max_size=3))))
    pieces = [clocks[a:b] for a, b in zip([0, *bounds], [*bounds, rows]) if b > a]
    if draw(st.booleans()) and _GRID_CLOCKS[written]:
        other = {":": ".", ".": ":"}[_GRID_CLOCKS[written]]
        pieces[-1] = [c.replace(_GRID_CLOCKS[written], other) for c in pieces[-1]]
    clock = pd.Series(STR.__from_arrow__(pa.chunked_array([pa.array(p, pa.large_string()) for p in pieces],
                                                          pa.large_string())))
    return pd.Series(dates, dtype=STR), clock, fmt


@settings(max_examples=150, deadline=None)
@given(_fixed_width_clocks())
def test_clocks_written_in_fixed_widths_read_by_their_digits_as_by_the_parser(columns) -> None:
    """Clocks all written in the format's widths are read by array arithmetic (``ByteGrid``); each
    row's time and presence must be what the parser gives the joined text."""
    date, clock, fmt = columns
    whole = times.WrittenTimes(_joined(date, clock))
    split = dateclock.DateAndClock(date, clock)
    assert split._grid is not None
    assert split.strptime(fmt).cast(pa.int64()).to_pylist() == whole.strptime(fmt).cast(pa.int64()).to_pylist()
    assert split.present.tolist() == whole.present.tolist()


def test_a_clock_grid_tells_digits_from_punctuation_byte_by_byte() -> None:
    grid = bytegrid.byte_grid(pa.array(["12:30:05", "00:00:60", "99:59:59"]))
    assert grid.shape == ("digit", "digit", b":", "digit", "digit", b":", "digit", "digit")
    assert grid.fits(dateclock.clock_layout("%H:%M:%S")) and not grid.fits(dateclock.clock_layout("%H.%M.%S"))
    seconds, ok = dateclock.clock_seconds(grid.blocks, dateclock.clock_layout("%H:%M:%S"))
    assert seconds[0] == 12 * 3600 + 30 * 60 + 5 and ok.tolist() == [True, False, False]
    assert bytegrid.byte_grid(pa.array(["12:30:05", "1:30:05"])) is None  # two widths
    assert bytegrid.byte_grid(pa.array(["12:30:05", None])) is None
    assert bytegrid.byte_grid(pa.array(["12:30:05", "12:30:06"], pa.large_string())).bytes_held == {b":"}
    assert bytegrid.byte_grid(pa.array(["ab", "cb"])).bytes_held is None  # a position of two letters
    assert dateclock.clock_layout("%H:%M:%S %p") is None and dateclock.clock_layout("%H:%H") is None


def test_a_clock_that_rolls_into_the_next_day_or_a_date_cut_short_is_read_joined() -> None:
    """The rows per distinct date must not take: a leap second at a month's end (joined, the day
    rolls over and is refused), and a date whose year the joined text finds in the clock column."""
    date = pd.Series(["31/12/2023", "30/06/2023", "15/06/2023", "01/01/", "28/02/2023", "01/01/2023"], dtype=STR)
    clock = pd.Series(["23:59:60", "23:59:61", "23:59:60", "2023 12:00:00", "23:59:59", "24:00:00"], dtype=STR)
    fmt = "%d/%m/%Y %H:%M:%S"
    got = dateclock.DateAndClock(date, clock).strptime(fmt).to_pylist()
    assert got == times.WrittenTimes(_joined(date, clock)).strptime(fmt).to_pylist()
    stamps = [pd.Timestamp(t).to_pydatetime() for t in ("2023-06-16", "2023-01-01 12:00", "2023-02-28 23:59:59")]
    assert got == [None, None, stamps[0], stamps[1], stamps[2], None]


def test_one_impossible_date_or_a_leap_second_among_good_rows_is_read_joined() -> None:
    """Where every row but one is read per distinct date, the one must still be what the joined text
    gives: an impossible date of the right width refused, a leap second rolled into the next day."""
    fmt = "%d/%m/%Y %H:%M:%S"
    for odd_date, odd_clock in (("31/02/2023", "11:00:00"), ("01/03/2023", "23:59:60")):
        date = pd.Series(["01/03/2023", odd_date, "02/03/2023"], dtype=STR)
        clock = pd.Series(["10:00:00", odd_clock, "12:00:00"], dtype=STR)
        got = dateclock.DateAndClock(date, clock).strptime(fmt).to_pylist()
        assert got == times.WrittenTimes(_joined(date, clock)).strptime(fmt).to_pylist()
        assert got[0] == pd.Timestamp("2023-03-01 10:00").to_pydatetime()


def test_only_fixed_width_numeric_formats_are_read_per_distinct_date() -> None:
    assert dateclock.split_format("%d/%m/%Y %H:%M:%S") == ("%d/%m/%Y", "%H:%M:%S")
    assert dateclock.split_format("%Y%m%d %H%M%S") == ("%Y%m%d", "%H%M%S")
    for fmt in ("%d %b %Y %H:%M", "%d/%m/%Y %I:%M %p", "%H:%M:%S %d/%m/%Y", "%Y%m%d%H%M%S", "%d/%m/%Y",
                "%Y-%m-%dT%H:%M:%S", "%d %m %Y %H:%M"):
        assert dateclock.split_format(fmt) is None, fmt
    assert dateclock.fixed_pattern("%d/%m/%Y", frozenset("dmYy")) == "^[0-9]{2}/[0-9]{2}/[0-9]{4}$"


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 3), st.data(), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans(), st.integers(0, 2))
def test_a_body_without_quotes_or_crs_is_one_record_a_line_uncounted(width, data, end, last_end, head) -> None:
    text = st.text(alphabet="ab1 \"\r\n", max_size=3)
    cell = st.one_of(text, text.map(lambda t: f'"{t}"'))  # a quoted field may hold a line end
    rows = data.draw(st.lists(st.one_of(st.lists(cell, min_size=width, max_size=width),
                                        st.lists(cell, max_size=width + 1)), max_size=12))
    body = end.join(",".join(cells) for cells in rows) + (end if last_end and rows else "")
    data = ("title\n" * head + body).encode()
    offset = len("title\n") * head
    names = [f"c{i}" for i in range(width)]
    fast = tabular._pyarrow_body(data, offset, ",", names)
    if fast is None:
        return  # a line that is not one clean record: the exact parser reads the body
    lines = data.count(b"\n", offset) + (1 if len(data) > offset and not data.endswith(b"\n") else 0)
    assert tabular._records_are_lines(data, offset, fast.num_rows) == (fast.num_rows == lines)
    assert tabular._records_are_lines(data, offset, fast.num_rows, tabular.ByteMarks.of(data)) == \
        (fast.num_rows == lines)


_WRITTEN_NUMBERS = st.sampled_from([None, "", " ", "-", " -- ", "07700 900123", "+447700900123", "447700900123",
                                    "07700900456", "01632 960001", "internet", "12345", "withheld"])


def _normalised_as_before(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The party column as the import read it before its distinct values were shared."""
    codes, uniques = pd.factorize(raw.fillna(""))
    written = pd.Series(uniques, dtype=STR)
    blank = written.str.strip().str.fullmatch(r"-{0,3}").fillna(True).to_numpy(bool)
    values, flags = normalise_series(written.where(~blank, ""), "GB")
    out = [tabular.spread(s, codes, raw.index) for s in (values, flags)]
    if blank.any():
        raw = tabular.spread(written.where(~blank, None), codes, raw.index)
    return raw, out[0], out[1]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_WRITTEN_NUMBERS, _WRITTEN_NUMBERS, st.booleans()), min_size=1, max_size=30),
       st.sets(st.sampled_from(["+447700900123", "+447700900456", "+441632960001", "+449999999999"])))
def test_numbers_by_id_answer_as_the_strings(rows, own) -> None:
    a = _party_numbers(pd.Series([r[0] for r in rows], dtype=STR), "GB")
    b = _party_numbers(pd.Series([r[1] for r in rows], dtype=STR), "GB")
    chosen = np.array([r[2] for r in rows])
    for got, written in ((a, [r[0] for r in rows]), (b, [r[1] for r in rows])):
        want = _normalised_as_before(pd.Series(written, dtype=STR))
        for part, wanted in zip(got[:3], want):
            pd.testing.assert_series_equal(part, wanted)
    ids = NumberIds.of(a, b)
    x, y = ids.columns
    assert ids.series(x, a.value.index).tolist() == a.value.tolist()
    assert ids.series(y, b.value.index).tolist() == b.value.tolist()
    assert ids.holding(own)[x].tolist() == a.value.isin(own).tolist()
    callers = set(a.value[chosen].dropna())
    assert ids.seen(x[chosen])[y].tolist() == b.value.isin(callers).tolist()
    assert int(ids.seen(y[chosen]).sum()) == b.value[chosen].nunique()
    same = ((x == y) & (y >= 0)).tolist()
    assert same == (a.value == b.value).fillna(False).astype(bool).tolist()


@settings(max_examples=30, deadline=None)
@given(st.lists(_WRITTEN_NUMBERS, min_size=1, max_size=40))
def test_party_numbers_worked_out_ahead_are_those_worked_out_in_turn_and_free_their_column(written) -> None:
    """A party column's numbers, started on a second core (``numbers_ahead``) and asked for later,
    are ``_party_numbers`` of the column; the answer kept for the column does not keep it alive."""
    column = pd.Series(written, dtype=STR)
    with ThreadPoolExecutor(1) as pool:
        numbers_ahead(pool, column, "GB")
        ahead = party_numbers(column, "GB")
    inline = _party_numbers(column, "GB")
    for got, want in zip(ahead[:3], inline[:3]):
        pd.testing.assert_series_equal(got, want)
    assert ahead.codes.tolist() == inline.codes.tolist() and ahead.distinct.tolist() == inline.distinct.tolist()
    data = weakref.ref(column.array._pa_array)
    del column, ahead, inline
    gc.collect()
    assert data() is None


_TWO_DIGITS = st.integers(0, 99).map("{:02d}".format)


@settings(max_examples=60, deadline=None)
@example(2, [["01", "02", "03"]], ["00:01"], "seconds", 0)  # another row of the same layout
@example(3, [["01", "02", "03"]], ["aa:bb:cc"], "seconds", 0)  # the layout's punctuation, not its digits
@given(st.sampled_from([3, 2]), st.lists(st.lists(_TWO_DIGITS, min_size=3, max_size=3), min_size=1, max_size=30),
       st.lists(st.sampled_from(["", "7", "1:02:03", " 00:01:02", "00:01", "aa:bb:cc", None]), max_size=2),
       st.sampled_from(["seconds", "minutes"]), st.integers(0, 30))
def test_durations_read_by_their_bytes_are_those_read_per_distinct_value(fields, rows, odd, unit, cut) -> None:
    """A duration column written throughout as ``00:02:53`` (or ``02:53``) is read by its bytes; the
    seconds are those of each distinct value read as before, and no other column is read so."""
    values = [":".join(row[:fields]) for row in rows] + odd
    column = pd.Series(STR.__from_arrow__(pa.chunked_array(
        [pa.array(part, pa.large_string()) for part in (values[:cut], values[cut:])], pa.large_string())))
    by_grid = durations._by_grid(column)
    one_layout = all(v is not None and re.fullmatch(r"\d\d(:\d\d){1,2}", v) for v in values) and \
        len({len(v) for v in values}) == 1
    assert (by_grid is not None) == one_layout
    seconds, bad = durations._by_distinct(column, unit)
    if by_grid is not None:
        pd.testing.assert_series_equal(by_grid, seconds)
        assert bad == 0
    assert durations.parse_durations(column, unit)[0].equals(seconds)


_CELL_TEXT = st.sampled_from([None, "", " ", "234-30-1-1", "234-30-1-2", "10.0.0.1", " 192.168.1.20 ", "::1",
                              "fe80::1", "1.2.3", "MOC", "MTC", "SMS-MO", "GPRS", "call forward"])


@settings(max_examples=80, deadline=None)
@given(st.lists(_CELL_TEXT, max_size=60), st.lists(_CELL_TEXT, max_size=60))
def test_a_column_hashed_once_answers_as_hashing_it_each_time(first, second) -> None:
    column, other = pd.Series(first, dtype=STR), pd.Series(second, dtype=STR)
    cut = len(first) // 3  # as pyarrow's parse gives a column: in chunks (one of them empty)
    chunked = pd.Series(STR.__from_arrow__(pa.chunked_array(
        [pa.array(part, pa.large_string()) for part in (first[:cut], [], first[cut:])], pa.large_string())))
    for values in (column, other, column.astype(STR), column, chunked):
        codes, uniques = tabular.distinct_codes(values)
        want_codes, want_uniques = pd.factorize(values, use_na_sentinel=True)
        assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)
        assert uniques.dtype == want_uniques.dtype and isinstance(uniques, pd.Index)
    assert ip_address_rows(column) == sum(isinstance(v, str) and is_ip_address(v) for v in first)
    for values in (column, other, column.astype(STR), column.iloc[::2]):
        for size in (3, 200):
            assert times._sample(values, size).tolist() == times._sample_rows(values, size).tolist()
    raw = column.value_counts(dropna=True)  # the way value_shares counted before
    counts = raw.groupby(raw.index.astype(str).str.strip()).sum()
    counts = counts[counts.index != ""].sort_values(ascending=False).head(500)
    total = int(counts.sum())
    kinds = sum(n for v, n in counts.items() if decode_code(str(v))[0])
    directions = sum(n for v, n in counts.items() if decode_code(str(v))[1])
    unknown = [str(v) for v in counts.index if decode_code(str(v)) == (None, None)]
    want = (kinds / total, directions / total, unknown) if total else (0.0, 0.0, [])
    assert value_shares(column) == want


def _marked_part(quote: bool, cr: bool, other: bool, e: bool, big_e: bool) -> st.SearchStrategy[bytes]:
    tokens = [b"a", b"1", b",", b"\n", b"x" * 9, b"\xc3\xab"] + [b'"'] * quote + [b"\r"] * cr + [b"'", b"=", b"+"] * other \
        + [b"e"] * e + [b"E"] * big_e
    return st.lists(st.sampled_from(tokens), max_size=150).map(b"".join)


_MARKED_PART = st.tuples(*[st.booleans()] * 5).flatmap(lambda marks: _marked_part(*marks))
_MARKED_BYTES = st.tuples(_MARKED_PART, _MARKED_PART).map(b"".join)  # e's before the first quote, say


def _marks_as_defined(raw: bytes, body: int) -> tabular.ByteMarks:
    """``ByteMarks`` as its fields are defined, by a search of the whole bytes per question."""
    quoted, cr, others = b'"' in raw, b"\r" in raw, any(mark in raw for mark in (b"'", b"=", b"+"))
    no_e = raw.find(b"e", body) < 0 and raw.find(b"E", body) < 0
    return tabular.ByteMarks(quoted, cr, raw.count(b"\n") if quoted or cr else None, not quoted and not others,
                             quoted and not others and no_e)


@settings(max_examples=80, deadline=None)
@given(_MARKED_BYTES, st.integers(1, 40), st.integers(0, 400))
@example(b"xe\n" * 20 + b'"q"\n', 4, 0)  # a quote first seen late, an e in the body before it
@example(b"xE\n" * 20 + b'"q"\n', 4, 0)
def test_the_file_pass_finds_the_digest_and_marks_the_whole_bytes_give(data, window, body) -> None:
    """The pass reads the file a window at a time (a few bytes here, 1 MB in use); its digest and
    marks, for any place the body may begin, are those of the bytes read whole (counting the lines
    and looking for e from the start when a quote or CR is first seen in a later window)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.csv"
        path.write_bytes(data)
        original = filepass.SCAN_BYTES
        filepass.SCAN_BYTES = window
        try:
            with ThreadPoolExecutor(1) as pool:
                digest = filepass.read_ahead(path, pool)
                scan = filepass.passing(path).scan.result()
                assert filepass.read_bytes(path) == data
                assert filepass.read_bytes(path) == data  # each whole read reads the pass's file again
                assert digest.result() == hashlib.sha256(data).hexdigest() == file_sha256(path)
                filepass.forget()
        finally:
            filepass.SCAN_BYTES = original
    body = min(body, len(data))
    assert scan.marks(body) == tabular.ByteMarks.of(data, body) == _marks_as_defined(data, body)
    assert scan.size == len(data) and scan.ends_with_lf == data.endswith(b"\n") and scan.ascii == data.isascii()


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([b"\n", b"\r\n", b"\r"]), st.integers(0, 40), st.booleans())
def test_a_line_too_long_is_refused_before_the_file_is_read_whole(body, end, longest, refused) -> None:
    data = body.replace(b"\n", end) + end.join([b"x" * longest, b"tail"])
    limit = max(1, longest - 1) if refused else 10_000  # a small limit stands for the 64 MB one
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.csv"
        path.write_bytes(data)
        original = filepass.check_line_lengths
        filepass.check_line_lengths = lambda p: check_line_lengths(p, limit)
        try:
            with ThreadPoolExecutor(1) as pool:
                digest = filepass.read_ahead(path, pool)
                try:
                    check_line_lengths(path, limit)
                except ImportFailure as exc:
                    for refusal in (filepass.read_bytes, filepass.check_lines):
                        with pytest.raises(ImportFailure, match=re.escape(str(exc))):
                            refusal(path)
                    with pytest.raises(ImportFailure):
                        digest.result()  # no digest of a file refused
                else:
                    filepass.check_lines(path)
                    assert filepass.read_bytes(path) == data
                    assert digest.result() == hashlib.sha256(data).hexdigest()
        finally:
            filepass.check_line_lengths = original
            filepass.forget()


def test_a_file_changed_while_it_is_read_is_refused(tmp_path) -> None:
    """The digest must be of the bytes imported: a file written to, or put in another's place, after
    the pass opened it is refused by every read that follows, and by the check after the parse."""
    path, other = tmp_path / "records.csv", tmp_path / "other.csv"
    changes = {"append": lambda: path.open("ab").write(b"02/03/2023,11:00\n"),
               "replace": lambda: (other.write_bytes(b"Date,Time\n09/09/2029,09:09\n"), other.replace(path)),
               "touch": lambda: os.utime(path, ns=(0, 0))}
    for change in changes.values():
        path.write_bytes(b"Date,Time\n01/03/2023,10:00\n")
        with ThreadPoolExecutor(1) as pool:
            filepass.read_ahead(path, pool)
            ahead = filepass.passing(path)
            ahead.scan.result()
            assert filepass.read_head(path) == path.read_bytes()
            ahead.unchanged()
            change()
            for read in (lambda: ahead.unchanged(), lambda: filepass.read_bytes(path),
                         lambda: ahead.reopen(pa.OSFile).read()):
                with pytest.raises(ImportFailure, match="records.csv: the file changed while it was read"):
                    read()
            assert filepass.read_head(path) is None  # (the whole read then says why)
            filepass.forget(failed=True)
        assert filepass.passing(path) is None


_CSV_LINES = st.sampled_from([b"01/03/2023,10:00,07700900001", b",10:01,07700900002", b"", b"   ", b"TOTAL,3,",
                              b"a,b", b'"q",1,2', b"x,y,z,w", b"time,when,who", b"Z\xc3\xabe,1,2", b"\xe9t\xe9,1,2"])


def _read_outcome(path: Path) -> tuple[object, list[pd.DataFrame]]:
    """``read_tables`` of ``path`` with a header finder and a probe (refusing heads mostly without
    a date): the tables' contents or the refusal's text, and the frames the probe was given."""
    judged: list[pd.DataFrame] = []

    def find(rows: list[list[str]]) -> tabular.HeaderChoice | None:
        return tabular.best_header(rows, lambda cells: 2.0 * ("time" in cells), 1)

    def probe(head: tabular.Table) -> None:
        judged.append(head.frame)
        if head.frame.iloc[:, 0].isna().mean() > 0.5:
            raise ImportFailure(f"{path.name}: refused by its first rows")

    try:
        tables, warnings = tabular.read_tables(path, find, probe=probe)
    except ImportFailure as exc:
        return str(exc), judged
    return [(t.frame, t.rows.tolist(), t.header, t.title, t.skipped, t.broken, t.encoding, t.delimiter,
             t.warnings, t.plain, t.quotes_only) for t in tables] + [warnings], judged


@settings(max_examples=80, deadline=None)
@given(st.lists(_CSV_LINES, max_size=3), st.lists(_CSV_LINES, max_size=6), st.sampled_from([1, 3, 40, 70]),
       st.sampled_from([b"\n", b"\r\n", b"\r"]), st.integers(1, 3000), st.sampled_from([5, 20, 200, 10_000]))
@example([], [b"", b"", b"x,y,z,w"], 40, b"\n", 300, 5)  # junk in the head, and a line too long after it
def test_a_csv_judged_from_its_head_reads_as_judged_from_the_whole_file(title, block, repeat, end, head_bytes,
                                                                        longest) -> None:
    """With the file's pass running, the header and the first rows are judged from its first bytes,
    and a file longer than that head is parsed by pyarrow from the file, its marks found by the pass:
    the tables, the rows the probe judged and every refusal (a line too long first) are those of
    the file read whole first."""
    data = end.join(title + [b"time,when,who"] + block * repeat) + end
    saved = (filepass.check_line_lengths, filepass.HEAD_BYTES, filepass.SCAN_BYTES, tabular.SAMPLE_BYTES,
             tabular.PROBE_ROWS)
    filepass.check_line_lengths = lambda p: check_line_lengths(p, longest)  # stands for the 64 MB limit
    tabular.SAMPLE_BYTES, tabular.PROBE_ROWS = 256, 30  # small, so that heads and probes are many
    filepass.HEAD_BYTES = max(head_bytes, tabular.SAMPLE_BYTES)
    filepass.SCAN_BYTES = 97  # windows of the pass, many
    try:
        ahead, whole = _read_both_ways(data)
    finally:
        (filepass.check_line_lengths, filepass.HEAD_BYTES, filepass.SCAN_BYTES, tabular.SAMPLE_BYTES,
         tabular.PROBE_ROWS) = saved
    _assert_same_outcome(ahead, whole)


def _read_both_ways(data: bytes) -> tuple[tuple[object, list[pd.DataFrame]], tuple[object, list[pd.DataFrame]]]:
    """``_read_outcome`` of a file holding ``data``: with the file's pass running, and read whole."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.csv"
        path.write_bytes(data)
        whole = _read_outcome(path)
        with ThreadPoolExecutor(1) as pool:
            filepass.read_ahead(path, pool)
            ahead = _read_outcome(path)
            filepass.forget()
    return ahead, whole


def _assert_same_outcome(ahead: tuple[object, list[pd.DataFrame]], whole: tuple[object, list[pd.DataFrame]]) -> None:
    """``_read_outcome`` with the file's pass running is that of the file read whole."""
    (found, judged), (expected, expected_judged) = ahead, whole
    if isinstance(expected, str):
        assert found == expected  # (the head's rows may have been judged before a line too long)
        return
    assert len(judged) == len(expected_judged)
    for frame, want in zip(judged, expected_judged):
        pd.testing.assert_frame_equal(frame, want)
    assert not isinstance(found, str) and len(found) == len(expected)
    for got, want in zip(found[:-1], expected[:-1]):
        pd.testing.assert_frame_equal(got[0], want[0])
        assert got[1:] == want[1:]
    assert found[-1] == expected[-1]


_CELLS = st.sampled_from(["01/03/2023", "10:00", "07700900001", "", '"q"', '"a,b"', '"x\ny"', "1.5E2", "'7", "Zo\u00eb",
                          "Voice", '"="01"', "<not UTF-8>"])


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=3, max_size=3), min_size=1, max_size=40), st.sampled_from(["\n", "\r\n"]),
       st.booleans(), st.booleans(), st.sampled_from([5, 64, 1 << 20]), st.data())
def test_a_csv_parsed_from_the_file_reads_as_from_its_bytes(rows, end, last_end, bom, window, draw) -> None:
    """A CSV longer than its head is parsed by pyarrow from the file, with the pass's marks (and its
    UTF-8 checked after the parse when the head is ASCII); whenever that is done (each line one
    record, UTF-8), the table, its labels, title, warnings and marks are those of the bytes read
    whole (and when it is not, the bytes are read whole)."""
    text = "Title\n" * draw.draw(st.integers(0, 2)) + "time,when,who" + end
    text += end.join(",".join(cells) for cells in rows) + (end if last_end else "")
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode().replace(b"<not UTF-8>", b"\xe9t\xe9")
    head = draw.draw(st.integers(60, max(60, len(data))))
    saved = (filepass.HEAD_BYTES, filepass.SCAN_BYTES, tabular.SAMPLE_BYTES, tabular.PROBE_ROWS)
    filepass.HEAD_BYTES, filepass.SCAN_BYTES, tabular.SAMPLE_BYTES, tabular.PROBE_ROWS = head, window, 50, 1
    parsed: list[bool] = []
    from_the_file = tabular._from_the_file

    def spied(*args: object) -> object:
        found = from_the_file(*args)
        parsed.append(found is not None)
        return found

    tabular._from_the_file = spied
    try:
        ahead, whole = _read_both_ways(data)
    finally:
        filepass.HEAD_BYTES, filepass.SCAN_BYTES, tabular.SAMPLE_BYTES, tabular.PROBE_ROWS = saved
        tabular._from_the_file = from_the_file
    event(f"parsed from the file: {parsed}")
    _assert_same_outcome(ahead, whole)


def test_a_plain_csv_is_parsed_from_the_file_and_one_with_a_line_break_in_a_value_read_whole(tmp_path) -> None:
    path = tmp_path / "records.csv"
    saved = (filepass.HEAD_BYTES, tabular.SAMPLE_BYTES, tabular.PROBE_ROWS)
    filepass.HEAD_BYTES, tabular.SAMPLE_BYTES, tabular.PROBE_ROWS = 200, 100, 2
    try:
        for rows, from_the_file in ((['01/03/2023,10:00,"07700 900001"'] * 50, True),
                                    (['01/03/2023,10:00,"07700 900001"'] * 50 + ['01/03/2023,10:01,"a\nb"'], False)):
            path.write_text("time,when,who\n" + "\n".join(rows) + "\n", encoding="utf-8")
            with ThreadPoolExecutor(1) as pool:
                filepass.read_ahead(path, pool)
                ahead = filepass.passing(path)
                head = filepass.read_head(path)
                start = tabular._csv_start(head, False, path, lambda r: tabular.best_header(
                    r, lambda cells: 2.0 * ("time" in cells), 1), None, None, lambda t: None)
                found = tabular._from_the_file(ahead, head, start)
                filepass.forget()
            assert (found is not None) == from_the_file
            if found is not None:
                assert found[0].rows.tolist() == list(range(2, 52)) and found[4].quoted and found[4].quotes_only
                assert found[0].frame["who"].unique().tolist() == ["07700 900001"]
    finally:
        filepass.HEAD_BYTES, tabular.SAMPLE_BYTES, tabular.PROBE_ROWS = saved


def _spread_as_before(per_distinct: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``tabular.spread`` as it was: text by pyarrow with every position masked, the rest by pandas."""
    if per_distinct.dtype == STR:
        dictionary = pa.array(per_distinct.array)
        if isinstance(dictionary, pa.ChunkedArray):
            dictionary = dictionary.combine_chunks()
        taken = pc.take(dictionary, pa.array(codes, pa.int64(), mask=codes < 0))
        return pd.Series(STR.__from_arrow__(pa.chunked_array([taken])), index=index)
    extended = pd.concat([per_distinct.reset_index(drop=True), pd.Series([None], dtype=per_distinct.dtype)],
                         ignore_index=True)
    out = extended.take(np.where(codes < 0, len(per_distinct), codes))
    out.index = index
    return out


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["valid", "possible", "blank", "+447700900123", ""])),
                min_size=1, max_size=8),
       st.sampled_from(["text", "category", "Float64"]), st.data(), st.sampled_from(["int32", "int64"]))
def test_values_spread_by_their_codes_as_before(distinct, kind, data, width) -> None:
    if kind == "Float64":
        per_distinct = pd.Series([None if v is None else float(len(v)) for v in distinct], dtype="Float64")
    else:
        per_distinct = pd.Series(distinct, dtype=STR if kind == "text" else "category")
    codes = np.array(data.draw(st.lists(st.integers(-1, len(distinct) - 1), max_size=50)), dtype=width)
    index = pd.RangeIndex(5, 5 + len(codes))
    pd.testing.assert_series_equal(tabular.spread(per_distinct, codes, index),
                                   _spread_as_before(per_distinct, codes, index))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 6), st.integers(-1, 6), st.booleans()), max_size=60),
       st.lists(st.booleans(), min_size=8, max_size=8))
def test_votes_over_whole_columns_count_as_over_the_rows_taken(rows, holds) -> None:
    a, b = (np.array([r[i] for r in rows], dtype=np.int64) for i in (0, 1))
    chosen = np.array([r[2] for r in rows], dtype=bool)
    lookup = np.array(holds[:7] + [False])  # id -1 (no number) is the last slot, never held
    a_in, b_in = a[chosen], b[chosen]
    before = (int((lookup[a_in] & ~lookup[b_in]).sum()), int((lookup[b_in] & ~lookup[a_in]).sum()))
    assert _votes(lookup, a, b, chosen) == before


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["call", "sms", "data", "valid", "withheld", "other"])),
                max_size=40),
       st.lists(st.sampled_from(["call", "sms", "mms", "valid", "possible", "withheld", "x"]), max_size=4),
       st.booleans())
def test_a_categorical_column_in_a_set_by_its_codes_as_by_isin(values, wanted, fixed) -> None:
    dtype = pd.CategoricalDtype(["call", "sms", "mms", "data", "other", "valid", "withheld"]) if fixed \
        else "category"
    column = pd.Series(values, dtype=dtype)
    assert tabular.in_categories(column, wanted).tolist() == column.isin(wanted).to_numpy(dtype=bool).tolist()


_DURATION_TEXT = st.one_of(
    st.text("0123456789:.,-", max_size=14),
    st.text("0123456789:., -\t٣", max_size=8),
    st.sampled_from(["0:02:53", "2:53", "173", "1,5", "-", "--", "n/a", " 12 ", "99:99:99", "1:2:3:4", "00000000000:00",
                     "123456789012", "9" * 13, "", "-0", "1.", ".5", "٣:٤٥"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_DURATION_TEXT, min_size=1, max_size=30), st.sampled_from(["seconds", "minutes"]))
def test_durations_read_together_as_one_by_one(values, unit) -> None:
    """The durations read by pyarrow over all distinct values at once equal ``duration_of`` of each,
    and the unreadable ones are counted alike."""
    got, bad = durations.parse_durations(pd.Series(values, dtype=STR), unit)
    scale = 60.0 if unit == "minutes" else 1.0
    want = [durations.duration_of(v.strip(), scale) for v in values]
    assert got.astype("float64").fillna(np.nan).tolist() == pytest.approx(want, nan_ok=True, abs=0, rel=0)
    assert bad == sum(1 for v, w in zip(values, want)
                      if np.isnan(w) and v.strip().lower() not in durations._NO_DURATION and v.strip() != "")


def test_sniffers_share_one_reading_of_a_files_first_rows(tmp_path, monkeypatch) -> None:
    """Detection asks every importer; the first rows are read once within it, each sniffer gets
    lists of its own, and outside detection every peek reads the file as it is then."""
    path = tmp_path / "records.csv"
    path.write_text("Date,Time,Calling Number\n01/03/2023,10:00,07700900001\n", encoding="utf-8")
    reads = []
    real = tabular._peek
    monkeypatch.setattr(tabular, "_peek", lambda p, n: reads.append(p) or real(p, n))
    with tabular.peeks_shared():
        first = tabular.peek(path)
        first[0][1][0].append("changed by a sniffer")
        assert tabular.peek(path) == real(path, tabular.HEADER_SEARCH_ROWS) and len(reads) == 1
    path.write_text("Time,Latitude,Longitude\n2023-03-01 10:00:00,51.5,-0.1\n", encoding="utf-8")
    assert tabular.peek(path)[0][1][0] == ["Time", "Latitude", "Longitude"] and len(reads) == 2
    assert registry.detect(path).name == "fixes" and len(reads) == 3  # one reading for every sniffer


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet='0129 \t"ABxyz-.:\u00a0', max_size=8)), min_size=1, max_size=40),
       st.integers(0, 40))
@example(['"1"', "2"], 0)  # a chunk's first value wrapped
@example(["1", "", None, ' "2"', ""], 0)  # empty and missing values before and after one
def test_a_column_of_a_quotes_only_file_unwraps_as_by_its_distinct_values(values, cut) -> None:
    """In a file whose only mark of wrapping is the double quote and whose body holds no e or E
    (``ByteMarks.quotes_only``), a column is told unwrapped by its values' first bytes; the answer
    must be what asking its distinct values gives."""
    column = pd.Series(STR.__from_arrow__(pa.chunked_array(
        [pa.array(part, pa.large_string()) for part in (values[:cut], values[cut:])], pa.large_string())))
    assert tabular.unwrap(column, quotes_only=True).tolist() == tabular.unwrap(column).tolist()
    plain = pd.Series([v for v in values if not v or v[0] not in '" \t'] or [None], dtype=STR)
    assert tabular.unwrap(plain, quotes_only=True) is plain  # told by the first bytes alone


def test_only_a_quoted_body_without_other_marks_or_an_e_is_quotes_only() -> None:
    header = b"Date,Time,Event\n"
    assert tabular.ByteMarks.of(header + b'"01/03/2023","10:00","MOC"\n', len(header)).quotes_only
    for body in (b'"01/03/2023","10:00","Voice"\n', b'"01/03/2023","10:00","1.5E2"\n',
                 b'"01/03/2023","10:00","9.1E+11"\n', b"'x',1,2\n", b"01/03/2023,10:00,MOC\n", b'"="1","2","3"\n'):
        assert not tabular.ByteMarks.of(header + body, len(header)).quotes_only, body


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6), st.lists(st.text(alphabet="0123456789:/-'=\"eE x", min_size=6, max_size=6), min_size=1,
                                    max_size=30), st.integers(0, 30))
@example(1, ['"00000', '"11111'], 0)  # every value a lone quote: wrapped, and one width
@example(3, ["'12xxx", "'34xxx"], 1)  # Excel's text marker before digits
@example(5, ["1.5E1x", "2.5E1x"], 1)  # scientific notation of one width, all digits there
def test_a_fixed_width_column_is_told_unwrapped_by_its_bytes_as_by_its_distinct_values(width, texts, cut) -> None:
    """A column of one width whose bytes are digits and punctuation no wrapping uses is returned
    as it is without its distinct values; the answer must be what asking them gives."""
    values = [t[:width] for t in texts]
    column = pd.Series(STR.__from_arrow__(pa.chunked_array(
        [pa.array(part, pa.large_string()) for part in (values[:cut], values[cut:])], pa.large_string())))
    unwrapped = tabular.unwrap(column)
    if tabular._grid_without_marks(column):
        assert unwrapped is column
    shortcut = tabular._grid_without_marks
    tabular._grid_without_marks = lambda _values: False  # asking the distinct values, as before
    try:
        by_distinct = tabular.unwrap(column)
    finally:
        tabular._grid_without_marks = shortcut
    assert unwrapped.tolist() == by_distinct.tolist()
    dates = pd.Series(STR.__from_arrow__(pa.chunked_array([pa.array(["01/03/2023", "02/03/2023"], pa.large_string())])))
    assert tabular._grid_without_marks(dates)


def _sampled_as_before(values: pd.Series, size: int) -> pd.Series:
    """``times._sample_rows`` as it was: every step-th row taken from the whole column."""
    if len(values) > size * 20:
        values = values.iloc[::len(values) // (size * 20)]
    return pd.Series(pd.unique(values.dropna().astype(object))[:size], dtype=object)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=1, max_size=60), st.integers(1, 4), st.data())
def test_a_sample_taken_chunk_by_chunk_is_the_one_taken_from_the_whole_column(lengths, size, data) -> None:
    # Short chunks of (mostly) distinct values: the rows taken cross many chunk boundaries.
    values = [None if data.draw(st.integers(0, 9)) == 0 else data.draw(st.sampled_from([str(i), "MOC", "Ω"]))
              for i in range(sum(lengths))]
    starts = np.cumsum([0, *lengths])
    column = pd.Series(STR.__from_arrow__(pa.chunked_array(
        [pa.array(values[a:b], pa.large_string()) for a, b in zip(starts[:-1], starts[1:])], pa.large_string())))
    got = times._sample_rows(column, size)
    want = _sampled_as_before(column, size)
    assert got.tolist() == want.tolist() and got.dtype == want.dtype


# The days before clock changes: London and New York (whole hours), Lord Howe (half an hour, so that
# an hour holds times of two offsets and is localised row by row).
_NEAR_CHANGES = st.sampled_from(["2023-03-25 12:00", "2023-10-28 12:00", "2023-11-04 12:00",
                                 "2023-04-01 12:00", "2023-09-30 12:00"]).flatmap(
    lambda start: st.lists(st.one_of(st.none(), st.integers(0, 4 * 24 * 60).map(
        lambda minutes: (pd.Timestamp(start) + pd.Timedelta(minutes=minutes)).to_pydatetime())),
        min_size=1, max_size=200))


_LORD_HOWE_CHANGES = [(pd.Timestamp(day) + pd.Timedelta(minutes=m)).to_pydatetime()
                      for day in ("2023-04-02 00:50", "2023-10-01 01:50") for m in range(0, 110, 7)]


@settings(max_examples=40, deadline=None)
@given(_NEAR_CHANGES, st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC"]))
@example(_LORD_HOWE_CHANGES, "Australia/Lord_Howe")  # hours holding a change of half an hour, every time
def test_hours_a_few_days_apart_localise_as_row_by_row(stamps, zone) -> None:
    # A span of a few days: the hours are told apart by an array over the span (not by hashing),
    # and the hours of a clock change are among them.
    naive = pd.Series(pd.to_datetime(pd.Series(stamps, dtype=object))).astype("datetime64[us]")
    naive = pd.concat([naive] * 5, ignore_index=True)
    utc, flags = times.localize_by_hour(naive, zone)
    want_utc, want_flags = localize(naive, zone)
    pd.testing.assert_series_equal(utc, want_utc, check_names=False)
    pd.testing.assert_series_equal(flags, want_flags, check_names=False)


def test_unplaced_cells_counted_while_the_case_takes_the_rows_are_the_cases_own(tmp_path) -> None:
    # The import counts the cells its events name on a second core while the case takes the rows
    # in; the warning must be the one worked out afterwards from the case's own events.
    from cellsight.core.case import Case
    from cellsight.importers.api import import_file, unplaced_cells_warning

    (tmp_path / "towers.csv").write_text("tower_id,longitude,latitude,azimuth\nTWR-1,-0.1,51.5,120\n")
    rows = [("TWR-1", "TWR-2"), ("TWR-2", "TWR-2"), ("TWR-3", "TWR-1"), ("TWR-1", "TWR-1"), ("TWR-3", "")]
    (tmp_path / "records.csv").write_text(
        "Date,Time,Calling Number,Called Number,Call Type,First tower_id,Last tower_id\n" + "".join(
            f"01/03/2023,10:0{i}:00,+447700900123,+447700900456,MOC,{a},{b}\n" for i, (a, b) in enumerate(rows)))
    case = Case.new()
    import_file(case, tmp_path / "towers.csv", tz="UTC")
    report = import_file(case, tmp_path / "records.csv", tz="UTC", subject="Sam")
    said = [w for w in report["warnings"] if "no cell list places" in w]
    assert said == [unplaced_cells_warning(case, report["source_id"])]
    assert said[0].startswith("4 events name 2 cells")  # TWR-2 (rows 1, 2), TWR-3 (rows 3, 5)


def test_a_long_table_with_unreadable_times_reads_as_a_short_one(tmp_path, monkeypatch) -> None:
    """A table long enough for its columns to be worked out ahead (``HASH_AHEAD_ROWS``, made small
    here) gives the events, labels and rejections of one worked out in turn, rows with unreadable
    times among them (the kept rows' labels are taken from every row's)."""
    from cellsight.core.case import Case
    from cellsight.importers.api import import_file
    from cellsight.importers.cdr import reader

    other, target = (f"07700900{i % 50:03d}" for i in range(60)), "07700 900123"
    lines = [f"0{1 + i % 9}/03/2023,{'xx:yy' if i % 7 == 3 else f'10:{i % 60:02d}:00'},"
             + (f"{target},{number},MOC" if i % 2 else f"{number},{target},MTC") + f",00:01:{i % 60:02d}"
             for i, number in enumerate(other)]
    (tmp_path / "records.csv").write_text("Date,Time,Calling Number,Called Number,Call Type,Duration\n"
                                          + "\n".join(lines) + "\n")
    imported = []
    for rows in (10**9, 10):
        monkeypatch.setattr(reader, "HASH_AHEAD_ROWS", rows)
        case = Case.new()
        report = import_file(case, tmp_path / "records.csv", tz="UTC", subject="Sam")
        imported.append((case.events.drop(columns=["source_id"]), report["rejections"]))
    (inline, rejected_inline), (ahead, rejected_ahead) = imported
    assert len(ahead) == 51 and rejected_ahead == rejected_inline and len(rejected_ahead) == 9
    pd.testing.assert_frame_equal(ahead, inline)
    assert ahead["source_row"].tolist()[:4] == ["2", "3", "4", "6"]  # line 5 (i = 3): no time


_SAME_WIDTH = st.integers(6, 18).flatmap(lambda width: st.tuples(
    st.text(alphabet="0123456789/:- ", min_size=width, max_size=width),
    st.lists(st.tuples(st.text(alphabet="0123456789", min_size=2, max_size=2), st.booleans()),
             min_size=1, max_size=4)).map(
    # One base, its last two characters varied (so values may differ only past their eighth byte),
    # and é (two bytes) in place of its first two characters in some.
    lambda made: [("é" + made[0][2:-2] if accent else made[0][:-2]) + tail for tail, accent in made[1]]))


@settings(max_examples=200, deadline=None)
@given(_SAME_WIDTH, st.lists(st.tuples(st.integers(0, 3), st.integers(1, 60)), min_size=1, max_size=12),
       st.lists(st.integers(1, 90), min_size=1, max_size=8), st.booleans(), st.booleans())
def test_a_column_of_long_runs_factorises_as_pandas(values, runs, chunks, missing, any_runs) -> None:
    # Values of one byte width in runs, cut into chunks anywhere: factorised by their runs when the
    # column allows it (with any_runs, however short its runs), else by hashing; always pd.factorize's
    # codes and values.
    rows = [values[i % len(values)] for i, n in runs for _ in range(n)]
    if missing:
        rows[len(rows) // 2] = None
    bounds = np.unique(np.clip(np.cumsum(chunks), 0, len(rows)))
    pieces = np.split(np.array(rows, dtype=object), bounds[bounds < len(rows)])
    column = pd.Series(STR.__from_arrow__(pa.chunked_array(
        [pa.array(list(p), pa.large_string()) for p in pieces if len(p)], pa.large_string())))
    saved = factorise.RUNS_SHARE
    factorise.RUNS_SHARE = 1 if any_runs else saved
    try:
        codes, uniques = factorise.factorise(column)
    finally:
        factorise.RUNS_SHARE = saved
    want_codes, want_uniques = pd.factorize(column.astype(object), use_na_sentinel=True)
    assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([None, "", "a", "b", "MOC", "07700 900123", "ë", "234-30-1-1"])
                | st.text(alphabet="ab ë", max_size=3), max_size=80),
       st.lists(st.integers(0, 12), min_size=1, max_size=10), st.integers(0, 2), st.integers(0, 2))
def test_a_column_looked_up_chunk_by_chunk_factorises_as_pandas(rows, cuts, lookup, missed) -> None:
    # Cut into chunks anywhere (empty ones too), with values first seen in any chunk; looked up among
    # those found before for every chunk (shares of 0), some, or none: always pd.factorize's answer.
    bounds = np.clip(np.cumsum(cuts), 0, len(rows))
    pieces = [rows[a:b] for a, b in zip([0, *bounds], [*bounds, len(rows)])]
    column = pd.Series(STR.__from_arrow__(pa.chunked_array(
        [pa.array(p, pa.large_string()) for p in pieces], pa.large_string())))
    if not len(column):
        return
    shares = (factorise.LOOKUP_SHARE, factorise.MISSED_SHARE)
    factorise.LOOKUP_SHARE, factorise.MISSED_SHARE = (0, 1, 10**6)[lookup], (0, 1, 10**6)[missed]
    try:
        codes, distinct = factorise._by_lookup(column.array._pa_array)
    finally:
        factorise.LOOKUP_SHARE, factorise.MISSED_SHARE = shares
    want_codes, want_uniques = pd.factorize(column.astype(object), use_na_sentinel=True)
    event(f"chunks of values: {min(sum(1 for p in pieces if p), 3)}")
    assert codes.dtype == np.int32 and codes.tolist() == want_codes.tolist()
    assert distinct.to_pylist() == list(want_uniques)
