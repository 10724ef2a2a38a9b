"""Single-indicator classification latency of the shipped classifier: the few-text feature
path vs sklearn's transform (the path before issue 12), same model, same process.

    JIXIAO_BENCH_LOCKED=1 flock /work/brief/bench.lock .venv/bin/python \\
        bench/bench_classify_single.py --models-dir /work/main/models

Loads the built classifier (``jixiao build``) with the configured encoder (lazy: the shipped
model does not embed), then times ``predict(name, value)`` on ``--n`` distinct (name, value)
pairs of the stored corpus and the library, each first time seen, alternating the two paths
per name so both see the same load. Writes bench/results/classify_single.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from machine import load_average, locked_command_line, machine_line, write_report  # noqa: E402

import classifier.core  # noqa: E402
from api.loaders import load_corpus, open_classifier, open_encoder  # noqa: E402
from api.settings import Settings  # noqa: E402
from classifier.library import load_library  # noqa: E402

TARGET_P99_MS = 10.0


def main() -> None:
    """Time one-indicator predictions on both feature paths, alternating, and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=BENCH_DIR.parent / "models")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "classify_single.md")
    args = parser.parse_args()
    settings = Settings(models_dir=args.models_dir)
    corpus = load_corpus(settings)
    model = open_classifier(settings, open_encoder(settings, lazy=True))
    pairs = [(i.name, i.annual_value) for i in corpus.indicators()]
    pairs += [(e.name, e.printed_value) for e in load_library()]
    pairs = list(dict.fromkeys(pairs))[: args.n]
    fast_max = classifier.core.FAST_ROWS_MAX
    model.predict("预热")
    load_before = load_average()
    times: dict[str, list[float]] = {"fast": [], "sklearn": []}
    same = 0
    for name, value in pairs:
        got = {}
        for path, limit in (("fast", fast_max), ("sklearn", 0)):
            classifier.core.FAST_ROWS_MAX = limit
            start = time.perf_counter()
            got[path] = model.predict(name, value)
            times[path].append((time.perf_counter() - start) * 1000)
        same += (
            got["fast"].code == got["sklearn"].code
            and abs(got["fast"].probability - got["sklearn"].probability) < 1e-6
        )
    classifier.core.FAST_ROWS_MAX = fast_max
    load_after = load_average()
    stats = {p: (float(np.percentile(t, 50)), float(np.percentile(t, 99))) for p, t in times.items()}
    (f50, f99), (s50, s99) = stats["fast"], stats["sklearn"]
    lines = [
        "# Single classification latency",
        "",
        locked_command_line(f"bench_classify_single.py --models-dir {args.models_dir}"),
        "",
        machine_line(load_before, load_after, ", one thread"),
        "",
        f"Shipped classifier (`{model.info.get('encoder', '?')}` artifact, no embeddings at prediction "
        f"time); `predict(name, value)` on {len(pairs)} distinct pairs of the corpus and the library, "
        "the two feature paths alternating per pair in one process.",
        "",
        "| path | p50 ms | p99 ms |",
        "| --- | ---: | ---: |",
        f"| few-text rows (`FeatureBuilder.rows`, shipped) | {f50:.2f} | {f99:.2f} |",
        f"| sklearn `transform` (before issue 12) | {s50:.2f} | {s99:.2f} |",
        f"| ratio sklearn / rows | {s50 / f50:.1f}× | {s99 / f99:.1f}× |",
        "",
        f"Same code and probability (±1e-6) on {same} of {len(pairs)} pairs. "
        f"Target p99 ≤ {TARGET_P99_MS:.0f} ms: **{'met' if f99 <= TARGET_P99_MS else 'not met'}** "
        f"({f99:.2f} ms).",
    ]
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
