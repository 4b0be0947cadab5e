"""Times: one DST rule, checked against Python's own zoneinfo reading of wall clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core.timezones import (
    ZoneError,
    check_zone,
    iso_local,
    localize,
    parse_offset_times,
    period_labels,
    period_range,
)

UTC = dt.timezone.utc


def reference(wall: dt.datetime, zone: str) -> tuple[dt.datetime, str]:
    """The slow obvious reading: zoneinfo with fold=0 is exactly the documented rule.

    fold=0 takes the first occurrence of a repeated time and reads a skipped time
    with the offset in force before the gap.
    """
    zi = ZoneInfo(zone)
    first = wall.replace(tzinfo=zi, fold=0)
    second = wall.replace(tzinfo=zi, fold=1)
    utc = first.astimezone(UTC)
    if first.utcoffset() == second.utcoffset():
        flag = ""
    elif utc.astimezone(zi).replace(tzinfo=None) == wall:
        flag = "dst_ambiguous"
    else:
        flag = "dst_nonexistent"
    return utc, flag


def test_london_autumn_repeated_hour_takes_first_occurrence() -> None:
    utc, flags = localize(pd.Series(pd.to_datetime(["2023-10-29 01:30"])), "Europe/London")
    assert utc.iloc[0] == pd.Timestamp("2023-10-29 00:30", tz="UTC")
    assert flags.iloc[0] == "dst_ambiguous"


def test_london_spring_missing_hour_moves_forward() -> None:
    utc, flags = localize(pd.Series(pd.to_datetime(["2023-03-26 01:30"])), "Europe/London")
    assert utc.iloc[0] == pd.Timestamp("2023-03-26 01:30", tz="UTC")
    assert utc.dt.tz_convert("Europe/London").iloc[0].hour == 2
    assert flags.iloc[0] == "dst_nonexistent"


def test_missing_times_stay_missing() -> None:
    utc, flags = localize(pd.Series([pd.NaT, pd.Timestamp("2023-06-01 12:00")]), "Europe/London")
    assert pd.isna(utc.iloc[0])
    assert utc.iloc[1] == pd.Timestamp("2023-06-01 11:00", tz="UTC")
    assert flags.tolist() == ["", ""]


def test_implausible_clock_is_kept_and_flagged() -> None:
    utc, flags = localize(pd.Series(pd.to_datetime(["1901-12-13 20:45"])), "UTC")
    assert utc.iloc[0].year == 1901
    assert flags.iloc[0] == "implausible"


ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "UTC",
         "Asia/Kolkata"]
walls = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2025, 12, 31))


@settings(max_examples=200, deadline=None)
@given(st.lists(walls, min_size=1, max_size=20), st.sampled_from(ZONES))
def test_localize_agrees_with_zoneinfo_fold_zero(values: list[dt.datetime], zone: str) -> None:
    values = [v.replace(microsecond=0) for v in values]
    utc, flags = localize(pd.Series(pd.to_datetime(values)), zone)
    for wall, got, flag in zip(values, utc, flags):
        expected, expected_flag = reference(wall, zone)
        assert got.to_pydatetime() == expected, (wall, zone)
        assert flag == expected_flag, (wall, zone)


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2022, 3, 1), max_value=dt.datetime(2022, 11, 30)))
def test_transition_hours_around_london_changes(base: dt.datetime) -> None:
    # Concentrate on the two change days, where mistakes happen.
    for day in (dt.date(2022, 3, 27), dt.date(2022, 10, 30)):
        wall = dt.datetime.combine(day, base.time()).replace(microsecond=0)
        utc, flags = localize(pd.Series([pd.Timestamp(wall)]), "Europe/London")
        assert (utc.iloc[0].to_pydatetime(), flags.iloc[0]) == reference(wall, "Europe/London")


def test_offset_times_parse_to_utc_and_naive_ones_do_not() -> None:
    text = pd.Series(["2023-10-29T01:30:00+01:00", "2023-10-29T01:30:00Z", "2023-10-29T01:30:00"])
    parsed = parse_offset_times(text)
    assert parsed.iloc[0] == pd.Timestamp("2023-10-29 00:30", tz="UTC")
    assert parsed.iloc[1] == pd.Timestamp("2023-10-29 01:30", tz="UTC")
    assert pd.isna(parsed.iloc[2])


def test_hour_labels_tell_the_two_autumn_one_oclocks_apart() -> None:
    utc = pd.Series(pd.to_datetime(["2023-10-29 00:30", "2023-10-29 01:30"], utc=True))
    assert period_labels(utc, "Europe/London", "hour").tolist() == [
        "2023-10-29T01+01:00", "2023-10-29T01+00:00"]


def test_period_labels_day_week_month() -> None:
    utc = pd.Series(pd.to_datetime(["2023-03-18 23:30"], utc=True))  # 23:30 GMT
    assert period_labels(utc, "Europe/London", "day").tolist() == ["2023-03-18"]
    assert period_labels(utc, "Europe/London", "week").tolist() == ["2023-W11"]
    assert period_labels(utc, "Europe/London", "month").tolist() == ["2023-03"]
    summer = pd.Series(pd.to_datetime(["2023-06-18 23:30"], utc=True))  # 00:30 BST next day
    assert period_labels(summer, "Europe/London", "day").tolist() == ["2023-06-19"]


def test_period_range_counts_25_hours_on_the_autumn_day() -> None:
    first = pd.Timestamp("2023-10-28 23:00", tz="UTC")  # 00:00 BST on the 29th
    last = pd.Timestamp("2023-10-29 23:59", tz="UTC")  # 23:59 GMT on the 29th
    labels = period_range(first, last, "Europe/London", "hour")
    assert len(labels) == 25
    assert len(set(labels)) == 25


def test_period_range_days_and_weeks_zero_fill() -> None:
    first = pd.Timestamp("2023-03-01 10:00", tz="UTC")
    last = pd.Timestamp("2023-03-31 10:00", tz="UTC")
    assert len(period_range(first, last, "Europe/London", "day")) == 31
    assert period_range(first, last, "Europe/London", "week")[0] == "2023-W09"
    assert period_range(first, last, "Europe/London", "month") == ["2023-03"]


def test_iso_local_is_to_the_second_with_offset() -> None:
    ts = pd.Timestamp("2023-07-01 12:00:00.7", tz="UTC")
    assert iso_local(ts, "Europe/London") == "2023-07-01T13:00:00+01:00"


def test_unknown_zone_is_a_clear_error() -> None:
    with pytest.raises(ZoneError, match="unknown time zone 'Mars/Base'"):
        check_zone("Mars/Base")
    assert check_zone("Europe/London") == "Europe/London"


# ----- the court's form -------------------------------------------------------------
from cellsight.core.timezones import court_time, court_times  # noqa: E402


def test_court_times_name_the_zone_and_tell_the_repeated_hour_apart() -> None:
    times = pd.Series(pd.to_datetime(["2023-04-29T11:30:00Z", "2023-10-29T00:30:00Z",
                                      "2023-10-29T01:30:00Z", "2023-01-05T09:00:00.900Z", None],
                                     utc=True, format="ISO8601"))
    assert court_times(times, "Europe/London").tolist() == [
        "Sat 29 Apr 2023 12:30:00 BST",
        "Sun 29 Oct 2023 01:30:00 BST (UTC+01:00)",
        "Sun 29 Oct 2023 01:30:00 GMT (UTC+00:00)",
        "Thu 5 Jan 2023 09:00:00 GMT",
        "",
    ]


def test_court_times_write_an_offset_where_the_zone_has_no_letters() -> None:
    stamp = pd.Timestamp("2023-04-29T11:30:00Z")
    assert court_time(stamp, "Asia/Dubai") == "Sat 29 Apr 2023 15:30:00 UTC+04:00"
    assert court_time(stamp, "UTC") == "Sat 29 Apr 2023 11:30:00 UTC"
    assert court_time(None, "UTC") == ""


def test_court_times_ignore_the_machine_locale(monkeypatch) -> None:
    import locale

    for name in ("de_DE.UTF-8", "fr_FR.UTF-8"):
        try:
            locale.setlocale(locale.LC_TIME, name)
            break
        except locale.Error:
            continue
    try:
        assert court_time(pd.Timestamp("2023-05-01T08:00:00Z"), "Europe/London") == \
            "Mon 1 May 2023 09:00:00 BST"
    finally:
        locale.setlocale(locale.LC_TIME, "C")


# Instants near transitions: London's year-round BST (1968) and its end (1971), Moscow's 2011 and
# 2014 changes, Samoa's skipped day (2011), the 2023 spring and autumn changes.
_NEAR_CHANGES = [-47_000_000, 57_801_600, 1_301_184_000, 1_414_274_400, 1_325_203_200, 1_679_792_400,
                 1_698_541_200]


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(["Europe/London", "Europe/Moscow", "America/Sao_Paulo", "Asia/Kolkata",
                             "Australia/Lord_Howe", "Pacific/Apia", "Africa/Casablanca", "Asia/Dubai"]),
       base=st.sampled_from(_NEAR_CHANGES) | st.integers(-4_000_000_000, 4_200_000_000),
       deltas=st.lists(st.integers(-2 * 86_400, 2 * 86_400), min_size=1, max_size=60))
def test_court_times_letters_are_the_zones_own_for_every_time(zone: str, base: int, deltas: list[int]) -> None:
    """The letters are asked once per (local day, offset), never guessed: the same as asking the
    zone for each time, from 1843 to 2103 and around changes of offset or of letters."""
    from cellsight.core.timezones import _abbreviations, _wall_and_offset

    times = pd.Series(pd.to_datetime([base + d for d in deltas], unit="s", utc=True))
    naive, offsets = _wall_and_offset(times, zone)
    expected = [t.tz_convert(zone).strftime("%Z") for t in times]
    assert _abbreviations(times, naive, zone, offsets).tolist() == expected


# ----- formatting that survives any time pandas can hold ------------------------------
from cellsight.core.timezones import (  # noqa: E402
    ACCEPTED_YEARS,
    implausible_durations,
    iso_local_series,
    outside_accepted,
)

EXTREMES = ["0001-01-01T00:00:00Z", "1900-01-01T00:00:00Z", "2100-12-31T23:59:59Z",
            "9999-12-31T23:59:59Z"]


def test_iso_local_pads_the_year_and_writes_local_mean_time_in_utc() -> None:
    """London's local mean time before 1847 was UTC-00:01:15: never ``-0001:15``.

    ISO 8601 has no offsets with seconds, so such a time is written in UTC.
    """
    times = pd.Series(pd.to_datetime(EXTREMES + [None], utc=True, format="ISO8601"))
    got = iso_local_series(times, "Europe/London").tolist()
    assert got[:4] == ["0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00+00:00",
                       "2100-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"]
    assert pd.isna(got[4])
    # Paris kept its mean time (+00:09:21) until 1911; Kolkata +05:21:10 until 1906
    assert iso_local_series(times[1:2], "Europe/Paris").iat[0] == "1900-01-01T00:00:00+00:00"
    assert iso_local_series(times[1:2], "Asia/Kolkata").iat[0] == "1900-01-01T00:00:00+00:00"
    assert iso_local_series(pd.Series(pd.to_datetime(["1920-01-01T00:00:00Z"], utc=True)),
                            "Asia/Kolkata").iat[0] == "1920-01-01T05:30:00+05:30"
    for text in got[:4]:
        assert pd.Timestamp(text) is not None  # every one parses back
    assert iso_local(pd.Timestamp("0001-01-01T00:00:00Z"), "Europe/London") == got[0]
    # a time pandas holds but Python's datetime cannot (year -1199) is still written
    far = pd.Series(pd.to_datetime([-99999999999999], unit="ms", utc=True))
    assert iso_local_series(far, "UTC").iat[0].startswith("-1199-")


def test_court_times_and_hour_labels_survive_extreme_years() -> None:
    times = pd.Series(pd.to_datetime(EXTREMES, utc=True, format="ISO8601"))
    court = court_times(times, "Europe/London").tolist()
    assert court[0].endswith(" 0000 23:58:45 UTC-00:01:15")  # before Python's calendar: no letters
    assert court[1:] == ["Mon 1 Jan 1900 00:00:00 GMT", "Fri 31 Dec 2100 23:59:59 GMT",
                         "Fri 31 Dec 9999 23:59:59 GMT"]
    assert court_time(times[1], "Europe/Paris") == "Mon 1 Jan 1900 00:09:21 PMT"
    hours = period_labels(times, "Europe/London", "hour").tolist()
    assert hours == ["0001-01-01T00+00:00", "1900-01-01T00+00:00", "2100-12-31T23+00:00",
                     "9999-12-31T23+00:00"]
    assert period_labels(times, "Europe/London", "day").tolist() == [
        "0000-12-31", "1900-01-01", "2100-12-31", "9999-12-31"]
    assert period_labels(times, "Europe/London", "week").tolist()[1:] == [
        "1900-W01", "2100-W52", "9999-W52"]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
       st.sampled_from(ZONES + ["Europe/Paris", "America/St_Johns"]))
def test_iso_local_agrees_with_python_isoformat(value: dt.datetime, zone: str) -> None:
    stamp = value.replace(microsecond=0, tzinfo=UTC)
    local = stamp.astimezone(ZoneInfo(zone))
    whole_minutes = local.utcoffset().total_seconds() % 60 == 0
    expected = (local if whole_minutes else stamp).isoformat()
    series = pd.Series(pd.to_datetime([stamp], utc=True))
    assert iso_local_series(series, zone).iat[0] == expected
    assert iso_local(stamp, zone) == expected


def test_accepted_times_are_the_years_1900_to_2100_in_utc() -> None:
    assert ACCEPTED_YEARS == "1900-2100"
    times = pd.Series(pd.to_datetime(["1899-12-31T23:59:59Z", "1900-01-01T00:00:00Z",
                                      "2100-12-31T23:59:59.999Z", "2101-01-01T00:00:00Z",
                                      "-0001-01-01T00:00:00Z", None], utc=True, format="ISO8601"))
    assert outside_accepted(times).tolist() == [True, False, False, True, True, False]
    naive = pd.Series(pd.to_datetime(["1899-12-31 23:59", "2023-01-01 00:00"]))
    assert outside_accepted(naive).tolist() == [True, False]


_DURATIONS = st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**6, 10**6),
                                st.sampled_from([0.0, 86400.0, 86400.5, -0.5])), max_size=30)


@settings(max_examples=60, deadline=None)
@given(_DURATIONS, st.sampled_from(["Float64", "float64", "Int64", "object"]))
def test_implausible_durations_read_numbers_as_to_numeric_does(values, dtype) -> None:
    # A numeric column is read as it is (missing as NaN); any other through pd.to_numeric, as before.
    if dtype in ("Int64",):
        values = [None if v is None else int(v) for v in values]
    if dtype == "float64":
        values = [float("nan") if v is None else float(v) for v in values]
    seconds = pd.Series(values, dtype=dtype)
    want = pd.to_numeric(seconds, errors="coerce").astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        expected = (want < 0) | (want > 24 * 3600)
    assert implausible_durations(seconds).tolist() == expected.tolist()
