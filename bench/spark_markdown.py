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
LOCAL_PARTITIONS = 4  # spark.sql.shuffle.partitions of indexer.spark_session's local default


def _mem(e: dict[str, Any], role: str, key: str = "peak_mib") -> str:
    value = e.get("memory", {}).get(role, {}).get(key)
    return "—" if value is None else f"{value:,}"


def _commands(r: dict[str, Any]) -> set[str]:
    """The commands that measured the run at one size (each engine's own, when kept)."""
    return {r["command"]} | {r[e]["command"] for e in ("local", "spark") if "command" in r.get(e, {})}


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


def _partition(r: dict[str, Any]) -> dict[str, Any]:
    """The run's per-partition costs (a task is one partition): the most data one task of a phase
    read (shuffle read + input, which includes the checkpointed blocks; the phase's total over its
    tasks), the largest task's peak execution memory and the longest task."""
    phases = _spark(r, "eventlog", "by_step")
    per_task = {
        k: (c["shuffle_read_mib"] + c["input_mib"]) / c["tasks"] for k, c in phases.items() if c["tasks"]
    }
    widest = max(per_task, key=lambda k: per_task[k])
    peak = max(phases, key=lambda k: phases[k]["max_task_peak_mib"])
    return {
        "read_phase": widest,
        "read_mib": per_task[widest],
        "peak_phase": peak,
        "peak_mib": phases[peak]["max_task_peak_mib"],
        "peak_read_mib": per_task.get(peak, 0.0),
        "longest_s": max(c["max_task_run_s"] for c in phases.values()),
        "partitions": int(_conf_value(r, "spark.sql.shuffle.partitions") or LOCAL_PARTITIONS),
    }


def _conf_value(r: dict[str, Any], key: str) -> str | None:
    return next((c.split("=", 1)[1] for c in r.get("conf", []) if c.startswith(key + "=")), None)


