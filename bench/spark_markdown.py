"""bench/results/spark.md from the runs bench_spark.py keeps in bench/results/spark_runs.json:
the per-size table, the agreement, where Spark's time and shuffle go, and the 100M projection."""

from __future__ import annotations

import math
import os
import platform
from pathlib import Path
from typing import Any

KINDS = ("goal_clusters", "name_clusters", "set_clusters")
TARGET_N = 100_000_000
PARTITION_MIB = 128  # shuffle bytes per partition a cluster job aims at (AQE's advisory size is 64 MiB)


def _mem(e: dict[str, Any], role: str, key: str = "peak_mib") -> str:
    value = e.get("memory", {}).get(role, {}).get(key)
    return "—" if value is None else f"{value:,}"


def _engine_rows(r: dict[str, Any]) -> list[str]:
    rows = []
    for engine in ("local", "spark"):
        e = r.get(engine)
        if e is None:
            continue
        if "error" in e:
            rows.append(f"| {r['n']:,} | {engine} | failed: {e['error']} |||||||")
            continue
        s = e["summary"]
        steps = ", ".join(f"{k} {v:.0f}" for k, v in e["steps"].items())
        if "write_s" in e:  # runs since the members files: writing the report's files
            steps += f"; files {e['write_s']:.0f}"
        workers = f"{_mem(e, 'python_worker')} / {_mem(e, 'python_worker', 'peak_sum_mib')}"
        rows.append(
            f"| {r['n']:,} | {engine} | {e['seconds']:.0f} | {_mem(e, 'tree', 'cpu_s')} | "
            f"{_mem(e, 'driver')} | {_mem(e, 'jvm')} | "
            f"{workers if engine == 'spark' else '—'} | {_mem(e, 'tree')} | {steps} | "
            f"{s['n_goal_clusters']:,} / {s['n_name_clusters']:,} / {s['n_set_clusters']:,} |"
        )
    return rows


def _growth(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| indicators | local s | local CPU s | spark s | spark CPU s | spark / local (wall) "
        "| spark s per 100k | load at start / end |"
    ]
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in runs:
        local, spark = r.get("local", {}), r.get("spark", {})
        ls, ss = local.get("seconds"), spark.get("seconds")
        ratio = f"{ss / ls:.1f}×" if ls and ss else "—"
        per = f"{ss / r['n'] * 100_000:.1f}" if ss else "—"
        lines.append(
            f"| {r['n']:,} | {ls if ls is not None else '—'} | {_mem(local, 'tree', 'cpu_s')} | "
            f"{ss if ss is not None else '—'} | {_mem(spark, 'tree', 'cpu_s')} | {ratio} | "
            f"{per} | {r['load'][0]} / {r['load'][1]}{'' if r.get('locked') else ' (not under the lock)'} |"
        )
    return lines


