"""The demo case: its exhibits import through the normal path, and the tool finds what was planted.

``sample_data/make_demo.py`` writes a fictional stalking case from a model of the
story and computes the answers from that model (``answers.json``, beside the
exhibits in the package: ``src/cellsight/resources/demo/``),
never from Cellsight. These tests check that the committed files are exactly what
the script writes, that every file imports through ``import_file`` with the planted
row counts and rejections, and that the analyses count the planted contacts (one
communication once, however many exhibits saw it) and find the planted proximity
occasions by every method with the contract's default parameters.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from cellsight.analysis import contacts, proximity
from cellsight import demo
from cellsight.core.casefile import open_case

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
DEMO = demo.DEMO_FILES
SUSPECT, VICTIM, HOME = "Daniel Price", "Sarah Holt", "Sarah Holt's home"


def _script(name: str) -> ModuleType:
    """Load a script of sample_data/ (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(f"sample_data_{name}", SAMPLE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def answers() -> dict:
    return json.loads((DEMO / "answers.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """The demo case built as the README's command builds it, saved, and opened again from disk."""
    path = tmp_path_factory.mktemp("demo") / "demo.cellsight"
    _, reports = demo.build(path)
    return open_case(path), reports


def _file(answers: dict, key: str) -> dict:
    return next(f for f in answers["files"] if f["key"] == key)


# ----- the files themselves --------------------------------------------------------------
def _content(path: Path) -> object:
    """What a file holds: its bytes; for zips, each member's bytes; for XLSX, its cells.

    Zips are compared by content because another zlib (zlib-ng) compresses the same
    bytes differently; XLSX by cell values because another openpyxl writes other XML.
    """
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    if path.suffix == ".ufdr":
        with zipfile.ZipFile(path) as zf:
            return {name: zf.read(name) for name in zf.namelist()}
    return path.read_bytes()


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    _script("make_demo").main(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in DEMO.iterdir())
    assert written == committed
    changed = [name for name in written if _content(tmp_path / name) != _content(DEMO / name)]
    assert not changed, f"rerun `python sample_data/make_demo.py`: {changed} differ from the script's output"


def _texts() -> dict[str, str]:
    """Every exhibit's text, with the zipped ones (XLSX, UFDR) opened."""
    out = {}
    for path in sorted(DEMO.iterdir()):
        if path.suffix in (".xlsx", ".ufdr"):
            with zipfile.ZipFile(path) as zf:
                out[path.name] = "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                                            if not n.endswith(".jpg"))  # a photograph is no text
        else:
            out[path.name] = path.read_text(encoding="utf-8")
    return out


def test_demo_files_are_small_and_use_only_drama_numbers() -> None:
    assert sum(p.stat().st_size for p in DEMO.iterdir()) < 4_000_000
    # UK mobile and geographic numbers in any of the written forms (07700 900123, 447700900123,
    # +44 7700 900123, 01632 960123, a WhatsApp id), not inside a longer number or a model's UUID.
    number = re.compile(r"(?<![\w.-])(?:\+44 ?|44|0)([1-9]\d{3}) ?(\d{6})(?![\w.])")
    found = {m.group(1) + m.group(2) for text in _texts().values() for m in number.finditer(text)}
    assert found, "the pattern finds the case's numbers"
    outside = sorted(n for n in found if not n.startswith(("7700900", "1632960")))
    assert not outside, f"numbers outside Ofcom's drama ranges: {outside}"


def test_answers_add_up(answers: dict) -> None:
    c = answers["contacts"]
    assert sum(p["count"] for p in c["series"]) == c["total"]
    assert sum(c["by_kind"].values()) == c["total"] == sum(c["by_direction"].values())
    assert c["peak"] == max(c["series"], key=lambda p: p["count"])
    assert c["calls_answered"] + c["calls_unanswered"] == c["by_kind"]["call"]
    for key in ("gps", "cell", "place_gps", "place_cell"):
        result = answers["proximity"][key]
        assert result["count"] == len(result["occasions"]) > 0
    for f in answers["files"]:
        assert f["rows"] == f["imported"] + f["rejected"] == f["imported"] + len(f["rejections"])


# ----- importing through the normal path ------------------------------------------------
FILE_KEYS = ("cells", "suspect_cdr", "victim_cdr", "ufdr", "takeout", "victim_ufdr")


@pytest.mark.parametrize("key", FILE_KEYS)
def test_each_file_imports_with_the_planted_counts(built, answers: dict, key: str) -> None:
    _, reports = built
    planted = _file(answers, key)
    report = next(r for r in reports if r["file"] == planted["file"])
    got = {k: report[k] for k in ("rows", "imported", "rejected")}
    assert got == {k: planted[k] for k in ("rows", "imported", "rejected")}, planted["file"]
    assert report["kinds"] == planted["kinds"], planted["file"]
    assert sorted(r["row"] for r in report["rejections"]) == sorted(r["row"] for r in planted["rejections"])


def test_title_and_totals_rows_of_the_xlsx_are_skipped_not_rows(built, answers: dict) -> None:
    _, reports = built
    planted = _file(answers, "victim_cdr")
    report = next(r for r in reports if r["file"] == planted["file"])
    skipped = {s["row"] for s in report["skipped"]}
    assert {"1", "2", "3", "4", str(planted["totals_row"])} <= skipped


def test_case_names_people_place_and_sources(built, answers: dict) -> None:
    case, _ = built
    for planted in answers["subjects"]:
        subject = case.find_subject(planted["name"])
        assert subject.role == planted["role"]
        assert set(planted["numbers"]) <= set(subject.numbers)
        assert set(planted["imeis"]) <= set(subject.imeis)
    home = case.find_place(HOME)
    assert (home.lat, home.lon, home.radius_m) == (answers["places"][0]["lat"], answers["places"][0]["lon"],
                                                   answers["places"][0]["radius_m"])
    by_file = {s.file: s for s in case.sources}
    assert sorted(by_file) == sorted(f["file"] for f in answers["files"])
    for f in answers["files"]:
        if f["subject"]:
            assert by_file[f["file"]].subject == f["subject"]
    assert not case.events["subject"].isna().any()


def test_times_in_the_repeated_autumn_hour_are_flagged(built, answers: dict) -> None:
    """The suspect's CSV writes local time: 01:xx on 26 October happened twice that night."""
    case, _ = built
    with (DEMO / _file(answers, "suspect_cdr")["file"]).open(encoding="utf-8", newline="") as fh:
        rows = [str(n) for n, row in enumerate(csv.reader(fh), start=1)
                if row[0] == "26/10/2025" and row[1].startswith("01:")]
    assert len(rows) == 5
    source = next(s.id for s in case.sources if s.file == _file(answers, "suspect_cdr")["file"])
    events = case.events[case.events["source_id"] == source]
    flagged = events.loc[events["time_flag"] == "dst_ambiguous", "source_row"].astype(str)
    assert sorted(flagged, key=int) == rows


def test_download_keeps_deleted_items_and_both_chats(built, answers: dict) -> None:
    case, _ = built
    planted = _file(answers, "ufdr")
    source = next(s.id for s in case.sources if s.file == planted["file"])
    events = case.events[case.events["source_id"] == source]
    assert int(events["deleted"].fillna(False).sum()) == planted["deleted"]
    chats = events[events["kind"] == "chat"]
    assert chats["thread"].nunique() == 2  # the chat with her and the group of five
    assert len(chats) == planted["kinds"]["chat"]


# ----- the analyses find what was planted ----------------------------------------------
@pytest.fixture(scope="module")
def contacts_doc(built):
    case, _ = built
    return contacts.between(case, SUSPECT, VICTIM)


def test_contacts_between_suspect_and_victim(contacts_doc: dict, answers: dict) -> None:
    planted = answers["contacts"]
    got = {k: contacts_doc[k] for k in ("a", "b", "total", "by_kind", "by_direction", "peak")}
    assert got == {k: planted[k] for k in ("a", "b", "total", "by_kind", "by_direction", "peak")}


def test_contacts_per_day(contacts_doc: dict, answers: dict) -> None:
    got = {p["period"]: p["count"] for p in contacts_doc["series"]}
    planted = {p["period"]: p["count"] for p in answers["contacts"]["series"]}
    wrong = {day: {"planted": planted.get(day), "got": got.get(day)}
             for day in sorted(set(got) | set(planted)) if got.get(day) != planted.get(day)}
    assert not wrong, f"contacts per day (Europe/London) differ: {wrong}"


def test_calls_answered_and_unanswered(contacts_doc: dict, answers: dict) -> None:
    calls = contacts_doc["calls"]
    planted = answers["contacts"]
    assert (calls["answered"], calls["unanswered"]) == (planted["calls_answered"], planted["calls_unanswered"])


def test_contacts_in_the_two_repeated_hours(built, answers: dict) -> None:
    case, _ = built
    doc = contacts.between(case, SUSPECT, VICTIM, by="hour")
    got = {p["period"]: p["count"] for p in doc["series"]}
    planted = answers["contacts"]["dst_night_hours"]
    assert {label: got.get(label, 0) for label in planted} == planted


@pytest.mark.parametrize("subject, other", [(SUSPECT, VICTIM), (VICTIM, SUSPECT)])
def test_each_is_the_others_top_contact(built, answers: dict, subject: str, other: str) -> None:
    case, _ = built
    doc = contacts.for_subject(case, subject, top=5)
    people = [c for c in doc["contacts"] if c["number"].startswith("+")]
    assert people[0]["number"] == answers["top_contact"][subject]
    assert people[0]["total"] == answers["contacts"]["total"]


PROXIMITY = {
    "gps": {"b": VICTIM, "method": "gps"},
    "cell": {"b": VICTIM, "method": "cell"},
    "place_gps": {"place": HOME, "method": "gps"},
    "place_cell": {"place": HOME, "method": "cell"},
}


@pytest.mark.parametrize("key", sorted(PROXIMITY))
def test_proximity_occasions(built, answers: dict, key: str) -> None:
    case, _ = built
    doc = proximity.run(case, SUSPECT, **PROXIMITY[key]).to_json(case.info.tz)
    planted = answers["proximity"][key]
    assert doc["count"] == planted["count"], [(o["start"], o["end"]) for o in doc["occasions"]]
    got = [(o["start"], o["end"], o["hits"]) for o in doc["occasions"]]
    assert got == [(o["start"], o["end"], o["hits"]) for o in planted["occasions"]]
    for o, p in zip(doc["occasions"], planted["occasions"]):
        assert o["min_distance_m"] == pytest.approx(p["min_distance_m"], abs=0.5)


def test_phones_as_witnesses(built, answers: dict) -> None:
    """The monitoring app on her phone, her home router saved on his, his photograph outside her home."""
    from cellsight.analysis.devices import device_findings
    from cellsight.report.devices import statement_lines

    case, _ = built
    planted = answers["devices"]
    phones = {p["subject"]: p for p in device_findings(case)}
    her, him = phones[VICTIM], phones[SUSPECT]
    app = planted["monitoring_app"]
    assert [(a["package"], a["indicator"], a["type"], a["installed"], a["row"]) for a in her["apps"]] == [
        (app["package"], app["indicator"], app["type"], app["installed"], app["row"])]
    assert [{"package": a["package"], "permissions": a["permissions"]} for a in her["to_look_at"]] == \
        planted["apps_to_look_at"]
    assert her["installed_apps"] == planted["installed_apps"]
    home = planted["home_network"]
    joined = [w for w in him["wifi"] if w["place"] == HOME]
    assert [(w["ssid"], w["bssid"], w["last"]) for w in joined] == [
        (home["ssid"], home["saved_by_suspect"], home["suspect_last_connection"])]
    assert [o["subject"] for o in joined[0]["shared_with"]] == [VICTIM]
    assert sorted(b for w in her["wifi"] if w["place"] == HOME for b in [w["bssid"]]) == home["bssids"]
    photo = planted["photo"]
    fixes = case.locations[case.locations["origin"] == "photo"]
    assert list(fixes["source_row"]) == [photo["file"]] and him["photo_fixes"] == 1
    assert fixes["lat"].iat[0] == pytest.approx(photo["lat"], abs=1e-6)
    assert fixes["lon"].iat[0] == pytest.approx(photo["lon"], abs=1e-6)
    assert fixes["time"].iat[0] == pd.Timestamp(photo["time"])
    lines = statement_lines(case)
    assert lines[0].startswith(f"{VICTIM}'s phone (AM/6 model {app['row']}) lists an installed app System Service")


def test_cell_corroboration_uses_the_cell_defaults_and_finds_the_occasions(built, answers: dict) -> None:
    """The report's cell corroboration (no method asked for) runs with the cell method's own defaults,
    states them, and finds the occasions on which the phones were together."""
    from cellsight.analysis.proximity_params import method_options

    case, _ = built
    options = method_options({"distance_m": None, "window_min": None, "gap_min": None}, None, "cell")
    result = proximity.run(case, SUSPECT, b=VICTIM, method="cell", **options)
    assert result.parameters["distance_m"] >= 1000.0 and result.parameters["window_min"] == 15.0
    assert "Defaults used: " in result.method_statement and "median distance" in result.method_statement
    assert len(result.occasions) == answers["proximity"]["cell"]["count"] > 0
