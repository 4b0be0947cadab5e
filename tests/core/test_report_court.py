"""The storyboard as a prosecutor reads it, checked on the demo case through the PDF's own text.

Exhibit references with rows in every evidence cell and no internal source id;
times in the court's form; the written summary's figures equal the analyses'
and point at the right pages; one schedule row per communication of the pair;
saved frames in words; a producer, a declaration and an SFR1-style statement;
and redaction that leaves no third party's number or name in the PDF, the map
or the export.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from cellsight import cli
from cellsight import demo as cellsight_demo
from cellsight.analysis import contacts, proximity
from cellsight.core.casefile import open_case, save_case
from cellsight.core.timezones import court_times
from cellsight.report import evidence, fonts
from cellsight.report.build import write_report
from cellsight.report.producer import Producer
from cellsight.report.redaction import Redactor
from cellsight.report.storyboard import Frame, Storyboard
from cellsight.report.words import period_words

SUSPECT, VICTIM, HOME = "Daniel Price", "Sarah Holt", "Sarah Holt's home"
PRODUCED = "2025-11-20T10:00:00"
COURT_TIME = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                        r"\d{4} \d{2}:\d{2}:\d{2} (BST|GMT)")
CITATION = re.compile(r"AM/\d (line \d+|row \d+|model [0-9a-f\-]{36}|record \d+)")
PRODUCER = Producer("DC Alex Morgan", "Detective Constable", "West Yorkshire Police (fictional)")


def text_of(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


def exhibits_text(summary: dict) -> tuple[list[str], list[str]]:
    """The pages of the schedule and of the appendix written beside the storyboard."""
    return text_of(summary["schedule"]["pdf"]), text_of(summary["appendix"]["pdf"])


def flat(text: str) -> str:
    return " ".join(text.split())


def page_with(pages: list[str], text: str) -> int:
    """The index of the first page (the contents page aside) that holds ``text``."""
    return next(i for i, p in enumerate(pages) if text in p and "Contents" not in p)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("court")
    path = folder / "demo.cellsight"
    case, _ = cellsight_demo.build(path)
    # The analyst's saved frames, as the workstation captures them (selection, pane, source ids, a ↔).
    Storyboard([
        Frame("chart", caption="Daniel Price ↔ Sarah Holt: events a day",
              parameters={"pane": "timeline", "by": "day", "zone": "Europe/London",
                          "selection": {"kind": "and", "parts": [{"kind": "everything"}, {"kind": "everything"}]},
                          "selection_text": "time 2025-10-01T00:00:00+01:00 to 2025-10-31T23:59:59+00:00",
                          "distance_m": 200.0},
              content={"chart": "series", "a": "Daniel Price, Sarah Holt", "b": "", "by": "day",
                       "data": {"series": [{"period": "2025-10-01", "count": 4}, {"period": "2025-10-02", "count": 9}],
                                "peak": {"period": "2025-10-02", "count": 9}, "total": 13}}),
        Frame("table", caption="Exhibits: the files this analysis is based on", parameters={"pane": "case"},
              content={"columns": ["Source", "File", "Rows"],
                       "rows": [[s.id, s.file, s.rows] for s in case.sources]}),
        Frame("map", caption="Map of the selection", parameters={"pane": "map"},
              content={"subjects": [SUSPECT, VICTIM], "start": "2025-10-03T16:00:00+01:00",
                       "end": "2025-10-03T19:00:00+01:00", "places": [HOME],
                       "occasions": [{"label": "1", "lat": 53.83, "lon": -1.5394,
                                      "start": "2025-10-03T17:20:13+01:00", "end": "2025-10-03T17:40:23+01:00"}]}),
    ]).save(case)
    save_case(case, path)
    case = open_case(path)
    out = folder / "report.pdf"
    summary = write_report(case, out, produced=PRODUCED, case_path=path, producer=PRODUCER,
                           statement=folder / "sfr1.pdf")
    return case, path, out, summary, text_of(out), folder


def test_no_internal_source_ids_and_every_evidence_cell_cites_exhibit_rows(demo):
    case, _path, _out, summary, pages, _ = demo
    schedule, appendix_pages = exhibits_text(summary)
    text = "\n".join(pages + schedule + appendix_pages)
    assert not re.search(r"\bS\d+:\S", text), "an internal source row id is printed"
    assert not re.search(r"(?<![\w/])S[1-5](?![\w/])", text), "an internal source id is printed"
    squeezed = re.sub(r"\s", "", text)
    for run in summary["analyses"]:
        other = {"b": run["b"]} if "b" in run else {"place": run["place"]}
        result = proximity.run(case, run["a"], method=run["method"], **other)
        cited = evidence.occasion_evidence(case, result)
        assert len(cited) == run["occasions"] == 6
        for occasion in cited:
            # The cell names every exhibit with a row from it; the appendix lists every cited row.
            assert CITATION.search(occasion.short) and "(Appendix A" in occasion.short
            assert occasion.cited[0].replace(" ", "") in squeezed
            for row in occasion.cited:  # a long model id may wrap inside its cell
                assert row.replace(" ", "") in squeezed
    # Every evidence cell printed in an occasions table: a cited exhibit row, then its appendix reference.
    tables = re.sub(r"\s", "", "\n".join(pages[page_with(pages, f"Proximity of {SUSPECT} to"):]))
    cells = list(re.finditer(r"\(AppendixA,(GPS|Cell|Place\d?GPS|Place\d?Cell)\d+\)", tables))
    assert len(cells) == sum(r["occasions"] for r in summary["analyses"]) == 24
    for cell in cells:
        before = tables[max(0, cell.start() - 200):cell.start()]
        cell_text = before.split("(AppendixA,")[-1].split("everyrowinAppendixA)")[-1]
        assert re.search(r"AM/\d(line\d+|row\d+|model[0-9a-f\-]{36}|record\d+)", cell_text), cell_text
    appendix = page_with(appendix_pages, "Appendix A: the evidence")
    assert CITATION.search(appendix_pages[appendix])


def test_times_are_in_the_court_form(demo):
    case, _path, _out, summary, pages, _ = demo
    schedule, appendix = exhibits_text(summary)
    text = "\n".join(pages + schedule + appendix)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)  # no ISO times anywhere
    assert len(COURT_TIME.findall(text)) > 1500
    occasions = proximity.run(case, SUSPECT, b=VICTIM).to_json(case.info.tz)["occasions"]
    starts = court_times(pd.Series([pd.Timestamp(o["start"]) for o in occasions]), case.info.tz)
    assert all(s in text for s in starts)
    assert "Produced Thu 20 Nov 2025 10:00:00 GMT by DC Alex Morgan" in pages[0]
    assert "Sun 26 Oct 2025 01:07:40 BST (UTC+01:00)" in text or "(UTC+00:00)" in text  # the repeated hour


def test_summary_sentences_carry_the_analyses_figures_and_pages(demo):
    case, _path, _out, summary, pages, _ = demo
    doc = contacts.between(case, SUSPECT, VICTIM)
    start = page_with(pages, "This report concerns")
    words = flat(pages[start])
    assert f"record {doc['total']:,} communications" in words
    assert f"{doc['by_direction']['a_to_b']:,} were from {SUSPECT}'s number to {VICTIM}'s" in words
    assert f"{doc['by_direction']['b_to_a']:,} were from {VICTIM}'s number" in words
    assert f"{doc['calls']['answered']} of the {doc['calls']['total']} calls were answered" in words
    assert f"was {doc['peak']['count']}, on {period_words(doc['peak']['period'], 'day')}" in words
    for run in summary["analyses"]:
        target = run.get("b") or run.get("place")
        sentence = re.search(rf"On (\d+) occasions?,[^.]*{re.escape(target)}[^.]*\(page (\d+)\)", words)
        assert sentence, run
        found = [m for m in re.finditer(r"On (\d+) occasions?,[^(]*\(page (\d+)\)", words)]
        pages_cited = {int(m.group(2)) for m in found}
        assert run["page"] in pages_cited
        assert int(sentence.group(1)) == run["occasions"]
        # The cited page is the one where that analysis's section starts.
        title = "location fixes" if run["method"] == "gps" else "cell sites (corroboration)"
        assert f"Proximity of {SUSPECT} to {target}: {title}" in pages[run["page"] - 1]
    contact_page = int(re.search(r"each counted once however many exhibits record it \(page (\d+)\)", words).group(1))
    assert f"Contact between {SUSPECT} and {VICTIM}" in pages[contact_page - 1]
    peak_page = int(re.search(r"on Sat 1 Nov 2025 \(page (\d+)\)", words).group(1))
    assert "Communications per day between" in pages[peak_page - 1]


def test_the_default_report_adds_cell_sites_as_corroboration(demo):
    _case, _path, _out, summary, pages, _ = demo
    methods = Counter((r.get("b") or r.get("place"), r["method"]) for r in summary["analyses"])
    assert methods == {(VICTIM, "gps"): 1, (VICTIM, "cell"): 1, (HOME, "gps"): 1, (HOME, "cell"): 1}
    cell = pages[page_with(pages, f"Proximity of {SUSPECT} to {VICTIM}: cell sites (corroboration)")]
    assert "separate from, the analysis of location fixes" in flat(cell)


def test_the_chronology_has_one_row_per_communication(demo):
    case, _path, _out, summary, pages, _ = demo
    comms = contacts.pair_events(case, SUSPECT, VICTIM)
    assert summary["chronology"][0]["communications"] == len(comms) == 1582
    first = summary["chronology"][0]["page"]
    schedule = "\n".join(exhibits_text(summary)[0][first - 1:])
    printed = Counter(re.findall(COURT_TIME.pattern.replace("(", "(?:"), flat(schedule)))
    expected = Counter(court_times(comms["start"], case.info.tz).str.replace(r" \(UTC[^)]*\)", "", regex=True))
    assert all(printed[t] >= n for t, n in expected.items())
    numbers = [int(n) for n in re.findall(r"^(\d+)\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d", schedule, re.M)]
    assert max(numbers) == 1582 and len(set(numbers)) == 1582
    assert "Proximity occasion GPS 1" in flat(schedule)


def test_chronology_period_filter(tmp_path, demo):
    case, path, *_ = demo
    summary = write_report(case, tmp_path / "r.pdf", produced=PRODUCED, case_path=path,
                           chronology_from="2025-11-01", chronology_to="2025-11-01")
    comms = contacts.pair_events(case, SUSPECT, VICTIM)
    day = court_times(comms["start"], case.info.tz).str.startswith("Sat 1 Nov 2025").sum()
    assert summary["chronology"][0]["communications"] == day == 102
    assert summary["chronology"][0]["occasions"] == 2  # the night of 1-2 Nov starts on the 1st: by GPS and by cell


def test_saved_frames_print_in_words(demo):
    _case, _path, _out, _summary, pages, _ = demo
    start = page_with(pages, "events a day")
    board = flat("\n".join(pages[start:start + 4]))
    assert "Daniel Price ↔ Sarah Holt: events a day" in board  # the glyph prints
    assert "kind: and" not in board and "parts:" not in board and "distance_m" not in board
    assert "selection time Wed 1 Oct 2025 00:00:00 BST to Fri 31 Oct 2025 23:59:59 GMT" in board
    assert "made in the Timeline pane" in board and "distance (m)" in board
    assert "records per day" in board and "contacts" not in board.split("Exhibits: the files")[0]
    for source in _case.sources:
        assert f"{source.exhibit} {source.file}" in board
    # The map frame's occasion, captured with only its time and place, gets its hits and analysis.
    assert "Daniel Price near Sarah Holt by location fixes, 200 m, 5 min, gap 60 min" in board


def test_every_printed_character_has_a_glyph_and_limitations_are_real(demo):
    _case, _path, _out, _summary, pages, _ = demo
    text = "\n".join(pages)
    assert fonts.missing(text) == []
    assert "None stated" not in text
    place = pages[page_with(pages, f"Proximity of {SUSPECT} to {HOME}: location fixes")]
    assert "set by the officer in this case" in flat(place)


def test_no_caption_is_left_alone_at_a_page_foot(demo):
    *_, pages, _ = demo
    captions = {"Method", "Limitations", "Parameters", "Results", "Ranked contacts", "Key figures"}
    for number, page in enumerate(pages, start=1):
        body = [line for line in page.splitlines() if line.strip() and not line.startswith("Produced ")]
        assert body[-1].strip() not in captions, f"page {number} ends with a caption"
        assert not re.match(r"^Occasions \(\d+\)$", body[-1].strip()), f"page {number} ends with a caption"


def test_producer_declaration_and_statement(demo):
    case, path, out, summary, pages, folder = demo
    last = flat(pages[-1])
    assert "I, DC Alex Morgan, Detective Constable of West Yorkshire Police (fictional), produced this report" in last
    assert f"It has {summary['pages']} pages" in last and summary["case_sha256"] in last
    assert "Signed" in last and "Rank or role" in last
    statement = flat("\n".join(text_of(folder / "sfr1.pdf")))
    assert "Streamlined forensic report (SFR1 style)" in statement
    assert summary["sha256"] in statement and f"{summary['pages']} pages" in statement
    gps = next(r for r in summary["analyses"] if r.get("b") == VICTIM and r["method"] == "gps")
    assert f"(page {gps['page']} of the full report)" in statement
    for heading in ("1. Purpose", "2. Exhibits examined", "3. Key findings", "4. What the findings do not show",
                    "5. Status of this report", "6. Declaration"):
        assert heading in statement
    for source in case.sources:
        assert source.sha256 in statement


def third_party_forms(case) -> set[str]:
    """Every way a third party's number or name may be written in an output."""
    keep = {n for s in case.subjects for n in s.numbers}
    forms: set[str] = set()
    events = case.events
    for column in ("party_a", "party_b"):
        values = events[column].dropna().astype(str)
        flags = events[f"{column}_flag"].astype(object)
        for value in set(values[~flags.loc[values.index].isin(["withheld", "blank"])]) - keep:
            forms.add(value)
            if value.startswith("+44"):
                national = value[3:]
                forms |= {value[1:], "0" + national, f"0{national[:4]} {national[4:]}"}
    names = {k: v for k, v in case.number_names().items() if k not in keep}
    forms |= {name for name in names.values() if len(name) >= 3}
    return {f for f in forms if f}