def _costs(r: dict[str, Any]) -> list[str]:
    log = r.get("spark", {}).get("eventlog") or {}
    if not log:
        return []
    lines = [
        f"Spark at {r['n']:,} indicators, from the event log (tasks' executor time summed over both cores; "
        "Python UDF time is inside it):",
        "",
        "| step: phase | stages | tasks | executor s | CPU s | GC s | shuffle write MiB | shuffle read MiB | "
        "largest task peak MiB | spill MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step, c in [*log["by_step"].items(), ("**total**", log["total"])]:
        lines.append(
            f"| {step} | {c['stages']} | {c['tasks']:,} | {c['run_s']:.0f} | {c['cpu_s']:.0f} | "
            f"{c['gc_s']:.0f} | "
            f"{c['shuffle_write_mib']:,.0f} | {c['shuffle_read_mib']:,.0f} | {c['max_task_peak_mib']:,.0f} | "
            f"{c['spill_disk_mib']:,.0f} |"
        )
    lines += ["", "Costliest stages (step: call site — executor s, tasks, shuffle write MiB):", ""]
    for site, c in list(log["by_site"].items())[:8]:
        lines.append(f"- {site} — {c['run_s']:.0f} s, {c['tasks']} tasks, {c['shuffle_write_mib']:,.0f} MiB")
    return lines


def _linear(a: tuple[int, float], b: tuple[int, float]) -> tuple[float, float]:
    """``(fixed, per indicator)`` of the line through two (size, cost) points."""
    per = (b[1] - a[1]) / (b[0] - a[0])
    return a[1] - per * a[0], per


def _spark(r: dict[str, Any], *path: str) -> Any:
    out: Any = r.get("spark", {})
    for key in path:
        out = out.get(key, {}) if isinstance(out, dict) else {}
    return out


def projection(runs: list[dict[str, Any]]) -> list[str]:
    """The 100M-indicator cluster estimate from the runs' event logs: a fixed cost plus a cost per
    indicator, fitted between the two largest logged sizes (and checked on the two smallest)."""
    logged = [r for r in runs if _spark(r, "eventlog", "total")]
    if len(logged) < 2:
        return ["Projection: needs event logs from two sizes (run bench_spark.py at two sizes)."]
    a, b = logged[-2], logged[-1]

    def fit(*path: str, runs: tuple[dict[str, Any], dict[str, Any]] = (a, b)) -> tuple[float, float]:
        x, y = runs
        return _linear((x["n"], float(_spark(x, *path) or 0)), (y["n"], float(_spark(y, *path) or 0)))

    run_fixed, run_per = fit("eventlog", "total", "run_s")
    shuffle_fixed, shuffle_per = fit("eventlog", "total", "shuffle_write_mib")
    first_per = fit("eventlog", "total", "run_s", runs=(logged[0], logged[1]))[1]
    run_100m = run_fixed + run_per * TARGET_N
    shuffle_100m = shuffle_fixed + shuffle_per * TARGET_N
    phases = _spark(b, "eventlog", "by_step")
    widest_name, widest = max(phases.items(), key=lambda kv: kv[1]["shuffle_write_mib"])
    shuffle_b = _spark(b, "eventlog", "total", "shuffle_write_mib")
    widest_100m = widest["shuffle_write_mib"] * TARGET_N / b["n"]  # one stage's data: proportional
    partitions = max(200, 2 ** math.ceil(math.log2(max(1.0, widest_100m / PARTITION_MIB))))
    task_peak = max(c["max_task_peak_mib"] for c in phases.values())
    worker = _spark(b, "memory", "python_worker").get("peak_mib", 0)
    d_fixed, d_per = fit("memory", "driver", "peak_mib")
    driver_100m = d_fixed + d_per * TARGET_N
    cores = 4
    executor_gib = math.ceil((cores * (task_peak + PARTITION_MIB * 2) + 1024) / 1024)
    wall_h = run_100m / 3600 / (50 * cores)
    return [
        f"Method: the event logs give, per run, the tasks' summed executor time and shuffle bytes. Each is "
        f"fitted as fixed + per-indicator cost through the two largest runs ({a['n']:,} and {b['n']:,}): "
        f"executor time {run_fixed:,.0f} s + {run_per * 1e6:,.0f} s per million indicators "
        f"(between the two smallest runs: {first_per * 1e6:,.0f} s per million), shuffle written "
        f"{shuffle_fixed:,.0f} MiB + {shuffle_per * 1e6:,.0f} MiB per million. The fixed part is the "
        "≈450 stages' scheduling and Python-worker start-up, which a cluster pays once; the per-indicator "
        "part is what grows. The job is built to stay linear (a bucket over 60 keys pairs each key with "
        "its first 25 keys only), so extrapolating a line is the model; a superlinear step would show as "
        "a per-million cost that rises with size. Partitions: the phase writing the most shuffle "
        f"(`{widest_name}`) scaled in proportion, cut into ~{PARTITION_MIB} MiB partitions. Executor "
        f"memory per core: the largest task's peak execution memory here ({task_peak:,.0f} MiB; at "
        f"{PARTITION_MIB} MiB partitions a task holds no more than here) plus twice a partition, plus "
        f"1 GiB; the Python workers sit outside the JVM heap (measured {worker:,} MiB each here) and need "
        "`spark.executor.pyspark.memory` or overhead of about that per core.",
        "",
        f"| quantity | measured at {b['n']:,} | projected at {TARGET_N:,} |",
        "|---|---:|---:|",
        f"| executor time (core-hours) | {_spark(b, 'eventlog', 'total', 'run_s') / 3600:.2f} | "
        f"{run_100m / 3600:,.1f} |",
        f"| shuffle written, all stages (GiB) | {shuffle_b / 1024:.2f} | {shuffle_100m / 1024:,.0f} |",
        f"| widest phase's shuffle (GiB) | {widest['shuffle_write_mib'] / 1024:.2f} | "
        f"{widest_100m / 1024:,.0f} |",
        f"| `spark.sql.shuffle.partitions` | 4 | {partitions:,} |",
        f"| executor memory ({cores} cores) | one local[2] JVM | {executor_gib} GiB heap + {cores} × "
        f"{worker:,} MiB Python |",
        f"| driver Python peak RSS | {_spark(b, 'memory', 'driver').get('peak_mib', 0):,} MiB | "
        f"{driver_100m / 1024:,.0f} GiB |",
        "",
        f"On 50 executors × {cores} cores that is about {wall_h * 60:,.1f} minutes of executor time per core "
        "if it spreads evenly, on top of the fixed stage overhead. The driver row is fitted the same "
        "way; since the members files are written from the executors, the driver holds one summary and "
        "at most `json_max_members` members per cluster, the per-group counts, and the amount-only "
        "groups' projects, so what grows with the corpus is the number of clusters and of shared "
        "content keys (runs before that change held every member of every cluster there).",
    ]


def write_markdown(runs: list[dict[str, Any]], notes: Path) -> str:
    """The whole results section; ``notes`` (hand-written, when it exists) is appended."""
    lines = [
        "## Spark report engine (local[2]) vs the local engine",
        "",
        "Commands (each size its own invocation under the bench lock, ≤ 20 min a hold): "
        + "; ".join(sorted({f"`{r['command']}`" for r in runs})),
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other developers' jobs (niced), "
        f"24 GiB, no GPU, Python {platform.python_version()}. Each engine runs in its own subprocess on the "
        "same Parquet export; themes use the fake encoder in both (the same sample, so the same themes). "
        "Memory: every process of the run's tree sampled from /proc twice a second — the Python driver, the "
        "one JVM of local[2] (driver and executors), the Spark Python workers (largest one / all at once), "
        "and the whole tree at one instant. CPU s: user + system time of every process of the tree, as last "
        "sampled (runs before 2026-12-02 17:00 did not record it: —); on this shared machine it depends far "
        "less on the load than the wall time does.",
        "",
        "| indicators | engine | seconds | CPU s (whole tree) | Python driver MiB | JVM MiB | "
        "Python workers MiB (one / all) | tree MiB | steps (s) | goal / name / set clusters |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in runs:
        lines += _engine_rows(r)
    lines += ["", "### Growth with corpus size", "", *_growth(runs), ""]
    lines += [
        "### Agreement: pairs of projects put together (pair-F1, local engine as reference)",
        "",
        "| indicators | goals F1 (only local / only spark) | names F1 | sets F1 |",
        "|---:|---|---|---|",
    ]
    for r in runs:
        a = r.get("agreement")
        if a:
            cells = [f"{a[k]['f1']:.4f} ({a[k]['only_local']:,} / {a[k]['only_spark']:,})" for k in KINDS]
            lines.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
        p = r.get("prefix_agreement")
        if p:
            cells = [f"{p[k]['f1']:.4f} ({p[k]['only_local']:,} / {p[k]['only_spark']:,})" for k in KINDS]
            lines.append(
                f"| {r['n']:,}: its first {p['projects']:,} projects, vs the local engine on the "
                f"{p['reference']:,} corpus | " + " | ".join(cells) + " |"
            )
    lines += [
        "",
        "Both engines use the same keys, shingles, MinHash signatures (datasketch, same seed), bands and "
        "verification rule, so they differ only where a bucket is larger than `max_bucket_all_pairs` "
        "(60): the local engine promotes a key to representative when it joins none of the current ones, "
        "sequentially; the Spark job pairs each key with the bucket's first 25 keys. Every joined pair is "
        "verified by the same rule in both, so a difference is a pair one engine's candidates missed.",
    ]
    for r in runs:
        st = r.get("spark", {}).get("stats")
        if st:
            lines += [
                "",
                f"Spark job at {r['n']:,} indicators, per kind: "
                + "; ".join(
                    f"{k}: {v['n_keys']:,} keys, largest bucket {v['largest_bucket']:,}, candidate pairs per "
                    f"round {v['pairs_per_round']}, verified {v['verified_per_round']}, component rounds "
                    f"{v['component_rounds']}"
                    for k, v in st.items()
                ),
            ]
    lines += ["", "### Where Spark's time goes", ""]
    for r in runs:
        costs = _costs(r)
        if costs:
            lines += [*costs, ""]
    lines += ["### Projection: 100M indicators on a cluster", "", *projection(runs)]
    if notes.is_file():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    return "\n".join(lines) + "\n"
