"""The case model: subjects, places, the audit log and the schema's guarantees."""

from __future__ import annotations

import pandas as pd
import pytest

from cellsight.core import schema
from cellsight.core.case import Case, CaseError


def test_subject_numbers_accumulate_in_e164_and_are_found_in_any_format() -> None:
    case = Case.new(name="Kite")
    case.set_subject("Dan Price", role="suspect", numbers=["07700 900001"])
    case.set_subject("dan price", numbers=["447700900002"], imeis=["356938035643809"])
    (dan,) = case.subjects
    assert dan.role == "suspect"
    assert dan.numbers == ["+447700900001", "+447700900002"]
    assert dan.imeis == ["356938035643809"]
    assert case.find_subject("DAN PRICE") is dan
    assert case.find_subject("+44 (0)7700-900002") is dan
    assert case.find_subject("447700900001@s.whatsapp.net") is dan
    assert case.find_subject("07700 900003") is None


def test_a_number_cannot_belong_to_two_subjects() -> None:
    case = Case.new()
    case.set_subject("Dan", numbers=["07700 900001"])
    with pytest.raises(CaseError, match="already belongs to subject 'Dan'"):
        case.set_subject("Sarah", numbers=["+447700900001"])
    assert [s.name for s in case.subjects] == ["Dan"]


def test_unknown_role_and_blank_name_are_refused() -> None:
    case = Case.new()
    with pytest.raises(CaseError):
        case.set_subject("Dan", role="boss")
    with pytest.raises(CaseError):
        case.set_subject("   ")
    assert case.subjects == []


def test_party_resolves_subjects_and_bare_numbers() -> None:
    case = Case.new()
    case.set_subject("Sarah", numbers=["07700 900002"])
    assert case.party("sarah") == ("Sarah", ["+447700900002"])
    assert case.party("07700 900099") == ("+447700900099", ["+447700900099"])


def test_places_replace_by_name_and_check_ranges() -> None:
    case = Case.new()
    case.set_place("Home", 53.48, -2.24)
    case.set_place("home", 53.49, -2.25, 150)
    assert len(case.places) == 1 and case.places[0].radius_m == 150
    with pytest.raises(CaseError):
        case.set_place("Nowhere", 95, 0)
    with pytest.raises(CaseError):
        case.set_place("Flat", 53, -2, radius_m=-5)


def test_every_change_is_appended_to_the_audit_log() -> None:
    case = Case.new(name="Kite")
    case.set_subject("Dan")
    case.set_place("Home", 53.48, -2.24)
    actions = case.audit["action"].tolist()
    assert actions == ["create case", "create subject", "set place"]
    assert case.audit["time"].is_monotonic_increasing
    assert case.audit["user"].notna().all()


def test_unknown_zone_and_region_are_refused() -> None:
    with pytest.raises(ValueError):
        Case.new(tz="Europe/Londn")
    with pytest.raises(CaseError):
        Case.new(region="XX")


def test_conform_maps_unknown_categories_to_missing_and_validate_catches_them() -> None:
    frame = pd.DataFrame({"start": pd.to_datetime(["2023-01-01"], utc=True), "kind": ["telegram"],
                          "direction": ["outgoing"], "source_id": ["S1"], "source_row": ["2"]})
    conformed = schema.conform(frame, "events")
    assert list(conformed.columns) == list(schema.EVENTS)
    assert pd.isna(conformed.loc[0, "kind"])
    with pytest.raises(schema.SchemaError, match="lack 'kind'"):
        schema.validate(conformed, "events")


def test_naive_times_are_refused_by_the_schema() -> None:
    frame = pd.DataFrame({"start": pd.to_datetime(["2023-01-01 10:00"])})
    with pytest.raises(schema.SchemaError, match="zone-aware"):
        schema.conform(frame, "events")


def test_empty_tables_validate() -> None:
    for name in schema.TABLES:
        schema.validate(schema.empty(name), name)
