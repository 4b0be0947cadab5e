"""Encryption at rest: a sealed case opens only with its password, and never partially."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cellsight.cli import main
from cellsight.core.casefile import CaseFileError, PasswordRequired, is_encrypted, open_case, save_case
from cellsight.core.crypto import derive
from tests.core.test_casefile import populated_case


@pytest.fixture
def sealed(tmp_path: Path) -> Path:
    case = populated_case(500)
    case.key = derive("correct horse battery staple")
    path = tmp_path / "sealed.cellsight"
    save_case(case, path)
    return path


def test_the_file_holds_no_plaintext(sealed: Path) -> None:
    data = sealed.read_bytes()
    assert is_encrypted(sealed)
    for secret in (b"Operation Kite", b"+447700900001", b"manifest.json", b"PK\x03\x04", b"Sarah"):
        assert secret not in data


def test_right_password_opens_and_saves_stay_encrypted(sealed: Path) -> None:
    case = open_case(sealed, password="correct horse battery staple")
    assert case.info.name == "Operation Kite" and len(case.events) == 500
    case.set_subject("Witness One", role="witness")
    save_case(case, sealed)
    assert is_encrypted(sealed)
    again = open_case(sealed, password="correct horse battery staple")
    assert [s.name for s in again.subjects][-1] == "Witness One"


def test_no_password_and_wrong_password_are_clear_errors(sealed: Path) -> None:
    with pytest.raises(PasswordRequired):
        open_case(sealed)
    with pytest.raises(CaseFileError, match="wrong password"):
        open_case(sealed, password="wrong")


def test_a_flipped_byte_is_detected_not_read(sealed: Path) -> None:
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 0x01
    sealed.write_bytes(bytes(data))
    with pytest.raises(CaseFileError, match="wrong password, or the encrypted case is damaged"):
        open_case(sealed, password="correct horse battery staple")


def test_tampered_kdf_parameters_are_refused(sealed: Path) -> None:
    data = sealed.read_bytes().replace(b'"n": 65536', b'"n": 16384')
    sealed.write_bytes(data)
    with pytest.raises(CaseFileError):
        open_case(sealed, password="correct horse battery staple")


def test_cli_new_encrypt_and_commands_with_the_environment_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cli.cellsight"
    monkeypatch.setenv("CELLSIGHT_PASSWORD", "s3cret pass")
    assert main(["new", str(path), "--name", "Kite", "--encrypt"]) == 0
    assert is_encrypted(path)
    assert main(["subject", str(path), "Dan", "--number", "07700 900001"]) == 0
    capsys.readouterr()
    assert main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["subjects"][0]["numbers"] == ["+447700900001"]
    assert main(["verify", str(path)]) == 0
    audit = open_case(path, "s3cret pass").audit
    assert "encrypt case" in audit["action"].tolist()
    monkeypatch.setenv("CELLSIGHT_PASSWORD", "not it")
    capsys.readouterr()
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "wrong password" in err and len(err.strip().splitlines()) == 1
    monkeypatch.delenv("CELLSIGHT_PASSWORD")
    assert main(["info", str(path)]) == 2  # no terminal here, no password: a clear refusal
    assert "CELLSIGHT_PASSWORD" in capsys.readouterr().err


def test_verify_asks_for_the_password_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At a terminal the officer types the password once, for the hashes and the clock checks alike."""
    import getpass
    import sys

    path = tmp_path / "once.cellsight"
    monkeypatch.setenv("CELLSIGHT_PASSWORD", "s3cret pass")
    assert main(["new", str(path), "--name", "Kite", "--encrypt"]) == 0
    monkeypatch.delenv("CELLSIGHT_PASSWORD")
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or "s3cret pass")
    assert main(["verify", str(path)]) == 0
    assert asked == [f"Password for {path}: "]
