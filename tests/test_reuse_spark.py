"""The Spark report engine in local[2]: its pieces on tiny data, its failure modes, and the whole
job against the local engine on the seed corpus.

Marked ``heavy`` (a JVM and Python workers; ``make test`` runs them, ``make test-fast``
does not); one Spark session serves every test (the ``spark`` fixture of conftest).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as scipy_components
from typer.testing import CliRunner

from api.settings import get_settings
from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.parquet import export_parquet
from indexer.reuse import ReuseParams, find_reuse, report_to_dict
from indexer.reuse.rules import goal_rule, name_rule
from indexer.spark_session import EngineUnavailableError, check_java, spark_session
from indexer.store import CorpusStore

SEED = Path(__file__).resolve().parent.parent / "data" / "raw"
BASE = "通过对服务贸易企业给予政策扶持，推动服务贸易和服务外包企业数量不断增加，服务外包产业规模不断提高。"


def test_no_java_names_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    with pytest.raises(EngineUnavailableError, match=r"Java 17.*no `java` on PATH.*openjdk-17-jre-headless"):
        check_java()
    with pytest.raises(EngineUnavailableError, match="openjdk-17-jre-headless"):
        spark_session("local[2]")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(EngineUnavailableError, match=r"JAVA_HOME=.*nowhere has no bin/java"):
        check_java()


def test_old_java_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_392\"' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(EngineUnavailableError, match="is Java 8; the Spark engine needs 17"):
        check_java()


def _items(spark, keys: list[str]):
    rows = [(f"p{i}", i, None, k, k) for i, k in enumerate(keys)]
    return spark.createDataFrame(
        rows, "project_id string, corpus_order long, ordinal int, text string, key string"
    )


@pytest.mark.heavy
def test_banding_candidates_and_verification(spark):
    from indexer.reuse.spark.lsh import bucket_rows, candidate_pairs, key_labels, number_keys, signature_rows

    params = ReuseParams(max_bucket_all_pairs=3, max_representatives=2)
    rule = goal_rule(params)
    variants = [
        BASE,
        BASE.replace("服务贸易", "文化贸易"),
        BASE + "提升服务水平。",
        BASE.replace("外包", "外发"),
    ]
    unrelated = ["保障口岸查验单位正常运转，改善口岸通关环境，提升通关效率和旅客满意度。"]
    items = _items(spark, variants + unrelated)
    keys = number_keys(items)
    ids = {r["key"]: r["key_id"] for r in keys.collect()}
    assert [ids[k] for k in variants + unrelated] == sorted(ids.values())  # order of first appearance
    buckets = bucket_rows(signature_rows(keys, rule, params), params)
    # every bucket holds keys with identical band values; sizes and ranks are consistent
    for b in buckets.collect():
        assert 1 <= b["rank"] <= b["size"] and b["size"] >= 2
    pairs = {(r["a"], r["b"]): r["round"] for r in candidate_pairs(buckets, params).collect()}
    assert all(a < b for a, b in pairs)
    by_bucket: dict[tuple, dict[int, int]] = {}
    for b in buckets.collect():
        by_bucket.setdefault((b["band"], tuple(b["values"])), {})[b["rank"]] = b["key_id"]
    for ranked in by_bucket.values():
        first = ranked[1]
        for rank, key_id in ranked.items():
            if rank > 1:  # every member is paired with the bucket's first key, in round 1
                assert pairs[(first, key_id)] == 1
        if len(ranked) <= 3:  # a small bucket: every pair
            assert all((ranked[i], ranked[j]) in pairs for i in ranked for j in ranked if i < j)
    labels, stats = key_labels(items, rule, params)
    label_of = {r["key"]: r["label"] for r in labels.collect()}
    assert len({label_of[v] for v in variants}) == 1 and label_of[unrelated[0]] != label_of[BASE]
    assert sum(stats.verified_per_round) >= 3 and stats.n_keys == 5


@pytest.mark.heavy
def test_connected_components_by_iterated_joins(spark):
    from indexer.reuse.spark.graph import connected_components

    rng = np.random.default_rng(3)
    n = 200
    chain = [(i, i + 1) for i in range(0, 60)]  # a long path: the worst case for label propagation
    random_edges = [tuple(int(x) for x in rng.choice(np.arange(80, n), 2, replace=False)) for _ in range(90)]
    edges = chain + random_edges + [(150, 150)]
    labels, rounds = connected_components(spark.createDataFrame(edges, "a long, b long"))
    got = {r["node"]: r["label"] for r in labels.collect()}
    rows, cols = zip(*edges, strict=True)
    _, expected = scipy_components(
        coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n)), directed=False
    )
    nodes = {x for a, b in edges if a != b for x in (a, b)}  # a self-loop alone is no edge
    assert set(got) == nodes
    for node in nodes:
        members = [m for m in nodes if expected[m] == expected[node]]
        assert got[node] == min(members)
    assert rounds <= 12  # logarithmic, not the 60 steps of the path


@pytest.mark.heavy
def test_one_huge_bucket_stays_linear(spark):
    from indexer.reuse.spark.lsh import key_labels

    params = ReuseParams()
    rule = name_rule(params)
    # 600 variants of one name: one giant bucket per band, one cluster
    keys = [f"企业扶持资金拨付及时率第{i}批次" for i in range(600)]
    labels, stats = key_labels(_items(spark, keys), rule, params)
    assert stats.largest_bucket > params.max_bucket_all_pairs
    assert len({r["label"] for r in labels.collect()}) == 1
    # each key is compared with at most max_representatives earlier keys per band, never all pairs
    assert sum(stats.pairs_per_round) <= len(keys) * params.max_representatives
    assert stats.pairs_per_round[0] >= len(keys) - 1 and stats.pairs_per_round[-1] < stats.pairs_per_round[0]


@pytest.mark.heavy
def test_empty_input_gives_an_empty_report(spark, tmp_path: Path):
    from indexer.reuse.spark import SparkEngine

    export_parquet(Corpus(projects=()), tmp_path / "empty")
    report = SparkEngine(session=spark).find_reuse(tmp_path / "empty", FakeEncoder())
    local = find_reuse(Corpus(projects=()), FakeEncoder())
    spark_dict, local_dict = report_to_dict(report), report_to_dict(local)
    for d in (spark_dict, local_dict):
        d.pop("timings")
    assert spark_dict == local_dict and report.n_projects == 0


@pytest.fixture
def seed_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CorpusStore]:
    monkeypatch.setenv("JIXIAO_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("JIXIAO_ENCODER", "fake")
    get_settings.cache_clear()
    store = CorpusStore(get_settings().db_path)
    store.ingest(sorted(SEED.glob("*.txt")))
    yield store
    get_settings.cache_clear()


@pytest.mark.heavy
def test_report_command_on_spark_writes_what_the_local_engine_writes(spark, seed_models, tmp_path: Path):
    from api.cli import app

    corpus = seed_models.load()
    export_parquet(corpus, tmp_path / "pq")
    result = CliRunner().invoke(
        app, ["report", "--engine", "spark", "--input", str(tmp_path / "pq"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "r" / "reuse.json").read_text(encoding="utf-8"))
    local = report_to_dict(find_reuse(corpus, FakeEncoder()))
    assert [t["step"] for t in written.pop("timings")] == [t["step"] for t in local.pop("timings")]
    assert json.loads(json.dumps(local, ensure_ascii=False, default=str)) == written
    assert (tmp_path / "r" / "reuse.html").is_file() and (tmp_path / "r" / "reuse_tables").is_dir()
    assert written["summary"]["n_goal_clusters"] >= 10  # the seed's templates are found at all


def test_unknown_engine_and_master_without_spark_are_refused(seed_models):
    from api.cli import app

    bad = CliRunner().invoke(app, ["report", "--engine", "hadoop"])
    assert bad.exit_code != 0 and "unknown report engine 'hadoop'" in str(bad.exception)
    local_master = CliRunner().invoke(app, ["report", "--master", "local[2]"])
    assert "--master is for --engine spark" in str(local_master.exception)
