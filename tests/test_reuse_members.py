"""Clusters with more members than reuse.json lists: the cap, the complete members files, and
the same files from both report engines (the Spark ones written from its executors)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from reuse_support import make_project

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.errors import InvalidInputError
from indexer.parquet import export_parquet
from indexer.reuse import ReuseParams, find_reuse, report_to_dict, write_report
from indexer.reuse.engine import LocalEngine
from indexer.reuse.serialize import MEMBER_COLUMNS, MEMBER_TABLES
from indexer.reuse.tablefiles import csv_line, write_table, write_table_from_parts

GOAL = "通过对服务贸易企业给予政策扶持，推动服务贸易和服务外包企业数量不断增加，服务外包产业规模不断提高。"
SET = (("扶持资金发放正确率", "100%"), ("扶持资金发放及时率", "100%"), ("扶持企业满意度", "≥90%"))
CAP = 3


def _corpus() -> Corpus:
    """Twelve projects in two districts sharing one goal (three written differently) and one
    indicator set, so each kind has a cluster of more than ``CAP`` members."""
    projects = []
    for i in range(12):
        goal = GOAL if i % 4 else GOAL.replace("服务贸易", "文化贸易", 1) + f"第{i}批。"
        district = "广州市" if i < 7 else "南沙区"
        extra = (("新增认证个数", f"≥{i}个"),) if i % 3 == 0 else ()
        projects.append(make_project(f"p{i}", goal, district=district, indicators=SET + extra))
    return Corpus(projects=tuple(projects))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _check_capped(out: Path, corpus: Corpus) -> None:
    data = json.loads((out / "reuse.json").read_text(encoding="utf-8"))
    kinds = {"goal": "goal_clusters", "indicator_name": "name_clusters", "indicator_set": "set_clusters"}
    for kind, section in kinds.items():
        rows = _rows(out / "reuse_tables" / f"{MEMBER_TABLES[kind]}.csv")
        assert rows and list(rows[0]) == list(MEMBER_COLUMNS)
        for cluster in data[section]:
            listed = [r for r in rows if r["cluster_id"] == cluster["id"]]
            assert len(listed) == cluster["size"]  # the members file has every member
            assert len(cluster["members"]) == min(cluster["size"], CAP)
            assert cluster["members_truncated"] == (cluster["size"] > CAP)
            # reuse.json lists the first members, in the members file's order
            assert [m["project_id"] for m in cluster["members"]] == [r["project_id"] for r in listed[:CAP]]
    goal = data["goal_clusters"][0]
    assert goal["size"] == len(corpus) and goal["members_truncated"] and goal["crosses_districts"]
    assert data["summary"]["n_projects_goal_reused"] == len(corpus)


def test_reuse_json_lists_the_first_members_and_the_members_files_all(tmp_path: Path):
    corpus = _corpus()
    engine = LocalEngine()
    report = engine.find_reuse(corpus, FakeEncoder(), ReuseParams(json_max_members=CAP))
    engine.write_report(report, tmp_path)
    _check_capped(tmp_path, corpus)
    # without a cap reuse.json lists everyone, and the members files do not change
    whole = find_reuse(corpus, FakeEncoder(), ReuseParams(json_max_members=None))
    write_report(whole, tmp_path / "whole")
    for name in MEMBER_TABLES.values():
        csv_name = f"reuse_tables/{name}.csv"
        assert (tmp_path / csv_name).read_bytes() == (tmp_path / "whole" / csv_name).read_bytes()
    listed = report_to_dict(whole)["goal_clusters"][0]
    assert len(listed["members"]) == listed["size"] and not listed["members_truncated"]


def test_an_incomplete_report_is_not_written_without_its_members(tmp_path: Path):
    from dataclasses import replace

    report = find_reuse(_corpus(), FakeEncoder())
    first = report.goal_clusters[0]
    capped = replace(report, goal_clusters=(replace(first, members=first.members[:2]),))
    with pytest.raises(InvalidInputError, match="first members"):
        write_report(capped, tmp_path)


def test_a_table_from_parts_is_the_table_written_whole(tmp_path: Path):
    rows = [
        {"a": "x", "b": 1.5, "c": None},
        {"a": 'say "hi", then\nleave', "b": True, "c": 7},
        {"a": "中文，逗号", "b": 0.1234, "c": ""},
    ]
    write_table(tmp_path / "whole.csv", rows)
    parts = []
    for n, chunk in enumerate((rows[:1], [], rows[1:])):
        part = tmp_path / f"part-{n:05d}"
        part.write_bytes("".join(csv_line(list(r.values())) + "\r\n" for r in chunk).encode())
        parts.append(part)
    write_table_from_parts(tmp_path / "parts.csv", list(rows[0]), parts)
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    write_table(tmp_path / "empty.csv", [])
    write_table_from_parts(tmp_path / "none.csv", ["a"], parts[1:2])
    assert (tmp_path / "none.csv").read_bytes() == (tmp_path / "empty.csv").read_bytes()


@pytest.mark.heavy
@pytest.mark.parametrize("max_diff_keys", [300, 1])  # 1: the goal cluster's later keys get no diff
def test_both_engines_write_the_same_capped_report(spark, tmp_path: Path, max_diff_keys: int):
    from indexer.reuse.spark import SparkEngine

    corpus = _corpus()
    export_parquet(corpus, tmp_path / "pq")
    params = ReuseParams(json_max_members=CAP, max_diff_keys=max_diff_keys)
    written = {}
    for name, engine in (("local", LocalEngine()), ("spark", SparkEngine(session=spark))):
        report = engine.find_reuse(tmp_path / "pq", FakeEncoder(), params)
        engine.write_report(report, tmp_path / name)
        _check_capped(tmp_path / name, corpus)
        data = json.loads((tmp_path / name / "reuse.json").read_text(encoding="utf-8"))
        assert [t["step"] for t in data.pop("timings")]
        written[name] = data
    assert written["spark"] == written["local"]
    for path in sorted((tmp_path / "local" / "reuse_tables").glob("*.csv")):
        assert (tmp_path / "spark" / "reuse_tables" / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.heavy
def test_a_clusters_keys_are_ranked_without_one_task_holding_the_cluster(spark):
    from indexer.reuse.spark.summaries import _first_keys

    firsts = spark.createDataFrame(
        [(i % 3, f"k{i}", (2000 - i, 0, "t")) for i in range(2000)],
        "label long, key string, first struct<corpus_order:long,o:int,text:string>",
    ).repartition(4)
    ranked = _first_keys(firsts, 5)
    got = {(r["label"], r["key_rank"]): r["key"] for r in ranked.collect()}
    # each cluster's first six keys by first appearance (the latest numbers here), ranked from 0
    latest = {label: sorted((i for i in range(2000) if i % 3 == label), reverse=True) for label in range(3)}
    assert got == {(label, n): f"k{i}" for label, ids in latest.items() for n, i in enumerate(ids[:6])}
    plan = ranked._jdf.queryExecution().executedPlan().toString()
    # the first rows of every cluster are kept in each partition before the shuffle (a partial limit)
    assert plan.index("Exchange") < plan.index("WindowGroupLimit [label", plan.index("Exchange"))
    assert "row_number(), 6, Partial" in plan


@pytest.mark.heavy
def test_a_join_with_per_cluster_rows_spreads_one_cluster_over_tasks(spark):
    from pyspark.sql import functions as F

    from indexer.reuse.spark.summaries import SALTS, join_on_label

    rows = spark.createDataFrame(
        [(0, f"p{i}") for i in range(3000)] + [(1, "q")], "label long, project_id string"
    )
    per_cluster = spark.createDataFrame([(0, "a"), (1, "b"), (2, "c")], "label long, cluster_id string")
    joined = join_on_label(rows, per_cluster, "project_id")
    assert sorted(joined.collect()) == sorted(rows.join(per_cluster, "label").collect())
    plan = joined._jdf.queryExecution().executedPlan().toString()
    # both sides are shuffled by (label, salt): a cluster's rows go to up to SALTS tasks, never by label alone
    assert (
        re.search(r"hashpartitioning\(label#\d+L?, _salt#", plan)
        and "hashpartitioning(label#0L, 2)" not in plan
    )
    spread = rows.select(F.pmod(F.xxhash64("project_id"), F.lit(SALTS)).alias("s")).distinct().count()
    assert spread == SALTS  # the 3,000 rows of cluster 0 use every salt
