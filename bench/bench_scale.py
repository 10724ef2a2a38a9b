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
import ctypes
import gc
import json
import math
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import load_average, load_note
from synth import SyntheticCorpus, extract_fragments, indicator_text, load_seed_projects

from indexer.encoder.base import Encoder
from indexer.search import vectors
from indexer.search.vectors import AnnParams, IndexKind, VectorIndex

# Before this script adds its own load.
LOAD_AT_START = load_average()

RESULTS = Path(__file__).resolve().parent / "results" / "scale.md"
CACHE = Path(__file__).resolve().parent / "out" / "scale-embeddings"
TIE_EPS = 1e-5
ADD_CHUNK = 100_000


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def max_rss_bytes() -> int:
    """Peak RSS of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class MemoryProbe:
    """RSS before a step, peak during it (sampled every 10 ms) and after it."""

    before: int = 0
    peak: int = 0
    after: int = 0


@contextlib.contextmanager
def probe_memory() -> Iterator[MemoryProbe]:
    # FAISS releases the GIL while building, so a sampling thread sees the peak.
    probe = MemoryProbe(before=rss_bytes())
    probe.peak = probe.before
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            probe.peak = max(probe.peak, rss_bytes())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield probe
    finally:
        stop.set()
        thread.join()
        probe.after = rss_bytes()
        probe.peak = max(probe.peak, probe.after)


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS, so RSS deltas mean something."""
    gc.collect()
    # Not glibc: nothing to trim, and RSS deltas are then upper bounds.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def percentile_ms(seconds: Sequence[float] | np.ndarray, q: float) -> float:
    return float(np.percentile(np.asarray(seconds), q) * 1000.0)


@dataclass
class Workload:
    """The generated corpus reduced to what the benchmark needs."""

    n_indicators: int
    n_projects: int
    texts: list[str]  # distinct indicator texts
    row_text: np.ndarray  # int32, per indicator row: index into texts
    queries: list[str]  # held-out texts, none of them in texts
    generate_s: float


def make_workload(n: int, n_queries: int, seed: int, vocabulary: int | None) -> Workload:
    """Generate ``n`` indicators and ``n_queries`` held-out query texts."""
    started = time.perf_counter()
    fragments = extract_fragments(load_seed_projects())
    synth = SyntheticCorpus(fragments, n, seed=seed, vocabulary=vocabulary)
    text_id: dict[str, int] = {}
    row_text = np.empty(n, dtype=np.int32)
    n_projects = 0
    row = 0
    for project in synth:
        n_projects += 1
        for ind in project.indicators:
            row_text[row] = text_id.setdefault(indicator_text(ind), len(text_id))
            row += 1
    assert row == n, (row, n)
    # Held-out queries: fresh recombinations (another seed, every indicator recombined)
    # whose text never occurs in the indexed corpus.
    held_out = SyntheticCorpus(fragments, 50 * n_queries, seed=seed + 10_007, recombine=1.0)
    queries: dict[str, None] = {}
    for ind in held_out.indicators():
        text = indicator_text(ind)
        if text not in text_id:
            queries[text] = None
            if len(queries) == n_queries:
                break
    return Workload(n, n_projects, list(text_id), row_text, list(queries), time.perf_counter() - started)


def load_bench_encoder(kind: str) -> tuple[Encoder, float]:
    """The encoder to embed with, and its load time in seconds."""
    started = time.perf_counter()
    if kind == "fake":
        from indexer.encoder.fake import FakeEncoder

        encoder: Encoder = FakeEncoder(384)
    else:
        from indexer.encoder import load_encoder

        encoder = load_encoder("e5-small", Path("models") / "encoder")
    return encoder, time.perf_counter() - started