def projection(runs: list[dict[str, Any]]) -> list[str]:
    """The 100M-indicator cluster estimate from the runs' event logs: executor time and shuffle as a
    fixed cost plus a cost per indicator through the two largest logged sizes, partitions and
    executor memory from the largest run's per-partition costs (a partition as large as there
    costs what it cost there)."""
    logged = [r for r in runs if _spark(r, "eventlog", "total")]
    if len(logged) < 2:
        return ["Projection: needs event logs from two sizes (run bench_spark.py at two sizes)."]
    a, b = logged[-2], logged[-1]

    def fit(*path: str, runs: tuple[dict[str, Any], dict[str, Any]] = (a, b)) -> tuple[float, float]:
        x, y = runs
        return _linear((x["n"], float(_spark(x, *path) or 0)), (y["n"], float(_spark(y, *path) or 0)))

    def total(r: dict[str, Any], key: str) -> Any:
        return _spark(r, "eventlog", "total", key)

    run_fixed, run_per = fit("eventlog", "total", "run_s")
    shuffle_fixed, shuffle_per = fit("eventlog", "total", "shuffle_write_mib")
    run_100m = run_fixed + run_per * TARGET_N
    shuffle_100m = shuffle_fixed + shuffle_per * TARGET_N
    pa, pb = _partition(a), _partition(b)
    scale = TARGET_N / b["n"]
    # the same data per partition as in the largest run: its partitions times the growth of the data
    partitions = 2 ** math.ceil(math.log2(pb["partitions"] * scale))
    read_100m = pb["read_mib"] * pb["partitions"] * scale / partitions
    worker = _spark(b, "memory", "python_worker").get("peak_mib", 0)
    cores = 4
    executor_gib = math.ceil((cores * pb["peak_mib"] + 1024) / 1024)
    wall_h = run_100m / 3600 / (50 * cores)
    driver = [(r["n"], _spark(r, "memory", "driver").get("peak_mib", 0)) for r in (a, b)]
    codes = {r.get("code", "?") for r in (a, b)}
    same = f"the same code ({codes.pop()})" if len(codes) == 1 and "?" not in codes else "two codes"
    return [
        f"Fitted on the runs at {a['n']:,} and {b['n']:,} indicators ({same}; their loads "
        f"{a['load'][0]}–{a['load'][1]} and {b['load'][0]}–{b['load'][1]}). The event logs give, per run, "
        f"the tasks' summed executor time and shuffle bytes, and per phase the tasks (one per partition), "
        f"their shuffle read, the largest task's peak execution memory and the longest task. Executor time "
        f"and shuffle are fitted as fixed + per-indicator cost through the two runs: executor time "
        f"{run_fixed:,.0f} s + {run_per * 1e6:,.0f} s per million indicators, shuffle written "
        f"{shuffle_fixed:,.0f} MiB + {shuffle_per * 1e6:,.0f} MiB per million (the fixed part is the "
        "≈450–650 stages' scheduling and Python-worker start-up, which a cluster pays once). Per partition "
        f"({pb['partitions']} shuffle partitions at {b['n']:,}; {pa['partitions']} at {a['n']:,}): the "
        f"most data one task read (shuffle + input) was {pb['read_mib']:,.0f} MiB (`{pb['read_phase']}`; "
        f"{pa['read_mib']:,.0f} MiB at {a['n']:,}), the largest task peak {pb['peak_mib']:,.0f} MiB "
        f"(`{pb['peak_phase']}`, reading {pb['peak_read_mib']:,.0f} MiB a task; {pa['peak_mib']:,.0f} MiB "
        f"at {a['n']:,}), the longest task {pb['longest_s']:,.0f} s ({pa['longest_s']:,.0f} s at "
        f"{a['n']:,}). The partition count at 100M keeps every partition no larger than at {b['n']:,} "
        f"({pb['partitions']} × {scale:,.0f}, to a power of two), so a task holds and takes what it did "
        "there: the executor memory per core is that run's largest task peak, plus 1 GiB for the "
        "executor itself; the Python workers sit outside the JVM heap (measured "
        f"{worker:,} MiB each at {b['n']:,}) and need `spark.executor.pyspark.memory` or overhead of about "
        "that per core.",
        "",
        f"| quantity | measured at {a['n']:,} | measured at {b['n']:,} | projected at {TARGET_N:,} |",
        "|---|---:|---:|---:|",
        f"| executor time (core-hours) | {total(a, 'run_s') / 3600:.2f} | {total(b, 'run_s') / 3600:.2f} | "
        f"{run_100m / 3600:,.1f} |",
        f"| shuffle written, all stages (GiB) | {total(a, 'shuffle_write_mib') / 1024:.2f} | "
        f"{total(b, 'shuffle_write_mib') / 1024:.2f} | {shuffle_100m / 1024:,.0f} |",
        f"| `spark.sql.shuffle.partitions` | {pa['partitions']} | {pb['partitions']} | {partitions:,} |",
        f"| data one task read, largest phase mean (MiB) | {pa['read_mib']:,.0f} | {pb['read_mib']:,.0f} | "
        f"≤ {read_100m:,.0f} |",
        f"| largest task peak execution memory (MiB) | {pa['peak_mib']:,.0f} | {pb['peak_mib']:,.0f} | "
        f"≤ {pb['peak_mib']:,.0f} |",
        f"| executor memory ({cores} cores) | one local[2] JVM | one local[2] JVM | "
        f"{executor_gib} GiB heap + {cores} × {worker:,} MiB Python |",
        f"| driver Python peak RSS (MiB) | {driver[0][1]:,} | {driver[1][1]:,} | see below |",
        "",
        f"On 50 executors × {cores} cores that is about {wall_h * 60:,.1f} minutes of executor time per core "
        "if it spreads evenly, on top of the fixed stage overhead. The driver is not fitted as a line: "
        "the members files are written from the executors, so the driver holds one summary and at most "
        "`json_max_members` (500) members per cluster, the per-group counts and the amount-only groups' "
        "projects — what grows is the number of clusters (× min(size, 500)), not the corpus.",
    ]


def write_markdown(runs: list[dict[str, Any]], notes: Path) -> str:
    """The whole results section; ``notes`` (hand-written, when it exists) is appended."""
    lines = [
        "## Spark report engine (local[2]) vs the local engine",
        "",
        "Commands (each size its own invocation under the bench lock, ≤ 20 min a hold): "
        + "; ".join(sorted({f"`{c}`" for r in runs for c in _commands(r)})),
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
