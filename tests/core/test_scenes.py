"""Scenes: tower dumps as exhibits kept beside the case, common numbers and co-travel, planted answers.

The world is ``scene_data``'s: four scenes in four operators' layouts, a number at
three of the four, a burner that follows the suspect in 8 of his 10 hours, a
decoy that shares one scene, a SIM swap, night and scene-hour visitors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import factories
from tests.core import scene_data as sd
from cellsight.analysis import cotravel, scenes
from cellsight.cli import main
from cellsight.core.case import CaseError
from cellsight.core.casefile import open_case, save_case
from cellsight.core.crypto import derive
from cellsight.core.scenestore import ScenesUnavailable, find_scene, parquet_path
from cellsight.core.verify import verify_case
from cellsight.importers.towerdump import add_scene, column_name, header_score


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """The planted case saved, with its four scenes added."""
    folder = tmp_path_factory.mktemp("planted")
    case = sd.planted_case()
    path = factories.save(case, folder)
    sd.add_planted_scenes(case, path, sd.write_dumps(folder))
    save_case(case, path)
    return case, path


def _entries(doc: dict) -> dict[str, list[str]]:
    return {(e["number"] or f"IMEI {e['imei']}"): [v["scene"] for v in e["scenes"]] for e in doc["numbers"]}


# ----- the files as exhibits --------------------------------------------------------------------
def test_each_dump_is_an_exhibit_whose_rows_stay_out_of_the_events(planted) -> None:
    case, path = planted
    data = sd.world()
    dumps = [s for s in case.sources if s.format == "tower-dump"]
    assert [s.file for s in dumps] == ["dump_A.csv", "dump_B.csv", "dump_C.xlsx", "dump_D.csv"]
    for source, name in zip(dumps, "ABCD"):
        assert source.rows == source.imported == len(data.rows[name]) and source.rejected == 0
        assert source.kinds == {"scene": len(data.rows[name])} and source.subject == ""
        assert source.exhibit.startswith("TD/")
    assert [s["reason"] for s in dumps[0].skipped] == ["title row", "totals row"]
    # Only Sam's and Bob's call records are events: 10 + 5.
    assert len(case.events) == 15
    reopened = open_case(path)
    scene = find_scene(reopened, "b")
    assert scene.name == "B" and scene.rows == len(data.rows["B"]) and scene.cells == ["234-30-100-2"]
    rows = pq.read_table(parquet_path(path, scene.files[0])).to_pandas()
    assert set(rows["number"]) >= {sd.e164(sd.SAM), "+447700900444"}
    first = rows.iloc[0]
    assert first["time"] == pd.Timestamp("2023-05-02 17:10", tz="UTC")  # 18:10 BST
    assert first["time_us"] == first["time"].value // 1000


def test_layouts_are_recognised_by_the_cdr_vocabulary() -> None:
    assert column_name("mobileNumber  ") == "mobileNumber" and column_name(" tower  Id ") == "tower Id"
    assert header_score(["mobileNumber  ", "IMEI", "dateTime", "towerId", "LAC"]) == 3
    assert header_score(["Name", "Address", "Postcode"]) == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["mobile", "number", "tower", "cell", "id", "event", "time", "date"]),
                min_size=1, max_size=3))
def test_camel_case_headers_read_as_their_spaced_words(words: list[str]) -> None:
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    spaced = " ".join([words[0]] + [w.capitalize() for w in words[1:]])
    from cellsight.importers import cdr

    assert cdr.column_role(column_name(camel)) == cdr.column_role(column_name(spaced))
    assert cdr.column_role(camel) is not None or cdr.column_role(spaced) is None


def test_rejected_rows_have_reasons_and_a_changed_scene_file_fails_verify(tmp_path: Path) -> None:
    case = factories.new_case()
    path = factories.save(case, tmp_path)
    dump = tmp_path / "dump.csv"
    dump.write_text("msisdn,imei,event_time,cell_id\n07700900101,,2023-05-02 10:00:00,1-2\n"
                    ",,2023-05-02 10:01:00,1-2\n07700900102,,yesterday,1-2\n-1,,2023-05-02 10:02:00,1-2\n"
                    "07700900103,353333333333333,2023-05-02 10:03:00,1-2\n")
    scene, reports, failures = add_scene(case, path, [dump], "Shop", assume_case_tz=True)
    assert failures == []
    report = reports[0]
    assert (report["rows"], report["imported"], report["rejected"]) == (5, 2, 3)
    assert report["rejections"] == [{"row": "3", "reason": "no subscriber number, IMEI or IMSI"},
                                    {"row": "4", "reason": "date/time not readable: 'yesterday'"},
                                    {"row": "5", "reason": "no subscriber number, IMEI or IMSI"}]
    assert list(case.rejections["row"]) == ["3", "4", "5"]
    save_case(case, path)
    assert verify_case(str(path))["ok"]
    again = add_scene(case, path, [dump], "Shop again", assume_case_tz=True)[2]
    assert again and "already imported" in again[0]
    target = parquet_path(path, scene.files[0])
    target.write_bytes(target.read_bytes() + b"x")
    report = verify_case(str(path))
    assert not report["ok"] and report["scene_files"][0]["status"] == "changed"
    target.unlink()
    assert verify_case(str(path))["scene_files"][0]["status"] == "missing"
    with pytest.raises(CaseError, match="its rows are missing"):
        scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=1))


def test_an_encrypted_case_refuses_scenes(tmp_path: Path) -> None:
    case = factories.new_case()
    case.key = derive("correct horse")
    path = tmp_path / "locked.cellsight"
    save_case(case, path)
    dump = tmp_path / "d.csv"
    dump.write_text("msisdn,event_time\n07700900101,2023-05-02 10:00:00\n")
    with pytest.raises(ScenesUnavailable, match="encrypted"):
        add_scene(case, path, [dump], "Shop", assume_case_tz=True)
    assert not (tmp_path / "locked.scenes").exists() and case.sources == []


def test_a_scene_keeps_its_place_and_time(planted) -> None:
    case, path = planted
    with pytest.raises(CaseError, match="already has its position"):
        add_scene(case, path, [], "A", lat=1.0, lon=1.0)
    with pytest.raises(CaseError, match="no place"):
        add_scene(case, path, [], "New", place="Nowhere")
    with pytest.raises(CaseError, match="needs at least one tower dump"):
        add_scene(case, path, [], "New", lat=1.0, lon=1.0)


def test_a_time_can_be_given_to_a_scene_later(tmp_path: Path, capsys) -> None:
    case = factories.new_case()
    path = factories.save(case, tmp_path)
    dump = tmp_path / "d.csv"
    dump.write_text("msisdn,event_time\n07700900101,2023-05-02 10:00:00\n")
    assert run(capsys, "scene", str(path), str(dump), "--name", "Shop", "--tz", "UTC")[0] == 0
    code, _, err = run(capsys, "common", str(path), "--min", "1", "--scene-hour")
    assert code == 2 and "none is given for Shop" in err
    assert run(capsys, "scene", str(path), "--name", "shop", "--at", "2023-05-02 11:20")[0] == 0
    code, out, _ = run(capsys, "common", str(path), "--min", "1", "--scene-hour", "--json")
    assert code == 0 and json.loads(out)["numbers"][0]["number"] == "+447700900101"  # 10:00 UTC = 11:00 BST


# ----- common numbers -------------------------------------------------------------------------
def test_common_numbers_find_the_planted_ones(planted) -> None:
    case, path = planted
    doc = scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=3))
    found = _entries(doc)
    assert found == {sd.e164(sd.SAM): list("ABCD"), "+447700900777": list("ABCD"),
                     "+447700900333": list("ABC"), "+447700900335": ["A", "C", "D"]}
    assert [e["number"] for e in doc["numbers"][:2]] == [sd.e164(sd.SAM), "+447700900777"]  # 4 scenes first
    burner = next(e for e in doc["numbers"] if e["number"] == "+447700900777")
    assert burner["imei"] == "352222222222222" and burner["total"] == 8
    visit = burner["scenes"][0]
    assert (visit["first"], visit["last"], visit["count"]) == ("2023-05-02T16:13:00+01:00",
                                                               "2023-05-02T17:13:00+01:00", 2)
    x = next(e for e in doc["numbers"] if e["number"] == "+447700900333")
    assert [v["first"] for v in x["scenes"]] == ["2023-05-02T16:30:00+01:00", "2023-05-02T19:30:00+01:00",
                                                  "2023-05-02T21:30:00+01:00"]
    assert doc["scenes"] == ["A", "B", "C", "D"] and doc["parameters"]["min_scenes"] == 3


def test_the_decoy_and_the_subjects_are_left_out(planted) -> None:
    case, path = planted
    two = _entries(scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=2)))
    assert "+447700900444" not in two  # one scene only
    assert two["+447700900334"] == ["A", "B"]
    assert two[f"IMEI {sd.SWAP_IMEI}"] == ["A", "C"]  # the handset, whichever SIM it carried
    assert "+447700900555" not in two and "+447700900556" not in two
    excluded = _entries(scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=3,
                                                                               exclude_subjects=True)))
    assert sd.e164(sd.SAM) not in excluded and "+447700900777" in excluded
    one = _entries(scenes.common_numbers(case, path, scenes.CommonOptions(scenes=["b"], min_scenes=1)))
    assert "+447700900444" in one and set(one["+447700900444"]) == {"B"}


def test_night_and_scene_hour_filters(planted) -> None:
    case, path = planted
    night = _entries(scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=2, night=(22, 6))))
    assert night["+447700900335"] == ["C", "D"]  # 22:35 and 00:40; not the afternoon at A
    assert "+447700900333" not in night  # 16:30, 19:30, 21:30: never at night
    hour = _entries(scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=2, scene_hour=True)))
    assert "+447700900334" not in hour  # 17:40 at A is 55 minutes after A's 16:45
    assert hour["+447700900333"] == ["A", "B", "C"]
    narrow = _entries(scenes.common_numbers(case, path, scenes.CommonOptions(
        min_scenes=2, scene_hour=True, hour_window_min=14)))
    assert "+447700900333" not in narrow  # 15 minutes from A's and B's times


def test_night_intervals_follow_daylight_saving() -> None:
    start = int(pd.Timestamp("2023-03-25 12:00", tz="UTC").value // 1000)
    end = int(pd.Timestamp("2023-03-27 12:00", tz="UTC").value // 1000)
    nights = scenes.night_intervals(start, end, "Europe/London", (22, 6))
    spans = [(e - s) / 3_600_000_000 for s, e in nights]
    assert spans == [7.0, 8.0]  # the night of 25-26 March lost an hour; 24-25 ended before the start
    assert pd.Timestamp(nights[0][0] * 1000, tz="UTC") == pd.Timestamp("2023-03-25 22:00", tz="UTC")
    assert pd.Timestamp(nights[0][1] * 1000, tz="UTC") == pd.Timestamp("2023-03-26 05:00", tz="UTC")


def test_min_must_fit_the_scenes(planted) -> None:
    case, path = planted
    with pytest.raises(CaseError, match="from 1 to the 4 scenes"):
        scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=5))
    with pytest.raises(CaseError, match="no scene 'E'"):
        scenes.common_numbers(case, path, scenes.CommonOptions(scenes=["E"]))


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 7), st.integers(0, 500)), max_size=60),
       st.integers(1, 3))
def test_common_numbers_agree_with_a_plain_pandas_count(tmp_path_factory, visits, k) -> None:
    """The engine's answer equals counting the same rows by hand."""
    folder = tmp_path_factory.mktemp("ref")
    case = factories.new_case()
    path = factories.save(case, folder)
    # One row of a number of its own in each scene, so that no two files are alike.
    frame = pd.DataFrame(visits + [(scene, 890 + scene, 0) for scene in range(3)],
                         columns=["scene", "who", "minute"])
    for scene in range(3):
        rows = frame[frame["scene"] == scene]
        lines = [f"07700900{100 + r.who},2023-05-02 {10 + r.minute // 60:02d}:{r.minute % 60:02d}:00"
                 for r in rows.itertuples()]
        dump = folder / f"s{scene}.csv"
        dump.write_text("msisdn,event_time\n" + "\n".join(lines) + "\n")
        assert add_scene(case, path, [dump], f"S{scene}", tz="UTC")[2] == []
    expected = {}
    for who, group in frame.groupby("who"):
        seen = sorted(group["scene"].unique())
        if len(seen) >= k:
            expected[f"+447700900{100 + who}"] = [(f"S{s}", int((group["scene"] == s).sum())) for s in seen]
    doc = scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=k))
    got = {e["number"]: [(v["scene"], v["count"]) for v in e["scenes"]] for e in doc["numbers"]}
    assert got == expected


