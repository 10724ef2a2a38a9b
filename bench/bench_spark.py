"""The Spark report engine (local[2]) against the local engine: agreement (pair-F1 of the projects
each puts together), time and peak memory per process, growth with corpus size.

    nice -n 19 .venv/bin/python bench/bench_spark.py --sizes 20000 --work /tmp/spark-exports

For each size the synthetic corpus (``bench/synth.py``) is exported to Parquet once;
then each engine runs in its own subprocess (``--stage``) so that its peak RSS is its
own (bench/proctree.py samples the driver, the JVM and the Python workers), and the
Spark stage writes an event log that bench/eventlog.py sums per step. Runs are kept
in bench/results/spark_runs.json by size, so sizes can be measured in separate
invocations (each under the bench lock); bench/results/spark.md is rewritten from
all of them (bench/spark_markdown.py). Reported runs:

    flock /work/brief/bench.lock env JIXIAO_BENCH_LOCKED=1 .venv/bin/python bench/bench_spark.py \\
        --sizes 100000 300000 --work /tmp/spark-exports
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from eventlog import find_log, summarise
from machine import load_average
from proctree import TreeSampler, descendants, tree_rss_mib
from spark_markdown import write_markdown

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT = BENCH_DIR / "results" / "spark.md"
NOTES = BENCH_DIR / "spark_notes.md"  # hand-written reading of the numbers, appended
RUNS = BENCH_DIR / "results" / "spark_runs.json"  # raw results, merged by size across invocations
sys.path.insert(0, str(BENCH_DIR))
KINDS = ("goal_clusters", "name_clusters", "set_clusters")


MEMBER_FILES = {
    "goal_clusters": "goal_members",
    "name_clusters": "name_members",
    "set_clusters": "set_members",
}


def _labels(tables: Path, kind: str) -> dict[str, str]:
    """Each clustered item (project, and indicator ordinal for names) → its cluster, from the
    members file the engine wrote (reuse.json lists only each cluster's first members)."""
    with (tables / f"{MEMBER_FILES[kind]}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {
            f"{r['project_id']}#{r['indicator_ordinal'] or None}": r["cluster_id"] for r in csv.DictReader(fh)
        }


def _engine(engine: str, conf: dict[str, str]) -> Any:
    from indexer.reuse.engine import get_engine

    if engine == "spark" and conf:
        from indexer.reuse.spark import SparkEngine
        from indexer.spark_session import DEFAULT_MASTER, spark_session

        return SparkEngine(session=spark_session(DEFAULT_MASTER, "jixiao-reuse-bench", conf))
    return get_engine(engine)


def stage(engine: str, export: Path, pairs_out: Path, conf: dict[str, str]) -> dict[str, Any]:
    """Reuse detection of one engine on an export: seconds, memory by process, counts."""
    from indexer.encoder import FakeEncoder
    from indexer.reuse import summary

    with TreeSampler() as memory, tempfile.TemporaryDirectory(prefix="bench-spark-report-") as out:
        runner = _engine(engine, conf)
        started = time.perf_counter()
        report = runner.find_reuse(export, FakeEncoder())
        seconds = time.perf_counter() - started
        runner.write_report(report, Path(out))
        write_s = time.perf_counter() - started - seconds
        pairs_out.write_text(json.dumps({kind: _labels(Path(out) / "reuse_tables", kind) for kind in KINDS}))
    stats = getattr(runner, "last_stats", {})
    return {
        "seconds": round(seconds, 1),
        "write_s": round(write_s, 1),
        "steps": dict(report.timings),
        "summary": summary(report),
        "largest_goal_cluster": max((len(c.members) for c in report.goal_clusters), default=0),
        "stats": {k: vars(v) for k, v in stats.items()},
        "memory": memory.report(),
    }


def _guard(proc: subprocess.Popen[str], limit_mib: float, tripped: list[float]) -> None:
    """Kill ``proc`` and everything under it when their resident memory passes ``limit_mib``
    (the machine has no swap and is shared: a runaway run must not take it down)."""
    while proc.poll() is None:
        rss = tree_rss_mib(os.getpid())  # this process too: it is part of the run
        if rss > limit_mib:
            tripped.append(rss)
            for pid in reversed(descendants(proc.pid)):
                with contextlib.suppress(ProcessLookupError):  # gone already
                    os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.5)


