"""Batch tagging on Spark: ``jixiao classify --engine spark --input PARQUET --out PARQUET``.

Reads the indicators of a Parquet export (:mod:`indexer.parquet`; any Parquet
with ``name`` and optionally ``annual_value``, ``cycle_value``, ``level1`` columns
does) and writes every row back with the classifier's answer: code, label,
probability, needs-review flag and reason, top-3, or the validation error of an
unusable row. The tagging is a ``mapInPandas`` over Arrow batches; each executor
process loads the classifier and its encoder **once** (:func:`_model`, cached per
process — Spark reuses its Python workers) from ``model_dir`` / ``encoder_dir``,
which must be readable where the executors run (a shared filesystem on a cluster).

``audit=True`` keeps only the reviewer's worklists: coded indicators whose filed
code the model contradicts with probability ≥ ``min_probability``, and
level-1-only indicators with their tag. Unlike :func:`classifier.audit.audit`
these predictions are *not* out of fold: meant for corpora the model was not
trained on (another region's tables), where every prediction is held out anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from classifier import taxonomy
from classifier.dataset import clean_value
from classifier.model import IndicatorClassifier
from indexer.errors import ArtifactError, InvalidInputError

RESULT_SCHEMA = (
    "predicted_code string, predicted_label string, probability double, needs_review boolean, "
    "reason string, top3 array<struct<code:string,label:string,probability:double>>, error string"
)
_MODELS: dict[tuple[str, ...], IndicatorClassifier] = {}


@dataclass(frozen=True)
class ModelSpec:
    """Where an executor finds the classifier and its encoder (paths as the executors see them)."""

    model_dir: str
    encoder: str
    encoder_dir: str
    threshold: float | None = None
    batch_size: int = 64


def _model(spec: ModelSpec) -> IndicatorClassifier:
    """The classifier of ``spec``, loaded once per process."""
    key = (spec.model_dir, spec.encoder, spec.encoder_dir, str(spec.threshold))
    if key not in _MODELS:
        from indexer.encoder import load_encoder

        encoder = load_encoder(
            spec.encoder, Path(spec.encoder_dir), batch_size=spec.batch_size, num_threads=1
        )
        _MODELS[key] = IndicatorClassifier.load(Path(spec.model_dir), encoder, threshold=spec.threshold)
    return _MODELS[key]


def _column(batch: pd.DataFrame, name: str) -> list[Any]:
    return list(batch[name]) if name in batch.columns else [None] * len(batch)


def tag_batch(batch: pd.DataFrame, model: IndicatorClassifier) -> pd.DataFrame:
    """The result columns (:data:`RESULT_SCHEMA`) for one batch of indicator rows."""
    values = [
        clean_value(a) or clean_value(c)
        for a, c in zip(_column(batch, "annual_value"), _column(batch, "cycle_value"), strict=True)
    ]
    rows: list[dict[str, Any]] = [{} for _ in range(len(batch))]
    valid: list[int] = []
    items: list[tuple[str, str | None, str | None]] = []
    for i, (name, value, level1) in enumerate(
        zip(batch["name"], values, _column(batch, "level1"), strict=True)
    ):
        try:
            items.append(model.validate(name, value, level1))
            valid.append(i)
        except InvalidInputError as exc:
            rows[i] = {"error": str(exc)}
    for i, pred in zip(valid, model.predict_many(items), strict=True):
        rows[i] = {
            "predicted_code": pred.code,
            "predicted_label": pred.label,
            "probability": float(pred.probability),
            "needs_review": pred.needs_review,
            "reason": pred.reason,
            "top3": [{"code": c, "label": lab, "probability": float(p)} for c, lab, p in pred.top3],
        }
    columns = ["predicted_code", "predicted_label", "probability", "needs_review", "reason", "top3", "error"]
    return pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=columns)


def _input(spark: SparkSession, source: Path) -> DataFrame:
    path = source / "indicators" if (source / "indicators").is_dir() else source
    try:
        frame = spark.read.parquet(str(path))
    except Exception as exc:  # Spark raises its own AnalysisException for a missing or bad path
        raise InvalidInputError(f"cannot read Parquet from {path}: {exc}") from exc
    if "name" not in frame.columns:
        raise InvalidInputError(f"{path}: no `name` column (columns: {', '.join(frame.columns)})")
    return frame


def classify_parquet(
    spark: SparkSession,
    source: Path,
    out: Path,
    spec: ModelSpec,
    *,
    audit: bool = False,
    min_probability: float = 0.8,
) -> dict[str, int]:
    """Tag every indicator of ``source`` and write the rows with their tags to ``out``
    (partitioned by district when it has one); with ``audit``, only the two worklists. Returns counts."""
    if out.exists():
        raise InvalidInputError(f"{out} already exists: give a new folder")
    if not (Path(spec.model_dir) / "manifest.json").is_file():
        raise ArtifactError(f"no classifier at {spec.model_dir} (build it with `jixiao build`)")
    frame = _input(spark, source)
    _model(spec)  # a broken model fails here, on the driver, with its own message
    result_schema = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in frame.schema.fields)
    schema = f"{result_schema}, {RESULT_SCHEMA}"

    def tag(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        model = _model(spec)
        for batch in batches:
            tags = tag_batch(batch, model)
            yield pd.concat([batch.reset_index(drop=True), tags], axis=1)

    tagged = frame.mapInPandas(tag, schema=schema)
    if audit:
        tagged = _worklists(tagged, min_probability)
    # by district only: a null year would make a __HIVE_DEFAULT_PARTITION__ pandas cannot read
    partitions = [c for c in ("district",) if c in frame.columns]
    tagged.write.partitionBy(*partitions).parquet(str(out))
    written = spark.read.parquet(str(out))
    counts = written.agg(
        F.count("*").alias("rows"),
        F.sum(F.col("needs_review").cast("int")).alias("needs_review"),
        F.sum(F.col("error").isNotNull().cast("int")).alias("errors"),
    ).first()
    return {k: int(counts[k] or 0) for k in ("rows", "needs_review", "errors")}


def _worklists(tagged: DataFrame, min_probability: float) -> DataFrame:
    if "level2_code" not in tagged.columns:
        raise InvalidInputError("an audit needs the filed `level2_code` column (a `jixiao export` has it)")
    same = F.udf(lambda a, b: a is not None and b is not None and taxonomy.same_concept(a, b), "boolean")
    contradicted = (
        F.col("level2_code").isNotNull()
        & (F.col("probability") >= min_probability)
        & ~same("predicted_code", "level2_code")
    )
    level1_only = F.col("level2_code").isNull()  # level-1 only, or no category printed (as audit.py)
    worklist = F.when(contradicted, F.lit("contradiction")).when(level1_only, F.lit("level1_only"))
    return tagged.withColumn("worklist", worklist).where(F.col("worklist").isNotNull())
