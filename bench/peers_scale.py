"""The peers at scale: the same engines on ``bench/synth.py``'s corpus of N indicators.

No relevance judgments exist at this size, so this part reports what scale
changes: build time, memory (peak and resident RSS growth of this process
while building, sampled every 10 ms) and disk, and p50/p99 latency of the
judged queries plus more query texts. Vectors are cheap hashing vectors
(``FakeEncoder``: character uni- and bigrams hashed into 384 buckets, the real
encoder's dimension) so that every engine indexes the same number and shape
of vectors as with the real encoder without embedding a million texts on two
cores; engines differ only in how they index, score and fuse.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scale_memory import probe_memory, release_memory
from synth import synthetic_corpus

from indexer.encoder.fake import FakeEncoder
from indexer.search import SearchQuery, build_index
from indexer.search.documents import build_documents
from indexer.search.embed import text_key
from indexer.tokenize import tokenize

HASH_DIM = 384  # multilingual-e5-small's


def latencies(search: Callable[[int], object], n: int, budget_s: float) -> list[float]:
    """Milliseconds of ``search(i)`` for i in range(n), after a warm-up of 3; stops once
    ``budget_s`` is spent (an engine taking seconds a query would hold the bench lock too long)."""
    for i in range(min(3, n)):
        search(i)
    out: list[float] = []
    deadline = time.perf_counter() + budget_s
    for i in range(n):
        t0 = time.perf_counter()
        search(i)
        out.append((time.perf_counter() - t0) * 1000)
        if t0 > deadline:
            break
    return out


def scale_rows(
    n_indicators: int,
    texts: Sequence[str],
    engines: Sequence[type],
    shared_docs: Callable[[Any], Any],
    workdir: Path,
    budget_s: float = 60.0,
    log: Callable[[str], None] = print,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The workload's description and one row per engine (jixiao first) at ``n_indicators``."""
    workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    corpus = synthetic_corpus(n_indicators).corpus()
    workload: dict[str, Any] = {
        "projects": len(corpus),
        "indicators": sum(len(p.indicators) for p in corpus.projects),
        "generate_s": time.perf_counter() - start,
        "queries": len(texts),
        "budget_s": budget_s,
    }
    log(f"generated {workload['projects']} projects in {workload['generate_s']:.0f}s")
    encoder = FakeEncoder(HASH_DIM)
    texts_of_docs = build_documents(corpus).texts  # every distinct text, embedded once before timing
    vectors = dict(zip(map(text_key, texts_of_docs), encoder.encode_passages(texts_of_docs), strict=True))
    workload["texts"] = len(vectors)
    log(f"{len(vectors)} distinct texts hashed")
    del texts_of_docs
    start = time.perf_counter()
    release_memory()
    with probe_memory() as memory:
        index = build_index(corpus, encoder, workdir / "jixiao-index", reuse=vectors)
    build_s = time.perf_counter() - start
    log(f"jixiao built in {build_s:.0f}s")
    qvs = encoder.encode_queries(list(texts))
    for t in texts:  # the peers get query vectors; jixiao's come from its warm query cache
        index.query_vector(t)
    jixiao = {
        "name": "**jixiao** (bm25s + FAISS flat over distinct texts, tuned RRF)",
        "build_s": build_s,
        "peak_mb": (memory.peak - memory.before) / 1e6,
        "rss_mb": (memory.after - memory.before) / 1e6,
        "disk_mb": _dir_mb(workdir / "jixiao-index"),
        "ms": latencies(
            lambda i, ix=index: ix.search(SearchQuery(text=texts[i], limit=10)), len(texts), budget_s
        ),
    }
    docs = shared_docs(index)
    workload["documents"] = len(docs.tokens)
    del index, vectors, corpus
    gc.collect()
    queries = [(tokenize(t), qv) for t, qv in zip(texts, qvs, strict=True)]
    rows = [jixiao]
    for engine_cls in engines:
        start = time.perf_counter()
        release_memory()
        with probe_memory() as memory:
            engine = engine_cls(docs, workdir)
        build_s = time.perf_counter() - start
        log(f"{engine.name} built in {build_s:.0f}s")
        rows.append(
            {
                "name": engine.name,
                "build_s": build_s,
                "peak_mb": (memory.peak - memory.before) / 1e6,
                "rss_mb": (memory.after - memory.before) / 1e6,
                "disk_mb": engine.disk(),
                "ms": latencies(lambda i, e=engine: e.search(*queries[i]), len(queries), budget_s),
            }
        )
        del engine
        gc.collect()
    return workload, rows


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _pct(data: Sequence[float], q: float) -> float:
    ordered = sorted(data)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def scale_lines(workload: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """The section of peers.md for the scale run."""
    lines = [
        f"## At {workload['indicators']:,} indicators (bench/synth.py, seed 0)",
        "",
        f"{workload['projects']:,} synthetic projects, {workload['documents']:,} documents, "
        f"{workload['texts']:,} distinct texts (generated in {workload['generate_s']:.0f} s). "
        "**Hashing vectors, not the real encoder**: `FakeEncoder` (character uni- and bigrams into "
        f"{HASH_DIM} buckets, the real encoder's dimension), chosen before it was known how few distinct "
        "texts the generator makes (the real encoder would have added a few minutes). Flat vector search "
        "and the engines' index costs do not depend on the vectors' values, so build, memory and "
        "latency are those of the real thing; the dense side's ranking is not, and no judgments exist "
        "at this size: relevance is the seed table's above. "
        f"Latency over up to {workload['queries']} query texts (the 46 judged queries, then "
        "paraphrase variants), query vector given, one at a time, after 3 warm-up queries; an engine "
        f"stops after {workload['budget_s']:.0f} s of queries (column *queries*). "
        "Build from the documents and their vectors "
        "(jixiao: `build_index` with every vector reused, index written to disk; peers: their index "
        "built and committed). Memory: this process's RSS growth during the build, peak (sampled "
        "every 10 ms) and resident after it.",
        "",
        "| engine | queries | p50 ms | p99 ms | build s | peak RSS +MB | resident +MB | disk MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    fastest = min(rows, key=lambda r: _pct(r["ms"], 50))
    quickest = min(rows, key=lambda r: r["build_s"])
    leanest = min(rows, key=lambda r: r["peak_mb"])
    verdict = (
        f"Fastest query (p50): {fastest['name']}; fastest build: {quickest['name']}; least build "
        f"memory: {leanest['name']}. jixiao's dense side searches its {workload['texts']:,} distinct "
        f"texts, the peers' every one of the {workload['documents']:,} documents (their stacks store a "
        "vector per row), and jixiao's build time includes its own jieba pass over the texts, which "
        "the peers were handed already tokenised."
    )
    for r in rows:
        lines.append(
            f"| {r['name']} | {len(r['ms'])} | {_pct(r['ms'], 50):.1f} | {_pct(r['ms'], 99):.1f} "
            f"| {r['build_s']:.1f} | "
            f"{r['peak_mb']:,.0f} | {r['rss_mb']:,.0f} | {r['disk_mb']:,.0f} |"
        )
    return [*lines, "", verdict]
