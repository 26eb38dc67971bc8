"""The knowledge-gaps loop: a question policybot missed becomes an alternate question of
the clause that answers it, or is marked as not covered (an out-of-scope example).

Both change files in the knowledge folder, checked like a publish (the whole folder must
still load) and written atomically, so a running server picks them up (bot.reload). A
hand-written bulletin file is edited as text (one line added to the entry's `questions`),
so its layout and comments stay as its author wrote them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import yaml

from infra.errors import KnowledgeError
from knowledge.loader import NOT_COVERED_FILE, load_knowledge

MAX_QUESTION = 1000


class CurationError(KnowledgeError):
    """The change cannot be made; the message says why. Nothing was written."""


def _clean(question: str) -> str:
    question = " ".join(str(question or "").split())
    if not question or len(question) > MAX_QUESTION:
        raise CurationError(f"A question of 1 to {MAX_QUESTION} characters is needed.")
    return question


def _write_checked(folder: Path, name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for existing in list(folder.glob("*.yaml")) + list(folder.glob("*.yml")):
            shutil.copy2(existing, tmp)
        Path(tmp, name).write_text(text, encoding="utf-8")
        try:
            load_knowledge(tmp)
        except KnowledgeError as e:
            raise CurationError(f"the change would make the knowledge base invalid, so "
                                f"nothing was changed:\n{e}") from e
    partial = folder / f".{name}.partial"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, folder / name)


def attach_question(folder: str | Path, entry_id: str, question: str) -> str:
    """Add `question` to the alternate questions of `entry_id`; returns the file name.
    A question the entry has already is left as it is."""
    from knowledge.intake import dump_yaml

    folder = Path(folder)
    question = _clean(question)
    entry = load_knowledge(folder).get(entry_id.strip())
    if entry is None:
        raise CurationError(f"There is no entry {entry_id.strip()!r} in the knowledge base.")
    if question.lower() in {q.lower() for q in (*entry.questions, *entry.questions_es)}:
        return entry.file
    path = folder / entry.file
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if data.get("curated") is False:  # written by `knowledge add`: rewrite it whole
        for raw in data["entries"]:
            if raw.get("id") == entry.id:
                raw["questions"] = [*(raw.get("questions") or []), question]
        _write_checked(folder, entry.file, dump_yaml(data))
        return entry.file
    _write_checked(folder, entry.file, _with_line(text, entry.id, question, entry.file))
    return entry.file


def _with_line(text: str, entry_id: str, question: str, name: str) -> str:
    """`text` with one `- "question"` line after the last line of the entry's questions."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(
        rf"^\s*-\s+id:\s*[\"']?{re.escape(entry_id)}[\"']?\s*$", line)), None)
    if start is not None:
        for i in range(start + 1, len(lines)):
            if re.match(r"^\s*-\s+id:", lines[i]):
                break
            head = re.match(r"^(\s*)questions:\s*$", lines[i])
            if head:
                item = head.group(1) + "  - "
                last = i
                while last + 1 < len(lines) and (lines[last + 1].startswith(item)
                                                 or not lines[last + 1].strip()):
                    last += 1
                while not lines[last].strip():
                    last -= 1
                new = f"{item}{json.dumps(question, ensure_ascii=False)}\n"
                return "".join(lines[:last + 1] + [new] + lines[last + 1:])
    raise CurationError(f"{name}: could not find the questions of {entry_id}; add the "
                        "question there by hand")


def not_covered(folder: str | Path) -> list[str]:
    path = Path(folder) / NOT_COVERED_FILE
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [q for q in data if isinstance(q, str)] if isinstance(data, list) else []


def mark_not_covered(folder: str | Path, question: str) -> None:
    """Keep `question` as an example of what the knowledge base does not cover."""
    folder = Path(folder)
    question = _clean(question)
    known = not_covered(folder)
    if question.lower() in {q.lower() for q in known}:
        return
    header = ("# Questions an administrator marked as not covered by the knowledge base\n"
              "# (the knowledge-gaps page). policybot answers them with 'I don't know'.\n")
    _write_checked(folder, NOT_COVERED_FILE,
                   header + yaml.safe_dump([*known, question], allow_unicode=True, width=1000))
