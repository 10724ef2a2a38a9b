"""The Spark benchmark's helpers: pair-F1 from the contingency table, the event-log summary,
the process-tree memory sampler."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bench_spark import _guard, pair_f1
from eventlog import find_log, summarise
from proctree import TreeSampler, tree_rss_mib


def _enumerated(labels: dict[str, int]) -> set[tuple[str, str]]:
    by: dict[int, list[str]] = {}
    for item, label in labels.items():
        by.setdefault(label, []).append(item)
    return {p for members in by.values() for p in combinations(sorted(members), 2)}


def test_pair_f1_counts_the_pairs_enumeration_counts():
    rng = random.Random(3)
    for _ in range(20):
        items = [f"p{i}#None" for i in range(60)]
        local = {i: rng.randrange(8) for i in items if rng.random() < 0.8}
        spark = {i: rng.randrange(8) for i in items if rng.random() < 0.8}
        a, b = _enumerated(local), _enumerated(spark)
        got = pair_f1(local, spark)
        assert got["pairs"] == len(a)
        assert (got["only_local"], got["only_spark"]) == (len(a - b), len(b - a))
        both = len(a & b)
        expected = 2 * both / (len(a) + len(b))
        assert abs(got["f1"] - expected) < 1e-5
    same = {"a#1": 0, "b#1": 0, "c#None": 5}
    renamed = {"a#1": 7, "b#1": 7, "c#None": 2}
    assert pair_f1(same, renamed)["f1"] == 1.0  # labels are names, not values
    assert pair_f1(same, {"a#1": 0, "b#1": 1})["f1"] == 0.0


def test_event_log_is_summed_per_step(tmp_path: Path):
    folder = tmp_path / "eventlog_v2_local-1"
    folder.mkdir()

    def task(stage: int, run_ms: int, written: int) -> dict:
        return {
            "Event": "SparkListenerTaskEnd",
            "Stage ID": stage,
            "Task Metrics": {
                "Executor Run Time": run_ms,
                "Executor CPU Time": run_ms * 1_000_000,
                "Peak Execution Memory": 2**20 * stage,
                "Shuffle Write Metrics": {"Shuffle Bytes Written": written},
            },
        }

    first = [
        {
            "Event": "SparkListenerJobStart",
            "Stage IDs": [1, 2],
            "Properties": {"spark.job.description": "goals"},
        },
        {"Event": "SparkListenerJobStart", "Stage IDs": [3], "Properties": {}},
        task(1, 1000, 2**20),
        task(1, 3000, 2**20),
    ]
    second = [
        task(2, 500, 0),
        task(3, 250, 2**21),
        *(
            {
                "Event": "SparkListenerStageCompleted",
                "Stage Info": {"Stage ID": i, "Stage Name": f"collect {i}"},
            }
            for i in (1, 2, 3)
        ),
    ]
    (folder / "events_2_local-1").write_text("\n".join(json.dumps(e) for e in second))
    (folder / "events_1_local-1").write_text("\n".join(json.dumps(e) for e in first))
    logs = find_log(tmp_path)
    assert [p.name for p in logs] == ["events_1_local-1", "events_2_local-1"]
    out = summarise(logs)
    goals, other = out["by_step"]["goals"], out["by_step"]["other"]
    assert (goals["stages"], goals["tasks"], goals["run_s"], goals["max_task_run_s"]) == (2, 3, 4.5, 3.0)
    assert goals["shuffle_write_mib"] == 2.0 and goals["max_task_peak_mib"] == 2.0
    assert (other["tasks"], other["shuffle_write_mib"]) == (1, 2.0)
    assert out["total"]["tasks"] == 4 and out["total"]["stages"] == 3
    assert next(iter(out["by_site"])) == "goals: collect 1"  # costliest first


def test_tree_sampler_sees_a_child_process():
    # 60 MiB held, then ≈0.6 s of CPU spent busy, then held a while (so that it is sampled)
    code = (
        "import time; x = bytearray(60 * 2**20); t = time.process_time()\n"
        "while time.process_time() - t < 0.6: pass\n"
        "time.sleep(1.0)"
    )
    with TreeSampler(interval=0.1) as memory:
        subprocess.run([sys.executable, "-c", code], check=True)
    report = memory.report()
    assert report["python_worker"]["peak_mib"] >= 60  # a python child counts as a worker
    assert report["tree"]["peak_mib"] >= report["driver"]["peak_mib"] + 60
    assert report["python_worker"]["cpu_s"] >= 0.5  # its CPU time, as last sampled
    # each role and the tree are rounded to 0.1 s separately: the sum of two rounded roles may exceed the
    # rounded tree by up to 0.1 s
    parts = report["python_worker"]["cpu_s"] + report["driver"]["cpu_s"]
    assert report["tree"]["cpu_s"] >= parts - 0.1 - 1e-9


def test_memory_guard_stops_a_stage_that_outgrows_its_limit():
    # the child holds 200 MiB more than the limit allows; the guard kills it (and what it started)
    limit = tree_rss_mib(os.getpid()) + 100
    code = "import time; x = bytearray(300 * 2**20); x[::4096] = b'1' * len(x[::4096]); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    tripped: list[float] = []
    started = time.monotonic()
    _guard(proc, limit, tripped)
    assert proc.wait(timeout=10) == -signal.SIGKILL and time.monotonic() - started < 30
    assert tripped and tripped[0] > limit
    quiet = subprocess.Popen([sys.executable, "-c", "pass"])
    _guard(quiet, tree_rss_mib(os.getpid()) + 500, tripped := [])
    assert quiet.wait() == 0 and not tripped
