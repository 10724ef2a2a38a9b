"""Configuration: one ``Settings`` object, environment prefix ``JIXIAO_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every tunable of jixiao. Override with ``JIXIAO_<FIELD>`` env vars."""

    model_config = SettingsConfigDict(env_prefix="JIXIAO_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data/raw")
    models_dir: Path = Path("models")

    # "e5-small" is the real encoder built into models/encoder; "fake" is the
    # deterministic hashing encoder used by fast tests.
    encoder: str = "e5-small"
    encoder_batch_size: int = 64
    # torch intra-op threads of the server's encoder. One is best: the server's
    # parallelism comes from concurrent requests, and an OpenMP team per request
    # thread oversubscribes 2 cores (bench/results/load.md: uncached search p50
    # 25 ms with 1 thread vs 148 ms with 2).
    encoder_threads: int = 1

    # Hybrid search: reciprocal rank fusion constant and per-side weights, tuned
    # on eval/relevance.jsonl (bench/results/relevance.md): k=5 with BM25 at half
    # weight beats the textbook k=60/1:1 on the paraphrase queries.
    rrf_k: int = 5
    bm25_weight: float = 0.5
    dense_weight: float = 1.0
    # The dense side ranks only projects within this cosine margin of the best
    # (None: all). On eval/relevance.jsonl 0.05 keeps 99% of relevant projects'
    # dense matches and drops 60% of irrelevant ones (bench/results/relevance.md).
    dense_margin: float | None = 0.05
    candidates: int = 200

    review_threshold: float = 0.6  # below this top-1 probability: "needs review"

    host: str = "127.0.0.1"
    port: int = 8000
    ingest_token: SecretStr | None = None
    max_query_chars: int = 200
    max_batch: int = 1000
    max_upload_bytes: int = 5 * 1024 * 1024

    @property
    def db_path(self) -> Path:
        """SQLite corpus database."""
        return self.models_dir / "corpus.sqlite"

    @property
    def encoder_dir(self) -> Path:
        """Built sentence-transformers model folder."""
        return self.models_dir / "encoder"

    @property
    def index_dir(self) -> Path:
        """Search index artifact directory."""
        return self.models_dir / "index"

    @property
    def classifier_dir(self) -> Path:
        """Classifier artifact directory."""
        return self.models_dir / "classifier"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
