"""Indicator sets' candidate pairs: banded for their own threshold, star edges in every bucket.

Sets that share their commonest names fill the same LSH buckets however many there are (the
synthetic corpus's sets did: 56 → 110 candidate pairs a set from 1M to 5M indicators); the
candidates must stay linear in the sets while every near-duplicate is still found, by both engines.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.reuse import ReuseParams
from indexer.reuse.neardup import Banding, components, lsh_bands, near_duplicate_edges
from indexer.reuse.rules import set_key, set_rule

N_SETS = 1200
VARIANT_EVERY = 10


def _sets() -> tuple[list[frozenset[str]], set[frozenset[int]]]:
    """``N_SETS`` sets sharing two common names (Jaccard 2/6 between any two: one giant bucket
    in many bands), and a variant with one name added (Jaccard 4/5) of every tenth."""
    sets = [
        frozenset({"服务对象满意度", "资金拨付及时率", f"第{i}项指标甲", f"第{i}项指标乙"})
        for i in range(N_SETS)
    ]
    pairs = set()
    for i in range(0, N_SETS, VARIANT_EVERY):
        pairs.add(frozenset({i, len(sets)}))
        sets.append(sets[i] | {f"第{i}项指标丙"})
    return sets, pairs


def _clusters(sets: list[frozenset[str]], banding: Banding, params: ReuseParams) -> tuple[set, int]:
    calls = [0]
    verify = set_rule(params).verify

    def counted(a: frozenset[str], b: frozenset[str]) -> float | None:
        calls[0] += 1
        return verify(a, b)

    edges = near_duplicate_edges(
        sets,
        counted,
        num_perm=params.num_perm,
        lsh_threshold=banding.threshold,
        max_bucket_all_pairs=banding.max_bucket_all_pairs,
        max_representatives=banding.max_representatives,
        seed=params.seed,
    )
    labels = components(len(sets), list(edges))
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(i)
    return {frozenset(g) for g in groups.values() if len(g) > 1}, calls[0]


def test_a_giant_set_bucket_stays_linear_and_finds_every_variant():
    params = ReuseParams()
    sets, pairs = _sets()
    banding = set_rule(params).banding
    bands, _ = lsh_bands(banding.threshold, params.num_perm)
    clusters, calls = _clusters(sets, banding, params)
    assert clusters == pairs  # each variant with its set, nothing else
    assert calls <= len(sets) * bands  # at most one verification a set and band
    # the shared banding (0.2, every pair of a bucket of up to 60, else 25 representatives)
    # makes the same clusters from many times the verifications
    shared = Banding(params.lsh_threshold, params.max_bucket_all_pairs, params.max_representatives)
    old_clusters, old_calls = _clusters(sets, shared, params)
    assert old_clusters == clusters and old_calls > 10 * calls


def test_the_sets_band_for_half_their_verification_threshold():
    params = ReuseParams()
    assert set_rule(params).banding == Banding(0.4, 1, 1)
    assert set_rule(replace(params, set_jaccard=0.9)).banding.threshold == 0.45
    bands, rows = lsh_bands(set_rule(params).banding.threshold, params.num_perm)
    assert (1 - params.set_jaccard**rows) ** bands < 1e-7  # a pair at 0.8 is missed this rarely


@pytest.mark.heavy
def test_spark_star_edges_make_the_local_engines_set_clusters(spark):
    from indexer.reuse.spark.lsh import key_labels

    params = ReuseParams()
    sets, pairs = _sets()
    keys = [set_key(s) for s in sets]
    rows = [(f"p{i}", i, None, k, k) for i, k in enumerate(keys)]
    items = spark.createDataFrame(
        rows, "project_id string, corpus_order long, ordinal int, text string, key string"
    )
    bands, _ = lsh_bands(set_rule(params).banding.threshold, params.num_perm)
    for split in (10_000, 100):  # the giant bucket in one task, or spread over sub-buckets
        labels, stats = key_labels(items, set_rule(params), params, split)
        by_label: dict[int, set[int]] = {}
        for r in labels.collect():
            by_label.setdefault(r["label"], set()).add(keys.index(r["key"]))
        assert {frozenset(g) for g in by_label.values() if len(g) > 1} == pairs
        assert stats.largest_bucket > params.max_bucket_all_pairs
        assert sum(stats.pairs_per_round) <= len(keys) * bands
        assert stats.pairs_per_round[2:] == [0, 0]  # only first keys are representatives
