"""This tree vs a baseline tree in one benchmark run: the baseline's code through ``PYTHONPATH``.

Both trees run with this tree's venv (the dependencies are the same), each ``jixiao`` command a
fresh interpreter with ``cwd`` and ``PYTHONPATH`` at its tree, so the baseline runs its own code,
bundled data included. ``baseline_tree`` gives a temporary ``git worktree`` at a commit when no
tree is named. Used by bench_cli.py and bench_build.py.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE_REV = "ec1f130"  # the issue-12 baseline: the tree when the issue was filed


@dataclass(frozen=True)
class Run:
    """One ``jixiao`` command: wall and CPU seconds (user + system, its child processes included)."""

    wall: float
    cpu: float
    stdout: str


def short_rev(tree: Path) -> str:
    """The abbreviated commit ``tree`` has checked out."""
    return subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()


@contextmanager
def baseline_tree(tree: Path | None, rev: str = BASELINE_REV) -> Iterator[Path]:
    """``tree`` itself, or a temporary worktree of this repository at ``rev`` (removed afterwards)."""
    if tree is not None:
        yield Path(tree)
        return
    with tempfile.TemporaryDirectory(prefix="bench-base-") as tmp:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", tmp, rev], check=True)
        try:
            yield Path(tmp)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", tmp], check=False)


def run_jixiao(tree: Path, argv: list[str], env: Mapping[str, str], timeout: float = 300) -> Run:
    """Run ``jixiao argv`` with ``tree``'s code; ``SystemExit`` with its stderr if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", *argv],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: jixiao {' '.join(argv)} failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, proc.stdout)
