"""Cellsight: an offline analyst workstation for stalking and harassment investigations."""

from importlib.metadata import PackageNotFoundError, version

try:
    # pyproject.toml holds the one version number; the installed metadata (wheel, editable
    # install, PyInstaller bundle) carries it to `--version`, the About box, the PDF and the
    # case's audit log.
    __version__ = version("cellsight")
except PackageNotFoundError:  # run from a source tree that was never installed: say so, never guess
    __version__ = "0+unknown"
