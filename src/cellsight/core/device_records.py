"""A phone download's device records (installed apps, saved Wi-Fi networks, Bluetooth devices).

They are kept with the source (``source.parameters["device_records"]``), not
as rows: a download that holds only them counts 0 rows. Every place that shows
a download's row count (the import's summary line, its ``--json`` object, the
exhibits tables) says beside it what the exhibit does hold, in the same words,
so that "0 rows" is never read as "nothing in it".
"""

from __future__ import annotations

from cellsight.core.case import Source

KINDS = ("apps", "wifi", "bluetooth")
_WORDS = {"apps": ("app", "apps"), "wifi": ("Wi-Fi network", "Wi-Fi networks"),
          "bluetooth": ("Bluetooth device", "Bluetooth devices")}


def records(source: Source) -> dict[str, list[dict]]:
    """A source's device records by kind, empty lists where it has none."""
    stored = source.parameters.get("device_records") or {}
    return {kind: list(stored.get(kind) or []) for kind in KINDS}


def counts(source: Source) -> dict[str, int]:
    """How many records of each kind the source holds; empty when it holds none."""
    held = {kind: len(items) for kind, items in records(source).items()}
    return held if any(held.values()) else {}


def holdings_words(held: dict[str, int] | None) -> str:
    """"6 apps, 3 Wi-Fi networks" (kinds with none left out), or "" for no records."""
    return ", ".join(f"{held[kind]} {_WORDS[kind][held[kind] != 1]}"
                     for kind in KINDS if (held or {}).get(kind))


def holdings(source: Source) -> str:
    """What a phone download keeps beside its rows, or "" when nothing."""
    return holdings_words(counts(source))


def also_held(held: dict[str, int] | None) -> str:
    """The words that follow a row count: "; also 6 apps, 3 Wi-Fi networks (device records)", or ""."""
    words = holdings_words(held)
    return f"; also {words} (device records)" if words else ""
