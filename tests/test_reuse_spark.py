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
from indexer.reuse.neardup import lsh_bands
from indexer.reuse.rules import goal_rule, name_rule
from indexer.spark_session import (
    NO_BROADCAST,
    EngineUnavailableError,
    check_java,
    session_conf,
    spark_session,
)
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


def _expected_round_pairs(members: dict[tuple, list[int]], params: ReuseParams) -> list[set[tuple[int, int]]]:
    """Each round's candidate pairs from the bucket membership, in plain Python: a representative
    (every key of a small bucket, the first keys of a large one) with every later key, in the
    round of the representative's rank; a pair goes to the first round that has it."""
    from indexer.reuse.spark.lsh import ROUND_RANKS

    first_round: dict[tuple[int, int], int] = {}
    for ids in members.values():
        ids = sorted(ids)
        limit = len(ids) if len(ids) <= params.max_bucket_all_pairs else params.max_representatives
        for rank, a in enumerate(ids[:limit], 1):
            n = next(n for n, (low, high) in enumerate(ROUND_RANKS) if low <= rank <= high)
            for b in ids[rank:]:
                first_round[(a, b)] = min(first_round.get((a, b), n), n)
    rounds: list[set[tuple[int, int]]] = [set() for _ in ROUND_RANKS]
    for pair, n in first_round.items():
        rounds[n].add(pair)
    return rounds


