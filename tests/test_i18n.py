"""The message catalogue is complete and in step with the code: the committed .pot is what
`make messages` extracts today, Spanish translates every message (no English fallback),
keeps every placeholder, and the committed .mo is what `make translations` compiles."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot import i18n

REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "bot" / "locale"
POT = LOCALE / "policybot.pot"
PO = LOCALE / "es" / "LC_MESSAGES" / "policybot.po"
MO = LOCALE / "es" / "LC_MESSAGES" / "policybot.mo"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# The only Spanish entries allowed to read as their English source: a word spelled the same,
# and layouts with nothing but placeholders.
SAME_IN_SPANISH = {"No", "{status} ({reason})", "• {label}: `{command}`"}


def ids(path: Path) -> set[str]:
    with path.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def spanish():
    with PO.open("rb") as f:
        return read_po(f, locale="es")


@pytest.mark.slow
def test_the_template_holds_exactly_the_messages_marked_in_the_code(tmp_path):
    fresh = tmp_path / "policybot.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
                    "--no-location", "--sort-output", "-o", str(fresh), "."], cwd=REPO,
                   check=True, capture_output=True, timeout=300)
    assert len(ids(fresh)) > 200, "extraction found almost nothing: the test would check nothing"
    assert ids(fresh) == ids(POT), "run `make messages`, translate, then `make translations`"


def test_spanish_translates_every_message_and_nothing_else(spanish):
    assert {m.id for m in spanish if m.id} == ids(POT)
    assert not spanish.fuzzy
    for m in spanish:
        if not m.id:
            continue
        assert m.string, f"no Spanish for {m.id!r}"
        assert "fuzzy" not in m.flags, f"fuzzy (unchecked) Spanish for {m.id!r}"
        assert m.string != m.id or m.id in SAME_IN_SPANISH, f"English left in es: {m.id!r}"


def test_every_translation_keeps_the_placeholders_of_its_source(spanish):
    for m in spanish:
        if m.id:
            assert sorted(PLACEHOLDER.findall(m.string)) == sorted(PLACEHOLDER.findall(m.id)), m.id


def translations(catalog) -> dict:
    return {m.id: m.string for m in catalog if m.id and not m.fuzzy}


def test_the_committed_mo_is_compiled_from_the_po(spanish):
    """Compared message by message: the bytes also carry a "Generated-By: Babel x.y"
    header, which changes with the installed Babel and says nothing about the texts."""
    with MO.open("rb") as f:
        committed = read_mo(f)
    assert translations(committed) == translations(spanish), "run `make translations`"
    assert len(translations(committed)) > 200


def test_the_code_reads_the_compiled_spanish():
    with i18n.language("es"):
        assert i18n._("Source") == "Fuente"
    assert i18n._("Source") == "Source"
    with i18n.language("xx"):  # an unknown language is English, never an error
        assert i18n.current() == "en"
