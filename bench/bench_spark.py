"""The Spark report engine (local[2]) against the local engine: agreement (pair-F1 of the projects
each puts together), time and peak memory per process, growth with corpus size.

    nice -n 19 python bench/bench_spark.py --sizes 100000 300000 1000000

For each size the synthetic corpus (``bench/synth.py``) is exported to Parquet once;
then each engine runs in its own subprocess (``--stage``) so that its peak RSS is its
own: for Spark, the driver's ``ru_maxrss`` plus the JVM's and the Python workers'
(children, ``RUSAGE_CHILDREN``: the largest of them). Writes bench/results/spark.md.
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
from itertools import combinations
from pathlib import Path
from typing import Any

from machine import load_average, load_note

LOAD_AT_START = load_average()
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT = BENCH_DIR / "results" / "spark.md"
sys.path.insert(0, str(BENCH_DIR))
KINDS = ("goal_clusters", "name_clusters", "set_clusters")


def _pairs(clusters: list[dict[str, Any]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for c in clusters:
        ids = sorted({m["project_id"] for m in c["members"]})
        out.update(combinations(ids, 2))
    return out


def _cluster_sets(report: Any, kind: str) -> list[dict[str, Any]]:
    return [{"members": [{"project_id": m.project_id} for m in c.members]} for c in getattr(report, kind)]


def stage(engine: str, export: Path, pairs_out: Path) -> dict[str, Any]:
    from indexer.encoder import FakeEncoder
    from indexer.reuse import summary
    from indexer.reuse.engine import get_engine

    runner = get_engine(engine)
    started = time.perf_counter()
    report = runner.find_reuse(export, FakeEncoder())
    seconds = time.perf_counter() - started
    pairs = {kind: sorted(_pairs(_cluster_sets(report, kind))) for kind in KINDS}
    pairs_out.write_text(json.dumps(pairs))
    stats = getattr(runner, "last_stats", {})
    return {
        "seconds": round(seconds, 1),
        "steps": dict(report.timings),
        "summary": summary(report),
        "largest_goal_cluster": max((len(c.members) for c in report.goal_clusters), default=0),
        "stats": {k: vars(v) for k, v in stats.items()},
    }


def _sub(args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    print("[bench_spark]", " ".join(args), flush=True)
    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _f1(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> dict[str, Any]:
    if not a and not b:
        return {"f1": 1.0, "only_local": 0, "only_spark": 0, "pairs": 0}
    both = len(a & b)
    precision = both / len(b) if b else 1.0
    recall = both / len(a) if a else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": round(f1, 5), "only_local": len(a - b), "only_spark": len(b - a), "pairs": len(a)}


def run_size(n: int, work: Path) -> dict[str, Any]:
    from synth import synthetic_corpus

    from indexer.parquet import export_parquet

    export = work / f"syn-{n}"
    started = time.perf_counter()
    export_parquet(synthetic_corpus(n).corpus(), export)
    out: dict[str, Any] = {"n": n, "export_s": round(time.perf_counter() - started, 1)}
    for engine in ("local", "spark"):
        out[engine] = _sub(
            ["--stage", engine, "--export", str(export), "--pairs", str(work / f"{engine}-{n}.json")]
        )
    if "error" not in out["local"] and "error" not in out["spark"]:
        local = json.loads((work / f"local-{n}.json").read_text())
        spark = json.loads((work / f"spark-{n}.json").read_text())
        out["agreement"] = {k: _f1({tuple(p) for p in local[k]}, {tuple(p) for p in spark[k]}) for k in KINDS}
    return out


def write_markdown(results: list[dict[str, Any]], command: str) -> str:
    lines = [
        "## Spark report engine (local[2]) vs the local engine",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other developers' jobs, no GPU, "
        f"Python {platform.python_version()}; {load_note(LOAD_AT_START)} Each engine runs in its own "
        "subprocess on the same Parquet export; themes use the fake encoder in both (the same sample, "
        "so the same themes). Peak RSS: the process's `ru_maxrss`; for Spark also the largest child "
        "(the JVM of local[2], which holds the executors, or a Python worker).",
        "",
        "| indicators | engine | seconds | peak RSS MiB (driver / largest child) | steps (s) | "
        "goal / name / set clusters |",
        "|---:|---|---:|---:|---|---|",
    ]
    for r in results:
        for engine in ("local", "spark"):
            e = r.get(engine, {})
            if "error" in e:
                lines.append(f"| {r['n']:,} | {engine} | failed: {e['error']} ||||")
                continue
            s = e["summary"]
            steps = ", ".join(f"{k} {v:.0f}" for k, v in e["steps"].items())
            lines.append(
                f"| {r['n']:,} | {engine} | {e['seconds']:.0f} | "
                f"{e['peak_mib']:,.0f} / {e['child_peak_mib']:,.0f} "
                f"| {steps} | {s['n_goal_clusters']:,} / {s['n_name_clusters']:,} / {s['n_set_clusters']:,} |"
            )
    lines += [
        "",
        "### Agreement: pairs of projects put together (pair-F1, local engine as reference)",
        "",
        "| indicators | goals F1 (only local / only spark) | names F1 | sets F1 |",
        "|---:|---|---|---|",
    ]
    for r in results:
        a = r.get("agreement")
        if not a:
            continue
        cells = [f"{a[k]['f1']:.4f} ({a[k]['only_local']:,} / {a[k]['only_spark']:,})" for k in KINDS]
        lines.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Both engines use the same keys, shingles, MinHash signatures (datasketch, same seed), bands and "
        "verification rule, so they differ only where a bucket is larger than `max_bucket_all_pairs` "
        "(60): the local engine promotes a key to representative when it joins none of the current ones, "
        "sequentially; the Spark job pairs each key with the bucket's first 25 keys. Every joined pair is "
        "verified by the same rule in both, so a difference is a pair one engine's candidates missed.",
    ]
    for r in results:
        st = r.get("spark", {}).get("stats")
        if st:
            lines.append("")
            lines.append(
                f"Spark job at {r['n']:,} indicators, per kind: "
                + "; ".join(
                    f"{k}: {v['n_keys']:,} keys, largest bucket {v['largest_bucket']:,}, candidate pairs per "
                    f"round {v['pairs_per_round']}, verified {v['verified_per_round']}, component rounds "
                    f"{v['component_rounds']}"
                    for k, v in st.items()
                )
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", choices=["local", "spark"])
    parser.add_argument("--export", type=Path)
    parser.add_argument("--pairs", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    args = parser.parse_args()
    if args.stage:
        out = stage(args.stage, args.export, args.pairs)
        out["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        out["child_peak_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        print(json.dumps(out, ensure_ascii=False, default=str))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        for n in args.sizes:
            results.append(run_size(n, Path(tmp)))
            RESULT.parent.mkdir(parents=True, exist_ok=True)
            command = "nice -n 19 python bench/bench_spark.py " + " ".join(sys.argv[1:])
            RESULT.write_text(write_markdown(results, command.strip()), encoding="utf-8")
    print(RESULT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
