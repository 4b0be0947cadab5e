"""The import road: the CLI's JSON, refusals, subjects, whole-or-nothing, templates, fuzzing."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget import budget

from cellsight import cli
from cellsight.core.case import Case
from cellsight.core.casefile import open_case
from cellsight.importers import registry
from cellsight.importers.api import import_file
from cellsight.importers.base import ImportFailure
from cellsight.importers.templates import (Template, TemplateError, builtin_templates, load_template,
                                           save_template)

CONTRACT_KEYS = {"file", "path", "sha256", "format", "subject", "rows", "imported", "rejected",
                 "rejections", "skipped", "kinds"}
VALID = "\n".join([
    "Call records,,,,",
    "Date,Time,Calling Number,Called Number,Call Type",
    "01/02/2023,10:00:00,07700900123,07700900456,MOC",
    "01/02/2023,10:05:00,07700900456,07700900123,SMS-MT",
    "01/02/2023,xx:05:00,07700900456,07700900123,SMS-MT",
    "Total,,,,",
]) + "\n"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def case_path(tmp_path, capsys):
    path = tmp_path / "case.cellsight"
    assert run(capsys, "new", str(path))[0] == 0
    return path


def test_cli_import_json_is_the_contract(case_path, tmp_path, capsys):
    records = tmp_path / "records.csv"
    records.write_text(VALID)
    code, out, err = run(capsys, "import", "--assume-case-tz", str(case_path), str(records), "--subject", "Alice", "--json")
    assert code == 0, err
    [report] = json.loads(out)
    assert CONTRACT_KEYS <= set(report)
    assert report["file"] == "records.csv" and report["format"] == "cdr" and report["subject"] == "Alice"
    assert (report["rows"], report["imported"], report["rejected"]) == (3, 2, 1)
    assert report["rejections"] == [{"row": "5", "reason": "date/time not readable: '01/02/2023 xx:05:00'"}]
    assert report["skipped"] == [{"row": "1", "reason": "title row"}, {"row": "6", "reason": "totals row"}]
    assert report["kinds"] == {"call": 1, "sms": 1}
    assert len(report["sha256"]) == 64
    assert "created subject 'Alice'" in err
    case = open_case(case_path)
    assert len(case.events) == 2 and len(case.rejections) == 1
    assert case.rejections.loc[0, "row"] == "5"
    assert case.sources[0].skipped == report["skipped"]


def test_same_file_again_is_refused_with_exit_2(case_path, tmp_path, capsys):
    records = tmp_path / "records.csv"
    records.write_text(VALID)
    assert run(capsys, "import", "--assume-case-tz", str(case_path), str(records), "--subject", "Alice")[0] == 0
    copy = tmp_path / "copy.csv"
    copy.write_text(VALID)
    code, out, err = run(capsys, "import", "--assume-case-tz", str(case_path), str(copy), "--subject", "Alice", "--json")
    assert code == 2
    assert "copy.csv: already imported as source S1" in err
    [refused] = json.loads(out)  # one object per file, the refused one with its error
    assert refused["file"] == "copy.csv" and refused["imported"] == 0
    assert refused["error"].startswith("copy.csv: already imported as source S1")
    assert len(open_case(case_path).sources) == 1


def test_one_bad_file_does_not_stop_the_others(case_path, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(VALID)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02 nothing here")
    code, out, err = run(capsys, "import", "--assume-case-tz", str(case_path), str(bad), str(good), "--subject", "A", "--json")
    assert code == 2
    reports = json.loads(out)
    assert [r["file"] for r in reports] == ["bad.csv", "good.csv"]
    assert "error" in reports[0] and "error" not in reports[1]
    assert err.count("bad.csv") == 1 and "Traceback" not in err


def test_formats_lists_importers_and_templates(capsys):
    code, out, _ = run(capsys, "formats", "--json")
    doc = json.loads(out)
    names = {i["name"] for i in doc["importers"]}
    assert {"cdr", "cells"} <= names
    assert {"att-us-cdr", "opencellid-cells"} <= {t["name"] for t in doc["templates"]}


def test_cdr_without_subject_needs_a_target_or_is_refused(tmp_path):
    case = Case.new()
    plain = tmp_path / "plain.csv"
    plain.write_text(VALID)
    with pytest.raises(ImportFailure, match="plain.csv: .*--subject"):
        import_file(case, plain, assume_case_tz=True)
    assert case.sources == [] and case.subjects == []
    stated = tmp_path / "stated.csv"
    stated.write_text("Target: 07700 900123\n" + VALID)
    report = import_file(case, stated, assume_case_tz=True)
    assert report["subject"] == "+447700900123"
    case.set_subject("Alice", numbers=["07700 900999"])
    owned = tmp_path / "owned.csv"
    owned.write_text("Target MSISDN: 07700900999\n" + VALID)
    assert import_file(case, owned, assume_case_tz=True)["subject"] == "Alice"


def test_target_number_is_attached_to_the_named_subject(tmp_path):
    case = Case.new()
    path = tmp_path / "t.csv"
    path.write_text("Target: 07700 900123\n" + VALID)
    import_file(case, path, subject="Alice", assume_case_tz=True)
    assert case.find_subject("Alice").numbers == ["+447700900123"]
    assert case.find_subject("07700900123").name == "Alice"


def test_target_owned_by_someone_else_is_refused_and_nothing_changes(tmp_path):
    case = Case.new()
    case.set_subject("Bob", numbers=["07700900123"])
    before = (len(case.audit), [s.name for s in case.subjects])
    path = tmp_path / "t.csv"
    path.write_text("Target: 07700 900123\n" + VALID)
    with pytest.raises(ImportFailure, match="already belongs to subject 'Bob'"):
        import_file(case, path, subject="Alice", assume_case_tz=True)
    assert case.sources == [] and case.events.empty
    assert [s.name for s in case.subjects] == before[1] and len(case.audit) == before[0]
    assert case.find_subject("Alice") is None  # not even the subject the failed import named


def test_failure_while_adding_leaves_the_case_as_it_was(tmp_path, monkeypatch):
    case = Case.new()
    path = tmp_path / "t.csv"
    path.write_text("Target: 07700 900123\n" + VALID)
    audit = len(case.audit)

    def broken(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Case, "add_source", broken)
    with pytest.raises(RuntimeError):
        import_file(case, path, assume_case_tz=True)
    assert case.subjects == [] and len(case.audit) == audit


def test_importer_errors_become_one_import_failure(tmp_path, monkeypatch):
    def explode(path, options, progress):
        raise KeyError("column 7")

    fake = registry.Importer("boom", "Boom", ("events",), lambda p: 0.0, explode)
    monkeypatch.setitem(registry._REGISTRY, "boom", fake)
    path = tmp_path / "x.csv"
    path.write_text("anything")
    with pytest.raises(ImportFailure, match=r"x.csv: cannot be read as boom \('column 7'\)"):
        import_file(Case.new(), path, format="boom", subject="A", assume_case_tz=True)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(ImportFailure, match="nope.csv: no such file"):
        import_file(Case.new(), tmp_path / "nope.csv", assume_case_tz=True)
    path = tmp_path / "x.csv"
    path.write_text(VALID)
    with pytest.raises(ImportFailure, match="unknown format 'zzz'"):
        import_file(Case.new(), path, format="zzz", assume_case_tz=True)


def test_source_record_carries_zone_rule_parameters_and_version(tmp_path):
    case = Case.new(tz="Europe/London")
    path = tmp_path / "t.csv"
    path.write_text(VALID)
    report = import_file(case, path, subject="Alice", tz="Europe/Paris", region="FR")
    source = case.sources[0]
    assert (source.declared_tz, source.tz_rule) == ("Europe/Paris", "option")
    assert source.parameters["region"] == "FR" and source.parameters["date_format"]
    assert source.parameters["columns"]["Calling Number"] == "party_a"
    assert source.version and source.imported_at.endswith("+00:00")
    assert source.kinds == report["kinds"] and source.rows == 3
    assert report["tz_rule"] == "option"


# ----- templates -------------------------------------------------------------------------
def test_template_round_trip_and_use(tmp_path):
    template = Template(name="house", label="Invented operator", format="cdr",
                        columns={"When": "start", "Us": "target", "Them": "other_party", "What": "event",
                                 "Way": "direction"},
                        date_format="%Y%m%d %H%M", dayfirst=False, zone="UTC",
                        codes={"V1": "call/", "T9": "sms/", "I": "/incoming", "U": "/outgoing"})
    path = tmp_path / "house.json"
    save_template(template, path)
    assert load_template(path) == template
    records = tmp_path / "house.csv"
    records.write_text("When,Us,Them,What,Way\n20230102 0930,07700900123,07700900456,V1,I\n"
                       "20230102 0931,07700900123,07700900456,T9,U\n")
    case = Case.new()
    report = import_file(case, records, subject="Alice", template=path, assume_case_tz=True)  # the template names its format
    assert report["format"] == "cdr"
    assert report["kinds"] == {"call": 1, "sms": 1}
    ev = case.events
    assert list(ev["direction"]) == ["incoming", "outgoing"]
    assert str(ev.loc[0, "start"]) == "2023-01-02 09:30:00+00:00"
    assert case.sources[0].parameters["template"] == "house"


@pytest.mark.parametrize("content, message", [
    ("{", "not a readable template"),
    ('{"label": "x"}', "needs a name"),
    ('{"name": "x", "columns": {"A": "teleport"}}', "unknown roles"),
    ('{"name": "x", "codes": {"A": "fax/outgoing"}}', "use kind/direction"),
    ('{"name": "x", "zone": "Mars/Olympus"}', "unknown time zone"),
    ('{"name": "x", "colour": "red"}', "unknown template fields"),
    ('{"name": "x", "format": "ufdr"}', "format"),
])
def test_bad_templates_are_named_errors(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TemplateError, match=f"bad.json: .*{message}"):
        load_template(path)


def test_a_cell_template_for_call_records_is_refused(tmp_path):
    records = tmp_path / "r.csv"
    records.write_text(VALID)
    template = next(t for t in builtin_templates() if t.format == "cells")
    path = tmp_path / "cells.json"
    save_template(template, path)
    with pytest.raises(ImportFailure, match="cells.json: a 'cells' template"):
        import_file(Case.new(), records, subject="A", template=path, format="cdr", assume_case_tz=True)


# ----- nothing but an import or one clear error -------------------------------------------
def _import_or_failure(data: bytes, tmp_path, suffix: str, format_name: str | None) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    case = Case.new()
    try:
        report = import_file(case, path, subject="Alice", format=format_name, assume_case_tz=True)
    except ImportFailure as exc:
        assert str(exc).startswith(path.name)  # names the file
        assert case.sources == [] and case.events.empty and case.cells.empty
        return
    assert report["rows"] == report["imported"] + report["rejected"]
    assert len(case.events) + len(case.cells) + len(case.locations) + len(case.contacts) == report["imported"]


FUZZ = settings(max_examples=budget(40, 12), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]),
       format_name=st.sampled_from([None, "cdr", "cells"]))
def test_random_bytes_import_or_fail_clearly(tmp_path, data, suffix, format_name):
    _import_or_failure(data, tmp_path, suffix, format_name)


CELLS = "cell id,lac,latitude,longitude,azimuth\n23011,10451,51.5,-0.12,120\n23012,10451,51.6,-0.13,240\n"


@FUZZ
@given(base=st.sampled_from([VALID, CELLS]), edits=st.lists(st.tuples(
    st.integers(0, 300), st.integers(0, 6), st.binary(max_size=6)), min_size=1, max_size=5))
@pytest.mark.long
def test_random_edits_of_valid_files_import_or_fail_clearly(tmp_path, base, edits):
    data = bytearray(base.encode())
    for at, cut, insert in edits:
        at = at % (len(data) + 1)
        data[at:at + cut] = insert
    _import_or_failure(bytes(data), tmp_path, ".csv", None)


# ----- real files made by others (opt-in) -------------------------------------------------
@pytest.mark.realsamples
def test_real_sample_cell_lists(real_samples):
    case = Case.new()
    folder = real_samples / "celltowers"
    ocid = import_file(case, folder / "urbris_opencellid_302_first_lines.csv", assume_case_tz=True)
    assert (ocid["format"], ocid["rows"], ocid["imported"]) == ("cells", 209, 209)
    got = case.cells
    assert got["lat"].between(40, 60).all() and got["lon"].between(-130, -50).all()  # lon before lat
    assert set(got["technology"].astype(str)) == {"GSM", "UMTS"}
    assert got["ci"].max() > 65535 and got["range_m"].max() > 70_000
    ichnaea = import_file(case, folder / "ichnaea_test_public_inline_empty_radio.csv", assume_case_tz=True)
    assert (ichnaea["rows"], ichnaea["imported"], ichnaea["rejected"]) == (3, 2, 1)
    assert ichnaea["rejections"] == [{"row": "3", "reason": "no radio type"}]
    towers = import_file(case, folder / "forensictelco_tower_locations.csv", assume_case_tz=True)
    assert (towers["rows"], towers["imported"]) == (20, 20)
    listed = case.cells[case.cells["source_id"].astype(str) == towers["source_id"]]
    assert listed["site"].str.contains(",").any()  # quoted addresses with commas stay whole
    assert listed["key"].str.startswith("CELL-").all()


# ----- whose rows: device identifiers from phone downloads --------------------------------
def _phone_download(monkeypatch, device):
    from cellsight.core import schema
    from cellsight.importers.base import ImportResult

    def read(path, options, progress):
        events = schema.conform(pd.DataFrame({
            "start": [pd.Timestamp("2023-01-01 10:00", tz="UTC")], "kind": ["sms"],
            "direction": ["outgoing"], "source_row": ["7"]}), "events")
        return ImportResult(format="phone", rows=1, events=events, device=device)

    monkeypatch.setitem(registry._REGISTRY, "phone",
                        registry.Importer("phone", "Phone", ("events",), lambda p: 0.0, read))


@pytest.mark.parametrize("given, device, owner, numbers, imeis", [
    (None, {"model": ["Galaxy S21"]}, "Galaxy S21", [], []),
    (None, {"msisdn": ["07700 900123"], "imei": ["356938035643809"], "owner": ["J"]}, "Alice",
     ["+447700900123"], ["356938035643809"]),
    (None, {"imei": ["356938035643809"], "model": ["Pixel"]}, "Pixel", [], ["356938035643809"]),
    ("Bob", {"msisdn": ["+44 7700 900789"], "imei": ["35693803564380"]}, "Bob", ["+447700900789"],
     ["35693803564380"]),
])
def test_device_identifiers_go_to_the_right_subject(tmp_path, monkeypatch, given, device, owner,
                                                    numbers, imeis):
    _phone_download(monkeypatch, device)
    case = Case.new()
    case.set_subject("Alice", numbers=["07700900123"])
    path = tmp_path / "phone.bin"
    path.write_bytes(b"a phone download")
    report = import_file(case, path, format="phone", subject=given, assume_case_tz=True)
    assert report["subject"] == owner
    subject = case.find_subject(owner)
    assert all(n in subject.numbers for n in numbers) and subject.imeis == imeis
    assert case.events["subject"].astype(str).tolist() == [owner]


def test_a_download_naming_no_one_needs_a_subject(tmp_path, monkeypatch):
    _phone_download(monkeypatch, {})
    path = tmp_path / "phone.bin"
    path.write_bytes(b"anonymous")
    with pytest.raises(ImportFailure, match=re.escape("phone.bin: the file does not say whose records these "
                                                      "are; choose the subject (--subject)")):
        import_file(Case.new(), path, format="phone", assume_case_tz=True)


def test_headerless_template(tmp_path):
    template = Template(name="bare", format="cdr", headerless=True, dayfirst=True,
                        columns={"when": "start", "from": "party_a", "to": "party_b", "what": "event"})
    path = tmp_path / "bare.json"
    save_template(template, path)
    records = tmp_path / "bare.csv"
    records.write_text("02/01/2023 09:30,07700900123,07700900456,MOC\n"
                       "02/01/2023 09:31,07700900456,07700900123,SMS-MT\n")
    case = Case.new()
    report = import_file(case, records, subject="Alice", template=path, format="cdr", assume_case_tz=True)
    assert (report["rows"], report["imported"], report["skipped"]) == (2, 2, [])
    assert list(case.events["source_row"]) == ["1", "2"]
    assert str(case.events.loc[0, "start"]) == "2023-01-02 09:30:00+00:00"


def test_an_exhibit_reference_is_recorded_with_the_source(tmp_path, capsys):
    from cellsight.cli import main

    case_path = tmp_path / "kite.cellsight"
    records = tmp_path / "dan.csv"
    records.write_text("Date,Time,Event Type,Calling Number,Called Number\n"
                       "01/03/2023,10:00:00,MOC,07700900001,07700900002\n")
    assert main(["new", str(case_path)]) == 0
    assert main(["import", "--assume-case-tz", str(case_path), str(records), str(records), "--subject", "Dan",
                 "--exhibit", "DR/1"]) == 2  # one reference cannot name two files
    assert main(["import", "--assume-case-tz", str(case_path), str(records), "--subject", "Dan", "--exhibit", "DR/1",
                 "--json"]) == 0
    capsys.readouterr()
    assert main(["info", str(case_path), "--json"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["sources"][0]["exhibit"] == "DR/1"
