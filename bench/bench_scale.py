"""Scale benchmark: exact vs approximate vector search over N synthetic indicators.

Generates N indicators with ``bench/synth.py`` (seed fragments recombined),
embeds every distinct indicator text once with the real encoder
(``models/encoder``; ``--encoder fake`` for development), then for each index
kind of ``indexer.search.vectors`` (one module per backend) measures build time, memory, and
single-query latency p50/p99 and recall@10 against exact search over held-out
queries. Exact flat search in the same process is the baseline.

    python bench/bench_scale.py --n 1000000          # full run (writes bench/results/scale.md)
    python bench/bench_scale.py --n 20000 --encoder fake --out -   # smoke run

Recall is *tie-aware*: the corpus repeats texts (identical indicators in many
projects give identical vectors), so the exact top-10 is often a tie among
copies and which copy an index returns is arbitrary. A returned row counts as
correct when its true inner product with the query is at least the exact
10th-best score (minus 1e-5), i.e. it is interchangeable with an exact answer.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import cast

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import load_average
from scale_embed import (
    EmbeddingCache,
    embed_unique,
    load_bench_encoder,
    make_workload,
    time_single_queries,
)
from scale_memory import MemoryProbe, log, percentile_ms, probe_memory, release_memory, rss_bytes
from scale_report import KindResult, Operating, report

from indexer.search import vectors
from indexer.search.vectors import AnnParams, IndexKind, VectorIndex

# Before this script adds its own load.
LOAD_AT_START = load_average()

RESULTS = Path(__file__).resolve().parent / "results" / "scale.md"
CACHE = Path(__file__).resolve().parent / "out" / "scale-embeddings"
TIE_EPS = 1e-5
ADD_CHUNK = 100_000


def add_rows(index: VectorIndex, unique: np.ndarray, row_text: np.ndarray) -> None:
    # Rows are materialised chunk by chunk: the full n × dim matrix never exists twice.
    """Add every row's vector (its text's) to ``index``, in chunks."""
    for start in range(0, len(row_text), ADD_CHUNK):
        index.add(unique[row_text[start : start + ADD_CHUNK]])


def tie_aware_recall(
    ids: np.ndarray, exact_scores: np.ndarray, unique: np.ndarray, row_text: np.ndarray, qvec: np.ndarray
) -> float:
    """Share of returned rows whose true score reaches the exact k-th best score."""
    k = exact_scores.shape[1]
    hits = 0
    for i in range(len(ids)):
        valid = ids[i][ids[i] >= 0]
        true = unique[row_text[valid]] @ qvec[i]
        hits += min(k, int(np.sum(true >= exact_scores[i, -1] - TIE_EPS)))
    return hits / (k * len(ids))


@contextlib.contextmanager
def faiss_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` FAISS threads, then restore the previous number."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def measure_search(
    index: VectorIndex | DistinctIndex,
    qvec: np.ndarray,
    k: int,
    recall_of: Callable[[np.ndarray], float],
    setting: str,
    threads: int,
) -> Operating:
    """Single-query latency over every query (``threads`` FAISS threads), and recall@k."""
    with faiss_threads(threads):
        return _measure_search(index, qvec, k, recall_of, setting)


def _measure_search(
    index: VectorIndex | DistinctIndex,
    qvec: np.ndarray,
    k: int,
    recall_of: Callable[[np.ndarray], float],
    setting: str,
) -> Operating:
    for q in qvec[:5]:  # warm-up
        index.search(q[None, :], k)
    seconds = np.empty(len(qvec))
    ids = np.empty((len(qvec), k), dtype=np.int64)
    for i, q in enumerate(qvec):
        started = time.perf_counter()
        _, found = index.search(q[None, :], k)
        seconds[i] = time.perf_counter() - started
        ids[i] = found[0]
    return Operating(
        setting,
        percentile_ms(seconds, 50),
        percentile_ms(seconds, 99),
        float(seconds.mean() * 1000),
        recall_of(ids),
        seconds,
    )


class DistinctIndex:
    """One vector per distinct text, expanded to rows through posting lists.

    The corpus repeats texts, and identical texts have identical vectors: an
    index over the distinct vectors returns the same rows (up to ties) while
    holding a fraction of the vectors. Rows of a text are returned in row order.
    """

    def __init__(self, index: VectorIndex, row_text: np.ndarray) -> None:
        self.index = index
        self.kind = f"{index.kind}-distinct"
        self.order = np.argsort(row_text, kind="stable")
        self.starts = np.searchsorted(row_text[self.order], np.arange(index.ntotal + 1))

    @property
    def params(self) -> AnnParams:
        """The inner index's parameters."""
        return self.index.params

    def set_search_params(self, **kwargs: int) -> None:
        """Set the inner index's search parameters."""
        self.index.set_search_params(**kwargs)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # k distinct texts always cover k rows: every text has at least one row.
        """The top ``k`` rows per query: the inner index's texts expanded to their rows."""
        scores, text_ids = self.index.search(queries, k)
        out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        out_rows = np.full((len(queries), k), -1, dtype=np.int64)
        for q in range(len(queries)):
            filled = 0
            for score, t in zip(scores[q], text_ids[q], strict=True):
                if t < 0 or filled == k:
                    break
                rows = self.order[self.starts[t] : self.starts[t + 1]][: k - filled]
                out_rows[q, filled : filled + len(rows)] = rows
                out_scores[q, filled : filled + len(rows)] = score
                filled += len(rows)
        return out_scores, out_rows