class EmbeddingCache:
    """Passage vectors of texts already embedded by this encoder, kept across runs.

    Append-only files in ``directory``: ``texts.txt`` (one text per line),
    ``vectors.f32`` (raw float32 rows, same order) and ``meta.json`` (encoder
    name and dim; a different encoder starts a new cache). A run cut short keeps
    every completed chunk.
    """

    def __init__(self, directory: Path, encoder: Encoder) -> None:
        self.directory = directory
        self.dim = encoder.dim
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"encoder": encoder.name, "dim": encoder.dim}
        meta_path = directory / "meta.json"
        if not meta_path.is_file() or json.loads(meta_path.read_text()) != meta:
            for name in ("texts.txt", "vectors.f32"):
                (directory / name).unlink(missing_ok=True)
            meta_path.write_text(json.dumps(meta))
        self._texts_path = directory / "texts.txt"
        self._vectors_path = directory / "vectors.f32"
        texts = (
            self._texts_path.read_text(encoding="utf-8").split("\n")[:-1]
            if self._texts_path.is_file()
            else []
        )
        raw = (
            np.fromfile(self._vectors_path, dtype=np.float32) if self._vectors_path.is_file() else np.zeros(0)
        )
        n = min(len(texts), len(raw) // self.dim)
        self.vectors = raw[: n * self.dim].reshape(n, self.dim)
        self.row_of = {text: i for i, text in enumerate(texts[:n])}
        # Rewrite if a crash left the two files out of step.
        if n != len(texts) or n * self.dim != len(raw):
            self._texts_path.write_text("".join(t + "\n" for t in texts[:n]), encoding="utf-8")
            self.vectors.tofile(self._vectors_path)

    def __len__(self) -> int:
        return len(self.row_of)

    def append(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store newly embedded texts (texts with a line break are not cached)."""
        keep = [i for i, t in enumerate(texts) if "\n" not in t and t not in self.row_of]
        if not keep:
            return
        with self._vectors_path.open("ab") as fh:
            np.ascontiguousarray(vectors[keep], dtype=np.float32).tofile(fh)
        with self._texts_path.open("a", encoding="utf-8") as fh:
            fh.write("".join(texts[i] + "\n" for i in keep))
        base = len(self.row_of)
        for j, i in enumerate(keep):
            self.row_of[texts[i]] = base + j
        self.vectors = np.concatenate([self.vectors, vectors[keep]])


@dataclass
class Embedding:
    """The distinct texts' vectors and how they were obtained."""

    vectors: np.ndarray
    n_new: int  # embedded in this run
    new_s: float  # seconds spent embedding them
    n_cached: int


def embed_unique(
    encoder: Encoder, texts: Sequence[str], cache: EmbeddingCache | None, chunk: int = 1024
) -> Embedding:
    """Passage vectors of ``texts`` (already distinct); cached texts are not re-embedded."""
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    missing: list[int] = []
    for i, text in enumerate(texts):
        row = cache.row_of.get(text) if cache is not None else None
        if row is None:
            missing.append(i)
        else:
            out[i] = cache.vectors[row]  # type: ignore[union-attr]
    log(f"{len(texts) - len(missing):,} distinct texts cached, {len(missing):,} to embed")
    started = time.perf_counter()
    for start in range(0, len(missing), chunk):
        rows = missing[start : start + chunk]
        batch = [texts[i] for i in rows]
        vectors = encoder.encode_passages(batch)
        out[rows] = vectors
        if cache is not None:
            cache.append(batch, vectors)
        done = start + len(rows)
        elapsed = time.perf_counter() - started
        log(f"embedded {done:,}/{len(missing):,} ({done / elapsed:.0f}/s)")
    return Embedding(out, len(missing), time.perf_counter() - started, len(texts) - len(missing))


def time_single_queries(encoder: Encoder, queries: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Query vectors, encoded one query per call, and each call's seconds."""
    encoder.encode_queries(queries[:3])  # warm-up
    vectors = np.empty((len(queries), encoder.dim), dtype=np.float32)
    seconds = np.empty(len(queries))
    for i, query in enumerate(queries):
        started = time.perf_counter()
        vectors[i] = encoder.encode_queries([query])[0]
        seconds[i] = time.perf_counter() - started
    return vectors, seconds


@dataclass
class Operating:
    """One search setting of an index: latency and recall over the query set."""

    setting: str
    p50_ms: float
    p99_ms: float
    mean_ms: float
    recall: float
    seconds: np.ndarray = field(repr=False)


@dataclass
class KindResult:
    """Build cost of one index kind and its search settings."""

    kind: str
    build_s: float
    memory: MemoryProbe
    file_bytes: int
    load_s: float
    params: str
    points: list[Operating]


def add_rows(index: VectorIndex, unique: np.ndarray, row_text: np.ndarray) -> None:
    # Rows are materialised chunk by chunk: the full n × dim matrix never exists twice.
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
        return self.index.params

    def set_search_params(self, **kwargs: int) -> None:
        self.index.set_search_params(**kwargs)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # k distinct texts always cover k rows: every text has at least one row.
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
                partial = report(args, work, encoder, load_s, embedding, encode_seconds, results, rss_start)
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

    return report(args, work, encoder, load_s, embedding, encode_seconds, results, rss_start)


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f}"


def report(
    args: argparse.Namespace,
    work: Workload,
    encoder: Encoder,
    load_s: float,
    embedding: Embedding,
    encode_seconds: np.ndarray,
    results: list[KindResult],
    rss_start: int,
) -> str:
    """The markdown section for BENCHMARKS.md."""
    flat = results[0]
    base = flat.points[0]
    n, dim = work.n_indicators, encoder.dim
    command = "python bench/bench_scale.py " + " ".join(sys.argv[1:])
    lines = [
        f"## Scale: exact vs approximate vector search at {n:,} indicators",
        "",
        f"Command: `{command.strip()}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Machine: {os.cpu_count()} cores ({load_note(LOAD_AT_START)}), no GPU, "
        f"{platform.python_implementation()} {platform.python_version()}, faiss {faiss.__version__}, "
        f"FAISS threads: {args.threads} to build, {args.search_threads} to search; torch threads: "
        f"{args.torch_threads or 'default'}. "
        f"Vectors: {n:,} × {dim} float32 (inner product = cosine).",
        "",
        "### Workload",
        "",
        f"- Generator: `bench/synth.py` (seed {args.seed}), seed fragments recombined: "
        f"{work.n_projects:,} projects, {n:,} indicators, generated in {work.generate_s:.1f} s.",
        f"- Indicator text embedded: `name：annual value`. Distinct texts: **{len(work.texts):,}** "
        f"({n / max(len(work.texts), 1):.1f} rows per text on average)"
        + (
            f"; vocabulary bounded to {args.vocabulary:,} distinct indicators"
            + (
                f" — what the encoder could embed on this shared machine in the time available: "
                f"{args.cached_before:,} texts already in the embedding cache (filled in the background "
                f"by `--prefill`) plus this run's {args.embed_budget:.0f}-second budget at "
                f"{args.rate:.0f} texts/s. Unbounded, the same {n:,} indicators have "
                f"{args.natural_texts:,} distinct texts ({n / args.natural_texts:.1f} rows per text); "
                f"the bounded pool is the first {args.vocabulary:,} distinct indicators of that stream, "
                "drawn uniformly, so texts repeat more than in the unbounded stream."
                if args.bounded_by_budget
                else " (`--vocabulary`)."
            )
            if args.vocabulary
            else "; no vocabulary bound: the seed's fragments (indicator subjects × metric heads × "
            "values seen with each head) only recombine into this many distinct texts."
        ),
        f"- Encoder `{encoder.name}` loaded in {load_s:.1f} s. Each distinct text is embedded once: "
        f"{embedding.n_new:,} embedded in this run in {embedding.new_s:.1f} s, {embedding.n_cached:,} read "
        "from the embedding cache (`bench/out/scale-embeddings/`, filled by earlier runs of this script "
        "with the same encoder, e.g. `--prefill` in the background). Encoder rate measured in this run: "
        f"{args.rate:.0f} passages/s, i.e. ~{len(work.texts) / args.rate / 60:.0f} min for all distinct "
        "texts at this machine load. Every row's vector is its text's vector, so the index holds the "
        "duplicates the corpus has.",
        f"- Queries: {len(work.queries)} held-out recombined indicator texts that occur nowhere in the "
        f"index, encoded as queries (`query: ` prompt), k = {args.k}.",
        f"- Query encoding, one query per call: p50 {percentile_ms(encode_seconds, 50):.1f} ms, "
        f"p99 {percentile_ms(encode_seconds, 99):.1f} ms (encoder `{encoder.name}`, "
        f"{args.torch_threads or 'default'} torch thread(s), measured under this run's machine load; "
        "the encoder section has quieter numbers).",
        "- Recall@10 is tie-aware (see the script's docstring): a returned row counts when its true "
        "score reaches the exact 10th-best score, because duplicated texts make the exact top-10 a tie "
        "among copies.",
        "",
        "### Build and memory",
        "",
        "RSS measured in this process: *peak* is sampled every 10 ms during the build, minus the RSS "
        "before it; *resident* is the RSS growth that stays after the build (it can be negative when "
        "memory freed by the previous index is reused); *file* is the saved index.",
        "",
        "| index | parameters | build s | peak build RSS MB | resident MB | file MB | load s "
        "| build × flat |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.kind} | {r.params} | {r.build_s:.1f} | {_mb(r.memory.peak - r.memory.before)} "
            f"| {_mb(r.memory.after - r.memory.before)} | {_mb(r.file_bytes)} | {r.load_s:.1f} "
            f"| {r.build_s / max(flat.build_s, 1e-9):.1f}× |"
        )
    lines += [
        "",
        f"Process RSS: {_mb(rss_start)} MB at start, peak {_mb(max_rss_bytes())} MB (ru_maxrss, includes the "
        f"encoder and the {_mb(len(work.texts) * dim * 4)} MB of distinct vectors).",
        "",
        "### Single-query search latency and recall@10",
        "",
        "One query per `search` call, in-process; *end-to-end* adds each query's own encoding time. "
        "Speed-up = exact p50 / index p50 (same process, same queries).",
        "",
        "| index | setting | search p50 ms | search p99 ms | end-to-end p50 ms | end-to-end p99 ms "
        "| recall@10 | speed-up (p50) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    chosen: list[tuple[KindResult, Operating]] = []
    for r in results:
        ok = [p for p in r.points if p.recall >= args.target_recall]
        if ok and r.kind != "flat":
            chosen.append((r, ok[0]))  # the cheapest setting that reaches the target
        for p in r.points:
            total = p.seconds + encode_seconds
            lines.append(
                f"| {r.kind} | {p.setting} | {p.p50_ms:.2f} | {p.p99_ms:.2f} "
                f"| {percentile_ms(total, 50):.1f} | {percentile_ms(total, 99):.1f} | {p.recall:.4f} "
                f"| {base.p50_ms / p.p50_ms:.1f}× |"
            )
    lines += ["", "### Verdict", ""]
    target = f"recall@10 ≥ {args.target_recall}, p99 ≤ {args.target_p99_ms:.0f} ms"
    if not chosen:
        lines.append(f"- No approximate setting reached recall@10 ≥ {args.target_recall}.")
    reached = {r.kind: p for r, p in chosen}
    rows_per_text = work.n_indicators / max(len(work.texts), 1)
    for r in results:
        if r.kind == "flat" or r.kind in reached:
            continue
        best = max(r.points, key=lambda p: p.recall)
        line = (
            f"- **{r.kind}** ({r.params}) never reached the recall target: at most recall@10 "
            f"{best.recall:.4f} ({best.setting})."
        )
        twin = reached.get(f"{r.kind}-distinct")
        if twin is not None:
            line += (
                f" The same index built over the {len(work.texts):,} distinct vectors reaches "
                f"{twin.recall:.4f} at {twin.setting}. The row index holds {rows_per_text:.1f} identical "
                "copies per text on average, and identical vectors are a known failure case of graph "
                "indexes (links spent on copies, clusters of copies poorly connected to the rest), so "
                "the duplicates, not the size, are the likely cause: deduplicate before building HNSW."
            )
        lines.append(line)
    for r, p in chosen:
        total_p99 = percentile_ms(p.seconds + encode_seconds, 99)
        met = p.p99_ms <= args.target_p99_ms
        lines.append(
            f"- **{r.kind} {p.setting}** ({r.params}): recall@10 {p.recall:.4f}, "
            f"search p99 {p.p99_ms:.2f} ms "
            f"(end-to-end with query encoding {total_p99:.1f} ms) — target {target}: "
            f"**{'met' if met else 'missed'}** on search latency; exact search p99 {base.p99_ms:.1f} ms."
        )
    within = "within" if base.p99_ms <= args.target_p99_ms else "over"
    lines.append(
        f"- Exact flat search at this size: p50 {base.p50_ms:.1f} ms, p99 {base.p99_ms:.1f} ms "
        f"({within} the {args.target_p99_ms:.0f} ms budget)."
    )
    lines += [f"- {note}" for note in args.note]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
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
    if args.out != "-":
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown, encoding="utf-8")
        log(f"wrote {out}")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    markdown = run(args)
    print(markdown)
    write_report(args, markdown)


if __name__ == "__main__":
    main()
