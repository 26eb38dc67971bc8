"""Compare candidate features for the learned judges (knowledge/judge.py) honestly: fitted on
training questions only, measured on the training pages out of fold and on real_dev.

    judge_lab.py extract FILE... --out CACHE.pkl     # the model work, once per file
    judge_lab.py answers --train CACHE... --dev CACHE [--nulls 40]
    judge_lab.py report  --train CACHE... --dev CACHE

`extract` reads every question with the knowledge base as it is and with every alternate
question removed and keeps what any candidate feature is computed from, plus the outcome three
ways (rules alone, answers judge always yes, always no; report judge never / always), so that
a candidate judge's decision on real_dev is known for any thresholds without rerunning the
model. The dev cache must hold tests/eval/real_dev.jsonl, ../shared/eval/dev_questions.jsonl
and the five questions issue 10 names (written to a scratch file by `extract --named`).

For each feature set `answers` prints: C chosen by log-loss over grouped 5-fold on the
training pages, ROC-AUC out of fold there, out of fold by leaving out every question whose
closest clause is one entry (a clause the judge never saw: a new bulletin), on real_dev (as
is, alternates removed, both), and the best score of scripts/tune_decision.py's objective
over the judge thresholds with every other threshold as calibrated and under its constraints
(`tuned`, gain over the rules alone). Thresholds chosen on real_dev and scored there flatter
any judge: `--nulls N` prints the gains N random judges reach the same way, the bar a gain has
to clear. Never run on tests/eval/real_test.jsonl (refused).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMED_FILE = "named.jsonl"
REAL_DEV, SHARED_DEV = "real_dev.jsonl", "dev_questions.jsonl"
RULES = ("score", "lead", "covered_share", "top_share", "asked_similarity")  # "small5"


def refuse_test(paths: list[str]) -> None:
    if any("real_test" in Path(p).name for p in paths):
        sys.exit("real_test is the held-out split: never read here")


# ---- extract --------------------------------------------------------------------------------

def always(yes: bool, n: int):
    from knowledge.judge import Logistic
    return Logistic((0.0,) * n, (1.0,) * n, (0.0,) * n, 30.0 if yes else -30.0)


def judged_outcomes(retriever, question, ev) -> dict:
    """The outcome five ways: rules alone; answers judge always yes (answers what the rules
    do not) or always no (vetoes what they answer); report judge never or always. Any judge
    and thresholds pick one of them per question (`final`)."""
    from knowledge.evaluate import unasked_offer, verdict
    from knowledge.judge import Judge
    real, cal = retriever.judge, retriever.cal
    n, m = len(real.answers.weights), len(real.report.weights)
    off = {"judge_answer": 2.0, "judge_veto": 0.0}
    ways = {"rules": (real.answers, real.report, off),
            "forced": (always(True, n), real.report, {"judge_answer": 0.5, "judge_veto": 0.0}),
            "vetoed": (always(False, n), real.report, {"judge_answer": 2.0, "judge_veto": 0.5}),
            "no_report": (real.answers, always(False, m), {**off, "judge_report": 2.0}),
            "report": (real.answers, always(True, m), {**off, "judge_report": 0.5})}
    out = {}
    for name, (answers, report, thresholds) in ways.items():
        retriever.judge = Judge(real.model, answers, report)
        retriever.cal = dataclasses.replace(cal, **thresholds)
        o = retriever.outcome(question.q, ev)
        out[name] = {"status": o.status, "verdict": verdict(question, o),
                     "unasked": unasked_offer(question, o)}
    retriever.judge, retriever.cal = real, cal
    return out


def rows_for(retriever, variant: int, questions, encoder, sentence_vectors) -> list[dict]:
    from knowledge.focus import wish_in
    out = []
    for q in questions:
        ev = retriever.evidence(q.q)
        top = ev.ranked[0]
        ti = retriever.kb.entries.index(top.entry)
        clause = retriever.item_vectors[retriever.clause_items & (retriever.item_entry == ti)]
        q0 = ev.query_vectors[0]
        mean_clause = clause.mean(axis=0)
        parts = (np.stack([encoder.encode([p])[0] for p in ev.parts]) if ev.parts
                 else np.zeros((0, len(q0)), dtype=np.float32))
        sv = sentence_vectors[top.entry.id]
        out.append({
            "q": q.q, "label": q.label, "kind": q.label_kind, "source": q.source,
            "variant": variant, "top_id": top.entry.id,
            "answers": q.label_kind == "clause" and top.entry.id in q.acceptable,
            "report": q.label_kind == "report", "reader": wish_in(ev.signals),
            "base": retriever.answer_features(q.q, ev), "report_features": ev.report_features,
            "q0": q0, "best_clause": clause[int(np.argmax(clause @ q0))],
            "mean_clause": mean_clause / np.linalg.norm(mean_clause), "part_vecs": parts,
            "sentence_sims": np.array([(sv @ q0).max(), (parts @ sv.T).max() if len(parts)
                                       else (sv @ q0).max()]),
            "outcomes": judged_outcomes(retriever, q, ev)})
    return out


def extract(paths: list[str], out: str, named: bool) -> None:
    from bot.config import DEFAULT_KNOWLEDGE_DIR
    from knowledge.answer import Retriever
    from knowledge.evaluate import read_questions, without_alternates
    from knowledge.highlight import sentences
    from knowledge.index import MemoEncoder, ModelEncoder
    from knowledge.loader import load_knowledge
    refuse_test(paths)
    if named:
        from scripts.tune_decision import NAMED_WRONG
        path = Path(out).with_name(NAMED_FILE)
        path.write_text("".join(json.dumps({"q": q, "label": "no_answer", "source": "issue 10"})
                                + "\n" for q in NAMED_WRONG))
        paths = [*paths, str(path)]
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    encoder = MemoEncoder(ModelEncoder())
    retrievers = [Retriever(k, encoder, storage=None) for k in (kb, without_alternates(kb))]
    # After the retrievers and past the memo: with int8 activations a text encoded alone is
    # not the vector it gets in a batch, and the index must be the one policybot builds.
    sentence_vectors = {e.id: np.stack([encoder.inner.encode([s])[0] for s in sentences(e.text)])
                        for e in kb.entries}
    rows = []
    for p in paths:
        questions = read_questions(p)
        for v, r in enumerate(retrievers):
            rows += [{**row, "file": Path(p).name}
                     for row in rows_for(r, v, questions, encoder, sentence_vectors)]
        print(f"{p}: {len(questions)} questions", flush=True)
    Path(out).write_bytes(pickle.dumps(rows))
    print(f"wrote {len(rows)} rows to {out}")


# ---- features: each (train rows, other rows) -> (X_train, X_other); fitted parts on train --

Feature = Callable[[list, list], tuple[np.ndarray, np.ndarray]]


def base(names: tuple[str, ...] | None = None) -> Feature:
    from knowledge.judge import ANSWER_FEATURES
    ix = [ANSWER_FEATURES.index(n) for n in (names or ANSWER_FEATURES)]
    return lambda tr, te: (np.array([r["base"][ix] for r in tr]),
                           np.array([r["base"][ix] for r in te]))


def raw(get) -> Feature:
    return lambda tr, te: (np.array([get(r) for r in tr]), np.array([get(r) for r in te]))


def pca(get, k: int) -> Feature:
    def f(tr, te):
        from sklearn.decomposition import PCA
        a, b = np.array([get(r) for r in tr]), np.array([get(r) for r in te])
        p = PCA(k, random_state=0).fit(a)
        return p.transform(a), p.transform(b)
    return f


def cat(*fs: Feature) -> Feature:
    def f(tr, te):
        outs = [g(tr, te) for g in fs]
        return np.hstack([o[0] for o in outs]), np.hstack([o[1] for o in outs])
    return f


_KIND = {k: re.compile(v, re.I) for k, v in {
    "advice": r"\b(what (do|would|should) (you|i)|any (advice|suggestions|thoughts|ideas)|"
              r"how (do|can|should) i|what can i do|help me|advice)\b",
    "rule": r"\b(allowed|permitted|polic(y|ies)|rules?|legal|illegal|law|against|prohibit\w*|"
            r"violat\w*|rights?|permit\w*|obligat\w*|require\w*|supposed to|guidelines?)\b",
    "can_i": r"\b(can|may|could) (i|we|a teacher|teachers|staff|employees|my)\b",
    "feel": r"\b(feel|felt|upset|worried|scared|afraid|angry|hurt|torn|concerned|anxious)\b",
    "experience": r"\b(anyone|others|other teachers|has anyone|do you|your (school|district)|"
                  r"how do you)\b",
    "wh": r"^\s*(what|why|who|where|when|which)\b",
    "consequence": r"\b(fired|disciplin\w*|trouble|terminat\w*|sacked|suspend\w*|punish\w*)\b",
}.items()}


def kind_flags(r) -> np.ndarray:
    """What kind of question the asking sentence is (a rule, advice, experience, feelings)."""
    t = r["q"]
    return np.array([float(bool(p.search(t))) for p in _KIND.values()]
                    + [float(t.count("?") > 1)])


def q0(r):
    return r["q0"]


def product(r):
    return r["q0"] * r["mean_clause"]


def product_best(r):
    return r["q0"] * r["best_clause"]


def answer_sets() -> dict[str, Feature]:
    return {"score": base(("score",)), "base16 (committed)": base(),
            "small5": base(RULES), "small7": base((*RULES, "clause_similarity", "out_of_scope")),
            "small5+kind": cat(base(RULES), raw(kind_flags)),
            "small5+sentences": cat(base(RULES), raw(lambda r: r["sentence_sims"])),
            **{f"small5+pcaQ{k}": cat(base(RULES), pca(q0, k)) for k in (8, 16)},
            **{f"small5+pcaQxC{k}": cat(base(RULES), pca(product, k)) for k in (8, 16, 32)},
            "small5+pcaQxBestC16": cat(base(RULES), pca(product_best, 16)),
            "base16+pcaQxC16": cat(base(), pca(product, 16))}


def report_sets() -> dict[str, Feature]:
    flags = raw(lambda r: r["report_features"][384:])

    def asked(r):  # only the question sentences of a long story
        if len(r["part_vecs"]):
            v = r["part_vecs"].mean(axis=0)
            return v / np.linalg.norm(v)
        return r["q0"]
    return {"full 391 (committed)": raw(lambda r: r["report_features"]), "flags only": flags,
            "embedding only": raw(q0),
            **{f"pca{k}+flags": cat(pca(q0, k), flags) for k in (8, 16, 32, 64)},
            "question sentences+flags": cat(raw(asked), flags),
            "question sentences pca16+flags": cat(pca(asked, 16), flags),
            "both embeddings+flags": cat(raw(q0), raw(asked), flags)}


# ---- fitting and measuring ----------------------------------------------------------------

C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


class Model:
    def __init__(self, c: float):
        self.c = c

    def fit(self, x, y):
        from sklearn.linear_model import LogisticRegression
        self.mean, self.scale = x.mean(axis=0), x.std(axis=0)
        self.scale[self.scale < 1e-9] = 1.0
        self.m = LogisticRegression(C=self.c, max_iter=5000, class_weight="balanced").fit(
            (x - self.mean) / self.scale, y)
        return self

    def p(self, x):
        return self.m.predict_proba((x - self.mean) / self.scale)[:, 1]


def pages(rows) -> np.ndarray:
    ids = {s: i for i, s in enumerate(sorted({r["source"] for r in rows}))}
    return np.array([ids[r["source"]] for r in rows])


def labels(rows, key) -> np.ndarray:
    return np.array([int(r[key]) for r in rows])


def out_of_fold(feat, rows, key, c, split) -> np.ndarray:
    y, oof = labels(rows, key), np.zeros(len(rows))
    for tr, te in split:
        xtr, xte = feat([rows[i] for i in tr], [rows[i] for i in te])
        oof[te] = Model(c).fit(xtr, y[tr]).p(xte)
    return oof


def fit(feat, train, key):
    """C by grouped 5-fold log-loss (as scripts/train_judge.py), then refit on everything."""
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import GroupKFold
    y = labels(train, key)
    split = list(GroupKFold(n_splits=5).split(train, y, pages(train)))
    best = None
    for c in C_GRID:
        oof = out_of_fold(feat, train, key, c, split)
        loss = float(np.mean([log_loss(y[te], oof[te], labels=[0, 1]) for _, te in split]))
        if best is None or loss < best[0]:
            best = (loss, c, roc_auc_score(y, oof))
    loss, c, auc = best
    model = Model(c).fit(feat(train, train[:1])[0], y)
    return model, {"C": c, "cv_loss": round(loss, 3), "oof": round(auc, 3)}


def leave_entry_out(feat, rows, key, c) -> float:
    from sklearn.metrics import roc_auc_score
    tops = np.array([r["top_id"] for r in rows])
    split = [(np.flatnonzero(tops != e), np.flatnonzero(tops == e)) for e in sorted(set(tops))]
    return round(roc_auc_score(labels(rows, key), out_of_fold(feat, rows, key, c, split)), 3)


def auc(rows, p, key) -> float | None:
    from sklearn.metrics import roc_auc_score
    y = labels(rows, key)
    return round(roc_auc_score(y, p), 3) if len(set(y)) == 2 else None


# ---- the decision on real_dev (scripts/tune_decision.py's objective and constraints) -------

A_GRID = (2.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.5)
V_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
R_GRID = (2.0, 0.99, 0.97, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5)


def final(r, p: float, a: float, v: float) -> dict:
    """The outcome an answers judge saying `p` gives at judge_answer=a, judge_veto=v."""
    o = r["outcomes"]
    if o["rules"]["status"] in ("answered", "ambiguous"):  # the rules answer it
        return o["vetoed"] if v > 0 and p < v else o["rules"]
    return o["forced"] if p >= a else o["rules"]


def strict_ok(r, out) -> bool:
    if out["unasked"]:
        return False
    if r["kind"] in ("no_answer", "report"):
        return out["status"] == r["kind"]
    return out["status"] == "answered" and out["verdict"] == "right"


def objective(outs) -> int:
    return sum((o["verdict"] == "right") - 2 * (o["verdict"] == "wrong")
               - 2 * (o["verdict"] == "wrong" and o["status"] == "answered") - 2 * o["unasked"]
               for o in outs)


def tune_answers(dev, prob, a_grid=A_GRID, v_grid=V_GRID) -> tuple:
    real = [r for r in dev if r["file"] == REAL_DEV]
    shared = [r for r in dev if r["file"] == SHARED_DEV and r["variant"] == 0]
    named = [r for r in dev if r["file"] == NAMED_FILE and r["variant"] == 0]
    pr, ps, pn = prob(real), prob(shared), prob(named)
    best = None
    for a in a_grid:
        for v in v_grid:
            if not all(strict_ok(r, final(r, p, a, v)) for r, p in zip(shared, ps, strict=True)):
                continue
            if any(final(r, p, a, v)["status"] == "answered"
                   for r, p in zip(named, pn, strict=True)):
                continue
            outs = [final(r, p, a, v) for r, p in zip(real, pr, strict=True)]
            score = objective(outs)
            if best is None or score > best[0]:
                counts = [Counter(o["verdict"] for o, r in zip(outs, real, strict=True)
                                  if r["variant"] == i) for i in (0, 1)]
                best = (score, a, v, [(c["right"], c["hedged"], c["wrong"]) for c in counts])
    return best


def tune_report(dev, prob) -> tuple:
    real = [r for r in dev if r["file"] == REAL_DEV and r["variant"] == 0]
    shared = [r for r in dev if r["file"] == SHARED_DEV and r["variant"] == 0]
    pr, ps = prob(real), prob(shared)
    best = None
    for t in R_GRID:
        if not all(strict_ok(r, r["outcomes"]["report" if p >= t else "no_report"])
                   for r, p in zip(shared, ps, strict=True)):
            continue
        outs = [r["outcomes"]["report" if p >= t else "no_report"]
                for r, p in zip(real, pr, strict=True)]
        score = objective(outs)
        found = sum(r["kind"] == "report" and o["verdict"] == "right"
                    for r, o in zip(real, outs, strict=True))
        if best is None or score > best[0]:
            best = (score, t, found, sum(o["unasked"] for o in outs))
    return best


def rules_alone(dev) -> tuple:
    return tune_answers(dev, lambda rows: np.zeros(len(rows)), (2.0,), (0.0,))


def null_gains(dev, n: int, seed: int = 0) -> list[int]:
    """What tuning on real_dev finds for judges that know nothing (random probabilities)."""
    rng = np.random.default_rng(seed)
    rules = rules_alone(dev)[0]
    out = []
    for _ in range(n):
        table = {}
        def prob(rows, table=table):
            return np.array([table.setdefault((r["q"], r["variant"]), rng.random())
                             for r in rows])
        out.append(tune_answers(dev, prob)[0] - rules)
    return sorted(out)


def auc_difference(rows, p, q, key="answers", n=2000, seed=0) -> tuple[float, float]:
    """95% interval of AUC(p) - AUC(q) over questions resampled with replacement."""
    from sklearn.metrics import roc_auc_score
    rng, y, d = np.random.default_rng(seed), labels(rows, key), []
    for _ in range(n):
        s = rng.integers(0, len(rows), len(rows))
        if 0 < y[s].sum() < len(s):
            d.append(roc_auc_score(y[s], p[s]) - roc_auc_score(y[s], q[s]))
    lo, hi = np.percentile(d, [2.5, 97.5])
    return round(float(lo), 3), round(float(hi), 3)


def load(paths: list[str]) -> list[dict]:
    refuse_test(paths)
    return [row for p in paths for row in pickle.loads(Path(p).read_bytes())]


def answers(train_paths, dev_path, nulls: int) -> None:
    train, dev = load(train_paths), load([dev_path])
    real = [r for r in dev if r["file"] == REAL_DEV]
    v0 = [r for r in real if r["variant"] == 0]
    v1 = [r for r in real if r["variant"] == 1]
    rules = rules_alone(dev)
    print(f"training rows {len(train)} ({sum(r['answers'] for r in train)} answered by their "
          f"closest clause); rules alone on real_dev: objective {rules[0]}, "
          f"(right, hedged, wrong) as is / no alternates {rules[3]}")
    score = None
    for name, feat in answer_sets().items():
        model, m = fit(feat, train, "answers")
        def prob(rows, feat=feat, model=model):
            return model.p(feat(train, rows)[1])
        score = prob(v0) if score is None else score  # the first set: the top score alone
        t = tune_answers(dev, prob)
        print(f"{name:22} C={m['C']:<5} cv-loss {m['cv_loss']:.3f} oof {m['oof']:.3f} "
              f"leave-entry-out {leave_entry_out(feat, train, 'answers', m['C']):.3f} | "
              f"real_dev AUC as is {auc(v0, prob(v0), 'answers')} "
              f"(vs score {auc_difference(v0, prob(v0), score)}) "
              f"no-alt {auc(v1, prob(v1), 'answers')} both {auc(real, prob(real), 'answers')} | "
              f"tuned {t[0] - rules[0]:+d} (a={t[1]}, v={t[2]}) {t[3]}", flush=True)
    if nulls:
        print(f"gains of {nulls} random judges tuned the same way: {null_gains(dev, nulls)}")


def report(train_paths, dev_path) -> None:
    train = [r for r in load(train_paths) if r["variant"] == 0]
    dev = load([dev_path])
    real = [r for r in dev if r["file"] == REAL_DEV and r["variant"] == 0]
    silent = [i for i, r in enumerate(train) if not r["reader"]]
    print(f"training questions {len(train)} ({sum(r['report'] for r in train)} report wishes, "
          f"{sum(train[i]['report'] for i in silent)} the reader misses); real_dev "
          f"{sum(r['report'] for r in real)} ({sum(r['report'] and not r['reader'] for r in real)}"
          " the reader misses)")
    from sklearn.model_selection import GroupKFold
    for name, feat in report_sets().items():
        model, m = fit(feat, train, "report")
        y = labels(train, "report")
        oof = out_of_fold(feat, train, "report", m["C"],
                          GroupKFold(n_splits=5).split(train, y, pages(train)))
        t = tune_report(dev, lambda rows, feat=feat, model=model: model.p(feat(train, rows)[1]))
        p = model.p(feat(train, real)[1])
        print(f"{name:32} C={m['C']:<5} cv-loss {m['cv_loss']:.3f} oof {m['oof']:.3f} "
              f"oof where the reader is silent {auc([train[i] for i in silent], oof[silent], 'report')} "
              f"| real_dev AUC {auc(real, p, 'report')} | tuned {t[0]} (t={t[1]}) "
              f"found {t[2]} unasked {t[3]}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract")
    ex.add_argument("files", nargs="+")
    ex.add_argument("--out", required=True)
    ex.add_argument("--named", action="store_true", help="add the five questions of issue 10")
    for cmd in ("answers", "report"):
        p = sub.add_parser(cmd)
        p.add_argument("--train", nargs="+", required=True)
        p.add_argument("--dev", required=True)
        if cmd == "answers":
            p.add_argument("--nulls", type=int, default=0)
    args = ap.parse_args()
    if args.cmd == "extract":
        extract(args.files, args.out, args.named)
    elif args.cmd == "answers":
        answers(args.train, args.dev, args.nulls)
    else:
        report(args.train, args.dev)


if __name__ == "__main__":
    main()
