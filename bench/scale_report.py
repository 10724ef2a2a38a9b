"""The results of ``bench_scale.py`` (each index kind's build and search settings) and their
Markdown section."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass, field

import faiss
import numpy as np
from machine import load_note
from scale_embed import Embedding, Workload
from scale_memory import MemoryProbe, max_rss_bytes, percentile_ms

from indexer.encoder.base import Encoder


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


def _mb(n: int) -> str:
    """Bytes as whole MiB with thousands separators."""
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
    load_at_start: float,
) -> str:
    """The markdown section for BENCHMARKS.md (``load_at_start``: the load average before the run)."""
    flat = results[0]
    base = flat.points[0]
    n, dim = work.n_indicators, encoder.dim
    command = "python bench/bench_scale.py " + " ".join(sys.argv[1:])
    lines = [
        f"## Scale: exact vs approximate vector search at {n:,} indicators",
        "",
        f"Command: `{command.strip()}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Machine: {os.cpu_count()} cores ({load_note(load_at_start)}), no GPU, "
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
