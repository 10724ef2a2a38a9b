"""Connected components of an edge DataFrame by iterated joins (alternating large-star / small-star).

The algorithm of Kiveris et al., "Connected Components in MapReduce and Beyond"
(SoCC 2014), as large near-duplicate pipelines run it on Spark: with edges kept
as ``(a, b)``, ``a < b``,

* **large-star**: every node links each *larger* neighbour to its smallest
  neighbourhood member (itself included);
* **small-star**: every node links itself and each *smaller* neighbour to the
  smallest of them.

Both keep the components and shrink their diameter; alternating them converges
in O(log n) rounds to stars, where every node points to its component's
smallest node — the label. Converged when no node has two parents and no parent
has one itself. Each round is checkpointed so that the plan does not grow.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

MAX_ROUNDS = 64  # log2 of any corpus is far below; a bound keeps a bug from spinning forever


def _normalised(edges: DataFrame) -> DataFrame:
    return (
        edges.select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b"))
        .where(F.col("a") != F.col("b"))
        .distinct()
    )


def _large_star(edges: DataFrame) -> DataFrame:
    both = edges.select(F.col("a").alias("n"), F.col("b").alias("v")).unionByName(
        edges.select(F.col("b").alias("n"), F.col("a").alias("v"))
    )
    smallest = both.groupBy("n").agg(F.min("v").alias("m"))
    smallest = smallest.select("n", F.least("n", "m").alias("m"))
    # edges (a, b) with a < b: b is a larger neighbour of a, so it moves to a's smallest
    moved = edges.join(smallest, edges.a == smallest.n).select(F.col("m").alias("a"), "b")
    return _normalised(moved)


def _small_star(edges: DataFrame) -> DataFrame:
    # each b's smaller neighbours are the a of its edges; link them and b to the smallest
    smallest = edges.groupBy("b").agg(F.min("a").alias("m"))
    neighbours = edges.join(smallest, "b").select(F.col("m").alias("a"), F.col("a").alias("b"))
    selves = smallest.select(F.col("m").alias("a"), "b")
    return _normalised(neighbours.unionByName(selves))


def _converged(edges: DataFrame) -> bool:
    # one job: a node with two parents, or a parent that has one itself, means not yet stars
    parents = edges.groupBy("b").agg(F.count("a").alias("n"))
    two_parents = parents.where(F.col("n") > 1).select(F.col("b").alias("node"))
    roots_with_parents = edges.select(F.col("a").alias("node")).join(
        edges.select(F.col("b").alias("node")), "node"
    )
    return two_parents.unionByName(roots_with_parents).limit(1).count() == 0


def connected_components(edges: DataFrame) -> tuple[DataFrame, int]:
    """``(node, label)`` for every node of ``edges`` (columns ``a``, ``b``; longs), the label
    being the smallest node of its component, and the number of rounds it took."""
    current = _normalised(edges).localCheckpoint()
    rounds = 0
    while not _converged(current):
        if rounds >= MAX_ROUNDS:
            raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        current = _small_star(_large_star(current)).localCheckpoint()
        rounds += 1
    labels = current.select(F.col("b").alias("node"), F.col("a").alias("label")).unionByName(
        current.select(F.col("a").alias("node"), F.col("a").alias("label"))
    )
    return labels.distinct(), rounds
