"""Configuration: one ``Settings`` object, environment prefix ``JIXIAO_``, read at the edge only.

The core (``indexer``, ``classifier``) never sees it: the API and the CLI turn it
into the explicit values the core constructors take (paths, fusion parameters,
thresholds, thread counts). Defaults of tuned values come from the core, so
each number lives in one place.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifier.review.config import ReviewConfig
from indexer.encoder.onnx_export import ONNX_DIR_NAME
from indexer.search.fusion import DEFAULT_CANDIDATES, TUNED, Fusion
from indexer.startup import STARTUP_DIR_NAME

_REVIEW = ReviewConfig()


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
    # "auto": ONNX Runtime (int8 graph in models/encoder-onnx) when onnxruntime is
    # installed, else torch; "onnx" or "torch" forces one.
    encoder_backend: Literal["auto", "onnx", "torch"] = "auto"
    # The server encodes concurrent requests' query texts together. A query that
    # finds the encoder idle is encoded at once; queries queued behind a batch are
    # encoded together next, and only such a batch waits at most this long for
    # more mates. A batch holds at most this many texts.
    query_batch_wait_ms: float = 2.0
    query_batch_max: int = 32

    # Hybrid search: reciprocal rank fusion (``indexer.search.fusion.TUNED`` says
    # how the defaults were tuned).
    rrf_k: float = TUNED.k
    bm25_weight: float = TUNED.bm25_weight
    dense_weight: float = TUNED.dense_weight
    dense_margin: float | None = TUNED.dense_margin
    candidates: int = DEFAULT_CANDIDATES

    # Below this top-1 probability a tag "needs review". None: the threshold the
    # classifier tuned on its out-of-fold predictions when it was trained.
    review_threshold: float | None = None

    # Review and recommendation thresholds (``classifier.review.config.ReviewConfig``
    # documents each default and why).
    review_name_jaccard: float = _REVIEW.name_jaccard
    review_min_peers: int = _REVIEW.min_peers
    review_weak_gap: float = _REVIEW.weak_gap
    review_code_confidence: float = _REVIEW.code_confidence
    review_goal_chance: float = _REVIEW.goal_chance
    review_require_cost: bool | None = _REVIEW.require_cost
    review_max_projects: int = 200  # projects per POST /api/review

    host: str = "127.0.0.1"
    port: int = 8000
    ingest_token: SecretStr | None = None
    max_query_chars: int = 200
    max_batch: int = 1000
    max_upload_bytes: int = 5 * 1024 * 1024
    # How long an ingest waits for another writer of the corpus store (an upload holds the
    # write lock while it embeds) before it gives up with "store busy".
    store_busy_timeout_s: float = Field(default=30.0, gt=0)

    @property
    def db_path(self) -> Path:
        """SQLite corpus database."""
        return self.models_dir / "corpus.sqlite"

    @property
    def encoder_dir(self) -> Path:
        """Built sentence-transformers model folder."""
        return self.models_dir / "encoder"

    @property
    def onnx_encoder_dir(self) -> Path:
        """Built int8 ONNX encoder artifact (exported from ``encoder_dir``)."""
        return self.models_dir / ONNX_DIR_NAME

    @property
    def startup_dir(self) -> Path:
        """Start-up tables of the tokenizers (``indexer.startup``), for one-query commands."""
        return self.models_dir / STARTUP_DIR_NAME

    @property
    def index_dir(self) -> Path:
        """Search index artifact directory."""
        return self.models_dir / "index"

    @property
    def classifier_dir(self) -> Path:
        """Classifier artifact directory."""
        return self.models_dir / "classifier"

    @property
    def review_config(self) -> ReviewConfig:
        """The review thresholds these settings configure."""
        return ReviewConfig(
            name_jaccard=self.review_name_jaccard,
            min_peers=self.review_min_peers,
            weak_gap=self.review_weak_gap,
            code_confidence=self.review_code_confidence,
            goal_chance=self.review_goal_chance,
            require_cost=self.review_require_cost,
        )

    @property
    def fusion(self) -> Fusion:
        """The rank fusion these settings configure."""
        return Fusion(float(self.rrf_k), self.bm25_weight, self.dense_weight, self.dense_margin)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
