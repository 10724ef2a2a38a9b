"""Metrics and the Markdown report of ``bench/clf_eval.py``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from classifier import taxonomy
from classifier.evaluate import expected_calibration_error

CODES = np.array(taxonomy.CODES)
TARGET = 0.95


def max_coverage_at(confidence: np.ndarray, correct: np.ndarray, target: float = TARGET) -> float:
    """Largest share answered (most confident first) whose accuracy is still ≥ ``target``
    — an oracle number, read off the test set itself; the honest one uses the tuned threshold."""
    order = np.argsort(-confidence, kind="stable")
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(running >= target)
    return float((ok.max() + 1) / len(order)) if len(ok) else 0.0


def metrics(y_true: Sequence[str], probs: np.ndarray, thresholds: np.ndarray | None) -> dict:
    """Accuracy, macro-F1, per-class P/R/F1, confusion, ECE and coverage of pooled predictions."""
    truth = np.array(y_true)
    pred = CODES[probs.argmax(axis=1)]
    confidence = probs.max(axis=1)
    correct = pred == truth
    concept = np.array([taxonomy.same_concept(a, b) for a, b in zip(pred, truth, strict=True)])
    present = sorted(set(truth))
    labels = sorted(set(truth) | set(pred))
    p, r, f, n = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    out = {
        "n": len(truth),
        "accuracy": float(correct.mean()),
        "macro_f1": float(f1_score(truth, pred, labels=present, average="macro", zero_division=0)),
        "accuracy_14_41_as_one": float(concept.mean()),
        "ece": expected_calibration_error(confidence, correct),
        "max_coverage_at_95": max_coverage_at(confidence, correct),
        "per_class": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(n[i])}
            for i, c in enumerate(labels)
        },
        "confusion": {"labels": labels, "matrix": confusion_matrix(truth, pred, labels=labels).tolist()},
    }
    if thresholds is not None:
        answered = confidence >= thresholds
        out["answered"] = float(answered.mean())
        out["answered_accuracy"] = float(correct[answered].mean()) if answered.any() else float("nan")
    return out


def _f(x: float | None) -> str:
    return "—" if x is None or x != x else f"{x:.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return out + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]


PROTOCOL_TITLES = {
    "external": "External: 404 real indicators of 19 provinces (eval/external), held out by source",
    "lodo": "Leave-one-district-out on the seed tables",
    "loso": "Leave-sectors-out on the indicator library (25 sectors in 5 folds; each fold's sectors unseen)",
}


def render(results: dict, machine_note: str, sectors: Sequence[str]) -> str:
    """The Markdown of bench/results/classifier_eval.md."""
    variants = list(next(iter(results.values())))
    lines = [
        "# Classifier evaluation",
        "",
        f"Command: `nice -n 19 .venv/bin/python bench/clf_eval.py --variants {','.join(variants)}` "
        "(one run: every protocol and mode for these models).",
        "",
        f"Machine: {machine_note}",
        "",
        "Models: `new` = the shipped `ModelParams()`: TF-IDF of name and value + value/unit cues on seed "
        "tables + real-form rows (classifier/data/real_forms.jsonl, weighted) + library + knowledge file, "
        "no encoder; `before` = the shipped model before the cue weight 0.3 → 1.0 (clf_select re-run); "
        "`previous` = the shipped model before the real-form rows (`before` without them, C=3); "
        "`new_embeddings` = `new` + embeddings + kNN; "
        "`current` = the model before the library (embeddings + kNN, seeds + knowledge, no cues); "
        "`tfidf_svc` = char "
        "TF-IDF + LinearSVC on the same pool as `new`. Modes: `text` = name + value; `+fw` = plus the "
        "table's framework where its layout shows one; `level1` = the filed level-1 given (and the "
        "framework). Each test name is removed from training. Temperature and review threshold come "
        "from group-fold CV on the training side only; `answered` is the share at or above that "
        "threshold and its accuracy (target ≥ 95 %); `oracle cov@95` is the largest share answerable "
        "at ≥ 95 % read off the test set itself (information, not a claim). `acc 14≡41` counts 14 vs 41 "
        "(one concept, two frameworks) as right.",
        "",
        f"Library sectors: {len(sectors)}, held out five at a time.",
        "",
    ]
    for protocol, by_variant in results.items():
        lines += [f"## {PROTOCOL_TITLES.get(protocol, protocol)}", ""]
        rows = []
        for variant, res in by_variant.items():
            t, fw, l1 = res["modes"]["text"], res["modes"]["text+framework"], res["modes"]["level1"]
            rows.append(
                (
                    variant,
                    t["n"],
                    _f(t["accuracy"]),
                    _f(t["macro_f1"]),
                    _f(t["accuracy_14_41_as_one"]),
                    _f(fw["accuracy"]),
                    _f(l1["accuracy"]),
                    _f(l1["macro_f1"]),
                    _f(t["ece"]) if variant != "tfidf_svc" else "—",
                    (f"{t['answered']:.1%} @ {_f(t['answered_accuracy'])}" if "answered" in t else "—"),
                    (f"{l1['answered']:.1%} @ {_f(l1['answered_accuracy'])}" if "answered" in l1 else "—"),
                    f"{t['max_coverage_at_95']:.1%}",
                    f"{res['seconds']:.0f}",
                )
            )
        lines += _table(
            (
                "model", "n", "acc text", "macro-F1 text", "acc 14≡41", "acc +fw", "acc level1",
                "macro-F1 level1", "ECE", "answered text", "answered level1", "oracle cov@95", "s",
            ),
            rows,
        )  # fmt: skip
        main = by_variant.get("new")
        if main is None:
            lines.append("")
            continue
        for mode in ("text", "level1"):
            m = main["modes"][mode]
            lines += ["", f"Per class, `new`, mode `{mode}`:", ""]
            lines += _table(
                ("code", "label", "precision", "recall", "F1", "support"),
                [
                    (c, taxonomy.label(c), _f(v["precision"]), _f(v["recall"]), _f(v["f1"]), v["support"])
                    for c, v in m["per_class"].items()
                ],
            )
        m = main["modes"]["text"]
        labels = m["confusion"]["labels"]
        lines += ["", "Confusion, `new`, mode `text` (rows = filed, columns = predicted):", ""]
        lines += _table(
            ("filed \\ pred", *labels),
            [(c, *row) for c, row in zip(labels, m["confusion"]["matrix"], strict=True)],
        )
        lines.append("")
    return "\n".join(lines) + "\n"