def test_redaction_leaves_no_third_party_in_pdf_map_or_export(tmp_path, demo):
    case, path, *_ = demo
    forms = third_party_forms(case)
    assert len(forms) > 20
    assert cli.main(["report", str(path), "--out", str(tmp_path / "r.pdf"), "--redact", "--produced", PRODUCED,
                     "--statement", str(tmp_path / "s.pdf")]) == 0
    assert cli.main(["map", str(path), "--out", str(tmp_path / "m.html"), "--redact"]) == 0
    assert cli.main(["export", str(path), "--out", str(tmp_path / "e.csv"), "--redact"]) == 0
    outputs = {"map": (tmp_path / "m.html").read_text(encoding="utf-8"),
               "export": (tmp_path / "e.csv").read_text(encoding="utf-8-sig"),
               "schedule spreadsheet": _xlsx_text(tmp_path / "r-schedule.xlsx")}
    for name, pdf in (("pdf", "r.pdf"), ("statement", "s.pdf"), ("schedule", "r-schedule.pdf"),
                      ("appendix", "r-appendix.pdf")):
        reader = PdfReader(str(tmp_path / pdf))  # the text and the document's metadata
        outputs[name] = "\n".join([page.extract_text() for page in reader.pages]
                                  + [str(v) for v in (reader.metadata or {}).values()])
    for name, text in outputs.items():
        squeezed = text.replace(" ", "")
        leaked = sorted(f for f in forms if (f in text if not f[0].isdigit() and f[0] != "+" else
                                             f.replace(" ", "") in squeezed and not f.isalpha()))
        leaked = [f for f in leaked if not (f.isalpha() and not re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text))]
        assert leaked == [], f"{name} still shows {leaked}"
    assert "Third party 1" in outputs["pdf"] and "Third party 1" in outputs["export"]
    assert "Third party" in outputs["appendix"]  # the suspect's ranked contacts
    rows = list(csv.DictReader((tmp_path / "e.csv").open(encoding="utf-8-sig")))
    # Subjects stay as they are (the export writes a leading + as '+, so no spreadsheet reads a formula).
    assert {r["party_a"].lstrip("'") for r in rows} >= {"+447700900417", "Third party 1"}


