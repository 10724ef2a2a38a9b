"""Memory and timing probes of the scale benchmarks (``bench_scale.py``, ``peers_scale.py``):
RSS now and at peak, a sampling probe around a build, freeing memory between builds."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


def log(message: str) -> None:
    """A timestamped progress line on stderr."""
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def max_rss_bytes() -> int:
    """Peak RSS of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class MemoryProbe:
    """RSS before a step, peak during it (sampled every 10 ms) and after it."""

    before: int = 0
    peak: int = 0
    after: int = 0


@contextlib.contextmanager
def probe_memory() -> Iterator[MemoryProbe]:
    """Measure the RSS before, during (peak) and after the ``with`` block."""
    # FAISS releases the GIL while building, so a sampling thread sees the peak.
    probe = MemoryProbe(before=rss_bytes())
    probe.peak = probe.before
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            probe.peak = max(probe.peak, rss_bytes())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield probe
    finally:
        stop.set()
        thread.join()
        probe.after = rss_bytes()
        probe.peak = max(probe.peak, probe.after)


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS, so RSS deltas mean something."""
    gc.collect()
    # Not glibc: nothing to trim, and RSS deltas are then upper bounds.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def percentile_ms(seconds: Sequence[float] | np.ndarray, q: float) -> float:
    """The ``q``-th percentile of durations in seconds, in milliseconds."""
    return float(np.percentile(np.asarray(seconds), q) * 1000.0)
