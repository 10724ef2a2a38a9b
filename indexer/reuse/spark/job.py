"""The reuse report as a PySpark job over a Parquet export (:mod:`indexer.parquet`).

Distributed: normalisation and keys (pandas UDFs calling the rule code of
:mod:`indexer.reuse.rules`), MinHash banding, candidate verification and
connected components (:mod:`indexer.reuse.spark.lsh`), the per-district and
per-department totals and reused counts, the clusters' summaries
(:mod:`indexer.reuse.spark.summaries`), the amount-only content keys. Only what the
report lists comes back to the driver — one summary row and the first
``json_max_members`` members of each cluster, the per-group counts, the projects of
shared content keys, the theme sample — and is assembled by the local engine's own
functions (:func:`~indexer.reuse.clusters.make_members`,
:func:`~indexer.reuse.detect.group_measures`, :func:`~indexer.reuse.detect.amount_only_groups`,
:func:`~indexer.reuse.themes.find_themes`), so both engines write the same report; every
member of every cluster goes to the members files from the executors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from indexer.encoder.base import Encoder
from indexer.parquet import indicator_from_row, project_from_row, read_manifest_of
from indexer.records import Project
from indexer.reuse.detect import (
    GroupTotals,
    amount_only_groups,
    group_measures,
    top_name_clusters,
    top_reused_names,
)
from indexer.reuse.neardup import dup_key
from indexer.reuse.records import YEAR_UNKNOWN, ReuseParams, ReuseReport
from indexer.reuse.rules import (
    AMOUNT_MASKS,
    KindRule,
    content_key,
    goal_key,
    goal_rule,
    name_rule,
    set_key,
    set_rule,
    set_text,
)
from indexer.reuse.spark.lsh import LshStats, key_labels
from indexer.reuse.spark.summaries import KindClusters, kind_clusters, name_variants, reused_by_group
from indexer.reuse.themes import find_themes, sample_projects


def _string_udf(fn: Callable[[Any], str | None]) -> Any:
    @F.pandas_udf(T.StringType())
    def apply(batch: pd.Series) -> pd.Series:
        return batch.map(fn)

    return apply


def _goal_items(listed: DataFrame) -> DataFrame:
    return listed.select(
        F.col("id").alias("project_id"),
        "corpus_order",
        F.lit(None).cast("int").alias("ordinal"),
        F.col("goal").alias("text"),
        F.col("goal_key").alias("key"),
    ).where(F.col("key").isNotNull())


def _name_items(projects: DataFrame, indicators: DataFrame) -> DataFrame:
    orders = projects.select(F.col("id").alias("project_id"), "corpus_order")
    key = _string_udf(dup_key)
    named = indicators.join(orders, "project_id").select(
        "project_id", "corpus_order", "ordinal", F.col("name").alias("text"), key("name").alias("key")
    )
    return named.where(F.col("key") != "")


def _indicator_lists(projects: DataFrame, indicators: DataFrame, params: ReuseParams) -> DataFrame:
    """Every project with ``inds``: its indicators (ordinal, name, values) in ordinal order, and
    ``goal_key`` (computed once, for the goal clusters and the amount-only groups)."""
    listed = indicators.groupBy("project_id").agg(
        F.sort_array(F.collect_list(F.struct("ordinal", "name", "annual_value", "cycle_value"))).alias("inds")
    )
    with_lists = projects.join(listed, projects.id == listed.project_id, "left")
    empty = F.array().cast("array<struct<ordinal:int,name:string,annual_value:string,cycle_value:string>>")
    key = _string_udf(lambda goal: goal_key(goal, params))
    return with_lists.withColumn("inds", F.coalesce("inds", empty)).withColumn("goal_key", key("goal"))


def _set_items(listed: DataFrame, params: ReuseParams) -> DataFrame:
    @F.pandas_udf(T.StringType())
    def key(names: pd.Series) -> pd.Series:
        return names.map(lambda ns: set_key(list(ns)))

    @F.pandas_udf(T.StringType())
    def text(names: pd.Series) -> pd.Series:
        return names.map(lambda ns: set_text(list(ns)))

    sized = listed.where(F.size("inds") >= params.min_set_size)
    return sized.select(
        F.col("id").alias("project_id"),
        "corpus_order",
        F.lit(None).cast("int").alias("ordinal"),
        text("inds.name").alias("text"),
        key("inds.name").alias("key"),
    )


def _clusters(
    items: DataFrame, projects: DataFrame, rule: KindRule, params: ReuseParams
) -> tuple[KindClusters, LshStats]:
    """The clusters of one kind (only summaries and first members reach the driver)."""
    context = items.sparkSession.sparkContext
    step = context.getLocalProperty("spark.job.description")
    context.setJobDescription(f"{step}: items")
    items = items.localCheckpoint()
    context.setJobDescription(step)
    labels, stats = key_labels(items, rule, params)
    context.setJobDescription(f"{step}: to the driver")
    return kind_clusters(items, labels, projects, rule, params), stats


def _totals(projects: DataFrame, column: str) -> dict[str, GroupTotals]:
    rows = projects.groupBy(column).agg(F.count("*").alias("p"), F.sum("n_indicators").alias("i")).collect()
    unknown = YEAR_UNKNOWN if column == "budget_year" else None  # as detect.year_group names it
    return {
        (unknown if r[column] is None else str(r[column])): GroupTotals(int(r["p"]), int(r["i"] or 0))
        for r in rows
    }


def _content_key_udf(mask: Callable[[str], str]) -> Any:
    @F.pandas_udf(T.StringType())
    def key(goals: pd.Series, inds: pd.Series) -> pd.Series:
        # each indicator arrives as a dict; content_key reads attributes
        return pd.Series(
            [
                "\x1e".join(content_key(g, [SimpleNamespace(**d) for d in i], mask))
                for g, i in zip(goals, inds, strict=True)
            ]
        )

    return key


def _amount_only(listed: DataFrame, indicators: DataFrame, params: ReuseParams) -> list[Any]:
    """Projects sharing a content key (either mask) come to the driver; the local grouping decides."""
    columns = [_content_key_udf(mask)("goal", "inds").alias(kind) for kind, mask in AMOUNT_MASKS]
    keyed = listed.where(F.col("goal_key").isNotNull()).select("id", *columns)
    shared = F.lit(False)
    for kind, _ in AMOUNT_MASKS:
        keyed = keyed.withColumn(f"n_{kind}", F.count("*").over(Window.partitionBy(kind)))
        shared = shared | (F.col(f"n_{kind}") >= 2)
    ids = keyed.where(shared).select("id")
    chosen = listed.join(ids, "id").orderBy("corpus_order")
    rows = chosen.drop("inds", "project_id", "goal_key").collect()
    inds: dict[str, list[Any]] = {}
    for r in indicators.join(ids.withColumnRenamed("id", "project_id"), "project_id").collect():
        inds.setdefault(r["project_id"], []).append(indicator_from_row(r.asDict()))
    projects = [
        project_from_row(r.asDict(), sorted(inds.get(r["id"], []), key=lambda i: i.ordinal)) for r in rows
    ]
    return amount_only_groups(projects, params)


def _theme_sample(projects: DataFrame, n_projects: int, params: ReuseParams) -> list[Project]:
    """The projects the local engine would embed: the same deterministic sample of corpus positions."""
    positions = sample_projects(range(n_projects), params.theme_max_projects, params.seed)
    chosen = (
        projects.where(F.col("corpus_order").isin(positions)) if len(positions) < n_projects else projects
    )
    return [project_from_row(r.asDict()) for r in chosen.orderBy("corpus_order").collect()]


def run_reuse_job(
    spark: SparkSession, export_dir: Path, encoder: Encoder, params: ReuseParams
) -> tuple[ReuseReport, dict[str, LshStats], dict[str, KindClusters]]:
    """The reuse report of the export at ``export_dir``, what each near-duplicate step did, and
    each kind's clusters with their members on the executors (to write the members files)."""
    manifest = read_manifest_of(export_dir)
    projects = spark.read.parquet(str(export_dir / "projects"))
    indicators = spark.read.parquet(str(export_dir / "indicators"))
    n_projects = projects.count()
    timings: list[tuple[str, float]] = []
    stats: dict[str, LshStats] = {}

    def timed(label: str, step: Callable[[], Any]) -> Any:
        # the label names the step's jobs in the Spark UI and event log (where the time goes)
        spark.sparkContext.setJobDescription(label)
        started = time.perf_counter()
        out = step()
        timings.append((label, round(time.perf_counter() - started, 3)))
        spark.sparkContext.setJobDescription(None)  # type: ignore[arg-type]
        return out

    listed = _indicator_lists(projects, indicators, params).localCheckpoint()
    found: dict[str, KindClusters] = {}
    for label, rule, items in (
        ("goals", goal_rule(params), lambda: _goal_items(listed)),
        ("indicator_names", name_rule(params), lambda: _name_items(projects, indicators)),
        ("indicator_sets", set_rule(params), lambda: _set_items(listed, params)),
    ):
        found[rule.kind], stats[rule.kind] = timed(
            label, lambda rule=rule, items=items: _clusters(items(), projects, rule, params)
        )
    goals, names, sets = (found[k].clusters for k in ("goal", "indicator_name", "indicator_set"))
    amounts = timed("amount_only", lambda: _amount_only(listed, indicators, params))
    themes, silhouette, scores, points = timed(
        "themes", lambda: find_themes(_theme_sample(projects, n_projects, params), encoder, params)
    )

    def measured(column: str, member_column: str) -> list[Any]:
        return group_measures(_totals(projects, column), reused_by_group(found, member_column))

    top = [c.id for c in top_name_clusters(names, params.top_names)]
    variants = name_variants(found["indicator_name"], top)

    report = ReuseReport(
        params=params,
        encoder_name=encoder.name,
        corpus_hash=manifest["corpus_hash"],
        n_projects=n_projects,
        n_indicators=int(manifest["n_indicators"]),
        goal_clusters=tuple(goals),
        name_clusters=tuple(names),
        set_clusters=tuple(sets),
        by_district=tuple(measured("district", "district")),
        by_department=tuple(measured("department", "department")),
        by_year=tuple(sorted(measured("budget_year", "year"), key=lambda m: m.group)),
        top_names=tuple(top_reused_names(names, params.top_names, lambda c: variants[c.id])),
        amount_only=tuple(amounts),
        themes=tuple(themes),
        theme_silhouette=silhouette,
        theme_k_scores=tuple(scores),
        map_points=tuple(points),
        timings=tuple(timings),
    )
    return report, stats, found
