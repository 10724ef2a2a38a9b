"""Near-duplicate keys on Spark: MinHash signatures, banding, candidate pairs, verification.

The same steps as :func:`indexer.reuse.neardup.near_duplicate_edges`, distributed:

1. **keys** — distinct normalised keys, numbered in order of first appearance in
   the corpus (so "the first members of a bucket" means what it means locally);
2. **signatures** — ``datasketch`` MinHash of each key's shingles in a pandas UDF
   (:func:`~indexer.reuse.neardup.signatures`, same permutations and seed: the
   signatures, hence the buckets, are the local engine's);
3. **banding** — the signature cut into the ``(bands, rows)`` ``MinHashLSH`` picks,
   exploded to one row per (band, band values, key) with Spark column
   expressions; keys sharing a band's values form a bucket, its size counted by an
   aggregation; a bucket of more than ``SPLIT`` keys is spread over sub-buckets by
   a hash of the key, so that no task holds a whole huge bucket (the synthetic
   goals' giant cluster makes buckets of thousands of keys);
4. **representatives** — every key of a bucket of at most ``max_bucket_all_pairs``
   keys, the first ``max_representatives`` keys of a larger one (linear, not
   quadratic; the kind's :class:`~indexer.reuse.neardup.Banding`: sets take the first
   key only, star edges), ranked in their bucket: first within each sub-bucket, then among
   those firsts;
5. **verification in rounds** — by the rank of the representative (1, first only each
   key's smallest, then the rest; 2–5; 6 and beyond), each representative is paired
   with every later key of its bucket (copied to each sub-bucket and joined there),
   and the pairs verified by the local engine's rule (:mod:`indexer.reuse.rules`,
   shipped to the executors). After each round the verified edges are joined into components; a later
   round's pairs leave out, inside the join, those whose keys are already in one
   component — as the local engine skips pairs it has already joined — and those
   refused before, so each pair is verified at most once. Pairs are made round by
   round, never all at once: most of a huge bucket's later-round pairs are already
   joined and never leave their task.

Where the local engine differs: in a bucket over ``max_bucket_all_pairs`` it
promotes a key to representative when it joins none of the current ones (up to
``max_representatives``), sequentially; here the representatives are the
bucket's first keys. Both only ever join verified pairs, so they can only differ
by a pair one of them misses. How buckets are split (``SPLIT``) changes no pair, and
the order of the rounds changes no cluster: the clusters are the components of the
candidate pairs the rule accepts, and a pair is only ever skipped when its keys are
already connected (or it was refused before).
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

from indexer.reuse.neardup import Banding, lsh_bands, signatures
from indexer.reuse.records import ReuseParams
from indexer.reuse.rules import KindRule
from indexer.reuse.spark.graph import connected_components

ROUND_RANKS: tuple[tuple[int, int], ...] = ((1, 1), (2, 5), (6, 1 << 30))
SPLIT = 2048  # keys of a bucket one task sees at most (rows of a sub-bucket)


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
    bands, rows = lsh_bands(rule.banding.threshold, params.num_perm)
    width, num_perm, seed = bands * rows, params.num_perm, params.seed

    @F.pandas_udf(T.ArrayType(T.LongType()))
    def minhash(batch: pd.Series) -> pd.Series:
        if batch.empty:
            return pd.Series([], dtype=object)
        sig = signatures([rule.shingles(k) for k in batch], num_perm, seed)[:, :width].astype(np.int64)
        return pd.Series(list(sig))

    return keys.select("key_id", minhash("key").alias("sig"))


def bucket_rows(sigs: DataFrame, bands_rows: tuple[int, int], split: int = SPLIT) -> DataFrame:
    """``(band, values, key_id, size, sub)`` for every key in a bucket of at least two, the
    signatures ``sigs`` cut into ``bands_rows`` (:func:`~indexer.reuse.neardup.lsh_bands`).

    A bucket is the keys sharing one band's values; ``sub`` (``0 ≤ sub < ceil(size / split)``,
    from a hash of the key) spreads a bucket of more than ``split`` keys over sub-buckets, so
    that no later join or window holds a whole huge bucket in one task. The sizes come from
    an aggregation (combined per partition before the shuffle), never from a window.
    """
    bands, rows = bands_rows
    cut = F.transform(F.sequence(F.lit(0), F.lit(bands - 1)), lambda b: F.slice("sig", b * rows + 1, rows))
    exploded = sigs.select("key_id", F.posexplode(cut).alias("band", "values"))
    sizes = exploded.groupBy("band", "values").agg(F.count("*").alias("size")).where(F.col("size") >= 2)
    return exploded.join(sizes, ["band", "values"]).withColumn(
        "sub", F.pmod(F.xxhash64("key_id"), F.ceil(F.col("size") / split)).cast("int")
    )


def _n_subs(size: F.Column, split: int) -> F.Column:
    return F.ceil(size / split).cast("int")


def representatives(buckets: DataFrame, banding: Banding, split: int = SPLIT) -> DataFrame:
    """``(band, values, key_id, rank, size)``: the keys a bucket's others are compared with —
    every key of a bucket of at most ``max_bucket_all_pairs``, the first
    ``max_representatives`` (by key id) of a larger one — with their rank in the bucket.

    In two steps, neither of which sees a whole huge bucket: the first keys of each
    sub-bucket, then the first of those (a bucket's first ``n`` keys are among the first
    ``n`` of their sub-buckets).
    """
    limit = F.when(F.col("size") <= banding.max_bucket_all_pairs, F.col("size")).otherwise(
        F.lit(banding.max_representatives)
    )
    in_sub = Window.partitionBy("band", "values", "sub").orderBy("key_id")
    firsts = buckets.withColumn("r", F.row_number().over(in_sub)).where(F.col("r") <= limit)
    in_bucket = Window.partitionBy("band", "values").orderBy("key_id")
    ranked = firsts.withColumn("rank", F.row_number().over(in_bucket)).where(F.col("rank") <= limit)
    return ranked.select("band", "values", "key_id", "rank", "size")


def _labelled(rows: DataFrame, labels: DataFrame | None, column: str) -> DataFrame:
    """``rows`` with ``column``: the key's component label so far (itself when in none)."""
    if labels is None:
        return rows.withColumn(column, F.col("key_id"))
    own = labels.select(F.col("node").alias("key_id"), F.col("label").alias(column))
    return rows.join(own, "key_id", "left").withColumn(column, F.coalesce(column, "key_id"))


