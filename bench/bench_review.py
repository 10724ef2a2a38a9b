"""Latency of the drafting assistant: review of one project and recommend, p50/p99.

Drafts are the seed projects with every text changed (``（草案）`` appended to the
name, each goal sentence and each indicator name), so none of their texts has a
stored vector and the encoder runs as it would on a real new draft; the query
cache is cleared before every call. Two corpora:

* ``seed`` — the built artifacts (`jixiao build`: real encoder, index, classifier);
* ``synthetic`` — ``bench/synth.py``'s generator, ``--n`` indicators (450,000 ≈ 100,000
  projects; ``vocabulary`` bounds the distinct indicator texts so that the real
  encoder embeds the index's ~5,000 distinct texts in minutes), with the same
  encoder and the seed's classifier. Baseline in the same process: one hybrid
  search of the draft's name and goal (what every review and recommendation
  does first).

    # writes bench/results/review.md:
    JIXIAO_BENCH_LOCKED=1 flock /work/brief/bench.lock .venv/bin/python bench/bench_review.py
    python bench/bench_review.py --n 20000 --out -     # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import LOCKED_PYTHON, load_average, load_note
from synth import synthetic_corpus

from api.loaders import load_corpus, open_classifier, open_encoder, open_index, open_reviewer
from api.settings import Settings
from classifier.review import Reviewer, draft_project
from classifier.review.reviewer import query_text
from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.records import Project
from indexer.search import build_index
from indexer.search.query import SearchQuery

LOAD_AT_START = load_average()
WALL_AT_START = time.perf_counter()
RESULTS = Path(__file__).resolve().parent / "results" / "review.md"
MARK = "（草案）"
TARGETS_MS = {"review": 200.0, "recommend": 150.0}


def as_draft(project: Project, n: int) -> Project:
    """``project`` with every text changed (so none has a stored vector)."""
    sentences = [s for s in project.goal.split("。") if s]
    return draft_project(
        {
            "name": project.name_raw + MARK,
            "goal": "。".join(s + MARK for s in sentences) + "。",
            "district": project.district,
            "indicators": [
                {
                    "level1": i.level1,
                    "code": i.level2_code,
                    "name": i.name_raw + MARK,
                    "annual_value": i.annual_value,
                    "cycle_value": i.cycle_value,
                }
                for i in project.indicators
            ],
        },
        n,
    )


def timings(calls: Sequence[Callable[[], Any]], reviewer: Reviewer) -> list[float]:
    """Milliseconds of each call, query cache cleared before each."""
    out = []
    for call in calls:
        if reviewer.index is not None:
            reviewer.index.clear_query_cache()
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(ms: Sequence[float]) -> dict[str, float]:
    """p50, p99 and mean."""
    return {
        "n": len(ms),
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "mean": statistics.mean(ms),
    }


def measure(reviewer: Reviewer, drafts: Sequence[Project]) -> dict[str, Any]:
    """Review, recommend and the baseline search over the drafts."""
    started = time.perf_counter()
    reviewer.warm()
    warm_s = time.perf_counter() - started
    index = reviewer.index
    assert index is not None
    search = [
        (
            lambda d=d: index.search(
                SearchQuery(text=query_text(d.name, d.goal), limit=reviewer.config.candidates)
            )
        )
        for d in drafts
    ]
    review = [(lambda d=d: reviewer.review_project(d, "pre2021")) for d in drafts]
    rec = [(lambda d=d: reviewer.recommend(d.name, d.goal, d.district)) for d in drafts]
    timings(review[:3], reviewer)  # first calls load lazily-imported code
    return {
        "projects": len(reviewer.corpus),
        "indicators": reviewer.corpus.n_indicators,
        "warm_s": warm_s,
        "search": summary(timings(search, reviewer)),
        "review": summary(timings(review, reviewer)),
        "recommend": summary(timings(rec, reviewer)),
    }


def main() -> None:
    """Seed and synthetic runs; write bench/results/review.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=450_000, help="indicators of the synthetic corpus")
    parser.add_argument("--vocabulary", type=int, default=3000)
    parser.add_argument("--drafts", type=int, default=200, help="drafts timed per corpus")
    parser.add_argument(
        "--index-vectors",
        choices=["real", "hash"],
        default="real",
        help="vectors of the synthetic index: the real encoder, or a 384-d hashing encoder (same shape, "
        "so the same search cost, without embedding thousands of texts on a busy machine)",
    )
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    settings = Settings(encoder_threads=1)
    seed = load_corpus(settings)
    encoder = open_encoder(settings, num_threads=1)
    classifier = open_classifier(settings, encoder)
    drafts = [as_draft(p, n) for n, p in enumerate(seed.projects, start=1)]
    runs: dict[str, Any] = {}
    index = open_index(settings, seed, encoder)
    runs["seed"] = measure(open_reviewer(settings, seed, encoder, index, classifier), drafts[: args.drafts])
    print(json.dumps(runs["seed"]), flush=True)
    started = time.perf_counter()
    synth = synthetic_corpus(args.n, vocabulary=args.vocabulary).corpus()
    big = Corpus(synth.projects, synth.sources)
    generated_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        if args.index_vectors == "real":
            big_index = build_index(big, encoder, Path(tmp) / "index", reuse=index.vector_map())
        else:
            hashed = build_index(big, FakeEncoder(dim=encoder.dim), Path(tmp) / "hashed")
            # Every text's vector is taken from the hashed index, so nothing is embedded here;
            # queries and drafts still go through the real encoder.
            big_index = build_index(big, encoder, Path(tmp) / "index", reuse=hashed.vector_map())
        index_s = time.perf_counter() - started
        reviewer = open_reviewer(settings, big, encoder, big_index, classifier)
        runs["synthetic"] = measure(reviewer, drafts[: args.drafts])
    runs["synthetic"] |= {"generated_s": generated_s, "index_s": index_s}
    print(json.dumps(runs["synthetic"]), flush=True)
    text = markdown(runs, encoder.name, args)
    if args.out != "-":
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