def _sub(args: list[str], log: Path, limit_mib: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    print("[bench_spark]", " ".join(args), flush=True)
    tripped: list[float] = []
    with log.open("w", encoding="utf-8") as err:  # the whole of it: a failure's cause comes first
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
        guard = threading.Thread(target=_guard, args=(proc, limit_mib, tripped), daemon=True)
        guard.start()
        stdout, _ = proc.communicate()
        guard.join()
    if proc.returncode != 0:
        stderr = log.read_text(encoding="utf-8", errors="replace")
        print(stderr[-3000:], file=sys.stderr)
        if tripped:
            return {"error": f"stopped by the memory guard at {tripped[0]:.0f} MiB (limit {limit_mib:.0f})"}
        return {"error": (stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]}
    return json.loads(stdout.strip().splitlines()[-1])


def _choose2(n: int) -> int:
    return n * (n - 1) // 2


def pair_f1(local: dict[str, int], spark: dict[str, int]) -> dict[str, Any]:
    """Pair-F1 of two clusterings of items (local as reference), counted from the contingency table:
    a pair is two items one engine puts in one cluster; an item outside every cluster pairs with none."""
    both = Counter((local[k], spark[k]) for k in local.keys() & spark.keys())
    together = sum(_choose2(n) for n in both.values())
    pairs_local = sum(_choose2(n) for n in Counter(local.values()).values())
    pairs_spark = sum(_choose2(n) for n in Counter(spark.values()).values())
    precision = together / pairs_spark if pairs_spark else 1.0
    recall = together / pairs_local if pairs_local else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "f1": round(f1, 5),
        "only_local": pairs_local - together,
        "only_spark": pairs_spark - together,
        "pairs": pairs_local,
        "items_only_local": len(local.keys() - spark.keys()),
        "items_only_spark": len(spark.keys() - local.keys()),
    }


def _project_number(item: str) -> int:
    return int(item.split("#", 1)[0].rsplit("-", 1)[1])


def prefix_agreement(n: int, reference: int, work: Path) -> dict[str, Any]:
    """Spark at ``n`` against the local engine at ``reference`` < ``n`` on the items of the smaller
    corpus (its projects are the larger one's first ones, bar its last, cut short; left out of
    both). The larger corpus may join more of them through its other projects, so pairs only
    Spark has are expected; a pair only the local engine has is one Spark missed."""
    cut = int(json.loads((work / f"syn-{reference}" / "manifest.json").read_text())["n_projects"]) - 1
    local = json.loads((work / f"local-{reference}.json").read_text())
    spark = json.loads((work / f"spark-{n}.json").read_text())

    def within(labels: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in labels.items() if _project_number(k) < cut}

    return {
        "reference": reference,
        "projects": cut,
        **{k: pair_f1(within(local[k]), within(spark[k])) for k in KINDS},
    }


def _export(n: int, work: Path) -> tuple[Path, float]:
    """The Parquet export of the ``n``-indicator synthetic corpus (reused when ``work`` has it)."""
    from synth import synthetic_corpus

    from indexer.parquet import export_parquet

    export = work / f"syn-{n}"
    if (export / "manifest.json").is_file():
        return export, 0.0
    started = time.perf_counter()
    export_parquet(synthetic_corpus(n).corpus(), export)
    return export, round(time.perf_counter() - started, 1)


def run_size(
    n: int,
    work: Path,
    engines: list[str],
    conf: list[str],
    reference: int | None = None,
    limit_mib: float = 16 * 1024,
) -> dict[str, Any]:
    """Both engines on the ``n``-indicator corpus, each in its own subprocess, and their agreement
    (on the first projects only, against the local engine at ``reference``, when given)."""
    export = work / f"syn-{n}"
    made = _sub(
        ["--stage", "export", "--sizes", str(n), "--work", str(work)], work / f"export-{n}.stderr", limit_mib
    )
    if "error" in made:
        raise SystemExit(f"export of {n} failed: {made['error']}")
    out: dict[str, Any] = {"n": n, "export_s": made["export_s"], "conf": conf}
    for engine in engines:
        extra = [f"--conf={c}" for c in conf] if engine == "spark" else []
        out[engine] = _sub(
            ["--stage", engine, "--export", str(export), "--pairs", str(work / f"{engine}-{n}.json"), *extra],
            work / f"{engine}-{n}.stderr",
            limit_mib,
        )
    fresh = all("error" not in out[e] for e in engines)
    if fresh and all((work / f"{e}-{n}.json").is_file() for e in ("local", "spark")):
        local = json.loads((work / f"local-{n}.json").read_text())
        spark = json.loads((work / f"spark-{n}.json").read_text())
        out["agreement"] = {k: pair_f1(local[k], spark[k]) for k in KINDS}
    if reference is not None and "error" not in out.get("spark", {"error": 1}):
        out["prefix_agreement"] = prefix_agreement(n, reference, work)
    return out


