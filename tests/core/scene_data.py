"""A small case with four tower-dump scenes and planted answers, in the layouts operators send.

The planted world (Tue 2 May 2023, British Summer Time; drama numbers only):

- Sam (suspect, 07700 900001) makes one call at ten past every hour from 16:00
  to 01:00 (ten hours), moving along four masts (sites 1 to 4, 2.2 km apart):
  hours 16-17 at site 1, 18-20 at site 2, 21-22 at site 3, 23-01 at site 4.
- Four scenes, one tower dump per mast for Sam's hours there: A (site 1,
  16:00-18:00), B (site 2, 18:00-21:00), C (site 3, 21:00-23:00), D (site 4,
  23:00-02:00). Sam's phone is in every dump.
- The burner (07700 900777) is on Sam's mast three minutes after Sam's call in
  8 of his 10 hours (not at 18:00 or 23:00): co-travel share 0.8, 4 scenes.
- X (07700 900333) is at scenes A, B and C, at half past (never within 15
  minutes of Sam): 3 of 4 scenes, share 0.
- Z (07700 900335) is at A in the afternoon and at C and D at night: 3 scenes,
  2 of them at night.
- Y (07700 900334) is at A at 17:40 and at B at 19:40: 2 scenes, but only B
  within half an hour of its scene's time.
- The decoy (07700 900444) is at scene B only, two minutes after Sam's 18:10
  call: one scene, share 0.1.
- A handset (IMEI 359999999999991) carries 07700 900555 at scene A and
  07700 900556 at scene C: a SIM swap, listed by its IMEI.
- Bob (witness, 07700 900003) has his own call records: a call at Sam's mast
  five minutes after Sam in hours 16, 17, 19, 20 and 21: share 0.5.
- Twenty background numbers per scene, each in one scene only, always at least
  25 minutes from Sam's calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import factories

SAM, VIC, BOB = "07700 900001", "07700 900002", "07700 900003"
BURNER, X, Y, Z, DECOY = "07700900777", "07700900333", "07700900334", "07700900335", "07700900444"
SWAP_IMEI, SWAP_A, SWAP_B = "359999999999991", "07700900555", "07700900556"
DAY = pd.Timestamp("2023-05-02")
HOURS = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]  # 24 and 25: 00:00 and 01:00 the next day
SITE_OF_HOUR = {16: 1, 17: 1, 18: 2, 19: 2, 20: 2, 21: 3, 22: 3, 23: 4, 24: 4, 25: 4}
SCENES = {"A": (1, 16, 18, "16:45"), "B": (2, 18, 21, "19:45"), "C": (3, 21, 23, "21:30"),
          "D": (4, 23, 26, "00:30")}  # site, first hour, end hour, time of the offence
SITE_LAT = {i: 53.80 + 0.02 * i for i in range(1, 5)}
SITE_LON = -1.55
LAC = 100


def local(hour: int, minute: int, second: int = 0) -> pd.Timestamp:
    return DAY + pd.Timedelta(hours=hour, minutes=minute, seconds=second)


def scene_time(name: str) -> str:
    clock = SCENES[name][3]
    day = DAY + pd.Timedelta(days=1) if clock.startswith("00") else DAY
    return f"{day:%Y-%m-%d} {clock}"


@dataclass
class Row:
    number: str
    time: pd.Timestamp
    imei: str = ""
    other: str = ""


@dataclass
class World:
    rows: dict[str, list[Row]] = field(default_factory=dict)


def world() -> World:
    """Every tower-dump row of the four scenes."""
    out = World({name: [] for name in SCENES})

    def scene_of(hour: int) -> str:
        return next(n for n, (site, lo, hi, _) in SCENES.items() if lo <= hour < hi)

    for hour in HOURS:
        name = scene_of(hour)
        out.rows[name].append(Row(SAM.replace(" ", ""), local(hour, 10), "351111111111111", VIC.replace(" ", "")))
        if hour not in (18, 23):
            out.rows[name].append(Row(BURNER, local(hour, 13), "352222222222222"))
    for name, hour in (("A", 16), ("B", 19), ("C", 21)):
        out.rows[name].append(Row(X, local(hour, 30)))
    out.rows["A"].append(Row(Z, local(17, 40)))
    out.rows["C"].append(Row(Z, local(22, 35)))
    out.rows["D"].append(Row(Z, local(24, 40)))
    out.rows["A"].append(Row(Y, local(17, 40)))
    out.rows["B"].append(Row(Y, local(19, 40)))
    out.rows["B"].append(Row(DECOY, local(18, 12)))
    out.rows["A"].append(Row(SWAP_A, local(16, 45), SWAP_IMEI))
    out.rows["C"].append(Row(SWAP_B, local(22, 45), SWAP_IMEI))
    for i, name in enumerate(SCENES):
        site, lo, hi, _ = SCENES[name]
        for j in range(20):
            hour = lo + j % (hi - lo)
            out.rows[name].append(Row(f"07700900{600 + 20 * i + j}", local(hour, 36 + j % 8, j)))
    for rows in out.rows.values():
        rows.sort(key=lambda r: r.time)
    return out


# ----- files in four operators' layouts --------------------------------------------------------
def write_dumps(folder: Path, data: World | None = None) -> dict[str, Path]:
    """Scene A as camelCase CSV, B as snake_case CSV with a CGI, C as XLSX, D as a 'Target No' CSV."""
    data = data or world()
    paths = {}
    cell = {name: SCENES[name][0] for name in SCENES}
    a = pd.DataFrame({"mobileNumber  ": [r.number for r in data.rows["A"]],
                      "IMEI": [r.imei for r in data.rows["A"]], "IMSI": "",
                      "other_party": [r.other for r in data.rows["A"]],
                      "dateTime": [f"{r.time:%d/%m/%Y %H:%M:%S}" for r in data.rows["A"]],
                      "towerId": cell["A"], "LAC": LAC})
    paths["A"] = folder / "dump_A.csv"
    paths["A"].write_text("Tower dump,,,,,,\n" + a.to_csv(index=False) + "Total rows: %d,,,,,,\n" % len(a))
    b = pd.DataFrame({"msisdn": [r.number for r in data.rows["B"]], "imei": [r.imei for r in data.rows["B"]],
                      "other_party": [r.other for r in data.rows["B"]],
                      "event_time": [f"{r.time:%Y-%m-%d %H:%M:%S}" for r in data.rows["B"]],
                      "cell_id": f"234-30-{LAC}-{cell['B']}"})
    paths["B"] = folder / "dump_B.csv"
    b.to_csv(paths["B"], index=False)
    c = pd.DataFrame({"MSISDN": [r.number for r in data.rows["C"]], "IMEI": [r.imei for r in data.rows["C"]],
                      "Date": [f"{r.time:%d/%m/%Y}" for r in data.rows["C"]],
                      "Time": [f"{r.time:%H:%M:%S}" for r in data.rows["C"]], "LAC": LAC, "Cell ID": cell["C"]})
    paths["C"] = folder / "dump_C.xlsx"
    c.to_excel(paths["C"], index=False)
    d = pd.DataFrame({"Target No": [r.number for r in data.rows["D"]], "Call Type": "MOC",
                      "B Party No": [r.other for r in data.rows["D"]],
                      "Call date": [f"{r.time:%d-%m-%Y}" for r in data.rows["D"]],
                      "Call time": [f"{r.time:%H:%M:%S}" for r in data.rows["D"]],
                      "First Cell ID": f"234-30-{LAC}-{cell['D']}", "IMEI": [r.imei for r in data.rows["D"]]})
    paths["D"] = folder / "dump_D.csv"
    d.to_csv(paths["D"], index=False)
    return paths


def planted_case():
    """The case: subjects, the cell list, Sam's and Bob's call records (no scenes yet)."""
    case = factories.new_case(subjects={"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC]),
                                        "Bob": ("witness", [BOB])})
    factories.add_cells(case, [{"key": f"234-30-{LAC}-{i}", "lat": SITE_LAT[i], "lon": SITE_LON}
                               for i in range(1, 5)])
    zone = case.info.tz

    def iso(t: pd.Timestamp) -> str:
        return t.tz_localize(zone).isoformat()

    factories.add_events(case, "Sam", [
        {"start": iso(local(h, 10)), "kind": "call", "direction": "outgoing", "party_a": SAM, "party_b": VIC,
         "duration_s": 60, "cell_first": f"234-30-{LAC}-{SITE_OF_HOUR[h]}"} for h in HOURS])
    factories.add_events(case, "Bob", [
        {"start": iso(local(h, 15)), "kind": "call", "direction": "outgoing", "party_a": BOB, "party_b": VIC,
         "duration_s": 30, "cell_first": f"234-30-{LAC}-{SITE_OF_HOUR[h]}"} for h in (16, 17, 19, 20, 21)])
    return case


def add_planted_scenes(case, path: Path, files: dict[str, Path], names: str = "ABCD") -> None:
    """Add the dumps of ``names`` to ``case`` (saved at ``path``) as scenes at their masts and times."""
    from cellsight.importers.towerdump import add_scene

    for name in names:
        site = SCENES[name][0]
        failures = add_scene(case, path, [files[name]], name, lat=SITE_LAT[site], lon=SITE_LON,
                             at=scene_time(name), tz="Europe/London", exhibit=f"TD/{len(case.sources)}")[2]
        assert failures == [], failures


def e164(number: str) -> str:
    digits = number.replace(" ", "")
    return "+44" + digits[1:]
