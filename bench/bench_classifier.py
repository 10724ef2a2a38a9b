"""Speed of the indicator classifier, plus the audit and the 花都 level-1-only tagging of the shipped model.

    nice -n 19 .venv/bin/python bench/bench_classifier.py              # writes bench/results/classifier.md
    .venv/bin/python bench/bench_classifier.py --threads 2 --n 300

Measures, in one process, for the shipped model (``ModelParams()``) and, as the baseline, the same
model with embeddings and the kNN vote (the encoder runs for every new name):

* single-indicator latency p50/p99 of ``IndicatorClassifier.predict`` on distinct names, each seen
  for the first time (so an encoder, if used, runs every time);
* batch throughput of ``predict_many`` over the names of the seed corpus and the library, with an
  empty embedding cache (duplicates embedded once);
* training time (pool + inner CV for temperature and threshold + final fit).

Targets (issue 10): single p99 ≤ 10 ms, batch ≥ 2,000 indicators/s on 2 cores. Accuracy is
``bench/clf_eval.py``'s business (classifier_eval.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT))

from machine import load_average, load_note, seed_training_setup  # noqa: E402

from api.loaders import open_encoder  # noqa: E402
from classifier import taxonomy  # noqa: E402
from classifier.audit import audit  # noqa: E402
from classifier.features import EmbeddingCache  # noqa: E402
from classifier.library import load_library  # noqa: E402
from classifier.model import IndicatorClassifier, ModelParams  # noqa: E402

# Before this script adds its own load.
LOAD_AT_START = load_average()


def _fresh(model: IndicatorClassifier, tmp: Path, encoder: object, tag: str) -> IndicatorClassifier:
    """A saved-and-reloaded copy: same weights, empty embedding cache."""
    model.save(tmp / tag)
    return IndicatorClassifier.load(tmp / tag, encoder)  # type: ignore[arg-type]


def measure(
    model: IndicatorClassifier, tmp: Path, encoder: object, tag: str, names: list[str], batch: list
) -> dict:
    """Single-name latency (p50/p99 ms, first sight of each name) and batch throughput of a
    saved-and-reloaded copy of ``model``."""
    cold = _fresh(model, tmp, encoder, f"{tag}-cold")
    cold.predict("预热")  # first call pays one-off costs (thread pools)
    ms = []
    for name in names:
        start = time.perf_counter()
        cold.predict(name)
        ms.append((time.perf_counter() - start) * 1000)
    fresh = _fresh(model, tmp, encoder, f"{tag}-batch")
    start = time.perf_counter()
    fresh.predict_many(batch)
    seconds = time.perf_counter() - start
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "throughput": len(batch) / seconds,
    }


def main() -> None:
    """Train the shipped model (and the embeddings baseline), time them, audit, write classifier.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--n", type=int, default=300, help="distinct names for the latency runs")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the embeddings baseline (it encodes ~3,300 names)"
    )
    args = parser.parse_args()
    settings, corpus, tmp = seed_training_setup(REPO_ROOT / "models", "bench-classifier-")
    encoder = open_encoder(settings, num_threads=args.threads)
    cache = EmbeddingCache(encoder)

    shipped_params = ModelParams()
    start = time.perf_counter()
    shipped = IndicatorClassifier.train(corpus, encoder, params=shipped_params, cache=cache)
    train_s = time.perf_counter() - start
    embed_params = ModelParams(**{**shipped_params.__dict__, "embedding_weight": 1.0, "knn_weight": 0.5})
    start = time.perf_counter()
    with_embeddings = (
        None
        if args.no_baseline
        else IndicatorClassifier.train(corpus, encoder, params=embed_params, cache=cache)
    )
    train_embed_s = time.perf_counter() - start

    items = [(i.name, i.annual_value, i.level1) for i in corpus.indicators()]
    items += [(e.name, e.printed_value, e.level1) for e in load_library()]
    names = list(dict.fromkeys(n for n, _, _ in items))[: args.n]
    ours = measure(shipped, tmp, encoder, "shipped", names, items)
    base = measure(with_embeddings, tmp, encoder, "embeddings", names, items) if with_embeddings else None
    start = time.perf_counter()
    audit_report = audit(corpus, shipped)
    audit_s = time.perf_counter() - start

    import torch

    machine = (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), no GPU, "
        f"torch {torch.__version__} with {torch.get_num_threads()} thread(s), "
        f"Python {platform.python_version()}. {load_note(LOAD_AT_START)}"
    )
    uses_encoder = bool(shipped_params.embedding_weight or shipped_params.knn_weight)
    huadu = [t for t in audit_report.level1_only if t.district == "花都区"]
    agree = sum(t.prediction.code in taxonomy.codes_for_level1(t.level1) for t in huadu)
    by_code = Counter(t.prediction.code for t in huadu)
    row = "| {} | {:.2f} | {:.2f} | {:.0f} |"
    lines = [
        "# Classifier benchmarks",
        "",
        "Command: `nice -n 19 .venv/bin/python bench/bench_classifier.py "
        f"--threads {args.threads} --n {args.n}`",
        "",
        f"Machine: {machine}",
        "",
        f"Encoder `{encoder.name}`; shipped model `ModelParams()` "
        f"({'uses' if uses_encoder else 'does not use'} the encoder at prediction time), trained on "
        f"{shipped.info['n_examples']} examples ({shipped.info['n_corpus_examples']} corpus + "
        f"{shipped.info['n_library_examples']} library + {shipped.info['n_knowledge_examples']} knowledge + "
        f"{shipped.info.get('n_real_examples', 0)} real-form).",
        "",
        "## Latency and throughput",
        "",
        f"Single: `predict(name)` on {len(names)} distinct names, each for the first time (empty embedding "
        f"cache). Batch: `predict_many` over {len(items)} (name, value, level1) items of the seed corpus and "
        "the library, empty cache.",
        "",
        "| model | p50 ms | p99 ms | batch indicators/s |",
        "| --- | ---: | ---: | ---: |",
        row.format("shipped (TF-IDF + value + cues)", ours["p50"], ours["p99"], ours["throughput"]),
        *(
            [
                row.format("baseline: + embeddings + kNN vote", base["p50"], base["p99"], base["throughput"]),
                f"| ratio shipped / baseline | {ours['p50'] / base['p50']:.3f}x | "
                f"{ours['p99'] / base['p99']:.3f}x | {ours['throughput'] / base['throughput']:.1f}x |",
            ]
            if base
            else ["| baseline | not run (`--no-baseline`) | | |"]
        ),
        "",
        f"Targets: single p99 ≤ 10 ms — **{'met' if ours['p99'] <= 10 else 'not met'}** "
        f"({ours['p99']:.2f} ms); batch ≥ 2,000/s — **{'met' if ours['throughput'] >= 2000 else 'not met'}** "
        f"({ours['throughput']:.0f}/s).",
        "",
        "## Build-time costs",
        "",
        "| step | seconds |",
        "| --- | ---: |",
        "| train shipped model (pool, 5-fold inner CV for temperature and threshold, final fit) | "
        f"{train_s:.1f} |",
        f"| train the embeddings baseline (incl. embedding the pool) | {train_embed_s:.1f} |" if base else "",
        f"| audit (out-of-fold, one retraining per table) | {audit_s:.1f} |",
        "",
        "## Audit and 花都 level-1-only tagging (shipped model)",
        "",
        f"{len(audit_report.contradictions)} of {audit_report.n_checked} coded indicators have a filed "
        "code the out-of-fold model contradicts with probability ≥ "
        f"{audit_report.min_probability}. Top 15:",
        "",
        "| indicator | name | filed | predicted | p |",
        "| --- | --- | --- | --- | ---: |",
        *[
            f"| {c.indicator_id} | {c.name} | {c.filed_code} {c.filed_label} | {c.predicted_code} "
            f"{c.predicted_label} | {c.probability:.2f} |"
            for c in audit_report.contradictions[:15]
        ],
        "",
        f"花都 level-1-only indicators: {len(huadu)} tagged, {agree} agree with their level-1; "
        f"{sum(t.prediction.needs_review for t in huadu)} flagged needs-review. Codes assigned: "
        + ", ".join(f"{c} × {n}" for c, n in sorted(by_code.items()))
        + ".",
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "classifier.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
