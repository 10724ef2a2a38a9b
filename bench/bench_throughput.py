"""Issue 12's throughput targets, measured in one run against same-run baselines.

1. Encoder throughput on the corpus texts: the default encoder (int8 ONNX,
   1 thread) vs the plain ``SentenceTransformer.encode`` call (torch, 1 thread),
   and their agreement (cosine) on the same texts.
2. Single classification latency in-process (every name new to the classifier's
   cache, so each call encodes).
3. A real ``jixiao serve`` on loopback: uncached searches (every query text new
   to the query-vector cache) at concurrency 1 and 8, against sequential plain
   ``SentenceTransformer.encode`` of the same query texts (1 torch thread).

The 20,000-request mixed load test with memory sampling is ``bench/bench_load.py``.

    JIXIAO_BENCH_LOCKED=1 flock /work/brief/bench.lock .venv/bin/python bench/bench_throughput.py

Needs the artifacts of ``jixiao build`` in models/. Writes bench/results/throughput.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench_load import (
    QUERY_MIX,
    UNCACHED_MIX,
    RunResult,
    drive,
    free_port,
    row,
    start_server,
    stop_server,
    wait_ready,
)
from machine import LOCKED_PYTHON, load_note

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results" / "throughput.md"

from api.loaders import load_corpus, open_classifier, open_encoder  # noqa: E402
from api.settings import Settings  # noqa: E402


def pct(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``samples`` (nearest rank)."""
    data = sorted(samples)
    return data[min(len(data) - 1, max(0, round(q / 100 * (len(data) - 1))))]


def corpus_texts(settings: Settings) -> list[str]:
    """Distinct names, goals and indicator names of the stored corpus."""
    texts: list[str] = []
    for project in load_corpus(settings).projects:
        texts += [project.name, project.goal, *(i.name for i in project.indicators)]
    return list(dict.fromkeys(t for t in texts if t))


def plain_model(settings: Settings) -> Any:
    """The torch ``SentenceTransformer`` of models/encoder on one thread (the baseline)."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    return SentenceTransformer(
        str(settings.encoder_dir), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32}
    )


def timed(fn: Callable[[], object], repeats: int = 2) -> float:
    """The fastest of ``repeats`` runs of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def encoder_section(
    settings: Settings, model: Any, texts: list[str], repeats: int
) -> tuple[list[str], dict[str, float]]:
    """Passage throughput of our encoder vs plain SentenceTransformer.encode, and their agreement."""
    encoder = open_encoder(settings, num_threads=1)
    model.encode(texts[:64], prompt="passage: ", batch_size=64)
    encoder.encode_passages(texts[:64])
    t_plain = timed(
        lambda: model.encode(texts, prompt="passage: ", batch_size=64, show_progress_bar=False), repeats
    )
    t_ours = timed(lambda: encoder.encode_passages(texts), repeats)
    ref = model.encode(texts, prompt="passage: ", batch_size=64, normalize_embeddings=True)
    cos = (encoder.encode_passages(texts) * ref).sum(1)
    out = {"plain": len(texts) / t_plain, "ours": len(texts) / t_ours, "cos_mean": float(cos.mean())}
    out["cos_min"] = float(cos.min())
    lines = [
        "## Encoder throughput on the corpus texts (1 thread each)",
        "",
        f"{len(texts)} distinct texts of the seed corpus (names, goals, indicator names). Plain: "
        "`SentenceTransformer.encode(texts, prompt='passage: ', batch_size=64)` on the torch folder "
        f"`models/encoder`. Ours: `{type(encoder).__name__}` (`{encoder.name}`), `encode_passages`. "
        f"Best of {repeats}.",
        "",
        "| encoder | texts/s | ratio |",
        "| --- | ---: | ---: |",
        f"| plain SentenceTransformer (torch, 1 thread) | {out['plain']:.0f} | 1.00× |",
        f"| jixiao default ({encoder.name}, 1 thread) | {out['ours']:.0f} "
        f"| **{out['ours'] / out['plain']:.2f}×** |",
        "",
        f"Agreement with the torch model on the same texts: mean cosine {out['cos_mean']:.4f}, "
        f"min {out['cos_min']:.4f}. Target ≥ 3× — "
        f"{'met' if out['ours'] / out['plain'] >= 3 else 'NOT met'}; mean cosine ≥ 0.99 — "
        f"{'met' if out['cos_mean'] >= 0.99 else 'NOT met'}.",
        "",
    ]
    return lines, out


