"""The clusters of one kind on Spark, without the driver holding their members.

Given the items of a kind and their keys' labels (:func:`~indexer.reuse.spark.lsh.key_labels`),
the executors join every member of a cluster spanning two or more projects to its project,
and the driver collects only

* one summary row per cluster (shared text, counts, districts, departments, least similarity);
* the first ``ReuseParams.json_max_members`` members of each cluster in report order (grouped by
  key, keys in order of first appearance, then corpus order: the local engine's order), or the
  first :data:`~indexer.reuse.html.MEMBERS_SHOWN` when the page shows more — a row-number limit
  that Spark applies per group before the shuffle;
* per district, department and budget year, the reused counts (:func:`reused_by_group`), and
  the variants of the most reused names.

The complete membership stays on the executors until :meth:`KindClusters.write_members` writes
the kind's members file (``reuse_tables/<kind>_members.csv``) from them: a DataFrame text write
of CSV lines formatted on the executors, sorted in report order, whose part files are then
concatenated behind the header (:func:`~indexer.reuse.tablefiles.write_table_from_parts`), so
the file is byte for byte what the local engine writes.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from indexer.parquet import stored_amount
from indexer.reuse.clusters import ClusterSummary, Listed, make_members, rank_order, summarised_cluster
from indexer.reuse.detect import ReusedCounts
from indexer.reuse.diff import diff_spans
from indexer.reuse.html import MEMBERS_SHOWN
from indexer.reuse.neardup import jaccard
from indexer.reuse.records import YEAR_UNKNOWN, Cluster, ReuseParams
from indexer.reuse.rules import KindRule
from indexer.reuse.serialize import MEMBER_COLUMNS, diff_text, member_values
from indexer.reuse.tablefiles import LINE_END, csv_line, write_table_from_parts

_REPORT_ORDER = ("first", "corpus_order", "o")  # key's first appearance, then the member's own place
SALTS = 32  # tasks one cluster's rows are spread over in a join with per-cluster rows


def join_on_label(rows: DataFrame, per_cluster: DataFrame, spread_by: str) -> DataFrame:
    """``rows`` joined with ``per_cluster`` (one row per ``label``) on ``label``, without one task
    holding a whole cluster: each row goes to one of ``SALTS`` tasks of its cluster by a hash of
    ``spread_by`` and the per-cluster row is copied to all of them (a join on ``label`` alone put
    every item of the giant synthetic goal cluster — 444k at 2M — into one 1.7 GiB task)."""
    salted = rows.withColumn("_salt", F.pmod(F.xxhash64(spread_by), F.lit(SALTS)))
    copies = per_cluster.withColumn("_salt", F.explode(F.sequence(F.lit(0), F.lit(SALTS - 1))))
    return salted.join(copies, ["label", "_salt"]).drop("_salt")


@dataclass
class KindClusters:
    """The clusters of one kind as the report lists them, and every member on the executors."""

    kind: str
    clusters: list[Cluster]
    members: DataFrame  # every member: label, key, project columns, corpus_order, o, first, ...
    keys: DataFrame  # label, key, first, similarity, diff (per distinct key of a kept cluster)
    ids: DataFrame  # label, cluster_id, rank, crosses_districts

    def write_members(self, path: Path) -> None:
        """Write the kind's members file (every member of every cluster, report order) to ``path``."""
        line = _line_udf()
        rows = self.members.join(self.keys.select("label", "key", "similarity", "diff"), ["label", "key"])
        rows = join_on_label(rows, self.ids.select("label", "cluster_id", "rank"), "project_id")
        rows = rows.withColumnRenamed("ordinal", "indicator_ordinal")
        lines = rows.orderBy("rank", *_REPORT_ORDER).select(line(*MEMBER_COLUMNS).alias("line"))
        with tempfile.TemporaryDirectory(prefix=f".{path.name}.parts-", dir=path.parent) as tmp:
            parts = Path(tmp) / "parts"
            lines.write.option("lineSep", LINE_END).text(parts.resolve().as_uri())
            write_table_from_parts(path, MEMBER_COLUMNS, sorted(parts.glob("part-*")))


def _line_udf() -> Any:
    @F.pandas_udf(T.StringType())
    def line(
        cid: pd.Series,
        pid: pd.Series,
        name: pd.Series,
        district: pd.Series,
        dept: pd.Series,
        amount: pd.Series,
        ordinal: pd.Series,
        sim: pd.Series,
        text: pd.Series,
        diff: pd.Series,
    ) -> pd.Series:
        columns = (cid, pid, name, district, dept, amount, ordinal, sim, text, diff)
        out = []
        for c, p, n, d, dp, a, o, s, t, df in zip(*columns, strict=True):
            o = None if pd.isna(o) else int(o)  # ints with nulls arrive as floats
            a = None if a is None or pd.isna(a) else stored_amount(a)
            out.append(csv_line(member_values(c, p, n, d, dp, a, o, float(s), t, df)))
        return pd.Series(out, dtype=object)

    return line


