"""Query latency of the search index at seed scale, query encoding included.

Every query of ``eval/relevance.jsonl`` is run ``--repeats`` times through
``SearchIndex.search`` in each mode, modes interleaved per query so they see the
same machine load. The baseline is BM25-only search in the same process (no
query encoding); ``encode only`` is the bare ``encoder.encode_queries`` call.

    .venv/bin/python bench/bench_search.py [--models-dir models] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_relevance import open_index  # noqa: E402

from indexer.search import SearchQuery  # noqa: E402

TARGET_P99_MS = 30.0


def percentiles(samples: list[float]) -> dict[str, float]:
    arr = np.asarray(samples) * 1000.0
    return {
        "n": int(arr.size),
        "mean": float(arr.mean()),
        "p50": float(np.percentile(arr, 50)),
        "p90": float(np.percentile(arr, 90)),
        "p99": float(np.percentile(arr, 99)),
        "max": float(arr.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--relevance", type=Path, default=ROOT / "eval" / "relevance.jsonl")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads for the main run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "search.md")
    args = parser.parse_args()

    import torch

    default_threads = torch.get_num_threads()
    index, _, build_seconds = open_index(args.models_dir)
    torch.set_num_threads(args.threads)
    queries = [
        json.loads(line)["query"]
        for line in args.relevance.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    encoder = index.encoder

    def encode(q: str) -> object:
        return encoder.encode_queries([q])

    def hybrid_cached(q: str) -> object:
        index.search(SearchQuery(q))  # first page (vector cached by this call)
        start = time.perf_counter()
        index.search(SearchQuery(q, offset=10))
        return time.perf_counter() - start

    cases = {
        "BM25 only (baseline)": lambda q: index.search(SearchQuery(q, mode="bm25")),
        "encode only": encode,
        "dense only": lambda q: index.search(SearchQuery(q, mode="dense")),
        "hybrid": lambda q: index.search(SearchQuery(q)),
        "hybrid + district filter": lambda q: index.search(SearchQuery(q, district="广州市")),
        "hybrid, next page (query vector cached)": hybrid_cached,
        "similar (k=10)": None,
    }
    # Warm-up: first calls pay for jieba's dictionary, torch kernels, FAISS.
    for q in queries[:5]:
        for fn in cases.values():
            if fn:
                fn(q)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    ids = [p.id for p in index.corpus.projects]
    index.similar(ids[0])
    for r in range(args.repeats):
        for i, q in enumerate(queries):
            for name, fn in cases.items():
                index.clear_query_cache()
                if fn is None:
                    pid = ids[(i + r * len(queries)) % len(ids)]
                    start = time.perf_counter()
                    index.similar(pid, k=10)
                elif fn is hybrid_cached:
                    samples[name].append(fn(q))
                    continue
                else:
                    start = time.perf_counter()
                    fn(q)
                samples[name].append(time.perf_counter() - start)

    # The same, once, with torch's default thread count (OpenMP threads spin and
    # wait for each other, which hurts badly when the cores are shared).
    torch.set_num_threads(default_threads)
    multi = {"encode only": [], "hybrid": []}
    for q in queries:
        for name, fn in (("encode only", encode), ("hybrid", cases["hybrid"])):
            index.clear_query_cache()
            start = time.perf_counter()
            fn(q)
            multi[name].append(time.perf_counter() - start)
    torch.set_num_threads(args.threads)

    stats = {name: percentiles(s) for name, s in samples.items()}
    base = stats["BM25 only (baseline)"]
    machine = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs while measured), "
        f"no GPU; torch {torch.__version__} with {args.threads} intra-op thread(s) "
        f"(`torch.set_num_threads`; default here {default_threads}); "
        f"Python {platform.python_version()}."
    )
    setup = (
        f"Index: {index.n_projects} projects, {len(index.docs)} documents, "
        f"{index.manifest['n_unique_texts']} unique texts (FAISS IndexFlatIP, dim {encoder.dim}), "
        f"encoder `{encoder.name}`; index ready in {build_seconds:.1f}s."
    )
    method = (
        f"Queries: the {len(queries)} queries of `eval/relevance.jsonl` × {args.repeats} repeats, "
        "modes interleaved per query; `SearchIndex.search(limit=10)` end to end: tokenize, BM25, "
        "query encoding, FAISS, fusion, evidence and highlights for the 10 hits. "
        "`similar` cycles through project ids. The query-vector cache is cleared before every "
        "measured call except in the 'next page' case."
    )
    lines = [
        "# Search latency (seed scale, in-process)",
        "",
        f"Command: `.venv/bin/python bench/bench_search.py --repeats {args.repeats}`",
        "",
        machine,
        setup,
        method,
        "",
        "| case | n | mean ms | p50 ms | p90 ms | p99 ms | max ms | p50 / baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in stats.items():
        lines.append(
            f"| {name} | {s['n']} | {s['mean']:.2f} | {s['p50']:.2f} | {s['p90']:.2f} | {s['p99']:.2f} "
            f"| {s['max']:.2f} | {s['p50'] / base['p50']:.1f}x |"
        )
    lines += [
        "",
        f"With torch's default {default_threads} threads (1 repeat, same process, measured after):",
        "",
        "| case | n | mean ms | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, values in multi.items():
        m = percentiles(values)
        lines.append(
            f"| {name} | {m['n']} | {m['mean']:.2f} | {m['p50']:.2f} | {m['p90']:.2f} | {m['p99']:.2f} "
            f"| {m['max']:.2f} |"
        )
    hybrid = stats["hybrid"]
    verdict = "meets" if hybrid["p99"] <= TARGET_P99_MS else "misses"
    lines += [
        "",
        f"Hybrid p99 {hybrid['p99']:.1f} ms {verdict} the {TARGET_P99_MS:.0f} ms target; "
        f"query encoding is {stats['encode only']['p50'] / hybrid['p50']:.0%} of the hybrid p50.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