def _xlsx_text(path) -> str:
    """Every cell of a workbook and its document properties, as text."""
    import zipfile

    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
             if v is not None]
    with zipfile.ZipFile(path) as zf:
        cells.append(zf.read("docProps/core.xml").decode("utf-8"))
    return "\n".join(cells)


def test_pseudonyms_are_stable_and_kept_only_in_the_case(demo):
    case, *_ = demo
    first = Redactor.for_case(case)
    again = Redactor.for_case(case)
    assert first.numbers == again.numbers and first.numbers
    assert sorted(first.numbers.values()) == list(range(1, len(first.numbers) + 1))
    # Numbered in order of first appearance: the earliest third party in the events is number 1.
    keep = {n for s in case.subjects for n in s.numbers}
    events = case.events.sort_values("start", kind="stable")
    earliest = next(v for a, b in zip(events["party_a"], events["party_b"]) for v in (a, b)
                    if isinstance(v, str) and v not in keep and v.strip() and v != "Withheld")
    assert first.numbers[earliest] == 1
    assert first.remember(case) and "redaction" in case.extras and not first.remember(case)
    stored = dict(first.numbers)
    # A later exhibit with an earlier third party keeps the stored numbers and adds after them.
    from factories import add_events

    add_events(case, SUSPECT, [{"start": "2025-01-01T10:00:00Z", "kind": "call", "direction": "outgoing",
                                "party_a": "07700 900417", "party_b": "07700 900999"}], file="later.csv")
    later = Redactor.for_case(case)
    assert all(later.numbers[k] == v for k, v in stored.items())
    assert later.numbers["+447700900999"] == len(stored) + 1
    case.extras.pop("redaction")


