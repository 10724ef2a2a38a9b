"""Peak resident memory of a process and its descendants, by role, sampled from /proc.

``ru_maxrss`` of the children only covers processes that were waited for, and
Spark's Python workers are forked by a daemon under the JVM; so a thread reads
every descendant's ``VmRSS`` twice a second and keeps, per role (this Python
driver, the JVM, the Python workers), the largest single process and the largest
sum seen at one instant. Linux only (``/proc``).

It also keeps each process's CPU time (user + system, as last read): on a shared
machine the wall time depends on the load, the CPU seconds much less.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20
TICKS = os.sysconf("SC_CLK_TCK")


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the ppid follows its closing ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _descendants(root: int) -> list[int]:
    kids, out, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "driver"
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "other"
    if argv and argv[0].endswith(b"java"):
        return "jvm"
    if any(b"pyspark" in a for a in argv) or any(a.endswith(b"python") or b"python3" in a for a in argv[:1]):
        return "python_worker"
    return "other"


def _rss_mib(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_MIB
    except (OSError, IndexError, ValueError):
        return 0.0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15 of stat)


class TreeSampler:
    """Samples the memory of ``os.getpid()`` and its descendants until stopped."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.root = os.getpid()
        self.peak_single: dict[str, float] = {}
        self.peak_sum: dict[str, float] = {}
        self.peak_total = 0.0
        self.processes: dict[str, set[int]] = {}
        self.cpu: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """Read every descendant's RSS once."""
        sums: dict[str, float] = {}
        for pid in _descendants(self.root):
            role, rss = _role(pid, self.root), _rss_mib(pid)
            if rss <= 0:
                continue
            self.processes.setdefault(role, set()).add(pid)
            self.cpu[pid] = (role, max(_cpu_s(pid), self.cpu.get(pid, (role, 0.0))[1]))
            sums[role] = sums.get(role, 0.0) + rss
            self.peak_single[role] = max(self.peak_single.get(role, 0.0), rss)
        for role, total in sums.items():
            self.peak_sum[role] = max(self.peak_sum.get(role, 0.0), total)
        self.peak_total = max(self.peak_total, sum(sums.values()))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds per role (each process as last sampled) and ``tree``, their sum."""
        out: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            out[role] = out.get(role, 0.0) + seconds
        return {role: round(s, 1) for role, s in sorted(out.items())} | {"tree": round(sum(out.values()), 1)}

    def report(self) -> dict[str, dict[str, float | int]]:
        """Per role: peak MiB of one process, peak MiB summed at one instant, processes seen,
        CPU seconds."""
        cpu = self.cpu_seconds()
        return {
            role: {
                "peak_mib": round(self.peak_single[role]),
                "peak_sum_mib": round(self.peak_sum.get(role, 0.0)),
                "processes": len(self.processes.get(role, ())),
                "cpu_s": cpu.get(role, 0.0),
            }
            for role in sorted(self.peak_single)
        } | {"tree": {"peak_mib": round(self.peak_total), "cpu_s": cpu["tree"]}}


def tree_rss_mib(root: int) -> float:
    """Resident memory of ``root`` and all its descendants now, MiB."""
    return sum(_rss_mib(pid) for pid in _descendants(root))


def descendants(root: int) -> list[int]:
    """``root`` and every process under it (at this instant)."""
    return _descendants(root)
