"""Cellsight installed as software is installed: from a wheel, into a fresh virtual environment.

The sdist and the wheel are built as a release builds them (``python -m build``:
the wheel is made from the sdist, so both must carry the package data), the
wheel is installed into a new virtual environment outside the checkout, and the
installed ``cellsight`` is run from another folder with no ``PYTHONPATH``: the
version, ``demo``, ``new``/``subject``/``import``, ``report``, ``map``,
``export``, and ``selfcheck`` (the workstation opened offscreen on the demo case
until its map has drawn). Nothing may come from the checkout.

To keep this cheap in CI, the fresh environment does not download and unpack
its dependencies again (Qt alone is hundreds of megabytes): the wheel goes in
with ``--no-deps`` and a ``.pth`` file lends it the test environment's
site-packages, whose versions pip resolved from the same requirements; the
test checks that every requirement the wheel declares is met by them. The
lent folder is on the path after the fresh environment's own, and a ``.pth``
line does not run the editable install's hook there, so ``cellsight`` can only
be the wheel's copy (asserted).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from cellsight import cli

REPO = Path(__file__).resolve().parents[2]
PRODUCED = "2025-11-20T10:00"
SUSPECT, VICTIM = ("Daniel Price", "07700900417"), ("Sarah Holt", "07700900832")
PACKAGE_DATA = ("cellsight/resources/leaflet/leaflet.js", "cellsight/resources/style.qss",
                "cellsight/resources/icons/cellsight.svg", "cellsight/resources/fonts/DejaVuSans.ttf",
                "cellsight/resources/fonts/LICENSE", "cellsight/resources/demo/answers.json",
                "cellsight/resources/demo/price_phone.ufdr")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("installed")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("CELLSIGHT_")}
    env["CELLSIGHT_SETTINGS_DIR"] = str(root / "settings")
    dist, source = root / "dist", root / "source"  # built from a copy: the checkout stays untouched
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], cwd=root)
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    paths = sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})
    wheel = next(dist.glob("*.whl"))
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", str(wheel)], cwd=root, env=env)
    # lent only now: pip would otherwise take the test environment's own Cellsight for this one
    lent = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    Path(paths["purelib"], "_test_environment_dependencies.pth").write_text("\n".join(lent) + "\n")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return {"dist": dist, "wheel": wheel, "python": python, "site": Path(paths["purelib"]),
            "cellsight": python.parent / "cellsight", "cwd": elsewhere, "env": env}


def _cellsight(installed: dict, *args: str) -> subprocess.CompletedProcess:
    return _run([str(installed["cellsight"]), *args], cwd=installed["cwd"], env=installed["env"])


def test_the_sdist_and_the_wheel_carry_the_package_data(installed) -> None:
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        in_wheel = set(wheel.namelist())
    with tarfile.open(next(installed["dist"].glob("*.tar.gz"))) as sdist:
        in_sdist = {name.partition("/")[2] for name in sdist.getnames()}
    assert not [p for p in PACKAGE_DATA if p not in in_wheel]
    assert not [p for p in PACKAGE_DATA if f"src/{p}" not in in_sdist]


def test_the_installed_copy_is_the_wheel_and_its_requirements_are_met(installed) -> None:
    check = (
        "import cellsight, importlib.metadata as m\n"
        "from packaging.requirements import Requirement\n"
        "bad = [r for r in map(Requirement, m.requires('cellsight')) if not r.marker and "
        "m.version(r.name) not in r.specifier]\n"
        "print(cellsight.__file__, cellsight.__version__, bad)\n")
    where, version, unmet = _run([str(installed["python"]), "-c", check], cwd=installed["cwd"],
                                 env=installed["env"]).stdout.split(" ", 2)
    assert Path(where).is_relative_to(installed["site"])
    assert unmet.strip() == "[]"
    expected = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert version == expected
    assert _cellsight(installed, "--version").stdout.strip() == f"cellsight {expected}"


def test_demo_import_report_map_and_export_run_from_the_installed_copy(installed, tmp_path) -> None:
    cwd = installed["cwd"]
    built = json.loads(_cellsight(installed, "demo", "work", "--json").stdout)
    demo_case = cwd / "work" / "demo.cellsight"
    assert Path(built["case"]) == demo_case and demo_case.is_file()
    assert all(r["rows"] == r["imported"] + r["rejected"] for r in built["files"]) and len(built["files"]) == 6

    # import into a case of its own, then report it: the PDF must be the checkout's, byte for byte
    _cellsight(installed, "new", "small.cellsight", "--tz", "Europe/London")
    for (name, number), role in ((SUSPECT, "suspect"), (VICTIM, "victim")):
        _cellsight(installed, "subject", "small.cellsight", name, "--role", role, "--number", number)
    [report] = json.loads(_cellsight(installed, "import", "small.cellsight", "work/price_cdr_pennine.csv",
                                     "--subject", SUSPECT[0], "--tz", "Europe/London", "--json").stdout)
    assert report["rows"] == report["imported"] + report["rejected"] > 1000
    (cwd / "out").mkdir()
    _cellsight(installed, "report", "small.cellsight", "--out", "out/storyboard.pdf", "--produced", PRODUCED)
    (tmp_path / "out").mkdir()
    assert cli.main(["report", str(cwd / "small.cellsight"), "--out", str(tmp_path / "out" / "storyboard.pdf"),
                     "--produced", PRODUCED]) == 0
    assert (cwd / "out" / "storyboard.pdf").read_bytes() == (tmp_path / "out" / "storyboard.pdf").read_bytes()

    _cellsight(installed, "map", str(demo_case), "--out", "out/map.html")
    page = (cwd / "out" / "map.html").read_text(encoding="utf-8")
    leaflet = installed["site"] / "cellsight" / "resources" / "leaflet" / "leaflet.js"
    assert leaflet.read_text(encoding="utf-8").replace("</script", "<\\/script")[:5000] in page
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=[\"']?(https?:)?//", page)  # nothing to fetch

    _cellsight(installed, "export", str(demo_case), "--out", "out/events.csv")
    lines = (cwd / "out" / "events.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 1000


def test_the_installed_workstation_opens_the_demo_and_draws_its_map(installed) -> None:
    env = dict(installed["env"], QT_QPA_PLATFORM="offscreen")
    result = json.loads(_run([str(installed["cellsight"]), "selfcheck", "--json"], cwd=installed["cwd"],
                             env=env).stdout)
    assert result["ok"], result
    assert [s["step"] for s in result["steps"]] == ["package", "resources", "demo case", "workstation"]
    assert str(installed["site"]) in result["steps"][0]["detail"]