# ----- co-travel -------------------------------------------------------------------------------
def test_cotravel_ranks_the_second_handset_first(planted) -> None:
    case, path = planted
    doc = cotravel.run(case, path, "Sam")
    assert doc["subject"] == "Sam" and doc["hours_of_subject"] == 10
    ranked = [(c["number"], c["share"], c["hours_together"]) for c in doc["candidates"]]
    assert ranked[:3] == [("+447700900777", 0.8, 8), ("+447700900003", 0.5, 5), ("+447700900444", 0.1, 1)]
    assert "+447700900333" not in {c["number"] for c in doc["candidates"]}
    assert doc["candidates"][1]["name"] == "Bob"
    assert doc["candidates"][0]["hours"][:2] == ["2023-05-02T16+01:00", "2023-05-02T17+01:00"]
    assert "2023-05-02T18+01:00" not in doc["candidates"][0]["hours"]
    assert doc["limitations"] and "1000 m" in doc["method"] and "15 minutes" in doc["method"]


def test_cotravel_window_and_distance_change_the_answer(planted) -> None:
    case, path = planted
    tight = cotravel.run(case, path, "Sam", window_min=2)
    assert [c["number"] for c in tight["candidates"]] == ["+447700900444"]  # two minutes after Sam
    wide = cotravel.run(case, path, "Sam", distance_m=5000, window_min=15)
    assert wide["candidates"][0]["number"] == "+447700900777"
    with pytest.raises(CaseError):
        cotravel.run(case, path, "Sam", distance_m=-1)


