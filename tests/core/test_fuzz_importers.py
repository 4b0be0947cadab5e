"""Fuzzing every importer: any input gives an import or one clear error, never a crash or a hang.

Mutations are structure-aware where structure matters (a zip's members are
mutated as text and re-zipped, so the XML or XLSX parsers behind them are
reached, not just the zip reader), plus raw byte flips and random bytes. Each
input goes through ``import_file`` into a fresh case, exactly as an officer's
drag-and-drop would. Inputs that once failed are kept in tests/data/fuzz/
(named ``<what>--<file name>``) and replayed here for ever.

CI runs a bounded number of examples (``tests/budget.py``: 10 each, 40 with
``CELLSIGHT_TEST_BUDGET=full``); ``bench/fuzz.py`` runs the same
mutators for a stated time and reports the counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget import budget

from tests.core.fuzz_mutations import check_import, flip_bytes, mutate
from tests.core.fuzz_seeds import SEEDS, seed

pytestmark = pytest.mark.long

REGRESSIONS = Path(__file__).parents[1] / "data" / "fuzz"
EXAMPLES = budget(40, 10)
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class DrawPicker:
    """The mutators' choices, drawn by hypothesis so that failures shrink."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def choice(self, options: list) -> object:
        return self.data.draw(st.sampled_from(options))


@pytest.mark.parametrize("seed_name", sorted(SEEDS))
def test_every_seed_imports_cleanly(tmp_path: Path, seed_name: str) -> None:
    name, raw = seed(seed_name)
    assert check_import(tmp_path, name, raw) == "imported"


@pytest.mark.parametrize("seed_name", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_structure_aware_mutations(tmp_path: Path, seed_name: str, data: st.DataObject) -> None:
    name, raw = seed(seed_name)
    check_import(tmp_path, name, mutate(raw, DrawPicker(data)))


@pytest.mark.parametrize("seed_name", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_raw_byte_flips(tmp_path: Path, seed_name: str, data: st.DataObject) -> None:
    name, raw = seed(seed_name)
    check_import(tmp_path, name, flip_bytes(raw, DrawPicker(data)))


@FUZZ
@given(raw=st.binary(max_size=4096),
       name=st.sampled_from(["x.csv", "x.xlsx", "x.xls", "x.ufdr", "report.xml", "x.json", "x.gpx",
                             "x.kml", "x.kmz", "x.txt", "x"]))
def test_random_bytes(tmp_path: Path, raw: bytes, name: str) -> None:
    check_import(tmp_path, name, raw)


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*")) if REGRESSIONS.is_dir() else [],
                         ids=lambda p: p.name)
def test_inputs_that_once_failed(tmp_path: Path, path: Path) -> None:
    check_import(tmp_path, path.name.split("--", 1)[-1], path.read_bytes())
