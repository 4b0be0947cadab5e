"""The report's parts one by one: wording, redaction of any written form, and the print-safe map rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cellsight.report import mapdata, staticmap
from cellsight.report.producer import Producer, fill, unknown_placeholders
from cellsight.report.redaction import Redactor
from cellsight.report.words import (duration_words, key_words, parameters_words, period_words,
                                    short_period_words, time_words)
from factories import add_events, add_fixes, new_case

ZONE = "Europe/London"


def test_periods_and_names_in_words():
    assert period_words("2025-11-01", "day") == "Sat 1 Nov 2025"
    assert period_words("2025-W44", "week") == "week of Mon 27 Oct 2025"
    assert period_words("2025-11", "month") == "Nov 2025"
    # The two 01:00 hours of the autumn change stay apart.
    assert period_words("2025-10-26T01+01:00", "hour") != period_words("2025-10-26T01+00:00", "hour")
    assert short_period_words("2025-11-01", "day") == "1 Nov"
    assert duration_words(125) == "2 min 05 s" and duration_words(3720) == "1 h 02 min"
    assert key_words("distance_m") == "distance (m)" and key_words("gap_min") == "gap (min)"
    # A wall-clock time from a pane's table is read in the case's zone, not as UTC.
    assert time_words("2025-10-03 17:20:13", ZONE) == "Fri 3 Oct 2025 17:20:13 BST"
    assert time_words("2025-10-26T00:07:40Z", ZONE) == "Sun 26 Oct 2025 01:07:40 BST (UTC+01:00)"


def test_parameters_print_as_words_not_fields():
    words = parameters_words({"pane": "events", "distance_m": 200.0, "window_min": 5,
                              "selection": {"kind": "and", "parts": []},
                              "selection_text": "time 2025-10-03T17:20:13+01:00 to 2025-10-04T00:00:00+01:00",
                              "sort": {"column": "start", "descending": True}}, ZONE)
    assert words == {"made in": "the Events pane", "distance (m)": 200.0, "window (min)": 5,
                     "selection": "time Fri 3 Oct 2025 17:20:13 BST to Sat 4 Oct 2025 00:00:00 BST",
                     "sort": "start, descending"}


def test_declaration_placeholders():
    producer = Producer("DC Ann Example", "Detective Constable", "")
    text = fill(producer.template(), {"name": producer.name, "rank": producer.rank, "force": producer.force,
                                      "pages": 12})
    assert text.startswith("I, DC Ann Example, Detective Constable of [force not stated], produced")
    assert "It has 12 pages" in text
    assert unknown_placeholders("I, {name}, {nmae}") == ["nmae"]
    assert fill("{nmae} stays", {}) == "{nmae} stays"


@pytest.fixture(scope="module")
def phone_case():
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    add_events(case, "Sam", [
        {"start": "2024-03-01T10:00:00Z", "kind": "call", "direction": "outgoing", "party_a": "07700 900001",
         "party_b": "07700 900555"},
        {"start": "2024-03-01T09:00:00Z", "kind": "sms", "direction": "incoming", "party_a": "+44 1632 960123",
         "party_b": "07700 900001", "text": "ring Jo on 07700 900777 or 07700900555"},
        {"start": "2024-03-01T11:00:00Z", "kind": "sms", "direction": "outgoing", "party_a": "07700 900001",
         "party_b": "07700 900002"}])
    return case


def test_third_parties_numbered_in_order_of_first_appearance(phone_case):
    redactor = Redactor.for_case(phone_case)
    assert redactor.numbers == {"+441632960123": 1, "+447700900555": 2, "+447700900777": 3}
    assert redactor.text("ring Jo on 07700 900777 or 07700900555") == "ring Jo on Third party 3 or Third party 2"
    assert redactor.text("+447700900001 and 07700 900002") == "+447700900001 and 07700 900002"  # subjects stay
    assert redactor.text("cell 234-30-10451-128025602, IMEI 353325110417262") == \
        "cell 234-30-10451-128025602, IMEI 353325110417262"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["+447700900555", "447700900555", "07700900555", "07700 900555", "+44 7700 900555",
                        "+44 (0)7700 900555", "447700900555@s.whatsapp.net", "07700-900-555"]),
       st.sampled_from(["", "call ", "(", "number: "]), st.sampled_from(["", ".", " please", ")", ", thanks"]))
def test_any_written_form_of_a_third_party_is_replaced(phone_case, form, before, after):
    redactor = Redactor.for_case(phone_case)
    out = redactor.text(f"{before}{form}{after}")
    assert "Third party 2" in out
    assert "900555" not in out.replace(" ", "").replace("-", "")


def test_map_tells_people_apart_without_colour_and_never_hides_a_fix():
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    t0 = pd.Timestamp("2024-03-01T20:00Z")
    add_fixes(case, "Sam", [{"time": t0 + pd.Timedelta(minutes=m), "lat": 51.5, "lon": -0.1 + m * 1e-5}
                            for m in range(4)] +
              [{"time": t0 + pd.Timedelta(minutes=4), "lat": 51.56, "lon": -0.1}])  # 6.7 km north
    add_fixes(case, "Vic", [{"time": t0 + pd.Timedelta(minutes=m), "lat": 51.5003, "lon": -0.1}
                            for m in range(4)])
    hits = [[51.5, -0.1], [51.5003, -0.1]]
    occasions = [{"label": str(i), "lat": 51.50015, "lon": -0.1, "hit_points": hits} for i in (1, 2, 3)]
    occasions.append({"label": "4", "lat": 51.5006, "lon": -0.0995, "hit_points": [[51.5006, -0.0995]]})
    data = mapdata.gather(case, places=[], occasions=occasions)
    bounds = staticmap.occasion_bounds(occasions)
    assert bounds[0] <= 51.5 and bounds[2] >= 51.5006  # the frame holds every hit
    assert staticmap.subject_style("suspect")[:2] != staticmap.subject_style("victim")[:2]
    assert staticmap.subject_style("suspect")[2] != staticmap.subject_style("victim")[2]
    legend = [label for _, _, label, _ in staticmap.legend_entries(data, off_map=True)]
    assert any("filled circles, solid track" in line for line in legend)
    assert any("open squares, dashed track" in line for line in legend)
    assert any("off this map" in line for line in legend)
    view = staticmap.fit_view(bounds, 1600, 900, 2.0, staticmap.MIN_SPAN_FRAMED_M)
    rings = staticmap.occasion_rings(view, occasions)
    assert [r.labels for r in rings] == [["1", "2", "3"], ["4"]]  # one spot, one ring, one label
    x, y = view.pixels(np.array([p[0] for p in hits]), np.array([p[1] for p in hits]))
    assert all(np.hypot(x - rings[0].x, y - rings[0].y) < rings[0].r - 8)  # hits well inside the ring
    draw = __import__("PIL.ImageDraw", fromlist=["Draw"]).Draw(Image.new("RGBA", (1600, 900)))
    placed = staticmap.place_labels(view, rings, staticmap._font(22, True), draw, [])
    assert sorted(text for _, _, text in placed) == ["1, 2, 3", "4"]
    centres = [c for _, c, _ in placed]
    # The two labels do not overlap: apart by more than a label's height, or side by side.
    assert abs(centres[0][1] - centres[1][1]) > 30 or abs(centres[0][0] - centres[1][0]) > 120
    # The far fix of the time margin is not silently dropped: an arrow points to it.
    image = Image.new("RGBA", (view.width, view.height))
    assert staticmap.draw_off_map(__import__("PIL.ImageDraw", fromlist=["Draw"]).Draw(image), view, data,
                                  staticmap._font(20)) == 1
    grey = np.asarray(staticmap.render_map(data, 800, 450, bounds=bounds).convert("L"))
    assert grey.std() > 10  # a drawn map, in black and white too
