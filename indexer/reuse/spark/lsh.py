"""Near-duplicate keys on Spark: MinHash signatures, banding, candidate pairs, verification.

The same steps as :func:`indexer.reuse.neardup.near_duplicate_edges`, distributed:

1. **keys** — distinct normalised keys, numbered in order of first appearance in
   the corpus (so "the first members of a bucket" means what it means locally);
2. **signatures** — ``datasketch`` MinHash of each key's shingles in a pandas UDF
   (:func:`~indexer.reuse.neardup.signatures`, same permutations and seed: the
   signatures, hence the buckets, are the local engine's);
3. **banding** — the signature cut into the ``(bands, rows)`` ``MinHashLSH`` picks,
   exploded to one row per (band, band values, key) with Spark column
   expressions; keys sharing a band's values form a bucket;
4. **candidates** — every pair of a bucket of at most ``max_bucket_all_pairs``
   keys; in a larger bucket each key is paired with the bucket's first
   ``max_representatives`` keys only (linear, not quadratic; a huge bucket is a
   skewed join that adaptive execution splits, never one task's quadratic loop);
5. **verification in rounds** — pairs are verified by the local engine's rule
   (:mod:`indexer.reuse.rules`, shipped to the executors) in three rounds by the
   rank of their first key in its bucket (1; 2–5; 6 and beyond). After each round
   the verified edges are joined into components, and a later pair whose keys are
   already in one component is not verified — as the local engine skips pairs it
   has already joined.

Where the local engine differs: in a bucket over ``max_bucket_all_pairs`` it
promotes a key to representative when it joins none of the current ones (up to
``max_representatives``), sequentially; here the representatives are the
bucket's first keys. Both only ever join verified pairs, so they can only differ
by a pair one of them misses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from indexer.reuse.neardup import lsh_bands, signatures
from indexer.reuse.records import ReuseParams
from indexer.reuse.rules import KindRule
from indexer.reuse.spark.graph import connected_components

ROUND_RANKS: tuple[tuple[int, int], ...] = ((1, 1), (2, 5), (6, 1 << 30))


@dataclass
class LshStats:
    """What the job did for one kind of text (for tests and the benchmark)."""

    n_keys: int = 0
    n_bucket_rows: int = 0
    largest_bucket: int = 0
    pairs_per_round: list[int] = field(default_factory=list)
    verified_per_round: list[int] = field(default_factory=list)
    component_rounds: list[int] = field(default_factory=list)


def number_keys(items: DataFrame) -> DataFrame:
    """``(key, key_id)``: distinct keys of ``items`` (``key``, ``corpus_order``, ``ordinal``)
    with ids increasing in order of first appearance."""
    first = items.groupBy("key").agg(
        F.min(F.struct("corpus_order", F.coalesce("ordinal", F.lit(0)).alias("o"))).alias("first")
    )
    ordered = first.orderBy("first")
    # monotonically_increasing_id follows the sorted partitions: unique and order-preserving
    return ordered.select("key", F.monotonically_increasing_id().alias("key_id")).localCheckpoint()


def signature_rows(keys: DataFrame, rule: KindRule, params: ReuseParams) -> DataFrame:
    """``(key_id, sig)``: the first ``bands × rows`` MinHash values of every key's shingles."""
    bands, rows = lsh_bands(params.lsh_threshold, params.num_perm)
    width, num_perm, seed = bands * rows, params.num_perm, params.seed

    @F.pandas_udf(T.ArrayType(T.LongType()))
    def minhash(batch: pd.Series) -> pd.Series:
        if batch.empty:
            return pd.Series([], dtype=object)
        sig = signatures([rule.shingles(k) for k in batch], num_perm, seed)[:, :width].astype(np.int64)
        return pd.Series(list(sig))

    return keys.select("key_id", minhash("key").alias("sig"))


def bucket_rows(sigs: DataFrame, params: ReuseParams) -> DataFrame:
    """``(band, values, key_id, rank, size)`` for every key in a bucket of at least two."""
    bands, rows = lsh_bands(params.lsh_threshold, params.num_perm)
    cut = F.transform(F.sequence(F.lit(0), F.lit(bands - 1)), lambda b: F.slice("sig", b * rows + 1, rows))
    exploded = sigs.select("key_id", F.posexplode(cut).alias("band", "values"))
    bucket = Window.partitionBy("band", "values")
    return (
        exploded.withColumn("size", F.count("*").over(bucket))
        .where(F.col("size") >= 2)
        .withColumn("rank", F.row_number().over(bucket.orderBy("key_id")))
    )


def _round_of(rank: F.Column) -> F.Column:
    out = F.lit(len(ROUND_RANKS))
    for n, (_, high) in reversed(list(enumerate(ROUND_RANKS[:-1], 1))):
        out = F.when(rank <= high, F.lit(n)).otherwise(out)
    return out


