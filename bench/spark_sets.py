"""bench/results/spark_sets.md: the Spark runs with the indicator sets' own banding and star edges
(bench/results/spark_runs_bounded.json) beside main's runs at the same sizes (spark_runs.json).

    python bench/spark_sets.py

The runs themselves are made by bench_spark.py with ``--runs bench/results/spark_runs_bounded.json``;
this only tabulates them, and appends the hand-written reading (bench/spark_sets_notes.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
OLD = BENCH_DIR / "results" / "spark_runs.json"
NEW = BENCH_DIR / "results" / "spark_runs_bounded.json"
RESULT = BENCH_DIR / "results" / "spark_sets.md"
NOTES = BENCH_DIR / "spark_sets_notes.md"
KINDS = ("goal_clusters", "name_clusters", "set_clusters")


def _phases(run: dict[str, Any], prefix: str, key: str) -> float:
    steps = run["spark"].get("eventlog", {}).get("by_step", {})
    return sum(v[key] for k, v in steps.items() if k.startswith(prefix))


def row(label: str, run: dict[str, Any]) -> str:
    """One table row: what the run cost and what the sets' step did."""
    spark = run["spark"]
    sets = spark["stats"]["indicator_set"]
    total = spark["eventlog"]["total"]
    pairs = sum(sets["pairs_per_round"])
    agreement = run.get("agreement", {})
    f1 = " / ".join(str(agreement[k]["f1"]) for k in KINDS) if agreement else "—"
    memory = spark["memory"]
    return (
        f"| {run['n']:,} | {label} ({run.get('code', '?')}) | {run['load'][0]} → {run['load'][1]} "
        f"| {spark['seconds']:,.0f} + {spark.get('write_s', '—')} | {memory['tree'].get('cpu_s', '—')} "
        f"| {total['run_s']:,.0f} | {total['shuffle_write_mib']:,.0f} | {total['spill_disk_mib']:,.0f} "
        f"| {sets['pairs_per_round']} | {pairs / sets['n_keys']:.2f} | {sets['largest_bucket']:,} "
        f"| {spark['steps']['indicator_sets']:,.0f} | {_phases(run, 'indicator_sets', 'run_s'):,.0f} "
        f"| {total['max_task_peak_mib']:,.0f} | {memory['jvm']['peak_mib']:,} "
        f"| {memory['tree']['peak_mib']:,} | {f1} |"
    )


def write() -> str:
    """The markdown of both files' runs, by size, main's first."""
    old = {r["n"]: r for r in json.loads(OLD.read_text(encoding="utf-8"))}
    new = json.loads(NEW.read_text(encoding="utf-8"))
    lines = [
        "## Spark: indicator sets banded for their own threshold, star edges",
        "",
        "Command (under the bench and big-memory locks, nice 0): `python bench/bench_spark.py --sizes <n> "
        "[--engines spark] --conf spark.driver.memory=<6g at 1M, 9g at 2M> --work /tmp/spark3-exports "
        "--runs bench/results/spark_runs_bounded.json`; main's rows are its runs of the Spark section. "
        "Executor-s, shuffle and spill from the event log; pairs: the sets' candidate pairs per round "
        "(verified: none at any size — the generator's sets are exact copies or unrelated). Pair-F1 "
        "against the local engine's run at that size (at 2M: main's local run, so it also compares with "
        "main's clusters).",
        "",
        "| indicators | code | load | job + files s | CPU s (tree) | executor-s | shuffle MiB | spill MiB "
        "| set candidate pairs per round | per set key | largest set bucket | sets step s | sets executor-s "
        "| largest task MiB | JVM MiB | tree MiB | pair-F1 goals / names / sets |",
        "|---:|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in sorted(new, key=lambda r: r["n"]):
        if run["n"] in old and old[run["n"]]["spark"].get("eventlog"):
            lines.append(row("main", old[run["n"]]))
        lines.append(row("sets banded", run))
    text = "\n".join(lines) + "\n"
    if NOTES.is_file():
        text += "\n" + NOTES.read_text(encoding="utf-8")
    return text


if __name__ == "__main__":
    RESULT.write_text(write(), encoding="utf-8")
    print(RESULT.read_text(encoding="utf-8"))