def markdown(runs: dict[str, Any], encoder: str, args: argparse.Namespace) -> str:
    """The results file."""
    lines = [
        "## Review and recommend latency",
        "",
        f"Command: `{LOCKED_PYTHON} bench/bench_review.py "
        f"--n {args.n} --vocabulary {args.vocabulary} --drafts {args.drafts} "
        f"--index-vectors {args.index_vectors}` (niceness {os.nice(0)}; JIXIAO_MODELS_DIR: the built models; "
        f"the process had {time.process_time() / (time.perf_counter() - WALL_AT_START):.2f} CPUs on average)",
        "",
        f"Machine: {platform.machine()}, 2 cores, no GPU, Python {platform.python_version()}; "
        f"{load_note(LOAD_AT_START)} Encoder {encoder}, 1 thread (the server's setting). Drafts: seed "
        "projects with every text changed, so the encoder runs on each; query cache cleared per call.",
        "",
        "| corpus | projects / indicators | call | n | p50 ms | p99 ms | mean ms | target p99 | × search |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in runs.items():
        base = run["search"]["p50"]
        for call in ("search", "review", "recommend"):
            s = run[call]
            target = f"{TARGETS_MS[call]:.0f}" if call in TARGETS_MS else "—"
            size = f"{run['projects']:,} / {run['indicators']:,}"
            lines.append(
                f"| {name} | {size} | {call} | {s['n']} | {s['p50']:.1f} | "
                f"{s['p99']:.1f} | {s['mean']:.1f} | {target} | {s['p50'] / base:.2f} |"
            )
    syn = runs.get("synthetic", {})
    lines += [
        "",
        f"Synthetic corpus generated in {syn.get('generated_s', 0):.0f} s, indexed in "
        f"{syn.get('index_s', 0):.0f} s (distinct texts embedded once); reviewer indexes (peer names, "
        f"goal calibration, reuse keys) built in {syn.get('warm_s', 0):.1f} s at load. × search: p50 "
        "over the p50 of the hybrid search each call starts with (the baseline, same process).",
        ""
        if args.index_vectors == "real"
        else "The synthetic index's stored vectors come from a 384-d hashing encoder (`--index-vectors "
        "hash`: the same shape and count as the real encoder's, so the same search cost); every query "
        "and every draft text is still encoded by the real encoder, as in service.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