def test_hour_of_a_time_late_in_the_hour() -> None:
    late = pd.Timestamp("2023-05-02 10:59:59.5", tz="UTC").value // 1000  # 11:59:59.5 BST
    assert cotravel.hour_ids(np.array([late]), "Europe/London")[0] == \
        pd.Timestamp("2023-05-02 10:00", tz="UTC").value // 1000


def test_hours_are_local_and_the_autumn_hour_counts_twice() -> None:
    first = pd.Timestamp("2023-10-29 00:30", tz="UTC").value // 1000  # 01:30 BST
    second = pd.Timestamp("2023-10-29 01:30", tz="UTC").value // 1000  # 01:30 GMT
    ids = cotravel.hour_ids(np.array([first, second]), "Europe/London")
    assert len(set(ids)) == 2
    assert ids[0] == pd.Timestamp("2023-10-29 00:00", tz="UTC").value // 1000


# ----- the command line ------------------------------------------------------------------------
def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_scene_common_and_cotravel(tmp_path: Path, capsys) -> None:
    case = sd.planted_case()
    path = factories.save(case, tmp_path)
    files = sd.write_dumps(tmp_path)
    for name, file in files.items():
        site = sd.SCENES[name][0]
        code, out, err = run(capsys, "scene", str(path), str(file), "--name", name, "--lat", str(sd.SITE_LAT[site]),
                             "--lon", str(sd.SITE_LON), "--at", sd.scene_time(name), "--tz", "Europe/London",
                             "--json")
        assert code == 0, err
        doc = json.loads(out)
        assert doc["scene"]["name"] == name and doc["files"][0]["format"] == "tower-dump"
    assert oct(os.stat(tmp_path / "case.scenes").st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in (tmp_path / "case.scenes").iterdir()} == {"0o600"}
    code, out, _ = run(capsys, "common", str(path), "--min", "3", "--json")
    doc = json.loads(out)
    assert code == 0 and {"scenes", "numbers", "parameters", "method"} <= set(doc)
    assert {e["number"] for e in doc["numbers"]} == {sd.e164(sd.SAM), "+447700900777", "+447700900333",
                                                     "+447700900335"}
    assert {"number", "imei", "scenes"} <= set(doc["numbers"][0])
    assert {"scene", "first", "last", "count"} == set(doc["numbers"][0]["scenes"][0])
    code, out, _ = run(capsys, "common", str(path), "--min", "3", "--exclude-subjects")
    assert code == 0 and "Tue 2 May 2023 16:30:00 BST" in out and sd.e164(sd.SAM) not in out
    code, out, _ = run(capsys, "cotravel", str(path), "--subject", "07700 900001", "--json")
    doc = json.loads(out)
    assert code == 0 and {"subject", "candidates", "parameters", "method", "limitations"} <= set(doc)
    top = doc["candidates"][0]
    assert (top["number"], top["share"], top["hours_together"], top["hours_of_subject"]) == \
        ("+447700900777", 0.8, 8, 10)
    code, out, err = run(capsys, "verify", str(path))
    assert "(rows of scene A): ok" in out and "(rows of scene D): ok" in out  # the test rows have no files
    code, _, err = run(capsys, "scene", "--assume-case-tz", str(path), str(files["A"]), "--name", "A again")
    assert code == 2 and "already imported" in err
    code, _, err = run(capsys, "common", str(path), "--scene", "nowhere")
    assert code == 2 and "no scene 'nowhere'" in err
    code, out, _ = run(capsys, "info", str(path), "--json")
    assert sum(s["format"] == "tower-dump" for s in json.loads(out)["sources"]) == 4