def test_cli_producer_is_kept_in_the_case_and_used(tmp_path):
    from tests.core.report_fixtures import make_case

    path = tmp_path / "c.cellsight"
    save_case(make_case(days=1), path)
    assert cli.main(["producer", str(path), "--producer", "DS Jo Bloggs", "--producer-rank", "Detective Sergeant",
                     "--producer-force", "Avon Constabulary (fictional)",
                     "--declaration", "I, {name} ({rank}, {force}), made this {pages}-page report."]) == 0
    assert cli.main(["producer", str(path), "--declaration", "Signed {nmae}"]) == 2
    assert cli.main(["report", str(path), "--out", str(tmp_path / "r.pdf"), "--produced", PRODUCED,
                     "--a", "Sam Suspect", "--b", "Vicky Victim"]) == 0
    pages = text_of(tmp_path / "r.pdf")
    assert f"I, DS Jo Bloggs (Detective Sergeant, Avon Constabulary (fictional)), made this {len(pages)}-page " \
           "report." in flat(pages[-1])
    assert "DS Jo Bloggs, Detective Sergeant, Avon Constabulary (fictional)" in pages[0]


def test_proximity_json_keeps_its_evidence_keys_and_adds_citations(demo, capsys):
    _case, path, *_ = demo
    assert cli.main(["proximity", str(path), "--a", SUSPECT, "--b", VICTIM, "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    for occasion in doc["occasions"]:
        evidence = occasion["evidence"]
        assert {"methods", "rows", "cited"} <= set(evidence)
        assert all(re.match(r"^S\d+:", row) for row in evidence["rows"])  # the contract's form, unchanged
        assert len(evidence["cited"]) == len(evidence["rows"]) and all(CITATION.match(c) for c in evidence["cited"])


def _known_citations(case) -> set[str]:
    """Every row of every exhibit that became an event or a fix, cited as the report cites it."""
    from cellsight.core.citations import cite_series

    known: set[str] = set()
    for table in (case.events, case.locations):
        known |= set(cite_series(case, table["source_id"].astype(object), table["source_row"].astype(object)))
    return known


def _cited_rows(evidence: str) -> list[str]:
    """The exhibit rows an evidence cell cites (``AM/2 line 231 and 3 more rows; AM/3 row 288 (Appendix A, Cell 1)``)."""
    evidence = re.sub(r"\s*\((Appendix A|the first of them)[^)]*\)", "", evidence)
    return [re.sub(r" and \d+ more rows?$", "", part.strip()) for part in evidence.split("; ") if part.strip()]


def test_key_events_and_messages_of_concern_cite_rows_that_exist(demo):
    case, _path, _out, summary, pages, _ = demo
    known = _known_citations(case)
    schedule_ref = summary["schedule"]["exhibit"]
    events = summary["key_events"]
    kinds = " ".join(e["event"] for e in events)
    for what in ("First communication", "Last communication", "First message of concern", "Busiest day",
                 "Busiest week", "First occasion (GPS 1)", "First occasion (Place 1 GPS 1)"):
        assert what in kinds
    communications = summary["chronology"][0]["communications"]
    for event in events:
        rows = _cited_rows(event["evidence"])
        assert rows, event
        for row in rows:
            if row.startswith(f"{schedule_ref} rows "):  # rows of the schedule exhibit written beside it
                first, _, last = row.removeprefix(f"{schedule_ref} rows ").partition("–")
                assert 1 <= int(first) <= int(last or first) <= communications
            else:
                assert row in known, (event["event"], row)
    text = flat("\n".join(pages))
    assert "Key events: Daniel Price and Sarah Holt" in text and "Messages of concern: Daniel Price" in text
    # Messages of concern: the count in the summary and the statement, each quoted with rows that exist.
    count = summary["concern"][0]["messages"]
    assert count > 0
    assert f"{count} messages between the two numbers hold one of the case's terms of concern" in text
    run = contacts.pair_events(case, SUSPECT, VICTIM)
    from cellsight.report import chronology, concern

    found = concern.find(case, chronology.communications(case, SUSPECT, VICTIM))
    assert found.count == count and len(found.messages["comm_id"].unique()) == count <= len(run)
    from cellsight.analysis import messages

    assert messages.concern_mask(found.messages["text"].astype("string"), found.terms).all()
    for cited in found.messages["cited"]:
        assert all(row in known for row in _cited_rows(cited))
    first = found.messages.iloc[0]
    assert " ".join(str(first["text"]).split())[:30] in text  # quoted in the storyboard
    statement = flat("\n".join(text_of(_path.parent / "sfr1.pdf")))
    assert f"{count} messages between the two numbers hold one of the case's terms of concern" in statement


def test_the_demo_storyboard_is_short_and_lists_its_exhibits(demo):
    _case, _path, out, summary, pages, _ = demo
    assert summary["pages"] <= 40
    text = flat("\n".join(pages))
    for doc in (summary["schedule"], summary["appendix"]):
        assert Path(doc["pdf"]).exists() and doc["sha256"] in text and doc["exhibit"] in text
        assert Path(doc["pdf"]).parent == out.parent
    assert summary["schedule"]["xlsx_sha256"] in text
    assert Path(summary["schedule"]["xlsx"]).name == "report-schedule.xlsx"
    assert len(text_of(summary["schedule"]["pdf"])) == summary["schedule"]["pages"]