def _similarity_udf(rule: KindRule) -> Any:
    @F.pandas_udf(T.DoubleType())
    def similarity(shared: pd.Series, key: pd.Series) -> pd.Series:
        sets: dict[str, frozenset[str]] = {}

        def of(text: str) -> frozenset[str]:
            if text not in sets:
                sets[text] = rule.shingles(text)
            return sets[text]

        return pd.Series([round(jaccard(of(s), of(k)), 4) for s, k in zip(shared, key, strict=True)])

    return similarity


def _diff_udf(max_diff_keys: int) -> Any:
    @F.pandas_udf(T.StringType())
    def diff(
        shared_text: pd.Series, first_text: pd.Series, is_shared: pd.Series, rank: pd.Series
    ) -> pd.Series:
        # as make_members decides it: the shared key has none, the first max_diff_keys keys one
        # (a key past them has no rank: null, NaN here)
        return pd.Series(
            [
                diff_text(() if own else diff_spans(s, t) if not pd.isna(r) and r <= max_diff_keys else None)
                for s, t, own, r in zip(shared_text, first_text, is_shared, rank, strict=True)
            ],
            dtype=object,
        )

    return diff


def kind_clusters(
    items: DataFrame, labels: DataFrame, projects: DataFrame, rule: KindRule, params: ReuseParams
) -> KindClusters:
    """The clusters of ``items`` (project_id, corpus_order, ordinal, text, key) whose keys
    ``labels`` (key, label) groups, spanning two or more projects, with ids in report order."""
    spark = items.sparkSession
    labelled = items.join(labels, "key").withColumn("o", F.coalesce("ordinal", F.lit(0)))
    spread = labelled.groupBy("label").agg(
        F.countDistinct("project_id").alias("n_projects"), F.count("*").alias("size")
    )
    spread = spread.where(F.col("n_projects") >= 2).localCheckpoint()
    per_key = labelled.groupBy("label", "key").agg(
        F.count("*").alias("count"), F.min(F.struct("corpus_order", "o", "text")).alias("first")
    )
    firsts = join_on_label(per_key, spread.select("label"), "key")
    # the template: most members, then the longest key, then the first to appear
    template = F.struct(
        "count", F.length("key"), -F.col("first.corpus_order"), -F.col("first.o"), "key", "first.text"
    )
    shared = (
        firsts.groupBy("label")
        .agg(F.max(template).alias("t"), F.count("*").alias("n_keys"))
        .select("label", "n_keys", F.col("t.key").alias("shared_key"), F.col("t.text").alias("shared_text"))
    )
    keys = (
        join_on_label(firsts, shared, "key")
        .join(_first_keys(firsts, params.max_diff_keys), ["label", "key"], "left")
        .withColumn("similarity", _similarity_udf(rule)("shared_key", "key"))
        .withColumn(
            "diff",
            _diff_udf(params.max_diff_keys)(
                "shared_text", "first.text", F.col("key") == F.col("shared_key"), "key_rank"
            ),
        )
        .localCheckpoint()
    )
    columns = projects.select(
        F.col("id").alias("project_id"),
        F.col("name").alias("project_name"),
        "district",
        "department",
        "amount_total",
        F.when(F.col("budget_year").isNull(), F.lit(YEAR_UNKNOWN))
        .otherwise(F.col("budget_year").cast("string"))
        .alias("year"),
    )
    members = (
        labelled.join(keys.select("label", "key", "first"), ["label", "key"])
        .join(columns, "project_id")
        .localCheckpoint()
    )
    places = members.groupBy("label").agg(
        F.sort_array(F.collect_set("district")).alias("districts"),
        F.sort_array(F.collect_set("department")).alias("departments"),
    )
    per_cluster = keys.groupBy("label").agg(
        *(F.first(c).alias(c) for c in ("n_keys", "shared_key", "shared_text")),
        F.min("similarity").alias("min_similarity"),
    )
    heads = spread.join(per_cluster, "label").join(places, "label").collect()
    cap = params.json_max_members
    listed = _first_members(members, None if cap is None else max(cap, MEMBERS_SHOWN))
    clusters = [
        summarised_cluster(
            rule.kind,
            ClusterSummary(
                exact=h["n_keys"] == 1,
                shared_text=h["shared_text"],
                n_projects=int(h["n_projects"]),
                size=int(h["size"]),
                districts=tuple(h["districts"]),
                departments=tuple(h["departments"]),
                min_similarity=float(h["min_similarity"]),
            ),
            make_members(
                listed.get(h["label"], []),
                h["shared_key"],
                h["shared_text"],
                rule.shingles,
                params.max_diff_keys,
            ),
        )
        for h in heads
    ]
    order = rank_order(clusters)
    ranked = [
        (heads[i]["label"], f"{rule.kind}-{n}", n, clusters[i].crosses_districts)
        for n, i in enumerate(order, 1)
    ]
    ids = spark.createDataFrame(ranked, "label long, cluster_id string, rank int, crosses_districts boolean")
    named = [replace(clusters[i], id=cid) for (_, cid, _, _), i in zip(ranked, order, strict=True)]
    return KindClusters(rule.kind, named, members, keys, ids)