SITES = [(53.80, -1.55), (53.801, -1.55), (53.83, -1.55)]  # the second 111 m from the first


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 600)), min_size=1, max_size=40),
       st.sampled_from([0, 5, 30]), st.sampled_from([0.0, 200.0]))
def test_cotravel_agrees_with_a_pair_by_pair_count(events, window, distance) -> None:
    """Hours together, by comparing every item of the subject with every item of each other number."""
    numbers = [f"07700 90010{i}" for i in range(4)]
    case = factories.new_case(subjects={f"P{i}": ("other", [n]) for i, n in enumerate(numbers)})
    factories.add_cells(case, [{"key": f"234-30-1-{j}", "lat": lat, "lon": lon} for j, (lat, lon) in enumerate(SITES)])
    start = pd.Timestamp("2023-05-02 10:00", tz="UTC")
    for i in range(4):
        rows = [{"start": (start + pd.Timedelta(minutes=m)).isoformat(), "kind": "data", "direction": "outgoing",
                 "party_a": numbers[i], "cell_first": f"234-30-1-{site}"} for who, site, m in events if who == i]
        if rows:
            factories.add_events(case, f"P{i}", rows)
    from cellsight.core import geo

    expected: dict[str, set] = {}
    mine = [(m, site) for who, site, m in events if who == 0]
    for who, site, m in events:
        if who == 0:
            continue
        for m0, site0 in mine:
            far = geo.haversine_m(*SITES[site0], *SITES[site])
            if abs(m - m0) <= window and far <= distance:
                expected.setdefault(sd.e164(numbers[who]), set()).add((start + pd.Timedelta(minutes=m0)).floor("h"))
    doc = cotravel.run(case, None, "P0", distance_m=distance, window_min=window, top=10)
    got = {c["number"]: {pd.Timestamp(h[:13] + ":00" + h[13:]).tz_convert("UTC") for h in c["hours"]}
           for c in doc["candidates"]}
    assert got == expected
    assert doc["hours_of_subject"] == len({(start + pd.Timedelta(minutes=m)).floor("h") for m, _ in mine})