def round_pairs(
    buckets: DataFrame,
    reps: DataFrame,
    ranks: tuple[int, int],
    labels: DataFrame | None = None,
    split: int = SPLIT,
) -> DataFrame:
    """``(a, b)``, ``a < b``, distinct: each representative ranked within ``ranks`` paired with
    every later key of its bucket, leaving out pairs ``labels`` (``node``, ``label``) already
    puts in one component.

    The representatives are copied to every sub-bucket of their bucket and joined on
    ``(band, values, sub)``, so a huge bucket's pairs are made by many tasks; the
    already-joined filter is part of the join, so those pairs are never shuffled.
    """
    low, high = ranks
    chosen = reps.where(F.col("rank").between(low, high))
    chosen = chosen.withColumn("sub", F.explode(F.sequence(F.lit(0), _n_subs(F.col("size"), split) - 1)))
    x = _labelled(chosen.select("band", "values", "sub", "key_id"), labels, "la").alias("x")
    y = _labelled(buckets.select("band", "values", "sub", "key_id"), labels, "lb").alias("y")
    same_bucket = [F.col(f"x.{c}") == F.col(f"y.{c}") for c in ("band", "values", "sub")]
    joined = x.join(
        y,
        same_bucket[0]
        & same_bucket[1]
        & same_bucket[2]
        & (F.col("x.key_id") < F.col("y.key_id"))
        & (F.col("x.la") != F.col("y.lb")),
    )
    return joined.select(F.col("x.key_id").alias("a"), F.col("y.key_id").alias("b")).distinct()


