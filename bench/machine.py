"""How busy the machine was during a benchmark, in words for the results files."""

from __future__ import annotations

import os

# A single-threaded benchmark alone keeps the 1-minute load average near 1.
QUIET_LOAD = 1.6


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def load_note(before: float, after: float | None = None) -> str:
    """A sentence saying whether other work shared the cores while measuring."""
    after = load_average() if after is None else after
    cores = os.cpu_count() or 1
    seen = f"1-minute load average {before:.1f} at start, {after:.1f} at end on {cores} cores"
    if max(before, after) <= QUIET_LOAD:
        return f"{seen}: nothing else was running, absolute times are representative."
    return (
        f"{seen}: other jobs shared the cores, so absolute times are noisy; ratios are same-process, "
        "back to back."
    )
