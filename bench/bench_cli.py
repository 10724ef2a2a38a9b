"""CLI start-up of the commands that load the encoder: this tree vs a baseline tree, one run.

    JIXIAO_BENCH_LOCKED=1 flock /work/brief/bench.lock .venv/bin/python bench/bench_cli.py \\
        [--baseline TREE | --baseline-rev ec1f130] [--models-dir models]

Each command (``jixiao search``, ``jixiao classify``) is a fresh interpreter with the same
venv and the same built models dir, the code taken from ``PYTHONPATH``: this tree, then the
baseline tree (a ``git worktree`` at the commit before issue 12's start-up work), alternating,
``--repeat`` times each. The models dir must be built by this tree (``make build``: an index
with the stored BM25 matrix, the start-up tables in ``models/startup``, manifests with file
sizes and mtimes); the baseline ignores what it does not know and loads as it always did. Reports
median wall and CPU (user + system) seconds per command and the baseline / this ratio.
Writes bench/results/cli.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from machine import load_average, locked_command_line, machine_line, write_report
from trees import BASELINE_REV, REPO, baseline_tree, run_jixiao, short_rev

RESULTS = REPO / "bench" / "results" / "cli.md"
COMMANDS = {"search": ["search", "道路建设"], "classify": ["classify", "资金拨付及时率"]}
TARGET_S = 3.0


def run_once(tree: Path, models: Path, argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``jixiao`` command run with ``tree``'s code."""
    run = run_jixiao(tree, argv, {**os.environ, "JIXIAO_MODELS_DIR": str(models)})
    return run.wall, run.cpu


def main() -> None:
    """Time the CLI against a baseline tree (a temporary worktree unless ``--baseline``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", type=Path, help="tree of the baseline commit (default: a temporary worktree)"
    )
    parser.add_argument(
        "--baseline-rev", default=BASELINE_REV, help="commit of the temporary baseline worktree"
    )
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with baseline_tree(args.baseline, args.baseline_rev) as tree:
        measure(args, tree)


def measure(args: argparse.Namespace, baseline: Path) -> None:
    """Time both trees and write the results file."""
    args.baseline = baseline
    baseline_rev, this_rev = short_rev(args.baseline), short_rev(REPO)
    load_before = load_average()
    trees = {"this": REPO, "baseline": args.baseline}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name, argv in COMMANDS.items():
        for tree in trees:  # warm the page cache for both trees before timing
            run_once(trees[tree], args.models_dir, argv)
        for _ in range(args.repeat):
            for tree, path in trees.items():
                times.setdefault((name, tree), []).append(run_once(path, args.models_dir, argv))
        print(name, {t: times[(name, t)] for t in trees}, flush=True)
    load_after = load_average()

    def med(name: str, tree: str, i: int) -> float:
        return statistics.median(x[i] for x in times[(name, tree)])

    lines = [
        "# CLI start-up",
        "",
        locked_command_line(f"bench_cli.py --baseline {args.baseline} --models-dir {args.models_dir}"),
        "",
        machine_line(load_before, load_after),
        "",
        f"This tree {this_rev} vs baseline {baseline_rev} (ONNX encoder, both), same venv and "
        f"models dir, fresh interpreter per command, alternating, median of {args.repeat} after one warm-up "
        "each. CPU = user + system seconds of the child.",
        "",
        "| command | this wall s | this CPU s | baseline wall s | baseline CPU s | CPU baseline / this |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, argv in COMMANDS.items():
        lines.append(
            f"| `jixiao {' '.join(argv)}` | {med(name, 'this', 0):.2f} | {med(name, 'this', 1):.2f} | "
            f"{med(name, 'baseline', 0):.2f} | {med(name, 'baseline', 1):.2f} | "
            f"{med(name, 'baseline', 1) / med(name, 'this', 1):.2f}× |"
        )
    worst = max(med(n, "this", 0) for n in COMMANDS)
    lines += [
        "",
        f"Target ≤ {TARGET_S:.0f} s wall: {'**met**' if worst <= TARGET_S else '**not met**'} "
        f"(slowest median {worst:.2f} s).",
    ]
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
