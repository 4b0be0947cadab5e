"""The call-record vocabulary is data: every example heading reads as its rule says, first-match
order included, and docs/formats.md prints the same table."""

from pathlib import Path

import pytest

from cellsight.importers.cdr.vocabulary import RULES, column_role, rule_for, with_vocabulary

DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


@pytest.mark.parametrize("rule, heading", [(r, e) for r in RULES for e in r.examples],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_each_example_heading_is_read_by_its_own_rule(rule, heading):
    assert rule_for(heading) is rule  # the first rule that matches is this one, not an earlier one
    role = column_role(heading)
    if rule.role is None:
        assert role is None
    elif rule.serial:
        assert role in (rule.role + "_first", rule.role + "_last")
    else:
        assert role == rule.role


def test_every_rule_has_an_example():
    assert all(rule.examples for rule in RULES)


def test_last_words_make_the_last_cell():
    assert column_role("Last Cell ID") == "ci_last"
    assert column_role("First Cell ID") == "ci_first"


def test_formats_md_lists_the_vocabulary_from_the_table():
    text = DOCS.read_text(encoding="utf-8")
    assert with_vocabulary(text) == text, "run scripts/formats_vocabulary.py to update docs/formats.md"