def build_distinct(
    kind: IndexKind, params: AnnParams, unique: np.ndarray, row_text: np.ndarray, tmp: Path
) -> tuple[DistinctIndex, float, MemoryProbe, int, float]:
    """Index the distinct vectors only, plus the row posting lists."""
    release_memory()
    with probe_memory() as memory:
        started = time.perf_counter()
        index = DistinctIndex(vectors.build(unique, kind, params), row_text)
        build_s = time.perf_counter() - started
        release_memory()
    path = tmp / f"{kind}-distinct.faiss"
    index.index.save(path)
    file_bytes = path.stat().st_size + index.order.nbytes + index.starts.nbytes
    started = time.perf_counter()
    loaded = vectors.load(path, expected_dim=unique.shape[1], expected_ntotal=len(unique))
    load_s = time.perf_counter() - started
    path.unlink()
    return DistinctIndex(loaded, row_text), build_s, memory, file_bytes, load_s


def build_kind(
    kind: IndexKind, params: AnnParams, unique: np.ndarray, row_text: np.ndarray, tmp: Path
) -> tuple[VectorIndex, float, MemoryProbe, int, float]:
    """Build, save and reload one index; returns the loaded index and the costs."""
    release_memory()
    with probe_memory() as memory:
        started = time.perf_counter()
        index = vectors.create(unique.shape[1], kind, params)
        add_rows(index, unique, row_text)
        build_s = time.perf_counter() - started
        release_memory()  # drop the chunk temporaries before "resident" is read
    path = tmp / f"{kind}.faiss"
    index.save(path)
    file_bytes = path.stat().st_size
    del index
    release_memory()
    started = time.perf_counter()
    loaded = vectors.load(path, expected_dim=unique.shape[1], expected_ntotal=len(row_text))
    load_s = time.perf_counter() - started
    path.unlink()
    return loaded, build_s, memory, file_bytes, load_s


def describe(index: VectorIndex | DistinctIndex, train_size: int) -> str:
    """The parameters of an index, in words for the results table."""
    if isinstance(index, DistinctIndex):
        inner = describe(index.index, train_size)
        return f"{index.index.ntotal:,} distinct vectors + row postings; {inner}"
    p = index.params
    if index.kind == "hnsw":
        return f"M={p.hnsw_m}, efConstruction={p.hnsw_ef_construction}"
    if index.kind == "ivf":
        return f"nlist={p.ivf_nlist}, trained on {min(train_size, index.ntotal):,} vectors"
    if index.kind == "ivfpq":
        return f"nlist={p.ivf_nlist}, PQ {p.pq_m}×8 bit"
    return "exact inner product"


