"""Model choice for the classifier by cross-validation on its training data only.

    nice -n 19 .venv/bin/python bench/clf_select.py        # writes bench/results/classifier_select.md

Candidates (``ModelParams`` variants) are scored on two group cross-validations of the training
pool — leave-one-district-out over the seed tables (5 folds; the other tables + library + knowledge
train) and sector folds of the library (25 sectors dealt into 5 folds; seed tables + the other sectors
train) and source folds of the real-form rows (``classifier/data/real_forms.jsonl``, whole published
forms of other provinces held out; only candidates with ``use_real_forms`` train on the other folds) —
by plain accuracy and macro-F1 of the argmax, text only and with the level-1. Each test name is removed
from training. The external set (``eval/external``) is not read: the choice cannot depend on the set the
evaluation reports. The criterion is the mean of the three CV accuracies (text only); within 0.005 of
the best, the candidate without the encoder wins (it is 20x faster).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT))

from machine import load_average, load_note, seed_training_setup  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from api.loaders import open_encoder  # noqa: E402
from classifier import taxonomy  # noqa: E402
from classifier.core import ModelParams, group_folds, held_out_logits  # noqa: E402
from classifier.dataset import Example, corpus_examples  # noqa: E402
from classifier.features import EmbeddingCache  # noqa: E402
from classifier.levels import restrict  # noqa: E402
from classifier.pool import library_examples, pool_of, real_form_examples  # noqa: E402

CODES = np.array(taxonomy.CODES)
FAST = {"embedding_weight": 0.0, "knn_weight": 0.0, "cue_weight": 1.0}
CANDIDATES: dict[str, dict] = {
    "fast C=3": FAST,
    "fast C=1": {**FAST, "C": 1.0},
    "fast C=10": {**FAST, "C": 10.0},
    "fast no cues": {**FAST, "cue_weight": 0.0},
    "fast cues 0.3": {**FAST, "cue_weight": 0.3},  # = ModelParams() since this choice
    "fast cues 0.3 + real forms": {**FAST, "cue_weight": 0.3, "use_real_forms": True},
    "fast library weight 0.5": {**FAST, "library_weight": 0.5},
    "fast conflicts keep": {**FAST, "conflicts": "keep"},
    "fast value weight 1": {**FAST, "value_weight": 1.0},
    "embeddings + kNN (C=3)": {"embedding_weight": 1.0, "knn_weight": 0.5, "cue_weight": 1.0},
}


def score(truth: list[str], level1s: list[str], logits: np.ndarray) -> dict[str, float]:
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    pred = CODES[probs.argmax(axis=1)]
    restricted = CODES[restrict(probs, list(CODES), level1s).argmax(axis=1)]
    labels = sorted(set(truth))
    return {
        "acc": float(np.mean(pred == np.array(truth))),
        "f1": float(f1_score(truth, pred, labels=labels, average="macro", zero_division=0)),
        "acc_l1": float(np.mean(restricted == np.array(truth))),
    }


Fold = tuple[list[Example], list[Example], set[str]]


def cv(params: ModelParams, folds: list[Fold], embed: EmbeddingCache) -> dict:
    truth: list[str] = []
    level1s: list[str] = []
    blocks = []
    for pool, test, held in folds:
        logits, _ = held_out_logits(pool, [(e.name, e.value) for e in test], held, embed, params)
        blocks.append(logits)
        truth += [e.code for e in test]
        level1s += [e.level1 for e in test]
    return score(truth, level1s, np.vstack(blocks))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default=None, help="comma-separated candidate names")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args()
    load_before = load_average()
    settings, corpus, _ = seed_training_setup(REPO_ROOT / "models", "clf-select-")
    embed = EmbeddingCache(open_encoder(settings, num_threads=args.threads))
    seeds = corpus_examples(corpus)
    per_table = corpus_examples(corpus, per_table=True)
    library = library_examples()
    tables = sorted({e.group for e in per_table})
    sector_folds = group_folds([e.group for e in library], 5)
    real = list(real_form_examples())
    real_folds = group_folds([e.group for e in real], 5)  # whole sources held out
    chosen = {k: v for k, v in CANDIDATES.items() if args.only is None or k in args.only.split(",")}
    rows = []
    for name, change in chosen.items():
        params = ModelParams(**change)
        start = time.perf_counter()
        lodo = cv(
            params,
            [
                (
                    pool_of([e for e in per_table if e.group != t], params),
                    [e for e in per_table if e.group == t],
                    {t},
                )
                for t in tables
            ],
            embed,
        )
        loso = cv(
            params,
            [
                (pool_of(seeds, params, real), [e for e in library if e.group in set(f)], set(f))
                for f in sector_folds
            ],
            embed,
        )
        # Real forms of other provinces/sectors, whole sources held out (a candidate without real
        # forms trains on none of them; one with them trains on the other folds' sources).
        rcv = cv(
            params,
            [
                (
                    pool_of(seeds, params, [e for e in real if e.group not in set(f)]),
                    [e for e in real if e.group in set(f)],
                    set(f),
                )
                for f in real_folds
            ],
            embed,
        )
        seconds = time.perf_counter() - start
        crit = (lodo["acc"] + loso["acc"] + rcv["acc"]) / 3
        rows.append((name, change, lodo, loso, rcv, crit, seconds))
        print(f"{name:26} LODO {lodo} LOSO {loso} real {rcv} ({seconds:.0f}s)", flush=True)
    best = max(r[5] for r in rows)
    fast_ok = [
        r
        for r in rows
        if r[5] >= best - 0.005 and r[1].get("embedding_weight") == 0.0 and r[1].get("knn_weight") == 0.0
    ]
    pick = max(fast_ok or rows, key=lambda r: r[5])
    lines = [
        "# Classifier model choice (cross-validation on the training data only)",
        "",
        "Command: `nice -n 19 .venv/bin/python bench/clf_select.py`",
        "",
        f"Machine: {load_note(load_before)}",
        "",
        (__doc__ or "").split("\n\n", 2)[2].strip(),
        "",
        "| candidate | params | LODO acc | LODO macro-F1 | LODO acc level1 | sector-CV acc "
        "| sector-CV macro-F1 | sector-CV acc level1 | real-CV acc | real-CV macro-F1 | real-CV acc level1 "
        "| criterion | s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *[
            f"| {n} | `{c or 'ModelParams()'}` | {a['acc']:.3f} | {a['f1']:.3f} | {a['acc_l1']:.3f} | "
            f"{b['acc']:.3f} | {b['f1']:.3f} | {b['acc_l1']:.3f} | {r['acc']:.3f} | {r['f1']:.3f} | "
            f"{r['acc_l1']:.3f} | {m:.3f} | {s:.0f} |"
            for n, c, a, b, r, m, s in rows
        ],
        "",
        f"Chosen: **{pick[0]}** (`{pick[1]}`).",
        "",
    ]
    if args.only is None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "classifier_select.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
