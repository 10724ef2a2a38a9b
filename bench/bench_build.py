"""`jixiao build` of the seed corpus from scratch: torch encoder (the build before issue 12) vs ONNX.

Each run is a fresh ``jixiao build`` subprocess into its own empty models dir
(``JIXIAO_ENCODER_BACKEND=torch``, then ``onnx``), back to back; the step table
the command prints gives the time of each step. Writes bench/results/build.md.

    nice -n 19 .venv/bin/python bench/bench_build.py
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import load_note

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "build.md"
STEP = re.compile(r"^(corpus|encoder|index|classifier)\s+(.+?)\s+([0-9.]+)s\s")


def run_build(backend: str, timeout: float) -> tuple[float, dict[str, float], str]:
    """Wall seconds, seconds per step and stdout of one build from scratch."""
    models = Path(tempfile.mkdtemp(prefix=f"bench-build-{backend}-", dir=REPO / "bench"))
    env = {**os.environ, "JIXIAO_MODELS_DIR": str(models), "JIXIAO_ENCODER_BACKEND": backend}
    env.pop("JIXIAO_ENCODER", None)
    try:
        start = time.perf_counter()
        proc = subprocess.run(
            [str(REPO / ".venv" / "bin" / "jixiao"), "build"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        wall = time.perf_counter() - start
    finally:
        shutil.rmtree(models, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"build ({backend}) failed:\n{proc.stderr[-3000:]}")
    steps = {m.group(1): float(m.group(3)) for m in map(STEP.match, proc.stdout.splitlines()) if m}
    return wall, steps, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per build")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    runs = {}
    for backend in ("torch", "onnx"):
        runs[backend] = run_build(backend, args.timeout)
        print(backend, runs[backend][0], runs[backend][1], flush=True)
    load_after = os.getloadavg()[0]
    (t_wall, t_steps, _), (o_wall, o_steps, o_out) = runs["torch"], runs["onnx"]
    names = ("corpus", "encoder", "index", "classifier")
    lines = [
        "# Build from scratch",
        "",
        "Command: `nice -n 19 .venv/bin/python bench/bench_build.py`",
        "",
        f"Machine: {os.cpu_count()} cores, no GPU, Python {platform.python_version()}. "
        f"{load_note(load_before, load_after)}",
        "",
        "Two `jixiao build` subprocesses of the 5 seed tables, each into an empty models dir, back to back: "
        "`JIXIAO_ENCODER_BACKEND=torch` (the pipeline as it was before the ONNX backend: torch embeds the "
        "index and the classifier's texts) and `onnx` (the default now: the encoder step also exports the "
        "int8 ONNX artifact, which then embeds everything). Seconds per step from the command's own table.",
        "",
        "| step | torch | onnx | torch / onnx |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| {n} | {t_steps.get(n, 0):.1f} | {o_steps.get(n, 0):.1f} | "
            f"{t_steps.get(n, 0) / max(o_steps.get(n, 0), 1e-9):.2f}× |"
            for n in names
        ],
        f"| **whole command (wall)** | {t_wall:.1f} | {o_wall:.1f} | **{t_wall / o_wall:.2f}×** |",
        "",
        f"Target (issue 12): build from scratch ≥ 2× faster — {t_wall / o_wall:.2f}× "
        f"({'met' if t_wall / o_wall >= 2 else 'NOT met'}).",
        "",
        "ONNX run's output:",
        "",
        "```",
        *o_out.strip().splitlines(),
        "```",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
