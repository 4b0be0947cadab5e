"""Write the call-record header vocabulary into docs/formats.md from importers/cdr/vocabulary.py.

Run after changing the vocabulary: ``python scripts/formats_vocabulary.py``.
tests/core/test_cdr_vocabulary.py fails while the two disagree.
"""

from pathlib import Path

from cellsight.importers.cdr.vocabulary import with_vocabulary

DOCS = Path(__file__).resolve().parent.parent / "docs" / "formats.md"

if __name__ == "__main__":
    DOCS.write_text(with_vocabulary(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