def _first_keys(firsts: DataFrame, max_diff_keys: int) -> DataFrame:
    """``(label, key, key_rank)``: the rank (from 0, by first appearance) of each cluster's first
    ``max_diff_keys + 1`` keys — the keys that may get a diff; the others get none and no rank.

    A row-number window filtered to its first rows, which Spark plans as a window group limit:
    each partition keeps its first rows of every cluster before the shuffle, so no task holds a
    whole cluster's keys (ranking every key held the giant synthetic goal cluster's 403,709 keys
    in one 3.6 GiB task at 5M)."""
    in_cluster = Window.partitionBy("label").orderBy("first")
    ranked = firsts.withColumn("n", F.row_number().over(in_cluster)).where(F.col("n") <= max_diff_keys + 1)
    return ranked.select("label", "key", (F.col("n") - 1).alias("key_rank"))


def _first_members(members: DataFrame, limit: int | None) -> dict[int, list[Listed]]:
    """Each cluster's first ``limit`` members (all when None) in report order, by label."""
    chosen = members
    if limit is not None:
        in_cluster = Window.partitionBy("label").orderBy(*_REPORT_ORDER)
        chosen = members.withColumn("rn", F.row_number().over(in_cluster)).where(F.col("rn") <= limit)
    columns = (
        "project_id",
        "project_name",
        "district",
        "department",
        "amount_total",
        "text",
        "key",
        "ordinal",
    )
    rows = chosen.orderBy("label", *_REPORT_ORDER).select("label", *columns)
    # streamed a partition at a time; the texts repeat (one district for many members), kept once
    texts: dict[str, str] = {}
    out: dict[int, list[Listed]] = defaultdict(list)
    for r in rows.toLocalIterator():
        out[r["label"]].append(
            Listed(
                project_id=r["project_id"],
                project_name=texts.setdefault(r["project_name"], r["project_name"]),
                district=texts.setdefault(r["district"], r["district"]),
                department=texts.setdefault(r["department"], r["department"]),
                amount_total=stored_amount(r["amount_total"]),
                text=texts.setdefault(r["text"], r["text"]),
                key=texts.setdefault(r["key"], r["key"]),
                ordinal=r["ordinal"],
            )
        )
    return out


def reused_by_group(kinds: dict[str, KindClusters], column: str) -> dict[str, ReusedCounts]:
    """Per value of ``column`` (``district``, ``department`` or ``year``), the projects and
    indicators the clusters take in — counted on the executors (each project is one goal and
    one set item, each indicator one name item, so counting members counts them)."""
    goal = join_on_label(
        kinds["goal"].members, kinds["goal"].ids.select("label", "crosses_districts"), "project_id"
    )

    tagged = (
        _tag(goal, column, 1, F.col("crosses_districts"), 0, 0)
        .unionByName(_tag(kinds["indicator_name"].members, column, 0, F.lit(False), 1, 0))
        .unionByName(_tag(kinds["indicator_set"].members, column, 0, F.lit(False), 0, 1))
    )
    rows = tagged.groupBy(column).agg(*(F.sum(c).alias(c) for c in ("g", "x", "n", "s"))).collect()
    return {r[column]: ReusedCounts(int(r["g"]), int(r["x"]), int(r["n"]), int(r["s"])) for r in rows}


def _tag(members: DataFrame, column: str, goal: int, cross: Any, name: int, in_set: int) -> DataFrame:
    counts = {"g": F.lit(goal), "x": cross, "n": F.lit(name), "s": F.lit(in_set)}
    return members.select(column, *(value.cast("int").alias(c) for c, value in counts.items()))


def name_variants(names: KindClusters, cluster_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """The distinct member texts of the name clusters ``cluster_ids``, in member order."""
    wanted = names.ids.where(F.col("cluster_id").isin(cluster_ids)).select("label", "cluster_id")
    texts = names.members.join(wanted, "label").groupBy("cluster_id", "text")
    rows = texts.agg(F.min(F.struct(*_REPORT_ORDER)).alias("at")).collect()
    rows.sort(key=lambda r: (r["cluster_id"], _order(r["at"])))
    out: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        out[r["cluster_id"]].append(r["text"])
    return {c: tuple(out.get(c, [])) for c in cluster_ids}


def _order(at: Any) -> tuple[Any, ...]:
    return (tuple(at["first"]), at["corpus_order"], at["o"])