def candidate_pairs(buckets: DataFrame, params: ReuseParams) -> DataFrame:
    """``(a, b, round)``, ``a < b``: distinct candidate pairs, each in the earliest round it has."""
    small = buckets.where(F.col("size") <= params.max_bucket_all_pairs)
    x, y = small.alias("x"), small.alias("y")
    all_pairs = x.join(
        y, (F.col("x.band") == F.col("y.band")) & (F.col("x.values") == F.col("y.values"))
    ).where(F.col("x.rank") < F.col("y.rank"))
    all_pairs = all_pairs.select(
        F.col("x.key_id").alias("a"), F.col("y.key_id").alias("b"), _round_of(F.col("x.rank")).alias("round")
    )
    large = buckets.where(F.col("size") > params.max_bucket_all_pairs)
    reps = large.where(F.col("rank") <= params.max_representatives).alias("r")
    members = large.alias("m")
    rep_pairs = members.join(
        reps, (F.col("m.band") == F.col("r.band")) & (F.col("m.values") == F.col("r.values"))
    ).where(F.col("r.rank") < F.col("m.rank"))
    rep_pairs = rep_pairs.select(
        F.col("r.key_id").alias("a"), F.col("m.key_id").alias("b"), _round_of(F.col("r.rank")).alias("round")
    )
    return all_pairs.unionByName(rep_pairs).groupBy("a", "b").agg(F.min("round").alias("round"))


def verify_pairs(pairs: DataFrame, keys: DataFrame, rule: KindRule) -> DataFrame:
    """``(a, b, similarity)`` of the pairs ``rule.verify`` accepts (exact shingle sets)."""

    @F.pandas_udf(T.DoubleType())
    def verify(left: pd.Series, right: pd.Series) -> pd.Series:
        cache: dict[str, frozenset[str]] = {}

        def sets(key: str) -> frozenset[str]:
            found = cache.get(key)
            if found is None:
                found = cache[key] = rule.shingles(key)
            return found

        sims = [rule.verify(sets(x), sets(y)) for x, y in zip(left, right, strict=True)]
        return pd.Series([np.nan if s is None else s for s in sims], dtype="float64")

    ka = keys.select(F.col("key_id").alias("a"), F.col("key").alias("key_a"))
    kb = keys.select(F.col("key_id").alias("b"), F.col("key").alias("key_b"))
    checked = pairs.join(ka, "a").join(kb, "b").select("a", "b", verify("key_a", "key_b").alias("similarity"))
    return checked.where(F.col("similarity").isNotNull() & ~F.isnan("similarity"))


def _not_yet_joined(pairs: DataFrame, labels: DataFrame) -> DataFrame:
    la = labels.select(F.col("node").alias("a"), F.col("label").alias("la"))
    lb = labels.select(F.col("node").alias("b"), F.col("label").alias("lb"))
    joined = pairs.join(la, "a", "left").join(lb, "b", "left")
    return joined.where(F.coalesce("la", "a") != F.coalesce("lb", "b")).select("a", "b")


def key_labels(items: DataFrame, rule: KindRule, params: ReuseParams) -> tuple[DataFrame, LshStats]:
    """``(key, label)`` for every distinct key of ``items``: keys with one label are one cluster."""
    stats = LshStats()
    spark = items.sparkSession
    phase = _phases(spark)
    phase("keys")
    keys = number_keys(items)
    stats.n_keys = keys.count()
    labels = spark.createDataFrame([], "node long, label long")
    if stats.n_keys >= 2:
        phase("signatures and buckets")
        buckets = bucket_rows(signature_rows(keys, rule, params), params).localCheckpoint()
        summary = buckets.agg(F.count("*").alias("rows"), F.max("size").alias("largest")).first()
        stats.n_bucket_rows, stats.largest_bucket = int(summary["rows"]), int(summary["largest"] or 0)
        phase("candidates")
        candidates = candidate_pairs(buckets, params).localCheckpoint()
        labels = _verified_components(candidates, keys, rule, labels, stats, phase)
    phase(None)
    keyed = keys.join(labels, keys.key_id == labels.node, "left")
    return keyed.select("key", F.coalesce("label", "key_id").alias("label")), stats


def _phases(spark: SparkSession) -> Callable[[str | None], None]:
    """Names the jobs of each phase ``<step>: <phase>`` in the Spark UI and event log; ``None``
    restores the step's own description."""
    context = spark.sparkContext
    step = context.getLocalProperty("spark.job.description")

    def phase(name: str | None) -> None:
        described = step if name is None else f"{step or 'lsh'}: {name}"
        context.setLocalProperty("spark.job.description", described)  # type: ignore[arg-type]

    return phase


def _verified_components(
    candidates: DataFrame,
    keys: DataFrame,
    rule: KindRule,
    labels: DataFrame,
    stats: LshStats,
    phase: Callable[[str | None], None],
) -> DataFrame:
    """Verify the candidates round by round, joining the verified pairs into components."""
    for n in range(1, len(ROUND_RANKS) + 1):
        phase(f"verify round {n}")
        pairs = candidates.where(F.col("round") == n).select("a", "b")
        if n > 1:
            pairs = _not_yet_joined(pairs, labels)
        pairs = pairs.localCheckpoint()
        stats.pairs_per_round.append(pairs.count())
        verified = None
        if stats.pairs_per_round[-1]:
            verified = verify_pairs(pairs, keys, rule).select("a", "b").localCheckpoint()
        stats.verified_per_round.append(0 if verified is None else verified.count())
        if verified is None or not stats.verified_per_round[-1]:
            stats.component_rounds.append(0)
            continue
        # the components so far as star edges, plus the new ones
        stars = labels.where(F.col("node") != F.col("label")).select(
            F.col("label").alias("a"), F.col("node").alias("b")
        )
        phase(f"components round {n}")
        labels, rounds = connected_components(stars.unionByName(verified))
        labels = labels.localCheckpoint()
        stats.component_rounds.append(rounds)
    return labels
