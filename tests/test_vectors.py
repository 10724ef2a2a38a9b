"""Vector indexes (indexer/search/vectors/): exactness, approximate recall, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError
from indexer.search import vectors
from indexer.search.vectors import EXACT_THRESHOLD, AnnParams, VectorIndex, choose_kind, default_nlist


def _normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _clustered(n: int, dim: int, n_clusters: int, seed: int) -> np.ndarray:
    """Unit vectors around random centres: closer to text embeddings than pure noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim))
    labels = rng.integers(0, n_clusters, n)
    return _normalised(centres[labels] + 0.6 * rng.standard_normal((n, dim)))


def _recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    k = exact.shape[1]
    hits = sum(len(set(f.tolist()) & set(e.tolist())) for f, e in zip(found, exact, strict=True))
    return hits / (k * len(exact))


@pytest.fixture(scope="module")
def clustered_20k() -> tuple[np.ndarray, np.ndarray]:
    data = _clustered(20_000, 64, 200, seed=7)
    queries = _clustered(200, 64, 200, seed=8)
    return data, queries


def test_flat_equals_numpy_brute_force() -> None:
    data = _normalised(np.random.default_rng(1).standard_normal((3000, 48)))
    queries = _normalised(np.random.default_rng(2).standard_normal((25, 48)))
    index = vectors.build(data, "flat")
    scores, ids = index.search(queries, 10)
    sims = queries @ data.T
    expected_ids = np.argsort(-sims, axis=1)[:, :10]
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(scores, np.take_along_axis(sims, expected_ids, axis=1), rtol=1e-5, atol=1e-5)


@pytest.mark.heavy
def test_hnsw_recall_at_10_on_clustered_vectors(clustered_20k: tuple[np.ndarray, np.ndarray]) -> None:
    data, queries = clustered_20k
    exact = vectors.build(data, "flat").search(queries, 10)[1]
    hnsw = vectors.build(data, "hnsw", AnnParams(hnsw_m=32, hnsw_ef_construction=80, hnsw_ef_search=256))
    assert hnsw.kind == "hnsw" and hnsw.ntotal == len(data)
    assert _recall_at_k(hnsw.search(queries, 10)[1], exact) >= 0.95


@pytest.mark.heavy
def test_ivf_recall_grows_with_nprobe(clustered_20k: tuple[np.ndarray, np.ndarray]) -> None:
    data, queries = clustered_20k
    exact = vectors.build(data, "flat").search(queries, 10)[1]
    ivf = vectors.build(data, "ivf", AnnParams(ivf_nprobe=1))
    assert ivf.params.ivf_nlist == default_nlist(len(data))
    low = _recall_at_k(ivf.search(queries, 10)[1], exact)
    ivf.set_search_params(nprobe=64)
    high = _recall_at_k(ivf.search(queries, 10)[1], exact)
    assert low < high
    assert high >= 0.95


def test_incremental_add_continues_ids() -> None:
    data = _normalised(np.random.default_rng(3).standard_normal((600, 32)))
    for kind in ("flat", "hnsw"):
        index = vectors.create(32, kind)
        index.add(data[:400])
        index.add(data[400:])
        assert index.ntotal == 600
        _, ids = index.search(data[[0, 450, 599]], 1)
        assert ids[:, 0].tolist() == [0, 450, 599]


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf", pytest.param("ivfpq", marks=pytest.mark.heavy)])
def test_save_load_round_trip(tmp_path: Path, kind: str) -> None:
    data = _clustered(4000, 32, 20, seed=4)
    params = AnnParams(hnsw_ef_search=77, ivf_nlist=16, ivf_nprobe=5, pq_m=8)
    index = vectors.build(data, kind, params)  # type: ignore[arg-type]
    before = index.search(data[:20], 5)
    path = tmp_path / "vectors.faiss"
    index.save(path)
    loaded = vectors.load(path, expected_dim=32, expected_ntotal=4000, expected_kind=kind)  # type: ignore[arg-type]
    assert loaded.kind == kind
    assert isinstance(index, VectorIndex) and isinstance(loaded, VectorIndex)  # every backend
    after = loaded.search(data[:20], 5)
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_allclose(before[0], after[0])
    if kind == "hnsw":
        assert loaded.params.hnsw_ef_search == 77
        assert loaded.params.hnsw_m == params.hnsw_m
    if kind in ("ivf", "ivfpq"):
        assert (loaded.params.ivf_nlist, loaded.params.ivf_nprobe) == (16, 5)


def test_load_refuses_mismatch_and_garbage(tmp_path: Path) -> None:
    data = _normalised(np.random.default_rng(5).standard_normal((100, 16)))
    path = tmp_path / "vectors.faiss"
    vectors.build(data, "flat").save(path)
    with pytest.raises(ArtifactMismatchError, match="dim"):
        vectors.load(path, expected_dim=384)
    with pytest.raises(ArtifactMismatchError, match="ntotal"):
        vectors.load(path, expected_ntotal=101)
    with pytest.raises(ArtifactMismatchError, match="kind"):
        vectors.load(path, expected_kind="hnsw")
    garbage = tmp_path / "garbage.faiss"
    garbage.write_bytes(b"not a faiss index at all")
    with pytest.raises(ArtifactError, match="unreadable"):
        vectors.load(garbage)
    with pytest.raises(ArtifactError, match="not found"):
        vectors.load(tmp_path / "missing.faiss")


def test_invalid_inputs() -> None:
    index = vectors.build(_normalised(np.random.default_rng(6).standard_normal((50, 8))), "flat")
    with pytest.raises(InvalidInputError, match="dim 8"):
        index.search(np.zeros((1, 9), dtype=np.float32), 3)
    with pytest.raises(InvalidInputError, match="k must be positive"):
        index.search(np.zeros((1, 8), dtype=np.float32), 0)
    with pytest.raises(InvalidInputError, match="unknown index kind"):
        vectors.create(8, "annoy")  # type: ignore[arg-type]


def test_small_index_pads_missing_results() -> None:
    data = _normalised(np.random.default_rng(9).standard_normal((3, 8)))
    scores, ids = vectors.build(data, "flat").search(data[:1], 5)
    assert ids[0, 3:].tolist() == [-1, -1]
    assert np.isneginf(scores[0, 3:]).all()
    empty_scores, empty_ids = vectors.create(8, "ivf").search(data[:1], 2)
    assert empty_ids.tolist() == [[-1, -1]] and np.isneginf(empty_scores).all()


def test_choose_kind_by_size() -> None:
    assert choose_kind(10) == "flat"
    assert choose_kind(EXACT_THRESHOLD - 1) == "flat"
    assert choose_kind(EXACT_THRESHOLD) == "hnsw"
    assert choose_kind(1000, threshold=500) == "hnsw"
    assert vectors.build(np.eye(4, dtype=np.float32), "auto").kind == "flat"
