"""Where a Spark job's time and shuffle go, from its event log (``spark.eventLog.enabled``).

Reads the JSON-lines log Spark writes and sums, per job description (the report
job labels its steps with ``setJobDescription``) and per stage call site, the
tasks' executor run time, CPU time, GC time, shuffle bytes written and read,
input bytes, spills and the largest per-task peak execution memory. These are
the per-partition costs the cluster projection in bench/results/spark.md scales.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class StageCost:
    """Totals over the tasks of a group of stages."""

    stages: int = 0
    tasks: int = 0
    run_s: float = 0.0
    cpu_s: float = 0.0
    gc_s: float = 0.0
    shuffle_write_mib: float = 0.0
    shuffle_read_mib: float = 0.0
    input_mib: float = 0.0
    spill_disk_mib: float = 0.0
    max_task_peak_mib: float = 0.0
    max_task_run_s: float = 0.0

    def add_task(self, metrics: dict[str, Any]) -> None:
        """Add one task's ``Task Metrics``."""
        mib = 2.0**-20
        self.tasks += 1
        run = metrics.get("Executor Run Time", 0) / 1000
        self.run_s += run
        self.max_task_run_s = max(self.max_task_run_s, run)
        self.cpu_s += metrics.get("Executor CPU Time", 0) / 1e9
        self.gc_s += metrics.get("JVM GC Time", 0) / 1000
        write = metrics.get("Shuffle Write Metrics", {})
        self.shuffle_write_mib += write.get("Shuffle Bytes Written", 0) * mib
        read = metrics.get("Shuffle Read Metrics", {})
        self.shuffle_read_mib += (read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0)) * mib
        self.input_mib += metrics.get("Input Metrics", {}).get("Bytes Read", 0) * mib
        self.spill_disk_mib += metrics.get("Disk Bytes Spilled", 0) * mib
        self.max_task_peak_mib = max(self.max_task_peak_mib, metrics.get("Peak Execution Memory", 0) * mib)

    def rounded(self) -> dict[str, float | int]:
        """The totals, rounded for a results file."""
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _events(paths: list[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def summarise(paths: list[Path]) -> dict[str, Any]:
    """``{"by_step": {description: costs}, "by_site": {call site: costs}, "total": costs}``."""
    job_of_stage: dict[int, str] = {}
    site_of_stage: dict[int, str] = {}
    tasks: list[tuple[int, dict[str, Any]]] = []
    for event in _events(paths):
        kind = event.get("Event")
        if kind == "SparkListenerJobStart":
            props = event.get("Properties") or {}
            label = props.get("spark.job.description") or "other"
            for stage_id in event.get("Stage IDs", []):
                job_of_stage.setdefault(stage_id, label)
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            site_of_stage[info["Stage ID"]] = info.get("Stage Name", "?")
        elif kind == "SparkListenerTaskEnd" and event.get("Task Metrics"):
            tasks.append((event["Stage ID"], event["Task Metrics"]))
    by_step: dict[str, StageCost] = {}
    by_site: dict[str, StageCost] = {}
    total = StageCost()
    seen: set[tuple[str, int]] = set()
    for stage_id, metrics in tasks:
        step, site = job_of_stage.get(stage_id, "other"), site_of_stage.get(stage_id, "?")
        for table, key in ((by_step, step), (by_site, f"{step}: {site}")):
            cost = table.setdefault(key, StageCost())
            cost.add_task(metrics)
            if (key, stage_id) not in seen:
                seen.add((key, stage_id))
                cost.stages += 1
        total.add_task(metrics)
    total.stages = len(site_of_stage)
    return {
        "by_step": {k: v.rounded() for k, v in by_step.items()},
        "by_site": {k: v.rounded() for k, v in sorted(by_site.items(), key=lambda kv: -kv[1].run_s)[:12]},
        "total": total.rounded(),
    }


def find_log(directory: Path) -> list[Path]:
    """The files of the (one) event log Spark wrote into ``directory``: Spark 4 writes a folder
    ``eventlog_v2_<app>`` of ``events_<n>_<app>`` parts (in order of ``n``), older Sparks one file."""
    found: list[Path] = []
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            parts = [p for p in entry.iterdir() if p.name.startswith("events_")]
            found += sorted(parts, key=lambda p: int(p.name.split("_")[1]))
        elif not entry.name.endswith(".inprogress"):
            found.append(entry)
    return found
