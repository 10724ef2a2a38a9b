"""The workload of ``bench_scale.py``: synthetic indicators reduced to distinct texts and
held-out queries, the encoder, and each distinct text's vector (cached across runs)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scale_memory import log
from synth import SyntheticCorpus, extract_fragments, indicator_text, load_seed_projects

from indexer.encoder.base import Encoder


@dataclass
class Workload:
    """The generated corpus reduced to what the benchmark needs."""

    n_indicators: int
    n_projects: int
    texts: list[str]  # distinct indicator texts
    row_text: np.ndarray  # int32, per indicator row: index into texts
    queries: list[str]  # held-out texts, none of them in texts
    generate_s: float


def make_workload(n: int, n_queries: int, seed: int, vocabulary: int | None) -> Workload:
    """Generate ``n`` indicators and ``n_queries`` held-out query texts."""
    started = time.perf_counter()
    fragments = extract_fragments(load_seed_projects())
    synth = SyntheticCorpus(fragments, n, seed=seed, vocabulary=vocabulary)
    text_id: dict[str, int] = {}
    row_text = np.empty(n, dtype=np.int32)
    n_projects = 0
    row = 0
    for project in synth:
        n_projects += 1
        for ind in project.indicators:
            row_text[row] = text_id.setdefault(indicator_text(ind), len(text_id))
            row += 1
    assert row == n, (row, n)
    # Held-out queries: fresh recombinations (another seed, every indicator recombined)
    # whose text never occurs in the indexed corpus.
    held_out = SyntheticCorpus(fragments, 50 * n_queries, seed=seed + 10_007, recombine=1.0)
    queries: dict[str, None] = {}
    for ind in held_out.indicators():
        text = indicator_text(ind)
        if text not in text_id:
            queries[text] = None
            if len(queries) == n_queries:
                break
    return Workload(n, n_projects, list(text_id), row_text, list(queries), time.perf_counter() - started)


def load_bench_encoder(kind: str) -> tuple[Encoder, float]:
    """The encoder to embed with, and its load time in seconds."""
    started = time.perf_counter()
    if kind == "fake":
        from indexer.encoder.fake import FakeEncoder

        encoder: Encoder = FakeEncoder(384)
    else:
        from indexer.encoder import load_encoder

        encoder = load_encoder("e5-small", Path("models") / "encoder")
    return encoder, time.perf_counter() - started


class EmbeddingCache:
    """Passage vectors of texts already embedded by this encoder, kept across runs.

    Append-only files in ``directory``: ``texts.txt`` (one text per line),
    ``vectors.f32`` (raw float32 rows, same order) and ``meta.json`` (encoder
    name and dim; a different encoder starts a new cache). A run cut short keeps
    every completed chunk.
    """

    def __init__(self, directory: Path, encoder: Encoder) -> None:
        self.directory = directory
        self.dim = encoder.dim
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"encoder": encoder.name, "dim": encoder.dim}
        meta_path = directory / "meta.json"
        if not meta_path.is_file() or json.loads(meta_path.read_text()) != meta:
            for name in ("texts.txt", "vectors.f32"):
                (directory / name).unlink(missing_ok=True)
            meta_path.write_text(json.dumps(meta))
        self._texts_path = directory / "texts.txt"
        self._vectors_path = directory / "vectors.f32"
        texts = (
            self._texts_path.read_text(encoding="utf-8").split("\n")[:-1]
            if self._texts_path.is_file()
            else []
        )
        raw = (
            np.fromfile(self._vectors_path, dtype=np.float32) if self._vectors_path.is_file() else np.zeros(0)
        )
        n = min(len(texts), len(raw) // self.dim)
        self.vectors = raw[: n * self.dim].reshape(n, self.dim)
        self.row_of = {text: i for i, text in enumerate(texts[:n])}
        # Rewrite if a crash left the two files out of step.
        if n != len(texts) or n * self.dim != len(raw):
            self._texts_path.write_text("".join(t + "\n" for t in texts[:n]), encoding="utf-8")
            self.vectors.tofile(self._vectors_path)

    def __len__(self) -> int:
        return len(self.row_of)

    def append(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store newly embedded texts (texts with a line break are not cached)."""
        keep = [i for i, t in enumerate(texts) if "\n" not in t and t not in self.row_of]
        if not keep:
            return
        with self._vectors_path.open("ab") as fh:
            np.ascontiguousarray(vectors[keep], dtype=np.float32).tofile(fh)
        with self._texts_path.open("a", encoding="utf-8") as fh:
            fh.write("".join(texts[i] + "\n" for i in keep))
        base = len(self.row_of)
        for j, i in enumerate(keep):
            self.row_of[texts[i]] = base + j
        self.vectors = np.concatenate([self.vectors, vectors[keep]])


@dataclass
class Embedding:
    """The distinct texts' vectors and how they were obtained."""

    vectors: np.ndarray
    n_new: int  # embedded in this run
    new_s: float  # seconds spent embedding them
    n_cached: int


def embed_unique(
    encoder: Encoder, texts: Sequence[str], cache: EmbeddingCache | None, chunk: int = 1024
) -> Embedding:
    """Passage vectors of ``texts`` (already distinct); cached texts are not re-embedded."""
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    missing: list[int] = []
    for i, text in enumerate(texts):
        row = cache.row_of.get(text) if cache is not None else None
        if row is None:
            missing.append(i)
        else:
            out[i] = cache.vectors[row]  # type: ignore[union-attr]
    log(f"{len(texts) - len(missing):,} distinct texts cached, {len(missing):,} to embed")
    started = time.perf_counter()
    for start in range(0, len(missing), chunk):
        rows = missing[start : start + chunk]
        batch = [texts[i] for i in rows]
        vectors = encoder.encode_passages(batch)
        out[rows] = vectors
        if cache is not None:
            cache.append(batch, vectors)
        done = start + len(rows)
        elapsed = time.perf_counter() - started
        log(f"embedded {done:,}/{len(missing):,} ({done / elapsed:.0f}/s)")
    return Embedding(out, len(missing), time.perf_counter() - started, len(texts) - len(missing))


def time_single_queries(encoder: Encoder, queries: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Query vectors, encoded one query per call, and each call's seconds."""
    encoder.encode_queries(queries[:3])  # warm-up
    vectors = np.empty((len(queries), encoder.dim), dtype=np.float32)
    seconds = np.empty(len(queries))
    for i, query in enumerate(queries):
        started = time.perf_counter()
        vectors[i] = encoder.encode_queries([query])[0]
        seconds[i] = time.perf_counter() - started
    return vectors, seconds
