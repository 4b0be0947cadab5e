#!/usr/bin/env bash
# Set up Cellsight on a fresh Debian machine with Python 3.11, then open the demo or run the tests.
#
#   bash scripts/bootstrap.sh demo   # install, build the demo case, open the workstation on it
#   bash scripts/bootstrap.sh test   # install, run the whole test suite (what CI runs)
#
# Installs the system libraries Qt and QtWebEngine need (apt, only those missing),
# a local virtual environment in .venv, and Cellsight into it (editable).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in demo|test) ;; *) echo "usage: bash scripts/bootstrap.sh demo|test" >&2; exit 2 ;; esac

APT_PACKAGES=(
  python3-venv
  libnss3 libnspr4 libxkbcommon0 libxkbcommon-x11-0 libasound2 libgbm1 libegl1 libgl1 libopengl0
  libfontconfig1 libdbus-1-3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxi6 libxshmfence1
  libxkbfile1 libglib2.0-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  fonts-dejavu-core fonts-dejavu-extra poppler-utils
)
# The tests also open the exported map in a headless browser with the network cut.
[ "$mode" = test ] && APT_PACKAGES+=(chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python_bin="$(command -v python3.11 || command -v python3)"
"$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Cellsight needs Python 3.11 or newer ($python_bin is older)" >&2; exit 2; }
[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

if [ "$mode" = demo ]; then
  # Builds sample_data/demo.cellsight from the demo files on first use, then opens it.
  exec .venv/bin/python sample_data/build_demo_case.py --open
fi

# The core runs with no display and no Qt: its own pytest run, with Qt's plugin off,
# fails if any PySide6 module was imported (tests/core/conftest.py).
# Both runs use every core (pytest-xdist), one test module per worker at a time, so that a
# module's fixtures (a built report, the demo case) are made once. Long fuzz, kill and race
# tests run with CI's budget (tests/budget.py); CELLSIGHT_TEST_BUDGET=full runs them whole.
status=0
parallel=(-n auto --dist loadfile)
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM CELLSIGHT_CORE_ONLY=1 \
  .venv/bin/python -m pytest tests/core -p no:pytest-qt -q "${parallel[@]}" || status=$?
QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu" \
  .venv/bin/python -m pytest tests/gui -q "${parallel[@]}" || status=$?
exit "$status"