def classify_section(settings: Settings, names: list[str]) -> tuple[list[str], float]:
    """Single classification latency of the built classifier on ``names``."""
    encoder = open_encoder(settings, num_threads=settings.encoder_threads)
    classifier = open_classifier(settings, encoder)
    for name in names[:10]:
        classifier.predict_many([(name + "预热", None, None)])
    samples = []
    for name in names:
        start = time.perf_counter()
        classifier.predict_many([(name, None, None)])
        samples.append((time.perf_counter() - start) * 1000)
    p99 = pct(samples, 99)
    lines = [
        "## Single classification, in-process",
        "",
        f"`IndicatorClassifier.predict_many` of one indicator name, {len(names)} names that the classifier's "
        f"embedding cache has not seen (each call encodes), `{encoder.name}` on "
        f"{settings.encoder_threads} thread: p50 {pct(samples, 50):.1f} ms, p99 **{p99:.1f} ms**, "
        f"max {max(samples):.1f} ms. Target p99 ≤ 10 ms — {'met' if p99 <= 10 else 'NOT met'}.",
        "",
    ]
    return lines, p99


def plain_queries(model: Any, texts: list[str]) -> RunResult:
    """Sequential one-query encodes with plain SentenceTransformer (the HTTP baseline)."""
    for t in texts[:5]:
        model.encode([t + "预热"], prompt="query: ")
    latencies = []
    start = time.perf_counter()
    for t in texts:
        t0 = time.perf_counter()
        model.encode([t], prompt="query: ", show_progress_bar=False)
        latencies.append((time.perf_counter() - t0) * 1000)
    return RunResult(
        "plain SentenceTransformer.encode, sequential",
        1,
        len(texts),
        0,
        time.perf_counter() - start,
        latencies,
    )


def main() -> None:
    """Run the sections and write throughput.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--uncached", type=int, default=384, help="uncached searches per concurrency")
    parser.add_argument("--repeats", type=int, default=2, help="encoder throughput: best of N")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    settings = Settings(
        models_dir=args.models_dir.resolve(), data_dir=REPO / "data" / "raw", encoder="e5-small"
    )
    load_before = os.getloadavg()[0]

    texts = corpus_texts(settings)
    model = plain_model(settings)
    enc_lines, _ = encoder_section(settings, model, texts, args.repeats)
    print("\n".join(enc_lines), flush=True)
    new_names = [f"{n}（{i % 7}）" for i, n in enumerate(texts[:300])]
    clf_lines, _ = classify_section(settings, new_names)
    print("\n".join(clf_lines), flush=True)
    query_texts = [str(p["q"]) for p in UNCACHED_MIX][: args.uncached]
    plain = plain_queries(model, query_texts)
    print(row(plain), flush=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(settings.models_dir, port)
    runs: list[RunResult] = []
    try:
        wait_ready(base, proc)
        asyncio.run(drive(base, "warm-up", "/api/search", QUERY_MIX, len(QUERY_MIX) * 2, 1))
        uncached = UNCACHED_MIX[: args.uncached]
        for conc in (1, 8):
            runs.append(
                asyncio.run(
                    drive(base, "GET /api/search, uncached", "/api/search", uncached, len(uncached), conc)
                )
            )
            print(row(runs[-1]), flush=True)
    finally:
        stop_server(proc)
    load_after = os.getloadavg()[0]
    c1, c8 = runs
    rate_ratio = c8.rps / plain.rps
    lat_ratio = c1.pct(50) / plain.pct(50)
    lines = [
        "# Throughput (issue 12): ONNX encoder, query micro-batching",
        "",
        f"Command: `{' '.join([LOCKED_PYTHON, 'bench/bench_throughput.py', *sys.argv[1:]])}`",
        "",
        f"Machine: {os.cpu_count()} cores, no GPU, Python {platform.python_version()}. "
        f"{load_note(load_before, load_after)} Everything below ran in this one run, back to back.",
        "",
        *enc_lines,
        *clf_lines,
        "## Uncached HTTP searches vs plain encoding",
        "",
        "Server: `jixiao serve` (uvicorn, 1 worker, default settings: ONNX encoder on "
        f"{settings.encoder_threads} thread; query micro-batching: a query that finds the encoder idle is "
        "encoded at once, queries queued behind a batch are encoded together, waiting up to "
        f"{settings.query_batch_wait_ms:g} ms for more, ≤ {settings.query_batch_max} texts) on 127.0.0.1; "
        "client: asyncio httpx in this process. "
        f"{len(query_texts)} distinct query texts (more than the 256 the query-vector cache holds, cycled in "
        "order, so every request encodes). Baseline: the same texts through plain "
        "`SentenceTransformer.encode([q], prompt='query: ')`, one after another, 1 torch thread.",
        "",
        "| run | concurrency | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        row(plain),
        *[row(r) for r in runs],
        "",
        f"Concurrency 8 rate / plain sequential rate: **{rate_ratio:.2f}×** (target ≥ 4× — "
        f"{'met' if rate_ratio >= 4 else 'NOT met'}), errors {c8.errors}, p99 {c8.pct(99):.1f} ms. "
        f"Concurrency 1 p50 / plain encode p50: **{lat_ratio:.2f}×** (target ≤ 0.5× — "
        f"{'met' if lat_ratio <= 0.5 else 'NOT met'}).",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
