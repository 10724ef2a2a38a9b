"""Measure classifier variants under the evaluation protocol of ``classifier.evaluate``.

Every variant gets the same leave-one-district-out folds (test names removed
from training, temperature and review threshold tuned by an inner
leave-one-table-out loop on the training side). For each outer fold the inner
out-of-fold accuracy/macro-F1 of every variant is recorded too, so a variant
can be *selected* by inner CV only: ``nested`` reports the outer score of the
per-fold inner-CV winner, the honest estimate of "pick the best variant".

Usage: ``JIXIAO_MODELS_DIR=... python bench/clf_variants.py [out.json]``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from classifier.dataset import Example, corpus_examples, knowledge_examples
from classifier.evaluate import CODES, _frequent_macro_f1, _scores, expected_calibration_error, model_fold
from classifier.features import EmbeddingCache
from classifier.model import ModelParams


def run_variant(
    tests: list[Example], knowledge: list[Example], embed: EmbeddingCache | None, params: ModelParams
) -> dict[str, Any]:
    """Outer LODO scores of one variant plus its inner-CV scores per outer fold."""
    groups = sorted({ex.group for ex in tests})
    truth: list[str] = []
    probs_all, answered_all, inner = [], [], []
    if params.knowledge_keywords:
        knowledge = knowledge_examples(keywords=True)
    for group in groups:
        test = [ex for ex in tests if ex.group == group]
        pool = [ex for ex in tests if ex.group != group] + (knowledge if params.use_knowledge else [])
        fold = model_fold(pool, test, group, embed, params)
        labels = fold.calibration.labels
        inner_pred = CODES[fold.calibration.probs.argmax(axis=1)]
        inner.append(
            {
                "accuracy": float(np.mean(inner_pred == np.array(labels))),
                "macro_f1": float(
                    f1_score(labels, inner_pred, labels=sorted(set(labels)), average="macro", zero_division=0)
                ),
                "coverage": float(np.mean(fold.calibration.probs.max(axis=1) >= fold.calibration.threshold)),
            }
        )
        probs_all.append(fold.probs)
        answered_all.append(fold.probs.max(axis=1) >= fold.calibration.threshold)
        truth += [ex.code for ex in test]
    probs = np.vstack(probs_all)
    pred = CODES[probs.argmax(axis=1)]
    correct = pred == np.array(truth)
    answered = np.concatenate(answered_all)
    order = np.argsort(-probs.max(axis=1), kind="stable")
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    reach = np.nonzero(running >= 0.92)[0]
    fold_sizes = [sum(ex.group == g for ex in tests) for g in groups]
    return {
        **_scores(truth, list(pred)),
        "macro_f1_frequent": _frequent_macro_f1(truth, list(pred)),
        "ece": expected_calibration_error(probs.max(axis=1), correct),
        "answered_coverage": float(answered.mean()),
        "answered_accuracy": float(correct[answered].mean()) if answered.any() else float("nan"),
        # Ranking quality of the confidence (pooled, oracle cut-offs: for comparing variants only).
        "accuracy_at_half": float(running[len(order) // 2 - 1]),
        "coverage_at_092": float((reach.max() + 1) / len(order)) if len(reach) else 0.0,
        "inner": inner,
        "fold_correct": [int(c.sum()) for c in np.split(correct, np.cumsum(fold_sizes)[:-1])],
        "fold_sizes": fold_sizes,
    }


def nested(results: dict[str, dict[str, Any]], key: str = "accuracy") -> dict[str, Any]:
    """Outer accuracy when each outer fold uses the variant with the best inner-CV ``key``."""
    names = list(results)
    n_folds = len(next(iter(results.values()))["inner"])
    correct = total = 0
    picks = []
    for f in range(n_folds):
        best = max(names, key=lambda n: results[n]["inner"][f][key])
        picks.append(best)
        correct += results[best]["fold_correct"][f]
        total += results[best]["fold_sizes"][f]
    return {"accuracy": correct / total, "picks": picks}


def main(variants: dict[str, ModelParams], out: str | None = None) -> dict[str, dict[str, Any]]:
    """Run ``variants`` on the built corpus; print a Markdown table and optionally write JSON."""
    import torch

    from api.loaders import open_encoder
    from api.settings import Settings
    from indexer.store import CorpusStore

    torch.set_num_threads(1)
    settings = Settings()
    corpus = CorpusStore(settings.db_path).load()
    encoder = open_encoder(settings, num_threads=1)
    if os.environ.get("CLF_PASSAGE_PROMPT"):
        encoder.encode_queries = encoder.encode_passages  # type: ignore[method-assign]
    embed = EmbeddingCache(encoder)
    tests = corpus_examples(corpus, per_table=True)
    knowledge = knowledge_examples()
    results: dict[str, dict[str, Any]] = {}
    print(
        "| variant | acc | macro-F1 | macro-F1 freq | ECE | answered cov | answered acc "
        "| acc@50% | cov@0.92 | inner acc | s |"
    )
    print("|" + " --- |" * 11)
    for name, params in variants.items():
        start = time.perf_counter()
        use_embed = embed if (params.embedding_weight or params.knn_weight) else None
        r = run_variant(tests, knowledge, use_embed, params)
        r["seconds"] = time.perf_counter() - start
        results[name] = r
        inner_acc = np.mean([i["accuracy"] for i in r["inner"]])
        print(
            f"| {name} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['macro_f1_frequent']:.3f} | "
            f"{r['ece']:.3f} | {r['answered_coverage']:.3f} | {r['answered_accuracy']:.3f} | "
            f"{r['accuracy_at_half']:.3f} | {r['coverage_at_092']:.3f} | {inner_acc:.3f} | "
            f"{r['seconds']:.1f} |",
            flush=True,
        )
    print("nested selection (inner accuracy):", nested(results))
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1)
    return results


def _variants(spec: Sequence[str]) -> dict[str, ModelParams]:
    base = ModelParams()
    out = {"current": base}
    for item in spec:  # name:field=value,field=value
        name, _, assigns = item.partition(":")
        fields: dict[str, Any] = {}
        for assign in assigns.split(","):
            key, _, raw = assign.partition("=")
            current = getattr(base, key)
            if raw == "None":
                fields[key] = None
            elif isinstance(current, bool):
                fields[key] = raw == "True"
            else:
                fields[key] = type(current)(raw) if current is not None else raw
        out[name] = ModelParams(**{**base.__dict__, **fields})
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    out_path = args.pop(0) if args and args[0].endswith(".json") else None
    main(_variants(args), out_path)