def verify_pairs(pairs: DataFrame, keys: DataFrame, rule: KindRule) -> DataFrame:
    """``(a, b, similarity)`` of every pair, ``similarity`` null where ``rule.verify`` (exact
    shingle sets) refuses it."""

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
    return checked.withColumn("similarity", F.nanvl("similarity", F.lit(None)))


def key_labels(
    items: DataFrame, rule: KindRule, params: ReuseParams, split: int = SPLIT
) -> tuple[DataFrame, LshStats]:
    """``(key, label)`` for every distinct key of ``items``: keys with one label are one cluster.

    ``split``: the bucket size above which a bucket is spread over sub-buckets (the result
    does not depend on it, only which task does what)."""
    stats = LshStats()
    spark = items.sparkSession
    phase = _phases(spark)
    phase("keys")
    keys = number_keys(items)
    stats.n_keys = keys.count()
    labels = spark.createDataFrame([], "node long, label long")
    if stats.n_keys >= 2:
        phase("signatures and buckets")
        sigs = signature_rows(keys, rule, params)
        bands_rows = lsh_bands(rule.banding.threshold, params.num_perm)
        buckets = bucket_rows(sigs, bands_rows, split).localCheckpoint()
        summary = buckets.agg(F.count("*").alias("rows"), F.max("size").alias("largest")).first()
        stats.n_bucket_rows, stats.largest_bucket = int(summary["rows"]), int(summary["largest"] or 0)
        phase("representatives")
        reps = representatives(buckets, rule.banding, split).localCheckpoint()
        labels = _verified_components(buckets, reps, keys, rule, stats, phase, split)
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
    buckets: DataFrame,
    reps: DataFrame,
    keys: DataFrame,
    rule: KindRule,
    stats: LshStats,
    phase: Callable[[str | None], None],
    split: int,
) -> DataFrame:
    """Verify the candidates round by round, joining the verified pairs into components.

    The first round takes, of the pairs with a bucket's first key, only each key's pair
    with the smallest such key (in a giant cluster that joins almost everything with about
    one verification a key, where all first-key pairs are one per band); the second the
    rest of them. A round's pairs leave out those already in one component and those
    refused in an earlier round (another band may rank the same pair later): each pair is
    verified at most once.
    """
    spark = keys.sparkSession
    labels: DataFrame | None = None
    refused: DataFrame | None = None
    rounds = [(ROUND_RANKS[0], True), *((ranks, False) for ranks in ROUND_RANKS)]
    for n, (ranks, smallest_only) in enumerate(rounds, 1):
        phase(f"candidates round {n}")
        pairs = round_pairs(buckets, reps, ranks, labels, split)
        if smallest_only:  # each key with its smallest first representative: about one pair a key
            pairs = pairs.groupBy("b").agg(F.min("a").alias("a"))
        if refused is not None:
            pairs = pairs.join(refused, ["a", "b"], "left_anti")
        pairs = pairs.localCheckpoint()
        stats.pairs_per_round.append(pairs.count())
        if not stats.pairs_per_round[-1]:
            stats.verified_per_round.append(0)
            stats.component_rounds.append(0)
            continue
        phase(f"verify round {n}")
        checked = verify_pairs(pairs, keys, rule).localCheckpoint()
        stats.verified_per_round.append(int(checked.agg(F.count("similarity")).first()[0]))
        no = checked.where(F.col("similarity").isNull()).select("a", "b")
        refused = no if refused is None else refused.unionByName(no)
        if not stats.verified_per_round[-1]:
            stats.component_rounds.append(0)
            continue
        verified = checked.where(F.col("similarity").isNotNull()).select("a", "b")
        edges = verified
        if labels is not None:  # the components so far as star edges, plus the new ones
            edges = (
                labels.where(F.col("node") != F.col("label"))
                .select(F.col("label").alias("a"), F.col("node").alias("b"))
                .unionByName(verified)
            )
        phase(f"components round {n}")
        labels, rounds = connected_components(edges)
        labels = labels.localCheckpoint()
        stats.component_rounds.append(rounds)
    return labels if labels is not None else spark.createDataFrame([], "node long, label long")
