"""The batch commands' allocator setting: large freed blocks stay in the process for reuse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import sys
import numpy as np
from indexer.allocator import retain_freed_memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

retained = retain_freed_memory() if sys.argv[1] == "retain" else False
block = np.ones(50_000_000, dtype=np.float32)  # 200 MB, far over any mmap threshold
before = rss()
del block
print(retained, (before - rss()) / 2**20)
"""


def _freed_mib(mode: str) -> tuple[str, float]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    retained, freed = done.stdout.split()
    return retained, float(freed)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_blocks_stay_for_reuse_only_when_asked():
    retained, freed = _freed_mib("retain")
    assert retained == "True"
    assert freed < 20  # kept in the heap: the next large array reuses these pages
    default, freed_default = _freed_mib("default")
    assert default == "False"
    assert freed_default > 150  # glibc's default: unmapped at once
