"""Near-duplicate detection: MinHash/LSH candidates, exact verification, connected components.

Signatures come from ``datasketch.MinHash.bulk``; the band parameters ``(b, r)``
are those ``datasketch.MinHashLSH`` picks for the candidate threshold. Bucketing
is done here with numpy over the whole signature matrix (one ``np.unique`` per
band) rather than by querying an LSH index once per text, which keeps a million
texts tractable. Every candidate pair is then verified on the exact shingle
sets, so MinHash only decides which pairs are *looked at*, never which are
reported. In a bucket larger than ``max_bucket_all_pairs`` each text is
compared with at most ``max_representatives`` bucket representatives instead
of all members (linear instead of quadratic; bands give further chances).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from indexer.text import strip_punctuation_space


@lru_cache(maxsize=1 << 20)
def dup_key(text: str) -> str:
    """Key of exact duplicates: :func:`indexer.text.strip_punctuation_space` (cached).

    ``text`` is expected to be already :func:`indexer.text.canonical` (as
    ``Project.goal`` and ``Indicator.name`` are).
    """
    return strip_punctuation_space(text)


def char_shingles(key: str, k: int) -> frozenset[str]:
    """Character ``k``-grams of ``key`` (the key itself when shorter than ``k``)."""
    if len(key) <= k:
        return frozenset((key,)) if key else frozenset()
    return frozenset(key[i : i + k] for i in range(len(key) - k + 1))


@dataclass(frozen=True, slots=True)
class Verifier:
    """Decides whether two shingle sets are near-duplicates."""

    jaccard: float
    containment: float | None = None  # None: Jaccard only
    min_containment_shingles: int = 0
    min_length_ratio: float = 0.4  # containment only between texts of comparable length

    def __call__(self, a: frozenset[str], b: frozenset[str]) -> float | None:
        """The pair's Jaccard similarity when it is a near-duplicate, else None."""
        if not a or not b:
            return None
        inter = len(a & b)
        jac = inter / (len(a) + len(b) - inter)
        if jac >= self.jaccard:
            return jac
        if self.containment is not None:
            small, large = sorted((len(a), len(b)))
            if (
                small >= self.min_containment_shingles
                and small >= self.min_length_ratio * large
                and inter / small >= self.containment
            ):
                return jac
        return None


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Exact Jaccard similarity of two sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True, slots=True)
class Banding:
    """How one kind's candidate pairs are made: the LSH threshold its ``(bands, rows)`` come from,
    and in a bucket of more than ``max_bucket_all_pairs`` keys, how many of the bucket's first keys
    (representatives) every key is compared with. ``Banding(t, 1, 1)`` pairs every key of a bucket
    with the bucket's first key only: star edges, at most one candidate per key and band."""

    threshold: float
    max_bucket_all_pairs: int
    max_representatives: int


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` that ``datasketch.MinHashLSH`` picks for a candidate ``threshold``."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def signatures(sets: Sequence[frozenset[str]], num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures (``datasketch``) of ``sets``, one uint32 row each."""
    encoded = [[s.encode("utf-8") for s in shingles] or [b""] for shingles in sets]
    sigs = MinHash.bulk(encoded, num_perm=num_perm, seed=seed)
    return np.vstack([m.hashvalues for m in sigs]).astype(np.uint32)


def _band_buckets(sig: np.ndarray, bands: int, rows: int) -> list[np.ndarray]:
    """Groups (arrays of row indices, size ≥ 2) of texts sharing one band of their signature."""
    groups: list[np.ndarray] = []
    for band in range(bands):
        block = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        multi = np.flatnonzero(counts >= 2)
        if multi.size == 0:
            continue
        order = np.argsort(inverse, kind="stable")
        starts = np.concatenate(([0], np.cumsum(counts)))
        for g in multi:
            groups.append(order[starts[g] : starts[g + 1]])
    return groups


def near_duplicate_edges(
    sets: Sequence[frozenset[str]],
    verify: Callable[[frozenset[str], frozenset[str]], float | None],
    *,
    num_perm: int,
    lsh_threshold: float,
    max_bucket_all_pairs: int,
    max_representatives: int,
    seed: int = 0,
) -> dict[tuple[int, int], float]:
    """Verified near-duplicate pairs ``(i, j) → Jaccard`` among ``sets`` (indices, i < j).

    Only what connected components need is verified: a candidate pair whose
    texts are already joined through earlier verified pairs is skipped, so the
    result is a spanning set of verified edges, not every similar pair.
    """
    n = len(sets)
    if n < 2:
        return {}
    bands, rows = lsh_bands(lsh_threshold, num_perm)
    sig = signatures(sets, num_perm, seed)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges: dict[tuple[int, int], float] = {}
    refused: set[tuple[int, int]] = set()

    def join(i: int, j: int) -> bool:
        """Verify (i, j) unless already connected; True when they end up connected."""
        ri, rj = find(i), find(j)
        if ri == rj:
            return True
        pair = (i, j) if i < j else (j, i)
        if pair in refused:
            return False
        sim = verify(sets[pair[0]], sets[pair[1]])
        if sim is None:
            refused.add(pair)
            return False
        edges[pair] = sim
        parent[ri] = rj
        return True

    for bucket in _band_buckets(sig, bands, rows):
        members = [int(i) for i in bucket]
        if len(members) <= max_bucket_all_pairs:
            for a, i in enumerate(members):
                for j in members[a + 1 :]:
                    join(i, j)
            continue
        reps: list[int] = []
        for i in members:
            if not any(join(rep, i) for rep in reps[:max_representatives]):
                reps.append(i)
    return edges


def components(n: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes (scipy.sparse.csgraph)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if not edges:
        return np.arange(n)
    rows = np.fromiter((e[0] for e in edges), dtype=np.int64, count=len(edges))
    cols = np.fromiter((e[1] for e in edges), dtype=np.int64, count=len(edges))
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels
