"""Write the demo case: a fictional stalking investigation in Leeds, and the answers it planted.

Everything here is invented: the people, their streets, the operators' names, the
cells and the numbers (Ofcom's drama ranges 07700 900xxx and 01632 960xxx). Only
the city and its districts are real, so that the map looks like somewhere.

The script builds a small *model* of the story first -- who was where and when
(``Stay``), who contacted whom (``Comm``), which data sessions each phone opened
-- and then writes each exhibit from that model in its own real-world format:

- ``price_cdr_pennine.csv``   the suspect's operator records (UK layout, local time)
- ``holt_cdr_northgate.xlsx`` the victim's operator records (title rows, UTC, totals row)
- ``cell_sites.csv``          an analyst's cell site list for both networks
- ``price_phone.ufdr``        a Cellebrite-style download of the suspect's phone
- ``holt_Records.json``       the victim's Google location history (Records.json)
- ``holt_phone.ufdr``         a download of the victim's phone: her apps (one of them a
                              monitoring app listed in Echap's stalkerware indicators) and
                              her saved Wi-Fi networks

The suspect's download also lists his saved Wi-Fi networks (one of them her home router,
last joined while he was parked outside) and holds one photograph whose EXIF position is
outside her home.

``answers.json`` is computed from the model with the contract's definitions, never
by running Cellsight, so the tests can compare the tool with what is known to be
true. The geometry is planted to be unambiguous: every pair that matters is
clearly inside or clearly outside the default thresholds (200 m, 5 min, 60 min gap),
and the script refuses to write a case where that is not so.

Deterministic: a fixed seed, no clock, fixed zip timestamps; running it twice gives
identical bytes. Run: ``python sample_data/make_demo.py [OUTDIR]``; by default it
writes into the package (``src/cellsight/resources/demo/``), where ``cellsight demo``
and the workstation find the files in every installed copy.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import random
import re
import struct
import sys
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

SEED = 20251026
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
FIRST_DAY = date(2025, 9, 22)  # a Monday
LAST_DAY = date(2025, 11, 9)  # a Sunday: seven weeks
ZIP_TIME = (2025, 11, 11, 10, 0, 0)  # when the exhibits were produced (fixed for reproducibility)
EARTH_RADIUS_M = 6_371_008.8

# The contract's default proximity parameters, and the place radius the case sets.
DISTANCE_M, WINDOW_S, GAP_S = 200.0, 300, 3600
HOME_RADIUS_M = 150.0

FILES = {
    "suspect_cdr": "price_cdr_pennine.csv",
    "victim_cdr": "holt_cdr_northgate.xlsx",
    "cells": "cell_sites.csv",
    "ufdr": "price_phone.ufdr",
    "takeout": "holt_Records.json",
    "victim_ufdr": "holt_phone.ufdr",
}


# ----------------------------------------------------------------------------------------
# The people
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    key: str
    name: str
    number: str  # E.164
    role: str = "other"
    imei: str = ""
    imsi: str = ""


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body`` + digit pass the Luhn test (as an IMEI does)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


SUSPECT = Person("suspect", "Daniel Price", "+447700900417", "suspect",
                 imei="35332511041726" + luhn_digit("35332511041726"), imsi="234301905524417")
VICTIM = Person("victim", "Sarah Holt", "+447700900832", "victim",
                imei="35846007553190" + luhn_digit("35846007553190"), imsi="234158830172832")

# Other people and services, so that rankings mean something.
JORDAN = Person("jordan", "Jordan Kerr", "+447700900356")
LIAM = Person("liam", "Liam Price", "+447700900578")
MARCUS = Person("marcus", "Marcus Webb", "+447700900733")
KEV = Person("kev", "Kev Doyle", "+447700900901")
CAROL = Person("carol", "Carol Price (landline)", "+441632960318")
PRIYA = Person("priya", "Priya Nair", "+447700900215")
EMMA = Person("emma", "Emma Holt", "+447700900694")
JANET = Person("janet", "Janet Holt (landline)", "+441632960287")
TAXI = Person("taxi", "Aire Valley Taxis", "+441632960700")
S_WORK = Person("s_work", "Airedale Distribution", "+441632960512")
V_WORK = Person("v_work", "Meadowgate Veterinary Surgery", "+441632960455")
S_BANK = Person("s_bank", "bank text service", "62277")  # a short code
V_BANK = Person("v_bank", "NorthBank", "NorthBank")  # an alphanumeric sender
PARCEL = Person("parcel", "PARCELHUB", "PARCELHUB")

WA_GROUP_ID = "447700900356-1727612400@g.us"
WA_GROUP_NAME = "Sunday League Lads \u26bd"
WA_GROUP = [SUSPECT, JORDAN, LIAM, MARCUS, KEV]


# ----------------------------------------------------------------------------------------
# Places and cells (Leeds; invented street names)
# ----------------------------------------------------------------------------------------
def offset(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point ``east_m``/``north_m`` metres from (lat, lon) (local flat approximation)."""
    dlat = north_m / 111_320.0
    dlon = east_m / (111_320.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 7), round(lon + dlon, 7)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360


@dataclass(frozen=True)
class Spot:
    """Where a person stays; ``area`` groups spots served by the same masts."""

    key: str
    label: str
    area: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Cell:
    mcc: int
    mnc: int
    lac: int
    ci: int
    azimuth: int
    beamwidth: int
    technology: str
    site: str
    area: str  # the story's area it serves ("" for masts nobody used)
    lat: float
    lon: float

    @property
    def cgi(self) -> str:
        return f"{self.mcc}-{self.mnc:02d}-{self.lac}-{self.ci}"


# Area centres: real districts of Leeds, at least 1.4 km apart.
AREAS = {
    "headingley": (53.8221, -1.5802),
    "chapel_allerton": (53.8296, -1.5385),
    "kirkstall": (53.8150, -1.6020),
    "roundhay": (53.8370, -1.5010),
    "city_centre": (53.7982, -1.5436),
    "horsforth": (53.8420, -1.6370),
    "beeston": (53.7745, -1.5665),
    "hunslet": (53.7790, -1.5280),
    "armley": (53.7985, -1.5905),
    "morley": (53.7445, -1.5985),
    "holbeck": (53.7890, -1.5610),
}
HOME = Spot("v_home", "14 Larkspur Crescent, Headingley", "headingley", *AREAS["headingley"])


def _spots() -> dict[str, Spot]:
    h, w = AREAS["headingley"], AREAS["chapel_allerton"]
    spots = [
        HOME,
        Spot("v_home_street", "Larkspur Crescent, parked 70 m from no. 14", "headingley",
             *offset(*h, 45, -25)),
        Spot("v_work", "Meadowgate Veterinary Surgery, Harewood Row", "chapel_allerton", *w),
        Spot("v_work_street", "Harewood Row car park, opposite the surgery", "chapel_allerton",
             *offset(*w, -60, 52)),
        Spot("v_gym", "Kirkstall gym", "kirkstall", *AREAS["kirkstall"]),
        Spot("priya", "Priya Nair's flat, Roundhay", "roundhay", *AREAS["roundhay"]),
        Spot("town", "City centre shops", "city_centre", *AREAS["city_centre"]),
        Spot("janet", "Janet Holt's house, Horsforth", "horsforth", *AREAS["horsforth"]),
        Spot("s_home", "22 Foundry Terrace, Beeston", "beeston", *AREAS["beeston"]),
        Spot("s_work", "Airedale Distribution depot, Hunslet", "hunslet", *AREAS["hunslet"]),
        Spot("pub", "The Weaver's Arms, Armley", "armley", *AREAS["armley"]),
        Spot("carol", "Carol Price's house, Morley", "morley", *AREAS["morley"]),
        Spot("jordan", "Jordan Kerr's flat, Holbeck", "holbeck", *AREAS["holbeck"]),
    ]
    return {s.key: s for s in spots}


SPOTS = _spots()

# Mast positions per area, as (east, north) metres from the area centre: the suspect's
# network (Pennine Telecom, 234-30) and the victim's (Northgate Mobile, 234-15).
# In Headingley the Pennine mast stands about 100 m from the victim's home, so the
# suspect's serving site there is inside the home's 150 m radius.
SITE_OFFSETS = {
    "headingley": ((-55, 60), (-20, 95)),
    "chapel_allerton": ((180, -120), (180, -120)),  # a shared mast: identical coordinates
    "kirkstall": ((-210, 150), (-160, 180)),
    "roundhay": ((240, 60), (250, 110)),
    "city_centre": ((-150, -200), (-100, -230)),
    "horsforth": ((120, 260), (170, 240)),
    "beeston": ((200, -90), (230, -40)),
    "hunslet": ((-220, 160), (-190, 120)),
    "armley": ((90, 230), (60, 270)),
    "morley": ((-260, -40), (-230, -90)),
    "holbeck": ((150, 180), (110, 210)),
}
# Masts nobody in the story used: a real list covers more than the case needs.
SPARE_SITES = {
    "Meanwood Ridge": (53.8330, -1.5720),
    "Burley Mills": (53.8070, -1.5760),
    "Harehills Lane": (53.8150, -1.5150),
    "Bramley Fold": (53.8040, -1.6350),
}
PENNINE, NORTHGATE = 30, 15


def _cells(rng: random.Random) -> list[Cell]:
    cells: list[Cell] = []
    sites = []
    for i, (area, (pen, nor)) in enumerate(SITE_OFFSETS.items()):
        lat, lon = AREAS[area]
        title = area.replace("_", " ").title()
        sites.append((f"{title} P{i + 1:02d}", area, PENNINE, *offset(lat, lon, *pen), 10451 + i, 500100 + i))
        sites.append((f"{title} N{i + 1:02d}", area, NORTHGATE, *offset(lat, lon, *nor), 21300 + i, 710200 + i))
    for j, (name, (lat, lon)) in enumerate(SPARE_SITES.items()):
        net = PENNINE if j % 2 == 0 else NORTHGATE
        base = (10480, 500180) if net == PENNINE else (21380, 710280)
        sites.append((f"{name} {'P' if net == PENNINE else 'N'}{j + 40}", "", net, lat, lon,
                      base[0] + j, base[1] + j))
    for name, area, net, lat, lon, tac, enb in sites:
        base_az = rng.randrange(0, 120, 10)
        for sector in range(3):
            az = (base_az + 120 * sector) % 360
            cells.append(Cell(234, net, tac, enb * 256 + sector + 1, az, 65, "LTE", name, area, lat, lon))
            if net == NORTHGATE:  # Northgate still carries voice and texts on 3G
                cells.append(Cell(234, net, tac + 10000, 40000 + (enb - 710200) * 10 + sector + 1,
                                  az, 65, "UMTS", name, area, lat, lon))
    return cells


def serving_cell(cells: list[Cell], spot: Spot, net: int, tech: str) -> Cell:
    """The sector of the person's network in the spot's area that faces the spot."""
    candidates = [c for c in cells if c.mnc == net and c.technology == tech and c.area == spot.area]
    return min(candidates, key=lambda c: _angle(bearing_deg(c.lat, c.lon, spot.lat, spot.lon), c.azimuth))


def _angle(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


def neighbour_sector(cells: list[Cell], cell: Cell) -> Cell:
    """Another sector of the same site and technology (a handover during a call)."""
    same = [c for c in cells if c.site == cell.site and c.technology == cell.technology and c != cell]
    return same[0]


# ----------------------------------------------------------------------------------------
# Where everyone was: stays
# ----------------------------------------------------------------------------------------
@dataclass
class Stay:
    spot: Spot
    start: datetime  # UTC
    end: datetime  # UTC


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A London wall-clock time on ``day``, as UTC."""
    return datetime.combine(day, time(hh, mm), LONDON).astimezone(UTC)


def at(text: str, fold: int = 0) -> datetime:
    """``"2025-10-03 17:20"`` (London wall clock) as UTC; ``fold=1`` picks the second of a repeated hour."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=LONDON, fold=fold).astimezone(UTC)


def days() -> list[date]:
    return [FIRST_DAY + timedelta(n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]


def _plan_victim(day: date, rng: random.Random) -> list[tuple[str, datetime, datetime]]:
    wd = day.weekday()
    j = lambda: rng.randrange(-10, 11)  # noqa: E731 - minutes of everyday variation
    if wd < 5:
        leave = local(day, 8, 10) + timedelta(minutes=j())
        plan = [("v_home", local(day, 0), leave),
                ("v_work", leave + timedelta(minutes=35), local(day, 17, 40) + timedelta(minutes=j()))]
        back = plan[-1][2] + timedelta(minutes=35)
        if wd in (0, 2):
            plan.append(("v_gym", back, back + timedelta(minutes=75)))
            back = plan[-1][2] + timedelta(minutes=25)
        elif wd == 3:
            plan.append(("priya", back + timedelta(minutes=30), local(day, 21, 30)))
            back = plan[-1][2] + timedelta(minutes=30)
        plan.append(("v_home", back, local(day + timedelta(1), 0)))
        return plan
    if wd == 5:
        return [("v_home", local(day, 0), local(day, 11, 0)),
                ("town", local(day, 11, 40), local(day, 15, 30) + timedelta(minutes=j())),
                ("v_home", local(day, 16, 20), local(day + timedelta(1), 0))]
    return [("v_home", local(day, 0), local(day, 11, 30)),
            ("janet", local(day, 12, 0), local(day, 16, 0) + timedelta(minutes=j())),
            ("v_home", local(day, 16, 40), local(day + timedelta(1), 0))]


def _plan_suspect(day: date, rng: random.Random) -> list[tuple[str, datetime, datetime]]:
    wd = day.weekday()
    j = lambda: rng.randrange(-10, 11)  # noqa: E731
    if wd < 5:
        plan = [("s_home", local(day, 0), local(day, 6, 50) + timedelta(minutes=j())),
                ("s_work", local(day, 7, 30), local(day, 16, 0) + timedelta(minutes=j()))]
        back = plan[-1][2] + timedelta(minutes=30)
        if wd == 4:
            plan += [("s_home", back, local(day, 18, 30)),
                     ("pub", local(day, 19, 0), local(day, 22, 30)),
                     ("s_home", local(day, 23, 0), local(day + timedelta(1), 0))]
        else:
            plan.append(("s_home", back, local(day + timedelta(1), 0)))
        return plan
    if wd == 5:
        return [("s_home", local(day, 0), local(day, 9, 30)),
                ("jordan", local(day, 10, 0), local(day, 15, 30) + timedelta(minutes=j())),
                ("s_home", local(day, 16, 10), local(day + timedelta(1), 0))]
    return [("s_home", local(day, 0), local(day, 12, 20)),
            ("carol", local(day, 13, 0), local(day, 17, 0) + timedelta(minutes=j())),
            ("s_home", local(day, 17, 40), local(day + timedelta(1), 0))]


# ----------------------------------------------------------------------------------------
# What was planted: the occasions he was near her, or near her home
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Incident:
    """The suspect at ``spot`` from ``start`` to ``end`` (London wall clock), and what he sent."""

    name: str
    spot: str
    start: str
    end: str
    victim_present: bool
    note: str
    sends: tuple[tuple[str, str, str], ...] = ()  # (local time, kind, text) from him to her
    data: tuple[str, ...] = ()  # local times of data sessions his phone opened there


INCIDENTS = (
    Incident("work-1", "v_work_street", "2025-10-03 17:20", "2025-10-03 17:50", True,
             "Waits in the car park opposite her surgery at closing time; she stays inside.",
             (("2025-10-03 17:24:10", "call", ""), ("2025-10-03 17:31:40", "call", ""),
              ("2025-10-03 17:38:05", "call", ""),
              ("2025-10-03 17:45:30", "sms", "I can see you through the window. Come out and talk to me"))),
    Incident("home-1a", "v_home_street", "2025-10-11 22:10", "2025-10-11 22:40", True,
             "Parked on Larkspur Crescent on a Saturday night, calling her.",
             (("2025-10-11 22:15:20", "call", ""), ("2025-10-11 22:22:45", "call", ""),
              ("2025-10-11 22:35:00", "sms", "Your lights are on. I know you're in. I'm watching you"))),
    Incident("home-1b", "v_home_street", "2025-10-12 00:00", "2025-10-12 00:30", True,
             "Back again after midnight, more than an hour later.",
             (("2025-10-12 00:05:30", "call", ""), ("2025-10-12 00:12:15", "sms", "I'm not leaving"),
              ("2025-10-12 00:20:40", "call", ""))),
    Incident("home-empty-1", "v_home_street", "2025-10-15 13:00", "2025-10-15 13:40", False,
             "Outside her home on a weekday lunchtime while she is at work.",
             (("2025-10-15 13:10:25", "sms", "I'm at yours. Where are you"),),
             ("2025-10-15 13:21:00",)),
    Incident("home-2", "v_home_street", "2025-10-21 07:20", "2025-10-21 07:50", True,
             "Waiting outside as she leaves for work; she drives off at 07:45.",
             (("2025-10-21 07:28:35", "call", ""), ("2025-10-21 07:41:10", "sms", "Nice coat"))),
    Incident("work-2", "v_work_street", "2025-10-30 17:00", "2025-10-30 17:40", True,
             "At her surgery again at closing time; she waits inside until 18:00.",
             (("2025-10-30 17:05:15", "call", ""), ("2025-10-30 17:12:40", "call", ""),
              ("2025-10-30 17:19:05", "call", ""),
              ("2025-10-30 17:33:50", "sms", "I'll wait as long as it takes"))),
    Incident("home-3a", "v_home_street", "2025-11-01 23:30", "2025-11-01 23:50", True,
             "The peak night: outside her home, drives off, comes back 30 minutes later.",
             (("2025-11-01 23:35:10", "call", ""), ("2025-11-01 23:44:30", "call", ""))),
    Incident("home-3b", "v_home_street", "2025-11-02 00:20", "2025-11-02 00:40", True,
             "Back within the hour: the same occasion.",
             (("2025-11-02 00:25:20", "call", ""),
              ("2025-11-02 00:33:45", "sms", "Open the door Sarah or I'll burn the place down"))),
    Incident("home-empty-2", "v_home_street", "2025-11-06 12:15", "2025-11-06 12:45", False,
             "Drives to her home at lunchtime while she is at work.",
             (), ("2025-11-06 12:25:00",)),
    Incident("work-empty", "v_work_street", "2025-10-27 08:30", "2025-10-27 09:00", False,
             "Outside her surgery on a morning she is off sick at home: not near her.",
             (), ("2025-10-27 08:40:00",)),
)

# Days the victim's plan changes because of what happened.
VICTIM_OVERRIDES = {
    date(2025, 10, 3): {"v_work_end": "2025-10-03 18:05"},  # waits inside until he has gone
    date(2025, 10, 21): {"v_home_end": "2025-10-21 07:45"},
    date(2025, 10, 27): {"sick": True},  # stays at home all day
    date(2025, 10, 30): {"v_work_end": "2025-10-30 18:00"},
}
# A near miss that is not proximity: she shops in town while he is at Jordan's in
# Holbeck, about 1.5 km away, on the same Saturday afternoon.
NEAR_MISS = ("2025-11-08 14:00", "2025-11-08 15:00")

QUIET_MIN = 20  # no unplanned network events within 20 minutes of an incident


def build_stays(rng: random.Random) -> tuple[list[Stay], list[Stay]]:
    suspect, victim = [], []
    for day in days():
        for key, start, end in _plan_suspect(day, rng):
            suspect.append(Stay(SPOTS[key], start, end))
        plan = _plan_victim(day, rng)  # drawn every day, so overrides never shift the others
        override = VICTIM_OVERRIDES.get(day, {})
        if override.get("sick"):
            plan = [("v_home", local(day, 0), local(day + timedelta(1), 0))]
        for key, start, end in plan:
            if key == "v_work" and "v_work_end" in override:
                end = at(override["v_work_end"])
            if key == "v_home" and start == local(day, 0) and "v_home_end" in override:
                end = at(override["v_home_end"])
            victim.append(Stay(SPOTS[key], start, end))
    for inc in INCIDENTS:
        suspect = _insert(suspect, Stay(SPOTS[inc.spot], at(inc.start), at(inc.end)))
    return suspect, victim


def _insert(stays: list[Stay], new: Stay) -> list[Stay]:
    """Put ``new`` into a plan, cutting what overlaps it and leaving travel time either side."""
    margin = timedelta(minutes=QUIET_MIN)
    lo, hi = new.start - margin, new.end + margin
    out: list[Stay] = []
    for s in stays:
        if s.end <= lo or s.start >= hi:
            out.append(s)
            continue
        if s.start < lo:
            out.append(Stay(s.spot, s.start, lo))
        if s.end > hi:
            out.append(Stay(s.spot, hi, s.end))
    out.append(new)
    return sorted(out, key=lambda s: s.start)


def stay_at(stays: list[Stay], when: datetime) -> Stay | None:
    for s in stays:
        if s.start <= when <= s.end:
            return s
    return None


def quiet(when: datetime) -> bool:
    """True near an incident, where only the planted events may happen."""
    margin = timedelta(minutes=QUIET_MIN)
    return any(at(i.start) - margin <= when <= at(i.end) + margin for i in INCIDENTS)


# ----------------------------------------------------------------------------------------
# Communications
# ----------------------------------------------------------------------------------------
@dataclass
class Comm:
    """One communication as it truly happened (whatever the exhibits make of it)."""

    utc: datetime
    kind: str  # call, sms, chat
    src: Person
    dst: Person | None  # None: a group chat message
    duration: int = 0
    text: str = ""
    withheld: bool = False  # caller withheld his number (141)
    ufdr: str = "Intact"  # Intact, Deleted, or absent (wiped, not recovered)
    thread: str = ""
    status: str = ""
    planted: str = ""  # the incident or the night it belongs to


@dataclass
class DataSession:
    person: Person
    utc: datetime
    duration: int


TEXTS_HIM = {
    1: ["Can we talk?", "I miss you", "Please just answer", "I'm sorry about Saturday",
        "Can I come round and get my stuff", "You know I love you", "Just one coffee, that's all"],
    2: ["Why are you ignoring me", "I know you got my messages", "Answer the phone Sarah",
        "You can't just cut me out", "Who are you with", "I'll keep ringing till you answer",
        "Don't make me come round", "Is this Priya's idea"],
    3: ["I'm not going anywhere", "I saw your car at work today", "Pick up", "PICK UP",
        "You'll regret this", "Who was that at your door", "I know where you'll be",
        "Answer me", "You owe me a conversation", "I'm outside later"],
}
TEXTS_HER = ["Daniel I need some space", "Please stop calling me", "I've told you it's over",
             "I'm not talking about this tonight", "If you keep this up I will go to the police",
             "Leave me alone"]
CHAT_HER = ["I said I need space", "Please don't come to my work", "Stop. Just stop.",
            "I'm blocking you", "ok", "Not tonight"]
GROUP_TEXTS = ["Training Thursday 7?", "Who's got the bibs", "Pub after?", "I'm in",
               "Can't make it lads", "Lost 3-1, shocking", "Pitch 4 Sunday 10am", "\U0001f602"]
OTHER_TEXTS = ["On my way", "See you later", "Ok", "Call me when you're free", "Thanks!",
               "Running late", "Did you get the thing?", "x"]


def _phase(day: date) -> int:
    if day < date(2025, 10, 6):
        return 1
    if day < date(2025, 10, 20):
        return 2
    return 3


def _free(when: datetime, *stays: list[Stay]) -> bool:
    """Both handsets placed (not travelling) and no incident nearby."""
    return not quiet(when) and all(stay_at(s, when) is not None for s in stays)


def _random_times(rng: random.Random, day: date, n: int, first_h: float, last_h: float,
                  ok) -> list[datetime]:
    out = []
    start = local(day, 0)
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        when = start + timedelta(seconds=int(rng.uniform(first_h, last_h) * 3600))
        if ok(when):
            out.append(when)
    return out


def _burst(rng: random.Random, start: datetime, n: int, ok, hours: float = 3.0) -> list[datetime]:
    """Up to ``n`` contacts from ``start``, 40 s to 4 min apart (a late-night barrage)."""
    out, when, until = [], start, start + timedelta(hours=hours)
    while len(out) < n and when < until:
        when += timedelta(seconds=rng.randrange(40, 240))
        if ok(when):
            out.append(when)
    return out


def build_comms(rng: random.Random, s_stays: list[Stay], v_stays: list[Stay]) -> list[Comm]:
    comms: list[Comm] = []
    both = lambda t: _free(t, s_stays, v_stays)  # noqa: E731
    sus = lambda t: _free(t, s_stays)  # noqa: E731
    vic = lambda t: _free(t, v_stays)  # noqa: E731
    always = lambda t: not quiet(t)  # noqa: E731
    blocked_from = at("2025-10-08 21:14")  # she blocks him on WhatsApp

    for day in days():
        ph = _phase(day)
        # Mean contacts a day: his calls, texts, chats; her calls, texts, chats.
        rate = {1: (3, 4, 4, 1.5, 2.5, 3), 2: (8, 11, 4, 0, 1, 0), 3: (13, 17, 3, 0, 0.3, 0)}[ph]
        s_calls, s_sms, s_chat, v_calls, v_sms, v_chat = (max(0, int(rng.gauss(r, r * 0.3 + 0.3)))
                                                           if r else 0 for r in rate)
        if ph == 3 and day.weekday() >= 4:  # Fridays and weekends are worse
            s_calls, s_sms = s_calls + 6, s_sms + 5
        texts = TEXTS_HIM[ph]
        for t in _random_times(rng, day, s_calls, 7.0, 23.5, both):
            comms.append(Comm(t, "call", SUSPECT, VICTIM, withheld=ph == 3 and rng.random() < 0.12))
        for t in _random_times(rng, day, s_sms, 7.0, 23.8, both):
            comms.append(Comm(t, "sms", SUSPECT, VICTIM, text=rng.choice(texts)))
        for t in _random_times(rng, day, s_chat, 7.0, 23.8, always):
            comms.append(Comm(t, "chat", SUSPECT, VICTIM, text=rng.choice(texts),
                              status="Sent" if t >= blocked_from else "Read"))
        for t in _random_times(rng, day, v_calls, 8.0, 22.0, both):
            comms.append(Comm(t, "call", VICTIM, SUSPECT))
        for t in _random_times(rng, day, v_sms, 8.0, 22.5, both):
            comms.append(Comm(t, "sms", VICTIM, SUSPECT, text=rng.choice(TEXTS_HER)))
        for t in _random_times(rng, day, v_chat if day < blocked_from.date() else 0, 8.0, 22.5, always):
            comms.append(Comm(t, "chat", VICTIM, SUSPECT, text=rng.choice(CHAT_HER), status="Read"))
        if ph >= 2 and rng.random() < (0.35 if ph == 2 else 0.5) and day not in SPECIAL_NIGHTS:
            start = local(day, 22, 30) + timedelta(minutes=rng.randrange(0, 90))
            for t in _burst(rng, start, rng.randrange(8, 22), both):
                kind = "call" if rng.random() < 0.7 else "sms"
                comms.append(Comm(t, kind, SUSPECT, VICTIM, text=rng.choice(texts) if kind == "sms" else "",
                                  withheld=kind == "call" and ph == 3 and rng.random() < 0.12,
                                  planted="late-night burst"))
        comms += _others(rng, day, sus, vic)
    comms += _peak_day(rng, both)
    comms += _dst_night()
    comms += _incident_sends()
    comms += _group_chat(rng)
    comms = _space_out(sorted(comms, key=lambda c: c.utc))
    _answer_some_calls(rng, comms)
    _delete_some(rng, comms)
    return comms


SPECIAL_NIGHTS = (date(2025, 10, 25), date(2025, 11, 1))  # DST night and the peak night


def _others(rng: random.Random, day: date, sus, vic) -> list[Comm]:
    """Everyday contact with friends, family, work, a taxi firm, a bank and a courier."""
    out = []
    wd = day.weekday()

    def add(n, src, dst, kind, lo, hi, ok, dur=(20, 600)):
        for t in _random_times(rng, day, n, lo, hi, ok):
            out.append(Comm(t, kind, src, dst, duration=rng.randrange(*dur) if kind == "call" else 0,
                            text=rng.choice(OTHER_TEXTS) if kind == "sms" else ""))

    add(rng.randrange(0, 3), SUSPECT, JORDAN, "sms", 8, 22.5, sus)
    add(rng.randrange(0, 3), JORDAN, SUSPECT, "sms", 8, 22.5, sus)
    add(1 if rng.random() < 0.5 else 0, SUSPECT, JORDAN, "call", 12, 21, sus)
    add(1 if rng.random() < 0.4 else 0, LIAM, SUSPECT, "sms", 9, 21, sus)
    add(1 if rng.random() < 0.3 else 0, SUSPECT, LIAM, "call", 17, 21, sus)
    if wd in (2, 6):
        add(1, SUSPECT, CAROL, "call", 18, 20.5, sus, (120, 1500))
    if wd < 5 and rng.random() < 0.4:
        add(1, S_WORK, SUSPECT, "call", 8, 15, sus, (30, 240))
    if wd == 4:
        add(1, SUSPECT, TAXI, "call", 22.2, 22.4, sus, (25, 60))
    if wd == 0:
        add(1, S_BANK, SUSPECT, "sms", 9, 10, sus)
    add(rng.randrange(1, 4), PRIYA, VICTIM, "sms", 8, 22.5, vic)
    add(rng.randrange(1, 4), VICTIM, PRIYA, "sms", 8, 22.5, vic)
    add(1 if rng.random() < 0.6 else 0, VICTIM, PRIYA, "call", 18, 22, vic, (60, 1800))
    add(1 if rng.random() < 0.4 else 0, EMMA, VICTIM, "sms", 9, 21, vic)
    add(1 if rng.random() < 0.3 else 0, VICTIM, EMMA, "call", 18, 21, vic, (60, 900))
    if wd in (1, 5):
        add(1, JANET, VICTIM, "call", 18, 20, vic, (300, 1800))
    if wd < 5 and rng.random() < 0.25:
        add(1, VICTIM, V_WORK, "call", 7.6, 8.0, vic, (30, 120))
    if wd == 5 and rng.random() < 0.5:
        add(1, VICTIM, TAXI, "call", 15.3, 15.4, vic, (25, 60))
    if wd in (0, 3):
        add(1, V_BANK, VICTIM, "sms", 10, 12, vic)
    if day in (date(2025, 9, 30), date(2025, 10, 16), date(2025, 11, 4)):
        add(1, PARCEL, SUSPECT, "sms", 9, 12, sus)
    return out


def _peak_day(rng: random.Random, both) -> list[Comm]:
    """Saturday 1 November: a barrage from his flat all evening, then he drives over."""
    out = []
    for t in _burst(rng, at("2025-11-01 19:30"), 62, both, hours=3.5):
        kind = "call" if rng.random() < 0.65 else "sms"
        out.append(Comm(t, kind, SUSPECT, VICTIM, withheld=kind == "call" and rng.random() < 0.2,
                        text=rng.choice(TEXTS_HIM[3]) if kind == "sms" else "", planted="peak night"))
    return out


# The night the clocks go back (Sunday 26 October 2025, 02:00 BST -> 01:00 GMT): he calls
# in both 01:00 hours and texts across the change. ``fold=1`` is the second 01:00 hour.
DST_NIGHT = (
    ("2025-10-25 23:58:10", 0, "sms", "Are you awake"),
    ("2025-10-26 00:20:30", 0, "call", ""),
    ("2025-10-26 00:34:50", 0, "sms", "I can't sleep either"),
    ("2025-10-26 01:12:05", 0, "call", ""),  # first 01:00 hour (BST)
    ("2025-10-26 01:45:20", 0, "sms", "Clocks go back tonight. An extra hour to ignore me"),
    ("2025-10-26 01:48:30", 0, "call", ""),  # first 01:00 hour (BST)
    ("2025-10-26 01:07:40", 1, "call", ""),  # second 01:00 hour (GMT)
    ("2025-10-26 01:31:15", 1, "call", ""),  # second 01:00 hour (GMT)
    ("2025-10-26 02:06:00", 0, "sms", "Pick up"),
    ("2025-10-26 02:41:30", 0, "sms", "Fine"),
)


def _dst_night() -> list[Comm]:
    return [Comm(at(t, fold), kind, SUSPECT, VICTIM, text=text, planted="DST night")
            for t, fold, kind, text in DST_NIGHT]


def _incident_sends() -> list[Comm]:
    return [Comm(at(t), kind, SUSPECT, VICTIM, text=text, planted=inc.name)
            for inc in INCIDENTS for t, kind, text in inc.sends]


def _group_chat(rng: random.Random) -> list[Comm]:
    out = []
    for day in days():
        for _ in range(rng.randrange(0, 4)):
            when = local(day, 9) + timedelta(seconds=rng.randrange(0, 12 * 3600))
            out.append(Comm(when, "chat", rng.choice(WA_GROUP), None, text=rng.choice(GROUP_TEXTS),
                            thread=WA_GROUP_ID, status="Read"))
    return out


def _space_out(comms: list[Comm]) -> list[Comm]:
    """Drop unplanted suspect-victim contacts within 30 s of another, so one is never two.

    Real barrages can be seconds apart; here a margin keeps the planted answer
    independent of the cross-source matching tolerance (10 s).
    """
    kept: list[Comm] = []
    last: datetime | None = None
    for c in comms:
        if not _is_pair(c):
            kept.append(c)
            continue
        if last is not None and (c.utc - last).total_seconds() < 30 and not c.planted.startswith(("work", "home", "DST")):
            continue
        kept.append(c)
        last = c.utc
    return kept


def _is_pair(c: Comm) -> bool:
    return c.dst is not None and {c.src.key, c.dst.key} == {"suspect", "victim"}


def _answer_some_calls(rng: random.Random, comms: list[Comm]) -> None:
    """Early on some calls are answered; later almost none. Durations never overlap the next contact."""
    pair = [c for c in comms if _is_pair(c)]
    for i, c in enumerate(pair):
        if c.kind != "call" or c.planted:
            continue
        ph = _phase(c.utc.astimezone(LONDON).date())
        p = (0.8 if c.src is VICTIM else 0.4) if ph == 1 else (0.08 if ph == 2 else 0.03)
        if rng.random() < p:
            room = (pair[i + 1].utc - c.utc).total_seconds() - 25 if i + 1 < len(pair) else 600
            c.duration = int(max(0, min(room, rng.randrange(15, 900))))


def _delete_some(rng: random.Random, comms: list[Comm]) -> None:
    """He deleted many of his messages to her; some were recovered, some not."""
    for c in comms:
        if (_is_pair(c) and c.src is SUSPECT and c.kind in ("sms", "chat")
                and _phase(c.utc.astimezone(LONDON).date()) >= 2):
            r = rng.random()
            if r < 0.25:
                c.ufdr = "Deleted"
            elif r < 0.32 and c.kind == "sms":
                c.ufdr = "absent"


def build_sessions(rng: random.Random, s_stays: list[Stay], v_stays: list[Stay]) -> list[DataSession]:
    out = []
    for day in days():
        for person, stays, n in ((SUSPECT, s_stays, 7), (VICTIM, v_stays, 9)):
            for t in _random_times(rng, day, rng.randrange(n - 3, n + 4), 6.5, 23.9,
                                   lambda t, s=stays: _free(t, s)):
                out.append(DataSession(person, t, rng.randrange(30, 1500)))
    for inc in INCIDENTS:
        for t in inc.data:
            out.append(DataSession(SUSPECT, at(t), 240))
    return sorted(out, key=lambda d: (d.utc, d.person.key))


# ----------------------------------------------------------------------------------------
# Location fixes
# ----------------------------------------------------------------------------------------
@dataclass
class Fix:
    person: Person
    utc: datetime
    lat: float
    lon: float
    accuracy: int
    source: str


def build_fixes(rng: random.Random, stays: list[Stay], person: Person, minute: int) -> list[Fix]:
    """Fixes on a ten-minute grid offset by ``minute`` (suspect :x0, victim :x2).

    The two grids never come within 4-6 minutes of each other, so every pair of
    fixes is clearly inside or clearly outside the 5-minute window. Fewer fixes are
    kept at home (the phone is still; hourly in the small hours), more when out.
    """
    fixes = []
    home_key = "v_home" if person is VICTIM else "s_home"
    for s in stays:
        t = s.start.replace(second=0, microsecond=0)
        t += timedelta(minutes=(minute - t.minute) % 10)
        while t <= s.end:
            loc = t.astimezone(LONDON)
            if s.spot.key != home_key:
                every = 10
            else:
                every = 60 if (person is SUSPECT or 2 <= loc.hour < 7) else 20
            if (loc.minute - minute) % every == 0:
                when = t + timedelta(seconds=rng.randrange(0, 30),
                                     milliseconds=rng.randrange(0, 1000) if person is VICTIM else 0)
                if when <= s.end:
                    lat, lon = offset(s.spot.lat, s.spot.lon, rng.gauss(0, 6), rng.gauss(0, 6))
                    src = rng.choice(("WIFI", "WIFI", "GPS")) if person is VICTIM else "GPS"
                    acc = rng.randrange(8, 30) if src == "WIFI" else rng.randrange(3, 16)
                    fixes.append(Fix(person, when, lat, lon, acc, src))
            t += timedelta(minutes=10)
    return fixes


# ----------------------------------------------------------------------------------------
# The exhibits' records, derived from the model (one row per record, in the model's terms)
# ----------------------------------------------------------------------------------------
@dataclass
class NetRecord:
    """One row of an operator's records: what the network saw of one handset."""

    utc: datetime
    code: str  # MOC, MTC, SMS-MO, SMS-MT, GPRS
    a: str  # calling party as the model knows it (E.164 / short code / name / "Withheld")
    b: str
    duration: int
    first: Cell
    last: Cell
    comm: Comm | None


def net_records(person: Person, comms: list[Comm], sessions: list[DataSession], stays: list[Stay],
                cells: list[Cell], rng: random.Random) -> list[NetRecord]:
    net = PENNINE if person is SUSPECT else NORTHGATE
    out = []
    for c in comms:
        if c.kind not in ("call", "sms") or (c.src is not person and c.dst is not person):
            continue
        stay = stay_at(stays, c.utc)
        if stay is None:
            raise AssertionError(f"{person.name} has no place at {c.utc} for {c}")
        voice_tech = "LTE" if net == PENNINE else "UMTS"
        first = serving_cell(cells, stay.spot, net, voice_tech)
        last = neighbour_sector(cells, first) if c.kind == "call" and c.duration > 120 and rng.random() < 0.3 else first
        outgoing = c.src is person
        code = ("MOC" if outgoing else "MTC") if c.kind == "call" else ("SMS-MO" if outgoing else "SMS-MT")
        a = "Withheld" if (c.withheld and not outgoing) else c.src.number
        # The victim's network logs times a second late now and then: still one communication.
        skew = timedelta(seconds=1) if (person is VICTIM and rng.random() < 0.3) else timedelta(0)
        out.append(NetRecord(c.utc + skew, code, a, c.dst.number, c.duration, first, last, c))
    for d in sessions:
        if d.person is person:
            stay = stay_at(stays, d.utc)
            cell = serving_cell(cells, stay.spot, net, "LTE")
            out.append(NetRecord(d.utc, "GPRS", person.number, "", d.duration, cell, cell, None))
    return sorted(out, key=lambda r: (r.utc, r.code))


# ----------------------------------------------------------------------------------------
# Writers: one per exhibit format
# ----------------------------------------------------------------------------------------
def _national(number: str) -> str:
    """+447700900832 -> 07700 900832; +441632960700 -> 01632 960700."""
    digits = "0" + number[3:]
    return f"{digits[:5]} {digits[5:]}"


def _written(number: str, rng: random.Random) -> str:
    """A party as operators write it: mixed formats, the same number several ways."""
    if not number.startswith("+"):
        return number
    style = rng.randrange(4)
    if style == 0:
        return _national(number)
    if style == 1:
        return "+44 " + number[3:7] + " " + number[7:]
    if style == 2:
        return number[1:]
    return _national(number).replace(" ", "")


def write_suspect_cdr(path: Path, records: list[NetRecord], rng: random.Random) -> dict:
    """Pennine Telecom's disclosure: UK layout, local time in separate date and time columns."""
    header = ["Event Date", "Event Time", "Event Type", "Calling Number", "Called Number",
              "Duration", "First Cell ID", "Last Cell ID", "IMEI", "IMSI"]
    rows: list[list[str]] = []
    for r in records:
        loc = r.utc.astimezone(LONDON)
        calling = SUSPECT.number[1:] if r.a == SUSPECT.number else _written(r.a, rng)
        called = SUSPECT.number[1:] if r.b == SUSPECT.number else _written(r.b, rng) if r.b else ""
        dur = f"{r.duration // 3600:02d}:{r.duration // 60 % 60:02d}:{r.duration % 60:02d}"
        rows.append([loc.strftime("%d/%m/%Y"), loc.strftime("%H:%M:%S"), r.code, calling, called,
                     dur, r.first.cgi, r.last.cgi, SUSPECT.imei, SUSPECT.imsi])
    # Two rows no one can use, as real disclosures have: a lost time and an impossible
    # date. Each goes in before the first row of a nearby day, with that row's cell.
    bad = [("07/10/2025", ["07/10/2025", "", "GPRS", SUSPECT.number[1:], "", "00:04:12"], "no time"),
           ("01/10/2025", ["31/09/2025", "19:02:44", "SMS-MO", SUSPECT.number[1:], _national(JORDAN.number),
                           "00:00:00"], "impossible date (31 September)")]
    for before, row, _ in bad:
        idx = next(i for i, r in enumerate(rows) if r[0] == before)
        rows.insert(idx, row + [rows[idx][6], rows[idx][6], SUSPECT.imei, SUSPECT.imsi])
    rejections = [{"row": str(i + 2), "reason": why}
                  for i, r in enumerate(rows) for _, row, why in bad if r[:6] == row]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    kinds = Counter({"MOC": "call", "MTC": "call", "SMS-MO": "sms", "SMS-MT": "sms", "GPRS": "data"}[r.code]
                    for r in records)
    return {"rows": len(rows), "imported": len(records), "rejected": len(rejections),
            "rejections": rejections, "kinds": dict(sorted(kinds.items()))}


def write_victim_cdr(path: Path, records: list[NetRecord]) -> dict:
    """Northgate Mobile's disclosure: XLSX, title rows, UTC, A/B party, LAC and CI apart, totals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "CDR"
    ws.append(["NORTHGATE MOBILE LTD \u2014 Law Enforcement Disclosure Unit"])
    ws.append([f"Call Data Records for MSISDN {VICTIM.number[1:]}  (IMEI {VICTIM.imei})"])
    ws.append([f"Period: {FIRST_DAY:%d/%m/%Y} to {LAST_DAY:%d/%m/%Y}    Ref: NGM/LEDU/2025/18852"])
    ws.append(["All times UTC"])
    ws.append([])
    header = ["Record Type", "Direction", "A-Party", "B-Party", "Date/Time", "Duration (secs)",
              "LAC", "CI", "IMEI"]
    ws.append(header)
    for cell in ws[1] + ws[6]:
        cell.font = Font(bold=True)
    first_data = ws.max_row + 1
    rejected_row = None
    for r in records:
        kind = {"MOC": "Voice", "MTC": "Voice", "SMS-MO": "SMS", "SMS-MT": "SMS", "GPRS": "Data"}[r.code]
        direction = {"MOC": "Outgoing", "SMS-MO": "Outgoing", "MTC": "Incoming", "SMS-MT": "Incoming"}.get(r.code, "")
        ws.append([kind, direction, _xl_number(r.a), _xl_number(r.b),
                   r.utc.replace(tzinfo=None), r.duration, r.first.lac, r.first.ci, VICTIM.imei])
        ws.cell(ws.max_row, 5).number_format = "dd/mm/yyyy hh:mm:ss"
        if rejected_row is None and r.code == "GPRS" and r.utc.astimezone(LONDON).date() == date(2025, 10, 14):
            # The one unusable row: a data session whose time the system lost.
            ws.append(["Data", "", _xl_number(VICTIM.number), None, None, 318, r.first.lac, r.first.ci,
                       VICTIM.imei])
            rejected_row = ws.max_row
    last_data = ws.max_row
    ws.append([])
    ws.append([f"Total records: {last_data - first_data + 1}", None, None, None, None,
               sum(r.duration for r in records if r.code in ("MOC", "MTC"))])
    totals_row = ws.max_row
    for col, width in zip("ABCDEFGHI", (12, 10, 15, 15, 20, 15, 8, 12, 17)):
        ws.column_dimensions[col].width = width
    wb.properties.creator = "Northgate Mobile LEDU"
    _save_xlsx(wb, path)
    kinds = Counter({"Voice": "call", "SMS": "sms", "Data": "data"}[
        {"MOC": "Voice", "MTC": "Voice", "SMS-MO": "SMS", "SMS-MT": "SMS", "GPRS": "Data"}[r.code]]
        for r in records)
    return {
        "rows": last_data - first_data + 1, "imported": len(records), "rejected": 1,
        "rejections": [{"row": str(rejected_row), "reason": "no date/time"}],
        "header_row": 6, "totals_row": totals_row,
        "kinds": dict(sorted(kinds.items())),
    }


def _xl_number(number: str) -> object:
    """Operators' spreadsheets store numbers as numbers (447700900832), names as text."""
    if not number:
        return None
    digits = number.lstrip("+")
    return int(digits) if digits.isdigit() else number


def _save_xlsx(wb, path: Path) -> None:
    """Save with fixed document times and zip entry times, so the bytes never change."""
    fixed = datetime(*ZIP_TIME)
    wb.properties.created = fixed
    buf = io.BytesIO()
    wb.save(buf)
    _repack(buf.getvalue(), path, {"docProps/core.xml": lambda x: re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
        rb"\g<1>" + fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", x)})


def _repack(data: bytes, path: Path, edits: dict) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename in edits:
                content = edits[info.filename](content)
            _write_member(dst, info.filename, content)


def _write_member(zf: zipfile.ZipFile, name: str, content: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, content, compresslevel=9)


def write_cells(path: Path, cells: list[Cell]) -> dict:
    """An analyst's cell site list for both networks (CGI, site, WGS84, azimuth, beamwidth)."""
    header = ["Cell ID", "Site Name", "Latitude", "Longitude", "Azimuth", "Beamwidth", "Technology",
              "Network"]
    names = {PENNINE: "Pennine Telecom", NORTHGATE: "Northgate Mobile"}
    rows = [[c.cgi, c.site, f"{c.lat:.6f}", f"{c.lon:.6f}", str(c.azimuth), str(c.beamwidth),
             c.technology, names[c.mnc]] for c in sorted(cells, key=lambda c: (c.site, c.technology, c.ci))]
    # A decommissioned sector the analyst kept with no identifier: unusable.
    bad_at = len(rows) // 2
    rows.insert(bad_at, ["", "Otley Road N99 (decommissioned)", "53.829100", "-1.585300", "120", "65",
                         "UMTS", "Northgate Mobile"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return {"rows": len(rows), "imported": len(cells), "rejected": 1,
            "rejections": [{"row": str(bad_at + 2), "reason": "no cell identifier"}],
            "kinds": {"cell": len(cells)}}


def write_takeout(path: Path, fixes: list[Fix], rng: random.Random) -> dict:
    """The victim's Google Records.json: E7 coordinates, ISO times in UTC, accuracy, source."""
    records = []
    for f in fixes:
        rec = {"latitudeE7": round(f.lat * 1e7), "longitudeE7": round(f.lon * 1e7),
               "accuracy": f.accuracy}
        if f.source == "GPS":
            rec["altitude"] = 60 + rng.randrange(0, 60)
            rec["verticalAccuracy"] = rng.randrange(2, 9)
        rec.update({"source": f.source, "deviceTag": 1706250311, "platformType": "ANDROID",
                    "formFactor": "PHONE",
                    "timestamp": f.utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{f.utc.microsecond // 1000:03d}Z"})
        records.append(rec)
    # One record with no time (a half-written entry): unusable.
    bad_at = len(records) // 3
    records.insert(bad_at, {"latitudeE7": records[bad_at]["latitudeE7"],
                            "longitudeE7": records[bad_at]["longitudeE7"], "accuracy": 2000,
                            "source": "CELL", "deviceTag": 1706250311, "platformType": "ANDROID",
                            "formFactor": "PHONE"})
    path.write_text(json.dumps({"locations": records}, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return {"rows": len(records), "imported": len(fixes), "rejected": 1,
            "rejections": [{"row": str(bad_at), "reason": "no timestamp"}],
            "kinds": {"location": len(fixes)}}


# ----- the UFDR ---------------------------------------------------------------------------
NS = "http://pa.cellebrite.com/report/2.0"
PHONE_CONTACTS = [  # his address book: names label numbers throughout the case
    ("Sarah \u2764", VICTIM.number, "Mobile"), ("Jord", JORDAN.number, "Mobile"),
    ("Liam bro", LIAM.number, "Mobile"), ("Marcus", MARCUS.number, "Mobile"),
    ("Kev", KEV.number, "Mobile"), ("Mum", CAROL.number, "Home"),
    ("Aire Valley Taxis", TAXI.number, "Work"), ("Work - Airedale", S_WORK.number, "Work"),
]


class Ids:
    """Deterministic model ids in Cellebrite's UUID form."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def _iso(utc: datetime) -> str:
    loc = utc.astimezone(LONDON)
    off = loc.strftime("%z")
    return loc.strftime("%Y-%m-%dT%H:%M:%S") + f".{loc.microsecond // 1000:03d}" + off[:3] + ":" + off[3:]


def _field(name: str, ftype: str, value: object | None) -> str:
    if value is None or value == "":
        return f'<field name="{name}" type="{ftype}"><empty /></field>'
    if ftype == "TimeStamp":
        text = _iso(value)
        return (f'<field name="{name}" type="TimeStamp"><value type="TimeStamp" format="TimeStampKnown" '
                f'formattedTimestamp="{text[:19]}{text[-6:]}">{text}</value></field>')
    return f'<field name="{name}" type="{ftype}"><value type="{ftype}"><![CDATA[{value}]]></value></field>'


def _party(ids: Ids, identifier: str, name: str, role: str | None, owner: bool) -> str:
    parts = [f'<model type="Party" id="{ids()}" deleted_state="Unknown" decoding_confidence="High" '
             f'isrelated="False" extractionId="0">', _field("Identifier", "String", identifier)]
    if role:
        parts.append(_field("Role", "PartyRole", role))
    parts += [_field("Name", "String", name), _field("IsPhoneOwner", "Boolean", "True" if owner else "False"),
              "</model>"]
    return "".join(parts)


def _open_model(ids: Ids, mtype: str, deleted: str = "Intact") -> tuple[str, str]:
    mid = ids()
    return mid, (f'<model type="{mtype}" id="{mid}" deleted_state="{deleted}" decoding_confidence="High" '
                 f'isrelated="False" extractionId="0">')


def write_ufdr(path: Path, comms: list[Comm], fixes: list[Fix], rng: random.Random) -> tuple[dict, dict]:
    """A Cellebrite Physical Analyzer report of the suspect's phone, zipped as a .ufdr."""
    ids = Ids(rng)
    names = {n: name for name, n, _ in PHONE_CONTACTS}
    mine = [c for c in comms if c.ufdr != "absent" and
            (c.src is SUSPECT or c.dst is SUSPECT or c.thread == WA_GROUP_ID)]
    calls = [c for c in mine if c.kind == "call"]
    texts = [c for c in mine if c.kind == "sms"]
    direct = [c for c in mine if c.kind == "chat" and not c.thread]
    group = [c for c in mine if c.kind == "chat" and c.thread]

    def party(p: Person, role: str | None, wa: bool = False) -> str:
        ident = (p.number[1:] + "@s.whatsapp.net") if wa else (_national(p.number) if p.number.startswith("+") else p.number)
        return _party(ids, ident, names.get(p.number, "" if not wa else p.name.split(" ")[0]), role,
                      p is SUSPECT)

    out: list[str] = []
    counts: Counter = Counter()
    out.append('<modelType type="Call">')
    for c in calls:
        _, head = _open_model(ids, "Call", c.ufdr)
        outgoing = c.src is SUSPECT
        status = "Established" if c.duration else ("Cancelled" if outgoing else "Missed")
        dur = f"{c.duration // 3600:02d}:{c.duration // 60 % 60:02d}:{c.duration % 60:02d}"
        out.append(head + _field("Source", "String", "Phone") + _field("Direction", "CallDirection",
                   "Outgoing" if outgoing else "Incoming") + _field("Status", "CallStatus", status)
                   + _field("TimeStamp", "TimeStamp", c.utc) + _field("Duration", "TimeSpan", dur)
                   + _field("VideoCall", "Boolean", "False")
                   + '<multiModelField name="Parties" type="Party">'
                   + party(c.src, "From") + party(c.dst, "To") + "</multiModelField></model>")
        counts["call"] += 1
    out.append("</modelType>")

    out.append('<modelType type="SMS">')
    for c in texts:
        _, head = _open_model(ids, "SMS", c.ufdr)
        outgoing = c.src is SUSPECT
        out.append(head + _field("Source", "String", "SMS Messages") + _field("TimeStamp", "TimeStamp", c.utc)
                   + _field("Body", "String", _cdata_safe(c.text)) + _field("Folder", "String", "Sent" if outgoing else "Inbox")
                   + _field("Status", "MessageStatus", "Sent" if outgoing else "Read")
                   + '<multiModelField name="Parties" type="Party">'
                   + party(c.src, "From") + party(c.dst, "To") + "</multiModelField></model>")
        counts["sms"] += 1
    out.append("</modelType>")

    out.append('<modelType type="Chat">')
    for chat_id, chat_name, members, msgs in (
            (VICTIM.number[1:] + "@s.whatsapp.net", "", [SUSPECT, VICTIM], direct),
            (WA_GROUP_ID, WA_GROUP_NAME, WA_GROUP, group)):
        _, head = _open_model(ids, "Chat")
        body = [head, _field("Source", "String", "WhatsApp"), _field("Id", "String", chat_id),
                _field("Name", "String", chat_name), _field("StartTime", "TimeStamp", msgs[0].utc),
                _field("LastActivity", "TimeStamp", msgs[-1].utc),
                '<multiModelField name="Participants" type="Party">']
        body += [party(m, None, wa=True) for m in members]
        body.append('</multiModelField><multiModelField name="Messages" type="InstantMessage">')
        for c in msgs:
            _, mhead = _open_model(ids, "InstantMessage", c.ufdr)
            to = [m for m in members if m is not c.src] if c.src is SUSPECT else [SUSPECT] if not c.thread else []
            body.append(mhead + _field("Source", "String", "WhatsApp")
                        + '<modelField name="From" type="Party">' + party(c.src, "From", wa=True) + "</modelField>"
                        + '<multiModelField name="To" type="Party">'
                        + "".join(party(m, "To", wa=True) for m in to) + "</multiModelField>"
                        + _field("Body", "String", _cdata_safe(c.text))
                        + _field("Identifier", "String", f"{ids().replace('-', '').upper()[:32]}")
                        + _field("TimeStamp", "TimeStamp", c.utc)
                        + _field("Status", "MessageStatus", c.status)
                        + _field("Type", "InstantMessageType", "AppMessage")
                        + _field("SourceApplication", "String", "WhatsApp") + "</model>")
            counts["chat"] += 1
        body.append("</multiModelField></model>")
        out.append("".join(body))
    out.append("</modelType>")

    out.append('<modelType type="Location">')
    bad_at = len(fixes) // 2
    rejected_id = ""
    fix_ids: dict[int, str] = {}  # the model id of each fix, for the answers' evidence
    for i, f in enumerate(fixes):
        if i == bad_at:  # a cached location with no position: unusable
            rejected_id, head = _open_model(ids, "Location")
            out.append(head + _field("Source", "String", "Google Maps") + _field("TimeStamp", "TimeStamp", f.utc)
                       + '<modelField name="Position" type="Coordinate"><empty /></modelField>'
                       + _field("Category", "String", "Device Locations") + "</model>")
        fix_ids[id(f)], head = _open_model(ids, "Location")
        _, chead = _open_model(ids, "Coordinate")
        out.append(head + _field("Source", "String", "Location Services")
                   + '<modelField name="Position" type="Coordinate">' + chead
                   + _field("Longitude", "Double", f"{f.lon:.7f}") + _field("Latitude", "Double", f"{f.lat:.7f}")
                   + _field("Elevation", "Double", None) + "</model></modelField>"
                   + _field("TimeStamp", "TimeStamp", f.utc) + _field("Precision", "String", f"{f.accuracy}.0")
                   + _field("Category", "String", "Device Locations")
                   + _field("Origin", "LocationOrigin", "GPS") + "</model>")
        counts["location"] += 1
    out.append("</modelType>")

    out.append('<modelType type="Contact">')
    for name, number, category in PHONE_CONTACTS:
        _, head = _open_model(ids, "Contact")
        _, ehead = _open_model(ids, "PhoneNumber")
        out.append(head + _field("Source", "String", "Phone") + _field("Name", "String", name)
                   + '<multiModelField name="Entries" type="ContactEntry">' + ehead
                   + _field("Category", "String", category) + _field("Value", "String", _national(number))
                   + "</model></multiModelField></model>")
        counts["contact"] += 1
    out.append("</modelType>")

    head = _ufdr_head(ids)
    devices = _wifi_models(Ids(random.Random(SEED + 12)), SUSPECT_NETWORKS)
    xml = head + "\n".join(out + devices) + "\n</decodedData>\n</project>\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _write_member(zf, "report.xml", _one_element_a_line(xml))
        _write_member(zf, SUSPECT_PHOTO["file"], _photo_jpeg(*SUSPECT_PHOTO["at"], SUSPECT_PHOTO["utc"]))
    counts["location"] += 1  # the photograph's position: a fix of origin photo
    rows = sum(counts.values()) + 1
    return fix_ids, {"rows": rows, "imported": rows - 1, "rejected": 1,
            "rejections": [{"row": rejected_id, "reason": "location with no position"}],
            "kinds": dict(sorted(counts.items())),
            "deleted": sum(1 for c in mine if c.ufdr == "Deleted"),
            "device": {"imei": SUSPECT.imei, "msisdn": SUSPECT.number[1:], "model": "Samsung SM-A546B Galaxy A54 5G"}}


def _one_element_a_line(xml: str) -> bytes:
    """One element a line, as Physical Analyzer writes its reports."""
    xml = re.sub(r"(<(?:model |field |modelField |multiModelField |/model>|/multiModelField>|/modelField>))",
                 r"\n\1", xml).replace("\n\n", "\n")
    return xml.encode("utf-8")


# ----- the phones as witnesses: apps, Wi-Fi, a photograph ------------------------------------
# Her router's two BSSIDs (2.4 and 5 GHz) and its network's name; invented, as is every other one.
HOME_SSID = "LARKSPUR-14"
HOME_BSSIDS = ("a4:91:b1:3c:52:e0", "a4:91:b1:3c:52:e4")
# (SSID, BSSID, security, last connection as the phone records it, local time)
SUSPECT_NETWORKS = [
    ("FOUNDRY-22", "3c:84:6a:10:77:01", "WPA2-PSK", "2025-11-09 22:14"),
    ("Jordan-Hub", "5c:e3:0e:41:a2:9c", "WPA2-PSK", "2025-11-07 23:05"),
    (HOME_SSID, HOME_BSSIDS[1], "WPA2-PSK", "2025-11-01 23:41"),  # parked outside her home (home-3a)
    ("Airedale-Guest", "00:1d:aa:62:0f:30", "Open", "2025-11-07 12:02"),
]
VICTIM_NETWORKS = [
    (HOME_SSID, HOME_BSSIDS[0], "WPA2-PSK", "2025-11-09 21:30"),
    (HOME_SSID, HOME_BSSIDS[1], "WPA2-PSK", "2025-11-09 21:31"),
    ("Meadowgate-Staff", "b0:4e:26:9d:13:c8", "WPA2-Enterprise", "2025-11-07 17:28"),
]
# (package, name, installed (local time), permissions): Android identifiers; one is a monitoring app
# listed in Echap's ioc.yaml under TheTruthSpy, named to pass for part of the system.
MONITOR_APP = "com.mxspy"
VICTIM_APPS = [
    ("com.whatsapp", "WhatsApp", "2024-02-11 19:02", ()),
    ("com.google.android.apps.maps", "Maps", "2024-02-11 18:40", ("android.permission.ACCESS_FINE_LOCATION",)),
    ("bbc.mobile.weather", "BBC Weather", "2024-06-02 08:15", ("android.permission.ACCESS_COARSE_LOCATION",)),
    ("com.thetrainline", "Trainline", "2025-03-14 12:40", ()),
    ("com.x8bit.bitwarden", "Bitwarden", "2024-09-30 20:11", ("android.permission.BIND_ACCESSIBILITY_SERVICE",)),
    (MONITOR_APP, "System Service", "2025-10-04 10:12",
     ("android.permission.BIND_DEVICE_ADMIN", "android.permission.BIND_ACCESSIBILITY_SERVICE",
      "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE", "android.permission.ACCESS_BACKGROUND_LOCATION",
      "android.permission.READ_SMS")),
]
# His photograph of her street while she was at work (home-empty-1): GPS time stamp in UTC.
SUSPECT_PHOTO = {"file": "files/Image/IMG_20251015_132031.jpg",
                 "at": (SPOTS["v_home_street"].lat, SPOTS["v_home_street"].lon),
                 "utc": datetime(2025, 10, 15, 12, 20, 31, tzinfo=UTC)}
_JPEG_BODY = bytes.fromhex(  # an 8x8 grey baseline JPEG after its SOI (tables, frame, scan, EOI)
    "ffdb004300100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c3933383740485c4e40445745373850"
    "6d51575f626768673e4d71797064785c656763ffc0000b080008000801011100ffc4001f000001050101010101010000000000"
    "0000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107"
    "227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a5354"
    "55565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4"
    "b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100"
    "003f002bffd9")


def _photo_jpeg(lat: float, lon: float, utc: datetime) -> bytes:
    """A JPEG whose EXIF (written here, byte by byte, big-endian TIFF) holds a GPS position and time."""
    def rationals(*values: tuple[int, int]) -> bytes:
        return b"".join(struct.pack(">II", n, d) for n, d in values)

    def dms(value: float) -> bytes:
        value = abs(value)
        degrees, minutes = int(value), int(abs(value) * 60) % 60
        seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
        return rationals((degrees, 1), (minutes, 1), (seconds, 10000))

    date_text = utc.strftime("%Y:%m:%d").encode() + b"\0"
    data = [dms(lat), dms(lon), rationals((utc.hour, 1), (utc.minute, 1), (utc.second, 1)), date_text]
    entries = [(0x0000, 1, 4, b"\x02\x03\x00\x00"), (0x0001, 2, 2, (b"N" if lat >= 0 else b"S") + b"\0\0\0"),
               (0x0002, 5, 3, 0), (0x0003, 2, 2, (b"E" if lon >= 0 else b"W") + b"\0\0\0"),
               (0x0004, 5, 3, 1), (0x0007, 5, 3, 2), (0x001D, 2, len(date_text), 3)]
    gps_at = 8 + 2 + 12 + 4
    data_at = gps_at + 2 + 12 * len(entries) + 4
    offsets = [data_at + sum(len(d) for d in data[:i]) for i in range(len(data))]
    ifd = struct.pack(">H", len(entries)) + b"".join(
        struct.pack(">HHI", tag, kind, count) + (value if isinstance(value, bytes) else struct.pack(">I", offsets[value]))
        for tag, kind, count, value in entries) + b"\0\0\0\0"
    tiff = (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">HHHII", 1, 0x8825, 4, 1, gps_at) + b"\0\0\0\0"
            + ifd + b"".join(data))
    app1 = b"Exif\0\0" + tiff
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + _JPEG_BODY


def _local_field(name: str, text: str) -> str:
    return _field(name, "TimeStamp", at(text))


def _wifi_models(ids: Ids, networks: list[tuple[str, str, str, str]]) -> list[str]:
    out = ['<modelType type="WirelessNetwork">']
    for ssid, bssid, security, last in networks:
        _, head = _open_model(ids, "WirelessNetwork")
        out.append(head + _field("SSId", "String", ssid) + _field("BSSId", "String", bssid.upper())
                   + _field("SecurityMode", "String", security) + _local_field("LastConnection", last) + "</model>")
    out.append("</modelType>")
    return out


def write_victim_ufdr(path: Path, rng: random.Random) -> tuple[dict, dict]:
    """A download of the victim's phone: installed applications and saved Wi-Fi networks, no messages."""
    ids = Ids(rng)
    out = ['<modelType type="InstalledApplication">']
    rows: dict[str, str] = {}
    for package, name, installed, permissions in VICTIM_APPS:
        rows[package], head = _open_model(ids, "InstalledApplication")
        listed = "".join(f'<value type="String"><![CDATA[{p}]]></value>' for p in permissions)
        out.append(head + _field("Identifier", "String", package) + _field("Name", "String", name)
                   + _field("Version", "String", "1.0") + _local_field("PurchaseDate", installed)
                   + (f'<multiField name="Permissions" type="String">{listed}</multiField>' if permissions else "")
                   + "</model>")
    out.append("</modelType>")
    networks = _wifi_models(ids, VICTIM_NETWORKS)
    xml = _ufdr_head(ids, VICTIM, VICTIM_HANDSET) + "\n".join(out + networks) + "\n</decodedData>\n</project>\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _write_member(zf, "report.xml", _one_element_a_line(xml))
    return rows, {"rows": 0, "imported": 0, "rejected": 0, "rejections": [], "kinds": {},
                  "device": {"imei": VICTIM.imei, "msisdn": VICTIM.number[1:], "model": VICTIM_HANDSET[3]}}


def _cdata_safe(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


SUSPECT_HANDSET = ("Samsung GSM", "SM-A546B", "SM-A546B Galaxy A54 5G", "Samsung SM-A546B Galaxy A54 5G", "Dan",
                   "JD/3")
VICTIM_HANDSET = ("Google", "Pixel 7", "Pixel 7", "Google Pixel 7", "Sarah", "JD/7")


def _ufdr_head(ids: Ids, person: Person = SUSPECT, handset: tuple[str, ...] = SUSPECT_HANDSET) -> str:
    maker, short, device, full, owner, exhibit = handset
    meta = [("DeviceInfoSelectedManufacturer", maker),
            ("DeviceInfoSelectedDeviceName", device),
            ("DeviceInfoDetectedModel", full),
            ("DeviceInfoOwnerName", owner),
            ("IMEI", person.imei), ("IMSI", person.imsi), ("MSISDN", person.number[1:]),
            ("DeviceInfoTimeZone", "Europe/London")]
    items = "\n".join(f'    <item name="{k}" systemtype="System.String"><![CDATA[{v}]]></item>' for k, v in meta)
    case = [("Case Number", "DEMO/2025/0417"), ("Exhibit Number", exhibit), ("Examiner Name", "J. Dunmore (fictional)")]
    fields = "\n".join(f"    <field name={quoteattr(k)} isSystem=\"True\" fieldType=\"None\" multipleLines=\"False\" "
                       f"isRequired=\"False\">{v}</field>" for k, v in case)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n'
            f'<project id="{ids()}" name="{maker}_{device}" reportVersion="7.69.0.118" '
            f'containsGarbage="False" extractionType="FileSystem" xmlns="{NS}">\n'
            f'  <sourceExtractions>\n    <extractionInfo id="0" name="File System" isCustomName="False" '
            f'type="FileSystem" deviceName="{short}" fullName="{full}" index="0" '
            f'IsPartialData="False" />\n  </sourceExtractions>\n'
            f'  <caseInformation>\n{fields}\n  </caseInformation>\n'
            f'  <metadata section="Additional Fields">\n    <item name="UFED_PA_Version" '
            f'systemtype="System.String"><![CDATA[7.69.0.118]]></item>\n  </metadata>\n'
            f'  <metadata section="Device Info">\n{items}\n  </metadata>\n'
            f'<decodedData>\n')


# ----------------------------------------------------------------------------------------
# The answers: computed from the model with the contract's definitions
# ----------------------------------------------------------------------------------------
def _iso_local(utc: datetime) -> str:
    return utc.astimezone(LONDON).replace(microsecond=0).isoformat()


def contact_answers(comms: list[Comm]) -> dict:
    pair = [c for c in comms if _is_pair(c)]
    per_day = Counter(c.utc.astimezone(LONDON).date().isoformat() for c in pair)
    first = min(c.utc for c in pair).astimezone(LONDON).date()
    last = max(c.utc for c in pair).astimezone(LONDON).date()
    series = [{"period": (first + timedelta(n)).isoformat(),
               "count": per_day.get((first + timedelta(n)).isoformat(), 0)}
              for n in range((last - first).days + 1)]
    peak = max(series, key=lambda p: p["count"])  # max() keeps the earliest of equal maxima
    ranked = sorted(series, key=lambda p: -p["count"])
    assert ranked[0]["count"] - ranked[1]["count"] >= 10, "the peak day must stand out"
    dst_hours = Counter(_hour_label(c.utc) for c in pair
                        if c.utc.astimezone(LONDON).date() == date(2025, 10, 26) and c.utc.astimezone(LONDON).hour <= 2)
    return {
        "a": SUSPECT.name, "b": VICTIM.name,
        "total": len(pair),
        "by_kind": dict(sorted(Counter(c.kind for c in pair).items())),
        "by_direction": {"a_to_b": sum(c.src is SUSPECT for c in pair),
                         "b_to_a": sum(c.src is VICTIM for c in pair)},
        "calls_answered": sum(1 for c in pair if c.kind == "call" and c.duration > 0),
        "calls_unanswered": sum(1 for c in pair if c.kind == "call" and c.duration == 0),
        "withheld_calls": sum(1 for c in pair if c.withheld),
        "series": series,
        "peak": peak,
        "dst_night_hours": dict(sorted(dst_hours.items())),
        "deleted_in_download": sum(1 for c in pair if c.ufdr == "Deleted"),
        "absent_from_download": sum(1 for c in pair if c.ufdr == "absent"),
    }


def _hour_label(utc: datetime) -> str:
    loc = utc.astimezone(LONDON)
    off = loc.strftime("%z")
    return loc.strftime("%Y-%m-%dT%H") + off[:3] + ":" + off[3:]


@dataclass
class Item:
    """One thing proximity compares: a fix, or a network event with its cells' sites."""

    utc: datetime
    points: list[tuple[float, float]]
    ref: str  # the source row behind it, for the answers' evidence


def _occasions(hits: list[tuple[datetime, float, str]], method: str) -> list[dict]:
    hits = sorted(hits)
    out: list[dict] = []
    for when, dist, ref in hits:
        if out and (when - out[-1]["_end"]).total_seconds() < GAP_S:
            occ = out[-1]
            occ["_end"] = when
            occ["hits"] += 1
            occ["min_distance_m"] = min(occ["min_distance_m"], dist)
            occ["refs"].append(ref)
        else:
            out.append({"_start": when, "_end": when, "hits": 1, "min_distance_m": dist, "refs": [ref]})
    for occ in out:
        occ["start"] = _iso_local(occ.pop("_start"))
        occ["end"] = _iso_local(occ.pop("_end"))
        occ["min_distance_m"] = round(occ["min_distance_m"], 1)
        occ["evidence"] = method
    return [{k: o[k] for k in ("start", "end", "hits", "min_distance_m", "evidence", "refs")} for o in out]


def pair_hits(a_items: list[Item], b_items: list[Item], method: str) -> list[tuple[datetime, float, str]]:
    """Items of A with at least one item of B within the window and the distance.

    Also proves the geometry unambiguous: a pair close in time is never near a
    distance threshold, and a pair close in space never near the window.
    """
    hits = []
    b_sorted = sorted(b_items, key=lambda i: i.utc)
    times = [i.utc for i in b_sorted]
    for a in a_items:
        lo = bisect.bisect_left(times, a.utc - timedelta(seconds=2 * WINDOW_S))
        hi = bisect.bisect_right(times, a.utc + timedelta(seconds=2 * WINDOW_S))
        best = None
        for b in b_sorted[lo:hi]:
            dt = abs((a.utc - b.utc).total_seconds())
            d = min(haversine_m(p[0], p[1], q[0], q[1]) for p in a.points for q in b.points)
            if d <= 2 * DISTANCE_M and 0.8 * WINDOW_S < dt < 1.2 * WINDOW_S:
                raise AssertionError(f"{method}: ambiguous time {dt:.0f} s at {a.utc} ({a.ref}, {b.ref})")
            if dt <= WINDOW_S and 0.5 * DISTANCE_M < d < 2 * DISTANCE_M:
                raise AssertionError(f"{method}: ambiguous distance {d:.0f} m at {a.utc} ({a.ref}, {b.ref})")
            if dt <= WINDOW_S and d <= DISTANCE_M:
                best = d if best is None else min(best, d)
        if best is not None:
            hits.append((a.utc, best, a.ref))
    return hits


def place_hits(a_items: list[Item], lat: float, lon: float, radius: float, method: str):
    hits = []
    for a in a_items:
        d = min(haversine_m(p[0], p[1], lat, lon) for p in a.points)
        if 0.67 * radius < d < 1.6 * radius:
            raise AssertionError(f"place/{method}: ambiguous distance {d:.0f} m at {a.utc} ({a.ref})")
        if d <= radius:
            hits.append((a.utc, d, a.ref))
    return hits


def _check_gaps(occasions: list[dict], method: str) -> None:
    """Occasions are clearly apart (no gap between 45 and 75 minutes), hits clearly together."""
    for prev, nxt in zip(occasions, occasions[1:]):
        gap = (datetime.fromisoformat(nxt["start"]) - datetime.fromisoformat(prev["end"])).total_seconds()
        if gap < 1.25 * GAP_S:
            raise AssertionError(f"{method}: occasions {prev['end']} and {nxt['start']} only {gap / 60:.0f} min apart")


def proximity_answers(s_fixes, v_fixes, s_recs, v_recs, s_rows, v_rows, ufdr_ids) -> dict:
    s_gps = [Item(f.utc, [(f.lat, f.lon)], f"model {ufdr_ids[id(f)]}") for f in s_fixes]
    v_gps = [Item(f.utc, [(f.lat, f.lon)], f"record {i}") for i, f in enumerate(v_fixes)]
    s_cell = [Item(r.utc, _sites(r), f"row {s_rows[id(r)]}") for r in s_recs]
    v_cell = [Item(r.utc, _sites(r), f"row {v_rows[id(r)]}") for r in v_recs]
    results = {
        "gps": _occasions(pair_hits(s_gps, v_gps, "gps"), "gps"),
        "cell": _occasions(pair_hits(s_cell, v_cell, "cell"), "cell"),
        "place_gps": _occasions(place_hits(s_gps, HOME.lat, HOME.lon, HOME_RADIUS_M, "gps"), "gps"),
        "place_cell": _occasions(place_hits(s_cell, HOME.lat, HOME.lon, HOME_RADIUS_M, "cell"), "cell"),
    }
    for method, occ in results.items():
        _check_gaps(occ, method)
    return results


def _sites(r: NetRecord) -> list[tuple[float, float]]:
    pts = [(r.first.lat, r.first.lon)]
    if (r.last.lat, r.last.lon) != pts[0]:
        pts.append((r.last.lat, r.last.lon))
    return pts


def check_story(prox: dict) -> None:
    """The occasions found are exactly the incidents planted, method by method."""
    def within(occ, inc):
        s, e = at(inc.start) - timedelta(minutes=1), at(inc.end) + timedelta(minutes=1)
        return s <= datetime.fromisoformat(occ["start"]) and datetime.fromisoformat(occ["end"]) <= e

    for method, occs in prox.items():
        for occ in occs:
            if not any(within(occ, i) or _spans(occ, i) for i in INCIDENTS):
                raise AssertionError(f"{method}: unplanted occasion {occ['start']}")
        for inc in INCIDENTS:
            expected = inc.spot == "v_home_street" if method.startswith("place") else inc.victim_present
            found = any(within(o, inc) or _spans(o, inc) for o in occs)
            if method.endswith("cell") and not (inc.sends or inc.data):
                expected = False
            if method == "cell" and inc.victim_present and not inc.sends:
                expected = False
            if expected != found:
                raise AssertionError(f"{method}: incident {inc.name} {'missing' if expected else 'unexpected'}")


def _spans(occ: dict, inc: Incident) -> bool:
    """An occasion that merges two visits (the peak night) spans both incidents' times."""
    s, e = datetime.fromisoformat(occ["start"]), datetime.fromisoformat(occ["end"])
    return s <= at(inc.end) and at(inc.start) <= e


# ----------------------------------------------------------------------------------------
# Putting it together
# ----------------------------------------------------------------------------------------
def main(out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    cells = _cells(random.Random(SEED + 1))
    s_stays, v_stays = build_stays(random.Random(SEED + 2))
    comms = build_comms(random.Random(SEED + 3), s_stays, v_stays)
    sessions = build_sessions(random.Random(SEED + 4), s_stays, v_stays)
    s_fixes = build_fixes(random.Random(SEED + 5), s_stays, SUSPECT, 0)
    v_fixes = build_fixes(random.Random(SEED + 6), v_stays, VICTIM, 2)
    _check_layout(cells)

    s_recs = net_records(SUSPECT, comms, sessions, s_stays, cells, random.Random(SEED + 7))
    v_recs = net_records(VICTIM, comms, sessions, v_stays, cells, random.Random(SEED + 8))

    files = {}
    files["suspect_cdr"] = write_suspect_cdr(out_dir / FILES["suspect_cdr"], s_recs, random.Random(SEED + 9))
    files["victim_cdr"] = write_victim_cdr(out_dir / FILES["victim_cdr"], v_recs)
    files["cells"] = write_cells(out_dir / FILES["cells"], cells)
    ufdr_ids, files["ufdr"] = write_ufdr(out_dir / FILES["ufdr"], comms, s_fixes, random.Random(SEED + 10))
    files["takeout"] = write_takeout(out_dir / FILES["takeout"], v_fixes, random.Random(SEED + 11))
    app_ids, files["victim_ufdr"] = write_victim_ufdr(out_dir / FILES["victim_ufdr"], random.Random(SEED + 13))

    s_rows = _csv_rows(out_dir / FILES["suspect_cdr"], s_recs)
    v_rows = _xlsx_rows(v_recs, files["victim_cdr"])
    prox = proximity_answers(s_fixes, v_fixes, s_recs, v_recs, s_rows, v_rows, ufdr_ids)
    check_story(prox)

    answers = {
        "about": "Planted answers of the Cellsight demo case, computed by make_demo.py from its model "
                 "of the story (not by Cellsight). Times are ISO 8601 in Europe/London.",
        "case": {"name": "Operation Larkspur (demo)", "reference": "DEMO/2025/0417",
                 "officer": "DC Alex Morgan (fictional)", "tz": "Europe/London", "region": "GB"},
        "subjects": [
            {"name": SUSPECT.name, "role": "suspect", "numbers": [SUSPECT.number], "imeis": [SUSPECT.imei]},
            {"name": VICTIM.name, "role": "victim", "numbers": [VICTIM.number], "imeis": [VICTIM.imei]},
        ],
        "places": [{"name": "Sarah Holt's home", "lat": HOME.lat, "lon": HOME.lon, "radius_m": HOME_RADIUS_M,
                    "note": "14 Larkspur Crescent, Headingley (fictional address)", "bssids": list(HOME_BSSIDS)}],
        "files": [  # in the order build_demo_case.py imports them
            {"key": "cells", "file": FILES["cells"], "subject": None, "tz": None,
             "format_hint": "cell site list", **files["cells"]},
            {"key": "suspect_cdr", "file": FILES["suspect_cdr"], "subject": SUSPECT.name, "tz": "Europe/London",
             "format_hint": "operator CDR, CSV", **files["suspect_cdr"]},
            {"key": "victim_cdr", "file": FILES["victim_cdr"], "subject": VICTIM.name, "tz": None,
             "format_hint": "operator CDR, XLSX", **files["victim_cdr"]},
            {"key": "ufdr", "file": FILES["ufdr"], "subject": SUSPECT.name, "tz": None,
             "format_hint": "Cellebrite UFDR", **files["ufdr"]},
            {"key": "takeout", "file": FILES["takeout"], "subject": VICTIM.name, "tz": None,
             "format_hint": "Google Records.json", **files["takeout"]},
            {"key": "victim_ufdr", "file": FILES["victim_ufdr"], "subject": VICTIM.name, "tz": None,
             "format_hint": "Cellebrite UFDR (apps and Wi-Fi only)", **files["victim_ufdr"]},
        ],
        "devices": device_answers(app_ids),
        "contacts": contact_answers(comms),
        "top_contact": {SUSPECT.name: VICTIM.number, VICTIM.name: SUSPECT.number},
        "proximity": {
            "parameters": {"distance_m": DISTANCE_M, "window_min": WINDOW_S / 60, "gap_min": GAP_S / 60,
                           "place_radius_m": HOME_RADIUS_M},
            "gps": {"a": SUSPECT.name, "b": VICTIM.name, "method": "gps",
                    "count": len(prox["gps"]), "occasions": prox["gps"]},
            "cell": {"a": SUSPECT.name, "b": VICTIM.name, "method": "cell",
                     "count": len(prox["cell"]), "occasions": prox["cell"]},
            "place_gps": {"a": SUSPECT.name, "place": "Sarah Holt's home", "method": "gps",
                          "count": len(prox["place_gps"]), "occasions": prox["place_gps"]},
            "place_cell": {"a": SUSPECT.name, "place": "Sarah Holt's home", "method": "cell",
                           "count": len(prox["place_cell"]), "occasions": prox["place_cell"]},
        },
        "incidents": [{"name": i.name, "where": SPOTS[i.spot].label, "start": _iso_local(at(i.start)),
                       "end": _iso_local(at(i.end)), "victim_present": i.victim_present, "note": i.note}
                      for i in INCIDENTS],
        "near_miss": {"start": _iso_local(at(NEAR_MISS[0])), "end": _iso_local(at(NEAR_MISS[1])),
                      "distance_m": round(haversine_m(SPOTS["town"].lat, SPOTS["town"].lon,
                                                      SPOTS["jordan"].lat, SPOTS["jordan"].lon), 1),
                      "note": "She shops in town while he is at Jordan's flat in Holbeck: not proximity."},
        "dst": {
            "change": "2025-10-26T02:00:00+01:00 became 01:00:00+00:00",
            "repeated_hour_calls": [
                {"utc": at(t, fold).strftime("%Y-%m-%dT%H:%M:%SZ"), "local": _iso_local(at(t, fold)),
                 "hour": "second (GMT)" if fold else "first (BST)",
                 "written_in_suspect_cdr": t[11:], "note": "the CSV's local time cannot tell which 01:00 hour; "
                 "the contract resolves it to the first, so this sighting is an hour early" if fold else ""}
                for t, fold, kind, _ in DST_NIGHT if kind == "call" and t[11:13] == "01"],
        },
    }
    (out_dir / "answers.json").write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return answers


def device_answers(app_ids: dict[str, str]) -> dict:
    """What the phones show as witnesses: the app the indicators list, the shared home network, the photo."""
    name, _, installed, _ = next(a for a in VICTIM_APPS if a[0] == MONITOR_APP)
    ssid, bssid, _, last = next(n for n in SUSPECT_NETWORKS if n[1] in HOME_BSSIDS)
    return {
        "monitoring_app": {"subject": VICTIM.name, "file": FILES["victim_ufdr"], "package": MONITOR_APP,
                           "name": name, "indicator": "TheTruthSpy", "type": "stalkerware",
                           "installed": _iso_local(at(installed)), "row": app_ids[MONITOR_APP]},
        "apps_to_look_at": [{"package": p, "permissions": ["accessibility service"]}
                            for p, _, _, perms in VICTIM_APPS
                            if p != MONITOR_APP and "android.permission.BIND_ACCESSIBILITY_SERVICE" in perms],
        "installed_apps": len(VICTIM_APPS),
        "home_network": {"ssid": ssid, "bssids": list(HOME_BSSIDS), "saved_by_suspect": bssid,
                         "suspect_last_connection": _iso_local(at(last)),
                         "note": "His phone last joined her router while he was parked outside (home-3a)."},
        "photo": {"subject": SUSPECT.name, "file": SUSPECT_PHOTO["file"], "lat": round(SUSPECT_PHOTO["at"][0], 6),
                  "lon": round(SUSPECT_PHOTO["at"][1], 6), "time": _iso_local(SUSPECT_PHOTO["utc"]),
                  "note": "Taken outside her home while she was at work (home-empty-1); not counted in "
                          "proximity unless photo positions are included."},
    }


def _check_layout(cells: list[Cell]) -> None:
    """Areas far apart; in each area the two networks' masts close together."""
    areas = list(AREAS.items())
    for i, (a, pa) in enumerate(areas):
        for b, pb in areas[i + 1:]:
            assert haversine_m(*pa, *pb) > 1400, (a, b)
    for area in SITE_OFFSETS:
        pts = sorted({(c.lat, c.lon) for c in cells if c.area == area})
        assert all(haversine_m(*p, *q) <= 100 for p in pts for q in pts), area
    keys = [(c.lac, c.ci) for c in cells]
    assert len(keys) == len(set(keys)), "LAC and CI must identify a cell without MCC/MNC"


def _csv_rows(path: Path, recs: list[NetRecord]) -> dict[int, int]:
    """Line number of each record in the suspect's CSV (the rows the importer will name)."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))[1:]
    good = [i + 2 for i, row in enumerate(lines) if row[1] and not row[0].startswith("31/09")]
    assert len(good) == len(recs)
    return {id(r): n for r, n in zip(recs, good)}


def _xlsx_rows(recs: list[NetRecord], info: dict) -> dict[int, int]:
    first = info["header_row"] + 1
    bad = int(info["rejections"][0]["row"])
    rows = [n for n in range(first, first + len(recs) + 1) if n != bad]
    return {id(r): n for r, n in zip(recs, rows)}


if __name__ == "__main__":
    # The package folder of the checkout (the script runs without importing Cellsight).
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        Path(__file__).resolve().parents[1] / "src" / "cellsight" / "resources" / "demo"
    result = main(target)
    c = result["contacts"]
    print(f"wrote {target}: {c['total']} contacts between {c['a']} and {c['b']} "
          f"(peak {c['peak']['period']}: {c['peak']['count']}); proximity occasions "
          + ", ".join(f"{k} {v['count']}" for k, v in result["proximity"].items() if k != "parameters"))
