"""Benchmark of the reuse report: time and peak memory at seed scale and on a large synthetic corpus,
plus LSH near-duplicate detection against a naive all-pairs baseline on a subset (same process).

    python bench/bench_reuse.py                       # seed + 1,000,000 indicators + baseline
    python bench/bench_reuse.py --n 200000 --encoder fake

Every measurement runs in its own subprocess (``--stage``) so that its peak RSS
(``ru_maxrss``) is its own. Writes bench/results/reuse.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from machine import load_average, load_note

# Before this script adds its own load.
LOAD_AT_START = load_average()

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT = BENCH_DIR / "results" / "reuse.md"
sys.path.insert(0, str(BENCH_DIR))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _encoder(kind: str) -> Any:
    from indexer.encoder import FakeEncoder, load_encoder

    if kind == "fake":
        return FakeEncoder()
    return load_encoder("e5-small", REPO_ROOT / "models" / "encoder")


def _run_report(corpus: Any, encoder: Any, out_dir: Path) -> dict[str, Any]:
    from indexer.reuse import find_reuse, summary, write_report

    started = time.perf_counter()
    report = find_reuse(corpus, encoder)
    found = time.perf_counter() - started
    started = time.perf_counter()
    write_report(report, out_dir)
    written = time.perf_counter() - started
    return {
        "find_s": round(found, 2),
        "write_s": round(written, 2),
        "steps": dict(report.timings),
        "summary": summary(report),
        "largest_goal_cluster": max((c.n_projects for c in report.goal_clusters), default=0),
        "html_mib": round((out_dir / "reuse.html").stat().st_size / 2**20, 1),
        "json_mib": round((out_dir / "reuse.json").stat().st_size / 2**20, 1),
    }


def stage_seed(encoder_kind: str) -> dict[str, Any]:
    """Reuse detection on the seed corpus: timings and counts."""
    from indexer.store import CorpusStore

    with tempfile.TemporaryDirectory() as tmp:
        store = CorpusStore(Path(tmp) / "corpus.sqlite")
        store.ingest(sorted((REPO_ROOT / "data" / "raw").glob("*.txt")))
        corpus = store.load()
        started = time.perf_counter()
        encoder = _encoder(encoder_kind)
        load_s = time.perf_counter() - started
        base = _peak_mib()
        out = _run_report(corpus, encoder, Path(tmp) / "report")
    return {**out, "encoder": encoder.name, "encoder_load_s": round(load_s, 2), "rss_before_mib": round(base)}


def stage_large(n: int, encoder_kind: str) -> dict[str, Any]:
    """Reuse detection on ``n`` synthetic projects: timings, peak memory and counts."""
    from synth import synthetic_corpus

    started = time.perf_counter()
    corpus = synthetic_corpus(n).corpus()
    gen_s = time.perf_counter() - started
    base = _peak_mib()
    encoder = _encoder(encoder_kind)
    with tempfile.TemporaryDirectory() as tmp:
        out = _run_report(corpus, encoder, Path(tmp) / "report")
    return {
        **out,
        "encoder": encoder.name,
        "n_projects": len(corpus),
        "n_indicators": corpus.n_indicators,
        "generate_s": round(gen_s, 2),
        "rss_after_generate_mib": round(base),
    }


def stage_naive(n_goals: int, n_names: int) -> dict[str, Any]:
    """LSH pipeline vs all-pairs exact verification on the same unique texts; same partition?"""
    from synth import synthetic_corpus

    from indexer.reuse import ReuseParams
    from indexer.reuse.neardup import Verifier, char_shingles, components, dup_key, near_duplicate_edges

    p = ReuseParams()
    corpus = synthetic_corpus(400_000).corpus()
    goal_keys = list(dict.fromkeys(k for k in (dup_key(x.goal) for x in corpus.projects) if len(k) >= 12))
    name_keys = list(dict.fromkeys(dup_key(i.name) for i in corpus.indicators()))
    cases = {
        "goals": (
            goal_keys[:n_goals],
            p.goal_shingle,
            Verifier(p.goal_jaccard, p.containment, p.min_containment_shingles, p.min_length_ratio),
        ),
        "indicator names": (name_keys[:n_names], p.name_shingle, Verifier(p.name_jaccard)),
    }
    out: dict[str, Any] = {}
    for label, (keys, k, verify) in cases.items():
        sets = [char_shingles(key, k) for key in keys]
        started = time.perf_counter()
        naive_edges = [
            (i, j)
            for i in range(len(sets))
            for j in range(i + 1, len(sets))
            if verify(sets[i], sets[j]) is not None
        ]
        naive_labels = components(len(sets), naive_edges)
        naive_s = time.perf_counter() - started
        started = time.perf_counter()
        lsh_edges = near_duplicate_edges(
            sets,
            verify,
            num_perm=p.num_perm,
            lsh_threshold=p.lsh_threshold,
            max_bucket_all_pairs=p.max_bucket_all_pairs,
            max_representatives=p.max_representatives,
            seed=p.seed,
        )
        lsh_labels = components(len(sets), list(lsh_edges))
        lsh_s = time.perf_counter() - started
        # LSH edges are verified pairs, so its clustering refines the naive one: count the texts split
        # off from their naive cluster (outside its largest LSH part) and the co-clustered pairs kept.
        parts: dict[int, Counter[int]] = {}
        for a, b in zip(naive_labels, lsh_labels, strict=True):
            parts.setdefault(int(a), Counter())[int(b)] += 1
        split_off = sum(sum(c.values()) - max(c.values()) for c in parts.values())
        naive_pairs = sum(n * (n - 1) // 2 for n in (sum(c.values()) for c in parts.values()))
        kept_pairs = sum(n * (n - 1) // 2 for c in parts.values() for n in c.values())
        out[label] = {
            "texts": len(sets),
            "pairs": len(sets) * (len(sets) - 1) // 2,
            "naive_s": round(naive_s, 2),
            "lsh_s": round(lsh_s, 2),
            "speedup": round(naive_s / lsh_s, 1) if lsh_s else None,
            "naive_similar_pairs": len(naive_edges),
            "naive_components_multi": sum(sum(c.values()) > 1 for c in parts.values()),
            "lsh_components_multi": sum(n > 1 for c in parts.values() for n in c.values()),
            "texts_split_off": split_off,
            "pair_recall": round(kept_pairs / naive_pairs, 4) if naive_pairs else 1.0,
        }
    return out


def _sub(args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    print("[bench_reuse]", " ".join(args), flush=True)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return {
            "error": done.stderr.strip().splitlines()[-1]
            if done.stderr.strip()
            else f"exit {done.returncode}"
        }
    data = json.loads(done.stdout.strip().splitlines()[-1])
    data["wall_s"] = round(wall, 1)
    return data


def _row(label: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"| {label} | failed: {r['error']} |||||||"
    s = r["summary"]
    steps = ", ".join(f"{k} {v:.1f}" for k, v in r["steps"].items())
    return (
        f"| {label} | {s['n_projects']:,} / {s['n_indicators']:,} | {r['encoder']} | {r['find_s']:.1f} | "
        f"{r['write_s']:.1f} | {r['peak_mib']:,.0f} | {steps} | {s['n_goal_clusters']:,} goal / "
        f"{s['n_name_clusters']:,} name / {s['n_set_clusters']:,} set clusters; largest goal cluster "
        f"{r['largest_goal_cluster']:,} projects |"
    )


def write_markdown(results: dict[str, Any], command: str) -> str:
    """The bench/results/reuse.md text."""
    lines = [
        "## Reuse report",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, no GPU, Python {platform.python_version()}; "
        f"{load_note(LOAD_AT_START)} Each row is a separate subprocess; peak memory is its `ru_maxrss` "
        "(includes the interpreter, numpy/sklearn/torch imports and the corpus itself).",
        "",
        "| corpus | projects / indicators | encoder (themes) | find_reuse s | write_report s | "
        "peak RSS MiB | "
        "steps (s) | found |",
        "|---|---:|---|---:|---:|---:|---|---|",
    ]
    for label, key in (
        ("seed (5 tables)", "seed_fake"),
        ("seed (5 tables)", "seed_real"),
        ("synthetic", "large"),
    ):
        if key in results:
            lines.append(_row(label, results[key]))
    large = results.get("large", {})
    if "generate_s" in large:
        lines += [
            "",
            f"Synthetic corpus: `bench/synth.py` `synthetic_corpus({large['n_indicators']:,})` "
            "(seed fragments "
            f"recombined), generated in {large['generate_s']:.0f}s, RSS after generation "
            f"{large['rss_after_generate_mib']:,} MiB. Themes and the 2-D map are computed on a "
            "deterministic "
            "sample of 1,000 projects (`ReuseParams.theme_max_projects`); every other step covers the whole "
            f"corpus. reuse.html {large['html_mib']} MiB, reuse.json {large['json_mib']} MiB "
            "(members capped at "
            "500 per cluster in JSON; the CSVs list all).",
            "",
            "The synthetic goals are 1–3 seed clauses drawn at random, so a one-clause goal is "
            "*contained* in "
            "every goal that includes that clause: containment chains join most synthetic goals into one "
            "giant cluster. That is a property of the generator, not of real tables (on the seed corpus the "
            "largest goal cluster is the 14-project 服务贸易专题 template), but it is the worst case for the "
            "clustering and diff steps, which is what this row measures.",
        ]
    naive = results.get("naive")
    if naive and "error" not in naive:
        lines += [
            "",
            "### LSH vs naive all-pairs (same process, same unique texts from the synthetic corpus)",
            "",
            "| texts | n | pairs | naive all-pairs s | MinHash/LSH s | speed-up | similar pairs (naive) | "
            "multi-text clusters naive / LSH | texts split off | co-clustered pair recall |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, r in naive.items():
            if not isinstance(r, dict):
                continue
            lines.append(
                f"| {label} | {r['texts']:,} | {r['pairs']:,} | {r['naive_s']:.1f} | {r['lsh_s']:.2f} | "
                f"{r['speedup']}× | {r['naive_similar_pairs']:,} | {r['naive_components_multi']:,} / "
                f"{r['lsh_components_multi']:,} | {r['texts_split_off']:,} | {r['pair_recall']:.4f} |"
            )
        lines += [
            "",
            "Naive: every pair verified with the same exact Jaccard/containment rule, then connected "
            "components. LSH: MinHash (128 permutations) bands for a 0.2 candidate threshold, candidates "
            "verified with the same rule, pairs already connected skipped. LSH only joins verified "
            "pairs, so its clusters refine the naive ones: *texts split off* counts texts left outside "
            "the largest LSH part of their naive cluster, *pair recall* the share of the naive "
            "co-clustered pairs that LSH also puts together (1 = identical clustering).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the stages in subprocesses and write bench/results/reuse.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", choices=["seed", "large", "naive"])
    parser.add_argument("--n", type=int, default=1_000_000, help="indicators in the synthetic corpus")
    parser.add_argument(
        "--encoder", choices=["real", "fake"], default="real", help="encoder of the large run"
    )
    parser.add_argument("--naive-goals", type=int, default=3000)
    parser.add_argument("--naive-names", type=int, default=3000)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()

    if args.stage:
        if args.stage == "seed":
            out = stage_seed(args.encoder)
        elif args.stage == "large":
            out = stage_large(args.n, args.encoder)
        else:
            out = stage_naive(args.naive_goals, args.naive_names)
        out["peak_mib"] = round(_peak_mib())
        print(json.dumps(out, ensure_ascii=False, default=str))
        return

    encoder_built = (REPO_ROOT / "models" / "encoder" / "manifest.json").exists()
    results: dict[str, Any] = {"seed_fake": _sub(["--stage", "seed", "--encoder", "fake"])}
    if encoder_built:
        results["seed_real"] = _sub(["--stage", "seed", "--encoder", "real"])
    results["naive"] = _sub(
        ["--stage", "naive", "--naive-goals", str(args.naive_goals), "--naive-names", str(args.naive_names)]
    )
    if not args.skip_large:
        kind = args.encoder if encoder_built else "fake"
        results["large"] = _sub(["--stage", "large", "--n", str(args.n), "--encoder", kind])
    (BENCH_DIR / "out").mkdir(exist_ok=True)
    (BENCH_DIR / "out" / "reuse.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str)
    )
    command = "python bench/bench_reuse.py " + " ".join(sys.argv[1:])
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(write_markdown(results, command.strip()), encoding="utf-8")
    print(RESULT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