@pytest.mark.heavy
def test_banding_representatives_and_round_pairs(spark):
    from indexer.reuse.spark.lsh import (
        ROUND_RANKS,
        bucket_rows,
        number_keys,
        representatives,
        round_pairs,
        signature_rows,
    )

    params = ReuseParams(max_bucket_all_pairs=6, max_representatives=3)
    rule = name_rule(params)
    names = [f"{t}第{i}批次" for i in range(12) for t in ("企业扶持资金拨付及时率", "口岸查验设备完好率")]
    items = _items(spark, [*names, "服务对象满意度"])
    keys = number_keys(items)
    ids = {r["key"]: r["key_id"] for r in keys.collect()}
    assert [ids[k] for k in names] == sorted(ids[k] for k in names)  # order of first appearance
    sigs = signature_rows(keys, rule, params).localCheckpoint()
    bands_rows = lsh_bands(params.lsh_threshold, params.num_perm)
    whole = bucket_rows(sigs, bands_rows).collect()
    members: dict[tuple, list[int]] = {}
    for b in whole:
        members.setdefault((b["band"], tuple(b["values"])), []).append(b["key_id"])
    assert all(b["size"] == len(members[(b["band"], tuple(b["values"]))]) >= 2 for b in whole)
    assert max(len(m) for m in members.values()) > params.max_bucket_all_pairs  # large buckets exist
    expected = _expected_round_pairs(members, params)
    for split in (10_000, 4):  # one task per bucket, or every bucket over 4 keys spread over sub-buckets
        buckets = bucket_rows(sigs, bands_rows, split).localCheckpoint()
        rows = buckets.collect()
        assert all(0 <= b["sub"] < -(-b["size"] // split) for b in rows)
        assert split > 4 or len({b["sub"] for b in rows}) > 1
        reps = representatives(buckets, rule.banding, split)
        for ranked in reps.collect():
            ordered = sorted(members[(ranked["band"], tuple(ranked["values"]))])
            assert ordered[ranked["rank"] - 1] == ranked["key_id"]  # the bucket's rank-th key
        assert reps.count() == sum(
            len(m) if len(m) <= params.max_bucket_all_pairs else params.max_representatives
            for m in members.values()
        )
        seen: set[tuple[int, int]] = set()
        for n, ranks in enumerate(ROUND_RANKS):
            got = {(r["a"], r["b"]) for r in round_pairs(buckets, reps, ranks, None, split).collect()}
            # every pair of the round; those of an earlier round again only as already checked there
            assert got - seen == expected[n] and got <= expected[n] | seen
            seen |= got
        # pairs already in one component are left out: all of one template labelled together
        template = [ids[k] for k in names if k.startswith("企业")]
        labels = spark.createDataFrame([(i, template[0]) for i in template], "node long, label long")
        left = {(r["a"], r["b"]) for r in round_pairs(buckets, reps, ROUND_RANKS[0], labels, split).collect()}
        assert left == {p for p in expected[0] if not (p[0] in template and p[1] in template)}


@pytest.mark.heavy
def test_verification_joins_variants_only(spark):
    from indexer.reuse.spark.lsh import key_labels

    params = ReuseParams(max_bucket_all_pairs=3, max_representatives=2)
    rule = goal_rule(params)
    variants = [
        BASE,
        BASE.replace("服务贸易", "文化贸易"),
        BASE + "提升服务水平。",
        BASE.replace("外包", "外发"),
    ]
    unrelated = ["保障口岸查验单位正常运转，改善口岸通关环境，提升通关效率和旅客满意度。"]
    labels, stats = key_labels(_items(spark, variants + unrelated), rule, params)
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
def test_one_huge_bucket_stays_linear_and_splits(spark):
    from indexer.reuse.spark.lsh import key_labels

    params = ReuseParams()
    rule = name_rule(params)
    # 600 variants of one name: one giant bucket per band, one cluster
    keys = [f"企业扶持资金拨付及时率第{i}批次" for i in range(600)]
    labels, stats = key_labels(_items(spark, keys), rule, params)
    assert stats.largest_bucket > params.max_bucket_all_pairs
    got = {r["key"]: r["label"] for r in labels.collect()}
    assert len(set(got.values())) == 1
    # each key is compared with at most max_representatives earlier keys per band, never all pairs
    assert sum(stats.pairs_per_round) <= len(keys) * params.max_representatives
    assert stats.pairs_per_round[0] >= len(keys) - 1 and stats.pairs_per_round[-1] < stats.pairs_per_round[0]
    # the same huge bucket spread over sub-buckets of 50 keys: the same pairs, the same cluster
    split_labels, split_stats = key_labels(_items(spark, keys), rule, params, split=50)
    assert {r["key"]: r["label"] for r in split_labels.collect()} == got
    assert split_stats.pairs_per_round == stats.pairs_per_round
    assert split_stats.verified_per_round == stats.verified_per_round


def _plan(frame) -> str:
    return frame._jdf.queryExecution().executedPlan().toString()


@pytest.mark.heavy
def test_the_reuse_job_never_broadcasts_a_join(spark, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    # at 5M Spark broadcast the bucket-size table and ran out of memory: the job's joins shuffle
    from indexer.reuse.spark import SparkEngine, job

    key = "spark.sql.autoBroadcastJoinThreshold"
    left = spark.createDataFrame([(i, i) for i in range(50)], "k long, a long")
    right = spark.createDataFrame([(i, -i) for i in range(50)], "k long, b long")
    small = left.join(right, "k")
    small.collect()
    assert "BroadcastHashJoin" in _plan(small)  # what Spark does with small sides by default
    before = spark.conf.get(key)
    with session_conf(spark, NO_BROADCAST):
        shuffled = left.join(right, "k")
        assert sorted(shuffled.collect()) == sorted(small.collect())
        plan = _plan(shuffled)
        assert "SortMergeJoin" in plan and "Broadcast" not in plan
    assert spark.conf.get(key) == before  # restored

    seen: list[str] = []
    real = job.run_reuse_job

    def recording(session, *args):
        seen.append(session.conf.get(key))
        return real(session, *args)

    monkeypatch.setattr(job, "run_reuse_job", recording)
    export_parquet(Corpus(projects=()), tmp_path / "empty")
    SparkEngine(session=spark).find_reuse(tmp_path / "empty", FakeEncoder())
    assert seen == ["-1"] and spark.conf.get(key) == before


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
    # every CSV, the members files the executors wrote among them, is the local engine's byte for byte
    args = ["report", "--engine", "local", "--input", str(tmp_path / "pq"), "--out", str(tmp_path / "l")]
    assert CliRunner().invoke(app, args).exit_code == 0
    tables = sorted((tmp_path / "l" / "reuse_tables").glob("*.csv"))
    assert {p.name for p in tables} >= {"goal_members.csv", "name_members.csv", "set_members.csv"}
    for path in tables:
        assert (tmp_path / "r" / "reuse_tables" / path.name).read_bytes() == path.read_bytes(), path.name


def test_unknown_engine_and_master_without_spark_are_refused(seed_models):
    from api.cli import app

    bad = CliRunner().invoke(app, ["report", "--engine", "hadoop"])
    assert bad.exit_code != 0 and "unknown report engine 'hadoop'" in str(bad.exception)
    local_master = CliRunner().invoke(app, ["report", "--master", "local[2]"])
    assert "--master is for --engine spark" in str(local_master.exception)