def run(args: argparse.Namespace) -> str:
    """Run the benchmark; returns the markdown report."""
    faiss.omp_set_num_threads(args.threads)
    rss_start = rss_bytes()
    log(f"generating {args.n:,} indicators")
    work = make_workload(args.n, args.queries, args.seed, args.vocabulary)
    args.natural_texts = len(work.texts)
    log(
        f"{work.n_projects:,} projects, {len(work.texts):,} distinct texts, "
        f"{len(work.queries)} held-out queries in {work.generate_s:.1f}s"
    )
    if args.torch_threads:
        import torch

        # On a loaded machine, one intra-op thread per process avoids OpenMP barrier stalls
        # that make single-query encoding 10-100× slower.
        torch.set_num_threads(args.torch_threads)
    encoder, load_s = load_bench_encoder(args.encoder)
    log(f"encoder {encoder.name} (dim {encoder.dim}) loaded in {load_s:.1f}s")
    cache = None if args.cache == "-" else EmbeddingCache(Path(args.cache) / encoder.name, encoder)
    # The encoder's rate on this machine, now: it decides whether every distinct
    # text fits the embedding budget, and the report states it.
    sample = work.texts[:: max(1, len(work.texts) // 256)][:256]
    started = time.perf_counter()
    encoder.encode_passages(sample)
    args.rate = len(sample) / (time.perf_counter() - started)
    log(f"encoder rate now: {args.rate:.0f} texts/s")
    if args.prefill:
        if cache is None:
            raise SystemExit("--prefill needs a cache directory")
        embed_unique(encoder, work.texts, cache)
        raise SystemExit(0)
    args.bounded_by_budget = False
    if args.vocabulary is None and args.embed_budget > 0:
        cached = sum(1 for t in work.texts if cache is not None and t in cache.row_of)
        args.cached_before = cached
        capacity = cached + int(args.rate * args.embed_budget)
        if len(work.texts) > capacity:
            args.vocabulary = capacity // 1000 * 1000 or 1000
            args.bounded_by_budget = True
            log(f"{len(work.texts):,} distinct texts do not fit the budget: vocabulary {args.vocabulary:,}")
            work = make_workload(args.n, args.queries, args.seed, args.vocabulary)
    embedding = embed_unique(encoder, work.texts, cache)
    unique = embedding.vectors
    qvec, encode_seconds = time_single_queries(encoder, work.queries)
    k = args.k

    results: list[KindResult] = []
    with tempfile.TemporaryDirectory(prefix="jixiao-scale-") as tmpdir:
        tmp = Path(tmpdir)
        log("flat (exact) baseline")
        flat, build_s, memory, file_bytes, idx_load_s = build_kind(
            "flat", AnnParams(), unique, work.row_text, tmp
        )
        exact_scores, _ = flat.search(qvec, k)  # batched ground truth

        def recall_of(ids: np.ndarray) -> float:
            return tie_aware_recall(ids, exact_scores, unique, work.row_text, qvec)

        baseline = measure_search(flat, qvec, k, recall_of, "exact", args.search_threads)
        results.append(
            KindResult(
                "flat", build_s, memory, file_bytes, idx_load_s, describe(flat, args.train_size), [baseline]
            )
        )
        del flat
        release_memory()

        def checkpoint() -> None:
            # A partial report survives if a later, longer step is cut short.
            done = {r.kind for r in results}
            pending = [name for name in args.kinds if name not in done]
            if pending:
                partial = report(
                    args, work, encoder, load_s, embedding, encode_seconds, results, rss_start, LOAD_AT_START
                )
                write_report(args, partial + f"\n_Partial: {', '.join(pending)} still running._\n")

        checkpoint()
        for kind in args.kinds:
            if kind == "flat":
                continue
            base_kind = cast(IndexKind, kind.removesuffix("-distinct"))
            params = AnnParams(
                hnsw_m=args.hnsw_m,
                hnsw_ef_construction=args.ef_construction,
                ivf_nlist=args.nlist,
                train_size=args.train_size,
                pq_m=args.pq_m,
            )
            log(f"{kind}: building")
            builder = build_distinct if kind.endswith("-distinct") else build_kind
            index, build_s, memory, file_bytes, idx_load_s = builder(
                base_kind, params, unique, work.row_text, tmp
            )
            log(f"{kind}: built in {build_s:.1f}s")
            points = []
            sweep = {"hnsw": args.ef_search, "flat": [0]}.get(base_kind, args.nprobe)
            for value in sweep:
                if base_kind == "flat":
                    setting = "exact"
                elif base_kind == "hnsw":
                    index.set_search_params(ef_search=value)
                    setting = f"efSearch={value}"
                else:
                    index.set_search_params(nprobe=value)
                    setting = f"nprobe={value}"
                point = measure_search(index, qvec, k, recall_of, setting, args.search_threads)
                log(f"{kind} {setting}: p99 {point.p99_ms:.2f} ms, recall {point.recall:.4f}")
                points.append(point)
            results.append(
                KindResult(
                    kind, build_s, memory, file_bytes, idx_load_s, describe(index, args.train_size), points
                )
            )
            del index
            release_memory()
            checkpoint()

    return report(args, work, encoder, load_s, embedding, encode_seconds, results, rss_start, LOAD_AT_START)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, with the quick and smoke presets applied."""
    parser = argparse.ArgumentParser(description="Exact vs approximate vector search at scale.")
    parser.add_argument("--n", type=int, default=1_000_000, help="indicators to generate (quick: 20000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: --n 20000")
    parser.add_argument(
        "--kinds",
        default="flat,flat-distinct,hnsw-distinct,ivf,hnsw",
        help="comma list of flat,hnsw,ivf,ivfpq,flat-distinct,hnsw-distinct (-distinct: one vector per "
        "distinct text, expanded to rows)",
    )
    parser.add_argument("--encoder", choices=["real", "fake"], default="real")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocabulary", type=int, default=None, help="bound on distinct indicator texts")
    parser.add_argument(
        "--embed-budget",
        type=float,
        default=900.0,
        help="seconds allowed for embedding distinct texts; without --vocabulary, the vocabulary is "
        "bounded to what the measured encoder rate fits in it (0: no bound)",
    )
    parser.add_argument("--threads", type=int, default=2, help="FAISS OpenMP threads while building")
    parser.add_argument(
        "--search-threads",
        type=int,
        default=1,
        help="FAISS threads while timing single queries (a server runs requests side by side)",
    )
    parser.add_argument(
        "--torch-threads", type=int, default=1, help="torch intra-op threads for encoding (0: torch default)"
    )
    parser.add_argument("--hnsw-m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--ef-search", default="32,64,128,256,512", help="comma list swept at query time")
    parser.add_argument("--nlist", type=int, default=None, help="IVF cells (default √n)")
    parser.add_argument("--nprobe", default="8,16,32,64,128", help="comma list swept at query time")
    parser.add_argument("--train-size", type=int, default=65_536, help="IVF k-means training sample")
    parser.add_argument("--pq-m", type=int, default=48)
    parser.add_argument(
        "--note", action="append", default=[], help="extra verdict line, e.g. a control run's result"
    )
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--target-p99-ms", type=float, default=60.0)
    parser.add_argument("--out", default=str(RESULTS), help="markdown output path, or - for stdout only")
    parser.add_argument("--cache", default=str(CACHE), help="embedding cache directory, or - for none")
    parser.add_argument(
        "--prefill", action="store_true", help="only embed the distinct texts into the cache, then exit"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n = 20_000
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(args.kinds) - {"flat", "hnsw", "ivf", "ivfpq", "flat-distinct", "hnsw-distinct"}
    if unknown:
        parser.error(f"unknown kinds: {sorted(unknown)}")
    args.ef_search = [int(v) for v in args.ef_search.split(",")]
    args.nprobe = [int(v) for v in args.nprobe.split(",")]
    if args.nlist is None:
        # √n cells (1,000 at 1M): k-means on 2 shared cores stays within minutes.
        args.nlist = max(1, min(int(math.sqrt(args.n)), args.n // 39))
    return args


def write_report(args: argparse.Namespace, markdown: str) -> None:
    """Write the section to ``--out`` (``-``: stdout)."""
    if args.out != "-":
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown, encoding="utf-8")
        log(f"wrote {out}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write its section."""
    args = parse_args(argv)
    markdown = run(args)
    print(markdown)
    write_report(args, markdown)


if __name__ == "__main__":
    main()
