"""Integrity of the case file: members checked by SHA-256 when read, tables read when first used, and
what the AES-GCM seal of an encrypted case adds (a change needs the key)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cellsight.cli import main
from cellsight.core import crypto, schema
from cellsight.core.casefile import CaseFileError, file_sha256, open_case, save_case, verify_members
from cellsight.core.case import Case, Tables
from factories import add_events, add_fixes, new_case

PASSWORD = "correct horse battery staple"


def small_case() -> Case:
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    add_events(case, "Sam", [{"start": "2023-03-18T14:00:05+00:00", "kind": "call", "direction": "outgoing",
                              "party_a": "07700 900001", "party_b": "07700 900002", "duration_s": 30}])
    add_fixes(case, "Sam", [{"time": "2023-03-18T14:01:00Z", "lat": 51.5, "lon": -0.1},
                            {"time": "2023-03-18T14:02:00Z", "lat": 51.5001, "lon": -0.1}])
    add_fixes(case, "Vic", [{"time": "2023-03-18T14:01:30Z", "lat": 51.5002, "lon": -0.1}])
    return case


def members_of(zip_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:  # writestr computes a fresh, valid CRC for each member
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def forged_events(members: dict[str, bytes]) -> bytes:
    """The events table with the call's duration changed: a valid Parquet file, not the one saved."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(members["tables/events.parquet"]))
    frame = table.to_pandas()
    frame["duration_s"] = 3600.0
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out)
    return out.getvalue()


def rehash(members: dict[str, bytes]) -> None:
    manifest = json.loads(members["manifest.json"])
    for name, entry in manifest["members"].items():
        entry.update(sha256=hashlib.sha256(members[name]).hexdigest(), size=len(members[name]))
    members["manifest.json"] = json.dumps(manifest).encode()


def test_a_changed_member_with_a_valid_crc_is_refused_on_open(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.cellsight"
    save_case(small_case(), path)
    members = members_of(path.read_bytes())
    members["tables/events.parquet"] = forged_events(members)
    path.write_bytes(zipped(members))
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None, "the zip's own checks pass"
    with pytest.raises(CaseFileError, match="tables/events.parquet does not match its recorded SHA-256"):
        open_case(path)
    assert main(["contacts", str(path), "--between", "Sam", "Vic", "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not match its recorded SHA-256" in err[0]
    assert verify_members(path) == ["member tables/events.parquet does not match its recorded SHA-256"]


def test_a_forger_who_rehashes_the_manifest_changes_the_files_own_hash(tmp_path: Path) -> None:
    """Without a key a plain case cannot prove itself; the SHA-256 the report printed can."""
    path = tmp_path / "case.cellsight"
    save_case(small_case(), path)
    printed = file_sha256(path)  # what the report's cover states for the case file
    members = members_of(path.read_bytes())
    members["tables/events.parquet"] = forged_events(members)
    rehash(members)
    path.write_bytes(zipped(members))
    assert verify_members(path) == []  # the limit stated in docs/security.md
    assert float(open_case(path).events["duration_s"].iloc[0]) == 3600.0
    assert file_sha256(path) != printed


def test_a_member_the_manifest_does_not_name_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "case.cellsight"
    save_case(small_case(), path)
    members = members_of(path.read_bytes())
    members["tables/extra.parquet"] = b"smuggled"
    path.write_bytes(zipped(members))
    assert verify_members(path) == ["member tables/extra.parquet is not in the manifest"]


def test_an_encrypted_case_cannot_be_changed_without_its_key(tmp_path: Path) -> None:
    """AES-GCM authenticates the whole sealed zip, manifest included: a forger needs the password."""
    path = tmp_path / "sealed.cellsight"
    case = small_case()
    case.key = crypto.derive(PASSWORD)
    save_case(case, path)
    blob = path.read_bytes()
    plain, key = crypto.unseal(blob, PASSWORD)
    members = members_of(plain)
    members["tables/events.parquet"] = forged_events(members)
    rehash(members)
    attacker = crypto.derive("a guess")  # same file layout, another key
    path.write_bytes(crypto.seal(zipped(members), attacker))
    with pytest.raises(CaseFileError, match="wrong password, or the encrypted case is damaged"):
        open_case(path, password=PASSWORD)
    # the salt and nonce are authenticated too: reusing the real header does not help
    header_end = len(crypto.MAGIC) + 4 + int.from_bytes(blob[len(crypto.MAGIC): len(crypto.MAGIC) + 4], "big")
    forged = crypto.seal(zipped(members), attacker)
    path.write_bytes(blob[:header_end] + forged[header_end:])
    with pytest.raises(CaseFileError):
        open_case(path, password=PASSWORD)
    # with the key itself a change is of course possible: the password is the secret
    path.write_bytes(crypto.seal(zipped(members), key))
    assert float(open_case(path, password=PASSWORD).events["duration_s"].iloc[0]) == 3600.0


def test_a_lazy_case_reads_only_the_tables_it_uses(tmp_path: Path) -> None:
    path = tmp_path / "case.cellsight"
    save_case(small_case(), path)
    case = open_case(path, lazy=True)
    assert isinstance(case.tables, Tables) and case.tables.loaded() == []
    assert len(case.locations) == 3
    assert case.tables.loaded() == ["locations"]
    assert sorted(case.tables) == sorted(schema.TABLES)
    eager = open_case(path)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(case.tables[name], eager.tables[name])
    assert sorted(case.tables.loaded()) == sorted(schema.TABLES)


def test_a_damaged_table_is_refused_when_it_is_first_used(tmp_path: Path) -> None:
    path = tmp_path / "case.cellsight"
    save_case(small_case(), path)
    members = members_of(path.read_bytes())
    members["tables/events.parquet"] = forged_events(members)
    path.write_bytes(zipped(members))
    case = open_case(path, lazy=True)
    assert len(case.locations) == 3  # an intact table reads
    with pytest.raises(CaseFileError, match="events.parquet does not match"):
        case.events


def test_a_lazy_case_reads_the_file_it_opened_even_if_it_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "case.cellsight"
    save_case(small_case(), path)
    case = open_case(path, lazy=True)
    other = open_case(path)
    add_fixes(other, "Vic", [{"time": "2023-03-19T09:00:00Z", "lat": 51.6, "lon": -0.2}])
    save_case(other, path)
    assert len(case.locations) == 3, "the tables come from the file that was opened"
    assert len(open_case(path).locations) == 4
