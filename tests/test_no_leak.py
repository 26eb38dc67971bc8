"""The measure must not leak: no evaluation question may be in what the bot learns from.

Evaluation questions: ../shared/eval/dev_questions.jsonl and every tests/eval/*.jsonl (own
questions, the real-question splits). Learned from: every YAML/JSON file under knowledge/
(calibration negatives, report-intent phrases, bulletin alternates, any training file
added later), except the files listed in NOT_LEARNED. A question leaks when, after
lower-casing and removing punctuation, it equals a learned text or is a near-duplicate
of one (difflib ratio >= 0.9).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
EVAL_FILES = [ROOT.parent / "shared" / "eval" / "dev_questions.jsonl",
              *sorted((ROOT / "tests" / "eval").glob("*.jsonl"))]
# Files under knowledge/ that nothing is trained or calibrated on.
NOT_LEARNED = {"glossary_es.yaml",  # a word-for-word Spanish glossary for the lexical side
               "calibration.json"}  # the fitted numbers themselves
NEAR = 0.9


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return []


def learned_texts(folder: Path = KNOWLEDGE) -> list[tuple[str, str]]:
    """(file, text) for every text the bot trains or calibrates on. Bulletin files count
    with their alternate questions (the clause texts are the policy itself)."""
    out = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json", ".jsonl") or path.name in NOT_LEARNED:
            continue
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            data = [json.loads(line) for line in raw.splitlines() if line.strip()]
            # a question set (knowledge/training): its questions, not its labels or pages
            data = [row["q"] if isinstance(row, dict) and "q" in row else row for row in data]
        else:
            data = yaml.safe_load(raw)  # YAML is a superset of JSON
        if path.parent.name == "bulletins":
            data = [[e.get("questions") or [], e.get("questions_es") or []]
                    for e in data.get("entries") or []]
        name = str(path.relative_to(folder.parent))
        out += [(name, s) for s in _strings(data) if s.strip()]
    return out


def eval_questions(files: list[Path] = EVAL_FILES) -> list[tuple[str, str]]:
    out = []
    for path in files:
        if path.exists():
            out += [(path.name, json.loads(line)["q"])
                    for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def leaks(questions: list[tuple[str, str]], learned: list[tuple[str, str]]) -> list[str]:
    found = []
    targets = [(name, normalise(t)) for name, t in learned]
    exact = {t: name for name, t in targets}
    for source, q in questions:
        nq = normalise(q)
        if nq in exact:
            found.append(f"{source}: {q!r} is in {exact[nq]}")
            continue
        matcher = difflib.SequenceMatcher(None, "", nq)  # b is cached: the question
        for name, t in targets:
            matcher.set_seq1(t)
            if (matcher.real_quick_ratio() >= NEAR and matcher.quick_ratio() >= NEAR
                    and matcher.ratio() >= NEAR):
                found.append(f"{source}: {q!r} ~ {t!r} in {name}")
                break
    return found


def test_the_evaluation_sets_and_learned_files_are_found():
    names = {name for name, _ in eval_questions()}
    assert "own_questions.jsonl" in names
    learned = {name for name, _ in learned_texts()}
    assert {"knowledge/calibration_negatives.yaml", "knowledge/intents.yaml",
            "knowledge/bulletins/BUL-5688.0.yaml", "knowledge/training/real_train.jsonl"} <= learned


def test_no_evaluation_question_is_in_what_the_bot_learns_from():
    found = leaks(eval_questions(), learned_texts())
    assert not found, "evaluation questions in training/calibration data:\n" + "\n".join(found)


@pytest.mark.parametrize("learned", [
    "How do I apply for a transfer to another school?",  # verbatim
    "how do i apply for a transfer to another school",  # case and punctuation
    "How do I apply for a transfer to an other school",  # near-duplicate
])
def test_a_planted_question_is_caught(tmp_path, learned):
    (tmp_path / "bulletins").mkdir()
    (tmp_path / "bulletins" / "X.yaml").write_text(yaml.safe_dump(
        {"bulletin": "X", "entries": [{"id": "X", "text": "clause", "questions": [learned]}]}))
    (tmp_path / "new_training.jsonl").write_text(json.dumps({"text": "unrelated words"}))
    questions = [("set.jsonl", "How do I apply for a transfer to another school?")]
    assert leaks(questions, learned_texts(tmp_path))
    (tmp_path / "bulletins" / "X.yaml").unlink()
    (tmp_path / "new_training.jsonl").write_text(json.dumps({"text": learned}))
    assert leaks(questions, learned_texts(tmp_path))
    (tmp_path / "new_training.jsonl").write_text(json.dumps({"q": learned, "label": "report"}))
    assert leaks(questions, learned_texts(tmp_path))


def test_a_clause_text_or_a_different_question_is_not_a_leak(tmp_path):
    (tmp_path / "bulletins").mkdir()
    (tmp_path / "bulletins" / "X.yaml").write_text(yaml.safe_dump({"bulletin": "X", "entries": [
        {"id": "X", "text": "How do I apply for a transfer to another school?",
         "questions": ["Can I friend a parent on Facebook?"]}]}))
    questions = [("set.jsonl", "How do I apply for a transfer to another school?")]
    assert leaks(questions, learned_texts(tmp_path)) == []
