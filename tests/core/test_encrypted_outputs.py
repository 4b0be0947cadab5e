"""Outputs of an encrypted case: a warning when written in plain text, and --encrypt for PDF, CSV, XLSX, map."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyzipper
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from cellsight.cli import main
from cellsight.core.casefile import save_case
from cellsight.core.crypto import derive
from cellsight.core.outputs import is_output
from factories import add_events, add_fixes, new_case

CASE_PASSWORD = "case password"
EXPORT_PASSWORD = "prosecutor's copy"


@pytest.fixture
def sealed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    add_events(case, "Sam", [{"start": f"2023-03-18T14:0{i}:05+00:00", "kind": "sms", "direction": "outgoing",
                              "party_a": "07700 900001", "party_b": "07700 900002", "text": "see you"}
                             for i in range(5)])
    add_fixes(case, "Sam", [{"time": "2023-03-18T14:01:00Z", "lat": 51.5, "lon": -0.1}])
    add_fixes(case, "Vic", [{"time": "2023-03-18T14:01:30Z", "lat": 51.5002, "lon": -0.1}])
    case.key = derive(CASE_PASSWORD)
    path = tmp_path / "sealed.cellsight"
    save_case(case, path)
    monkeypatch.setenv("CELLSIGHT_PASSWORD", CASE_PASSWORD)
    return path


def test_a_plain_output_of_an_encrypted_case_is_warned_about(sealed: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.csv"
    assert main(["export", str(sealed), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: the case is encrypted" in err and "--encrypt" in err
    assert b"+447700900001" in out.read_bytes()


def test_encrypt_without_a_password_source_is_refused(sealed: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CELLSIGHT_EXPORT_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no prompt possible
    assert main(["export", str(sealed), "--out", str(tmp_path / "e.csv"), "--encrypt"]) == 2
    assert "CELLSIGHT_EXPORT_PASSWORD" in capsys.readouterr().err
    assert not list(tmp_path.glob("e.csv*"))


@pytest.mark.parametrize("name", ["events.csv", "events.xlsx"])
def test_an_encrypted_export_opens_with_its_password_only(sealed: Path, tmp_path: Path, name: str,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CELLSIGHT_EXPORT_PASSWORD", EXPORT_PASSWORD)
    assert main(["export", str(sealed), "--out", str(tmp_path / name), "--encrypt", "--json"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    out = tmp_path / f"{name}.zip"
    assert f'"out": "{out}"' in captured.out and not (tmp_path / name).exists()
    data = out.read_bytes()
    assert b"+447700900001" not in data and b"see you" not in data
    with zipfile.ZipFile(out) as plain_zip, pytest.raises(RuntimeError, match="password"):
        plain_zip.read(name)
    with pyzipper.AESZipFile(out) as zf:
        zf.setpassword(b"a wrong guess")
        with pytest.raises(RuntimeError, match="Bad password"):
            zf.read(name)
        zf.setpassword(EXPORT_PASSWORD.encode())
        inner = zf.read(name)
    if name.endswith(".csv"):
        text = inner.decode("utf-8-sig")
        assert "source_row" in text.splitlines()[0] and text.count("'+447700900001") == 5
    else:
        sheet = load_workbook(io.BytesIO(inner)).active
        assert sheet.max_row == 6 and "+447700900001" in [cell.value for cell in sheet[2]]
    assert is_output(out, "export")
    assert main(["export", str(sealed), "--out", str(tmp_path / name), "--encrypt"]) == 0, \
        "yesterday's encrypted export is replaced without --force"


def test_an_encrypted_report_opens_with_its_password_only(sealed: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELLSIGHT_EXPORT_PASSWORD", EXPORT_PASSWORD)
    out = tmp_path / "report.pdf"
    assert main(["report", str(sealed), "--out", str(out), "--a", "Sam", "--b", "Vic", "--encrypt",
                 "--produced", "2024-01-01T09:00"]) == 0
    reader = PdfReader(out)
    assert reader.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert not PdfReader(out).decrypt("a wrong guess")
    reader = PdfReader(out)
    assert reader.decrypt(EXPORT_PASSWORD)
    assert "Cellsight evidential report" in reader.pages[0].extract_text()
    assert reader.metadata["/Creator"].startswith("Cellsight")
    assert is_output(out, "report")
    assert main(["report", str(sealed), "--out", str(out), "--a", "Sam", "--b", "Vic"]) == 0, \
        "an encrypted report is recognised as yesterday's report"


def test_an_encrypted_map_opens_with_its_password_only(sealed: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELLSIGHT_EXPORT_PASSWORD", EXPORT_PASSWORD)
    assert main(["map", str(sealed), "--out", str(tmp_path / "map.html"), "--encrypt"]) == 0
    out = tmp_path / "map.html.zip"
    with pyzipper.AESZipFile(out) as zf:
        zf.setpassword(EXPORT_PASSWORD.encode())
        page = zf.read("map.html").decode()
    assert '<meta name="generator" content="Cellsight' in page and "leaflet" in page.lower()
    assert is_output(out, "map") and not is_output(out, "export")
