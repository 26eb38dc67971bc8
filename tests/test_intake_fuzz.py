"""Any bytes under any supported name: a clear IntakeError or clauses, never a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.clauses import split_clauses
from knowledge.documents import Block, IntakeError, read_document

NAMES = ["b.pdf", "b.docx", "b.html", "b.md", "b.txt"]
PREFIXES = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body><ol><li>", b"1. "]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=400))
def test_any_bytes_end_in_a_document_or_a_clear_error(name, prefix, body):
    try:
        doc = read_document(name, data=prefix + body, name=name)
    except IntakeError as e:
        assert name in str(e)
        return
    split_clauses(doc.pages)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["line", "para", "heading", "item",
                                                    "break"]),
                                   st.text(max_size=120)), max_size=30), max_size=4))
def test_clause_splitting_never_fails_and_keys_are_unique(pages):
    blocks = [[Block(kind, text, 1 if kind == "item" else None) for kind, text in page]
              for page in pages]
    split = split_clauses(blocks)
    keys = [c.key for c in split.clauses]
    assert len(keys) == len(set(keys))

