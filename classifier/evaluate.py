"""Leave-one-district-out evaluation of the classifier, with baselines in the same run.

Protocol (the honest one): each source table (= one district) is held out in
turn; its coded indicators, deduplicated within the table, are the test set.
The model is trained on the other tables — minus any indicator whose
normalised name equals a test name, so copy-pasted indicators cannot leak —
plus the knowledge file (also minus test names). Temperature and the "needs
review" threshold are tuned by an inner leave-one-table-out loop on the
training side only. Predictions of all folds are pooled for the metrics.

Compared in the same run, on the same folds:

* ``model`` — TF-IDF + value/unit cues + embeddings logistic regression trained on
  the other tables, the indicator library and the knowledge file, plus the
  kNN-on-embeddings vote;
* ``model_no_library`` — the model before the library (no library, no cues, conflicts kept);
* ``model_tfidf_only`` — the full pool without embeddings (hence without the kNN
  vote): no encoder call at prediction time, the low-latency option;
* ``majority`` — the training side's most frequent code;
* ``tfidf_svc`` — character 1–3-gram TF-IDF of the name + LinearSVC;
* ``embed_lr`` — encoder embeddings of the name + logistic regression.

The three baselines train on corpus indicators only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.svm import LinearSVC

from classifier import taxonomy
from classifier.calibration import CODES, Calibration, calibrate, probabilities, restrict_to_level1
from classifier.core import ModelParams, dedupe_training, held_out_logits
from classifier.dataset import Example, corpus_examples, name_key
from classifier.features import EmbeddingCache
from classifier.pool import pool_of
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder

COVERAGE_THRESHOLDS: tuple[float, ...] = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE: bin-size-weighted gap between mean confidence and accuracy, equal-width bins."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = ids == b
        if mask.any():
            ece += mask.mean() * abs(float(confidence[mask].mean()) - float(correct[mask].mean()))
    return float(ece)


def _scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    labels = sorted(set(y_true))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        # Macro over the codes present in the test labels: a code nobody filed cannot be scored.
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
    }


def _frequent_macro_f1(y_true: Sequence[str], y_pred: Sequence[str], min_support: int = 5) -> float:
    """Macro-F1 over codes with at least ``min_support`` test indicators (rare codes are 1-3 items)."""
    counts = Counter(y_true)
    labels = sorted(c for c, n in counts.items() if n >= min_support)
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


@dataclass(frozen=True)
class FoldOutcome:
    """One held-out fold: calibrated test probabilities, and the calibration tuned on the training side."""

    probs: np.ndarray  # (n_test, len(CODES))
    calibration: Calibration  # temperature, threshold and the inner out-of-fold predictions


def model_fold(
    pool: list[Example], test: list[Example], group: str, embed: EmbeddingCache | None, params: ModelParams
) -> FoldOutcome:
    """Train on ``pool`` minus ``group`` and the test names; calibrate and tune on the training side only."""
    test_keys = {name_key(ex.name) for ex in test}
    inner = dedupe_training((ex for ex in pool if ex.group != group), test_keys)
    cal = calibrate(inner, embed, params)
    logits, _ = held_out_logits(pool, [(ex.name, ex.value) for ex in test], group, embed, params)
    return FoldOutcome(probabilities(logits, cal.temperature), cal)


def previous_params(params: ModelParams) -> ModelParams:
    """``params`` as the classifier had them before the library: no library, no real forms, no cues,
    conflicts kept."""
    changes = {"use_library": False, "use_real_forms": False, "cue_weight": 0.0, "conflicts": "keep"}
    return ModelParams(**{**params.__dict__, **changes})


def _baseline_train(pool: list[Example], test: list[Example], group: str) -> list[Example]:
    keys = {name_key(ex.name) for ex in test}
    return dedupe_training((ex for ex in pool if ex.group != group and ex.source == "corpus"), keys)


def _tfidf_svc(train: list[Example], test: list[Example]) -> list[str]:
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    x = vec.fit_transform([ex.name for ex in train])
    svc = LinearSVC(C=1.0).fit(x, [ex.code for ex in train])
    return list(svc.predict(vec.transform([ex.name for ex in test])))


def _embed_lr(train: list[Example], test: list[Example], embed: EmbeddingCache) -> list[str]:
    lr = LogisticRegression(C=10.0, max_iter=3000, solver="newton-cg")
    lr.fit(embed([ex.name for ex in train]), [ex.code for ex in train])
    return list(lr.predict(embed([ex.name for ex in test])))


def _coverage_curve(confidence: np.ndarray, correct: np.ndarray) -> list[dict[str, float]]:
    rows = []
    for t in COVERAGE_THRESHOLDS:
        answered = confidence >= t
        rows.append(
            {
                "threshold": t,
                "coverage": float(answered.mean()) if len(answered) else 0.0,
                "accuracy": float(correct[answered].mean()) if answered.any() else float("nan"),
            }
        )
    return rows


def evaluate(
    corpus: Corpus,
    encoder: Encoder,
    cache: EmbeddingCache | None = None,
    params: ModelParams | None = None,
    baselines: bool = True,
) -> dict[str, Any]:
    """Leave-one-district-out evaluation; returns a JSON-ready report (see module doc).

    ``report["summary"]`` holds the headline numbers; ``report["models"]`` the
    accuracy/macro-F1/ECE of every compared model; ``per_class``, ``confusion``,
    ``coverage`` and ``folds`` the details of the full model.
    """
    params = params or ModelParams()
    embed = cache if cache is not None else EmbeddingCache(encoder)
    tests = corpus_examples(corpus, per_table=True)
    groups = sorted({ex.group for ex in tests})
    no_library = previous_params(params)
    tfidf_only = ModelParams(**{**params.__dict__, "embedding_weight": 0.0, "knn_weight": 0.0})

    y_true: list[str] = []
    level1s: list[str] = []
    probs_all: list[np.ndarray] = []
    probs_nok: list[np.ndarray] = []
    probs_tfidf: list[np.ndarray] = []
    answered_all: list[np.ndarray] = []
    preds: dict[str, list[str]] = {"majority": [], "tfidf_svc": [], "embed_lr": []}
    folds: list[dict[str, Any]] = []
    for group in groups:
        test = [ex for ex in tests if ex.group == group]
        corpus_pool = [ex for ex in tests if ex.group != group]
        fold = model_fold(pool_of(corpus_pool, params), test, group, embed, params)
        probs, temperature, threshold = fold.probs, fold.calibration.temperature, fold.calibration.threshold
        probs_all.append(probs)
        answered_all.append(probs.max(axis=1) >= threshold)
        if baselines:
            before = model_fold(pool_of(corpus_pool, no_library), test, group, embed, no_library)
            fast = model_fold(pool_of(corpus_pool, tfidf_only), test, group, None, tfidf_only)
            probs_nok.append(before.probs)
            probs_tfidf.append(fast.probs)
            train = _baseline_train(corpus_pool, test, group)
            majority = Counter(ex.code for ex in train).most_common(1)[0][0]
            preds["majority"] += [majority] * len(test)
            preds["tfidf_svc"] += _tfidf_svc(train, test)
            preds["embed_lr"] += _embed_lr(train, test, embed)
        labels = [ex.code for ex in test]
        fold_pred = CODES[probs.argmax(axis=1)]
        folds.append(
            {
                "held_out": group,
                "n_test": len(test),
                "accuracy": float(np.mean(fold_pred == np.array(labels))),
                "temperature": round(temperature, 3),
                "threshold": threshold,
                "coverage": float(answered_all[-1].mean()),
            }
        )
        y_true += labels
        level1s += [ex.level1 for ex in test]

    probs = np.vstack(probs_all)
    truth = np.array(y_true)
    pred = CODES[probs.argmax(axis=1)]
    confidence = probs.max(axis=1)
    correct = pred == truth
    answered = np.concatenate(answered_all)
    restricted = restrict_to_level1(probs, taxonomy.CODES, level1s)
    restricted_pred = CODES[restricted.argmax(axis=1)]

    models: dict[str, dict[str, float]] = {
        "model": {**_scores(y_true, list(pred)), "ece": expected_calibration_error(confidence, correct)},
        "model_level1_known": _scores(y_true, list(restricted_pred)),
    }
    if baselines:
        for name, blocks in (("model_no_library", probs_nok), ("model_tfidf_only", probs_tfidf)):
            variant = np.vstack(blocks)
            variant_pred = CODES[variant.argmax(axis=1)]
            models[name] = {
                **_scores(y_true, list(variant_pred)),
                "ece": expected_calibration_error(variant.max(axis=1), variant_pred == truth),
            }
        for name, p in preds.items():
            models[name] = _scores(y_true, p)

    present = sorted(set(y_true) | set(pred))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, pred, labels=present, zero_division=0
    )
    per_class = {
        code: {
            "label": taxonomy.label(code),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, code in enumerate(present)
    }
    summary = {
        "protocol": "leave-one-district-out, deduplicated names, test names removed from training",
        "n_test": len(y_true),
        "n_folds": len(groups),
        "accuracy": models["model"]["accuracy"],
        "macro_f1": models["model"]["macro_f1"],
        "ece": models["model"]["ece"],
        "macro_f1_frequent_codes": _frequent_macro_f1(y_true, list(pred)),
        "accuracy_level1_known": models["model_level1_known"]["accuracy"],
        "macro_f1_level1_known": models["model_level1_known"]["macro_f1"],
        "answered_coverage": float(answered.mean()),
        "answered_accuracy": float(correct[answered].mean()) if answered.any() else float("nan"),
    }
    return {
        "summary": summary,
        "models": models,
        "per_class": per_class,
        "confusion": {
            "labels": present,
            "matrix": confusion_matrix(y_true, pred, labels=present).tolist(),
        },
        "coverage": _coverage_curve(confidence, correct),
        "folds": folds,
        "params": params.__dict__,
        "encoder": encoder.name,
    }


def manifest_block(report: dict[str, Any]) -> dict[str, Any]:
    """The part of a report recorded in the classifier manifest: summary + per-model scores."""
    return {"summary": report["summary"], "models": report["models"], "folds": report["folds"]}


def _num(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"  # x != x: NaN


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return out


def format_report(report: dict[str, Any]) -> str:
    """Human-readable (Markdown) rendering of an evaluation report."""
    s = report["summary"]
    lines = [
        f"Protocol: {s['protocol']}; {s['n_test']} test indicators in {s['n_folds']} folds; "
        f"encoder {report['encoder']}.",
        "",
    ]
    lines += _table(
        ("model", "accuracy", "macro-F1", "ECE"),
        [
            (name, _num(m["accuracy"]), _num(m["macro_f1"]), _num(m.get("ece", float("nan"))))
            for name, m in report["models"].items()
        ],
    )
    lines += [
        "",
        "With abstention at the thresholds tuned on the training side: answered "
        f"{s['answered_coverage']:.1%} of indicators with accuracy {_num(s['answered_accuracy'])}.",
        "",
        "Coverage vs accuracy (pooled held-out predictions):",
        "",
    ]
    lines += _table(
        ("threshold", "coverage", "accuracy"),
        [(f"{r['threshold']:.2f}", f"{r['coverage']:.3f}", _num(r["accuracy"])) for r in report["coverage"]],
    )
    lines += ["", "Per fold:", ""]
    lines += _table(
        ("held out", "n", "accuracy", "temperature", "threshold", "coverage"),
        [
            (
                f["held_out"],
                f["n_test"],
                _num(f["accuracy"]),
                f["temperature"],
                f["threshold"],
                _num(f["coverage"]),
            )
            for f in report["folds"]
        ],
    )
    lines += ["", "Per class (full model):", ""]
    lines += _table(
        ("code", "label", "precision", "recall", "F1", "support"),
        [
            (code, c["label"], _num(c["precision"]), _num(c["recall"]), _num(c["f1"]), c["support"])
            for code, c in report["per_class"].items()
        ],
    )
    labels = report["confusion"]["labels"]
    lines += ["", "Confusion matrix (rows = filed code, columns = predicted):", ""]
    lines += _table(
        ("filed \\ pred", *labels),
        [(code, *row) for code, row in zip(labels, report["confusion"]["matrix"], strict=True)],
    )
    return "\n".join(lines)