def _head() -> str:
    git = ["git", "rev-parse", "--short", "HEAD"]
    done = subprocess.run(git, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def _conf(pairs: list[str]) -> dict[str, str]:
    return dict(c.split("=", 1) for c in pairs)


def _spark_stage(args: argparse.Namespace) -> dict[str, Any]:
    conf = _conf(args.conf)
    with tempfile.TemporaryDirectory(prefix="spark-events-") as events:
        conf |= {
            "spark.eventLog.enabled": "true",
            "spark.eventLog.compress": "false",  # Spark 4 compresses by default
            "spark.eventLog.dir": f"file://{events}",
        }
        out = stage("spark", args.export, args.pairs, conf)
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()  # flushes the event log
        logs = find_log(Path(events))
        out["eventlog"] = summarise(logs) if logs else {}
    return out


def main() -> None:
    """Run the requested engines and sizes, write spark.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", choices=["local", "spark", "export"])
    parser.add_argument("--export", type=Path)
    parser.add_argument("--pairs", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", choices=["local", "spark"], default=["local", "spark"])
    parser.add_argument("--conf", action="append", default=[], help="Spark setting key=value (repeatable)")
    parser.add_argument("--work", type=Path, help="keep the Parquet exports here and reuse them")
    parser.add_argument(
        "--reference",
        type=int,
        help="compare Spark with the local engine's earlier run at this smaller size, on its projects",
    )
    parser.add_argument(
        "--max-tree-gib",
        type=float,
        default=16.0,
        help="kill a stage whose process tree's resident memory passes this (default 16)",
    )
    parser.add_argument("--fresh", action="store_true", help="forget earlier runs in the results JSON")
    parser.add_argument(
        "--runs",
        type=Path,
        default=RUNS,
        help="keep the runs in this JSON instead (a variant's runs; spark.md is then not rewritten)",
    )
    parser.add_argument("--markdown-only", action="store_true", help="rewrite spark.md from the kept runs")
    args = parser.parse_args()
    if args.markdown_only:
        runs = json.loads(RUNS.read_text(encoding="utf-8"))
        RESULT.write_text(write_markdown(runs, NOTES), encoding="utf-8")
        return
    if args.stage == "export":  # its own process: the generator's memory is not the run's
        print(json.dumps({"export_s": _export(args.sizes[0], args.work)[1]}))
        return
    if args.stage:
        out = _spark_stage(args) if args.stage == "spark" else stage("local", args.export, args.pairs, {})
        out["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        out["child_peak_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        print(json.dumps(out, ensure_ascii=False, default=str))
        return
    runs = [] if args.fresh or not args.runs.is_file() else json.loads(args.runs.read_text(encoding="utf-8"))
    command = "python bench/bench_spark.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            load = load_average()
            result = run_size(n, work, args.engines, args.conf, args.reference, args.max_tree_gib * 1024)
            result |= {"command": command.strip(), "load": [round(load, 1), round(load_average(), 1)]}
            result["code"] = _head()  # the fit of the projection says whether its runs ran the same code
            for engine in args.engines:  # each engine's own command, kept when the other is redone
                result[engine]["command"] = command.strip()
            result["locked"] = os.environ.get("JIXIAO_BENCH_LOCKED") == "1"
            earlier = next((r for r in runs if r["n"] == n), {})
            for engine in {"local", "spark"} - set(args.engines):  # keep what this run did not redo
                if engine in earlier:
                    result[engine] = earlier[engine]
            for kept in ("agreement", "prefix_agreement"):  # measured by an earlier run, not redone
                if kept in earlier and kept not in result:
                    result[kept] = earlier[kept]
            runs = [r for r in runs if r["n"] != n] + [result]
            runs.sort(key=lambda r: r["n"])
            args.runs.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
            if args.runs == RUNS:
                RESULT.write_text(write_markdown(runs, NOTES), encoding="utf-8")
    print(
        RESULT.read_text(encoding="utf-8") if args.runs == RUNS else json.dumps(runs[-1], default=str)[:3000]
    )


if __name__ == "__main__":
    main()
