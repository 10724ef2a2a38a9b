"""What every benchmark shares: how busy the machine was, in words for the results files,
the results file's command and machine lines, writing it, and the seed corpus the
classifier benchmarks train on."""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.settings import Settings
    from indexer.corpus import Corpus

# A single-threaded benchmark alone keeps the 1-minute load average near 1.
QUIET_LOAD = 1.6
LOCKED_PYTHON = "JIXIAO_BENCH_LOCKED=1 flock /work/brief/bench.lock .venv/bin/python"
"""How a reported benchmark is run: at normal priority, holding the bench lock (the marker is set
before flock, so the watchdog does not renice the waiting flock)."""
REPO_ROOT = Path(__file__).resolve().parent.parent


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


def locked_command_line(script_args: str) -> str:
    """The results file's ``Command:`` line for ``bench/<script_args>`` run under the bench lock,
    marked when this run was not (no ``JIXIAO_BENCH_LOCKED=1`` in the environment)."""
    locked = os.environ.get("JIXIAO_BENCH_LOCKED") == "1"
    return f"Command: `{LOCKED_PYTHON} bench/{script_args}`" + (
        "" if locked else " (**not under the bench lock**)"
    )


def machine_line(before: float, after: float, detail: str = "") -> str:
    """The results file's ``Machine:`` line: cores, Python, ``detail`` (e.g. ``", one thread"``)
    and the load during the run."""
    return (
        f"Machine: {os.cpu_count()} cores, no GPU, Python {platform.python_version()}{detail}. "
        f"{load_note(before, after)}"
    )


def write_report(path: Path, lines: Sequence[str]) -> None:
    """Write a results file (the lines and a final newline) and print it."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def seed_training_setup(models_dir: Path, prefix: str) -> tuple[Settings, Corpus, Path]:
    """Settings of the torch e5-small encoder in ``models_dir`` (built there unless up to date),
    the seed tables ingested into a fresh temporary store, and that store's folder (named by
    ``prefix``, free for the benchmark's own files)."""
    from api.settings import Settings
    from indexer.encoder.build import build_encoder
    from indexer.store import CorpusStore

    settings = Settings(
        models_dir=models_dir,
        data_dir=REPO_ROOT / "data" / "raw",
        encoder="e5-small",
        encoder_backend="torch",  # the torch encoder that build_encoder builds (no ONNX export needed)
    )
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    store = CorpusStore(workdir / "corpus.sqlite")
    store.ingest(sorted(Path(settings.data_dir).glob("*.txt")))
    build_encoder(settings.encoder_dir)
    return settings, store.load(), workdir
