"""Theme clusters of projects on their embeddings, labelled by class-based TF-IDF keywords.

KMeans is run for every k in ``[theme_k_min, theme_k_max]`` and the k with the
best silhouette (cosine, on a sample of at most 3,000 points) is kept. Each
theme is labelled by the words that are frequent in it and rare elsewhere
(c-TF-IDF: ``tf(t, c) · log(1 + A / f(t))`` with ``A`` the mean number of words
per theme and ``f(t)`` the frequency of ``t`` over all themes). The 2-D map is
a PCA projection of the same embeddings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

import numpy as np

from indexer.encoder.base import Encoder
from indexer.records import Project
from indexer.reuse.records import MapPoint, ReuseParams, Theme

_N_KEYWORDS = 5
T = TypeVar("T")
_SILHOUETTE_SAMPLE = 3000


def project_text(project: Project) -> str:
    """The text a project is embedded and labelled by: its name and goal."""
    return f"{project.name}。{project.goal}"


def sample_projects(items: Sequence[T], limit: int, seed: int) -> list[T]:
    """All items, or a deterministic sample of ``limit`` of them (kept in order)."""
    if len(items) <= limit:
        return list(items)
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(items), size=limit, replace=False))
    return [items[int(i)] for i in keep]


def embed_projects(projects: Sequence[Project], encoder: Encoder) -> np.ndarray:
    """Passage embeddings of the projects, encoding each distinct text once."""
    texts = [project_text(p) for p in projects]
    unique = list(dict.fromkeys(texts))
    if not unique:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    vectors = np.asarray(encoder.encode_passages(unique), dtype=np.float32)
    row = {t: i for i, t in enumerate(unique)}
    return vectors[[row[t] for t in texts]]


def choose_k(
    vectors: np.ndarray, k_min: int, k_max: int, seed: int
) -> tuple[np.ndarray, float | None, list[tuple[int, float]]]:
    """KMeans labels for the k with the best silhouette, that silhouette, and every k's score."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    n_distinct = len(np.unique(vectors.round(6), axis=0)) if len(vectors) else 0
    upper = min(k_max, n_distinct - 1)
    if upper < 2:
        return np.zeros(len(vectors), dtype=np.int64), None, []
    scores: list[tuple[int, float]] = []
    best: tuple[float, np.ndarray] | None = None
    sample = min(_SILHOUETTE_SAMPLE, len(vectors))
    for k in range(max(2, min(k_min, upper)), upper + 1):
        # One thread: KMeans' OpenMP threads spin-wait and slow down ~50x on a shared, busy machine.
        with threadpool_limits(limits=1):
            labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
        score = float(
            silhouette_score(vectors, labels, metric="cosine", sample_size=sample, random_state=seed)
        )
        scores.append((k, round(score, 4)))
        if best is None or score > best[0]:
            best = (score, labels)
    assert best is not None
    return best[1], round(best[0], 4), scores


def _maximal(tokens: Sequence[str]) -> list[str]:
    """Words of two or more characters that are not part of a longer word of the same text: jieba's
    search mode yields 广州, 州市 and 广州市 for 广州市, and only 广州市 makes a label."""
    words = {t for t in tokens if len(t) >= 2}
    longer = sorted(words, key=len, reverse=True)
    keep = {w for w in words if not any(len(o) > len(w) and w in o for o in longer)}
    return [t for t in tokens if t in keep]


def ctfidf_keywords(
    docs_tokens: Sequence[list[str]], labels: np.ndarray, n: int = _N_KEYWORDS
) -> dict[int, list[str]]:
    """Top ``n`` class-based TF-IDF words of each label."""
    per_class: dict[int, Counter[str]] = {}
    for tokens, label in zip(docs_tokens, labels, strict=True):
        per_class.setdefault(int(label), Counter()).update(_maximal(tokens))
    overall: Counter[str] = Counter()
    for counts in per_class.values():
        overall.update(counts)
    avg_words = sum(overall.values()) / max(1, len(per_class))
    out: dict[int, list[str]] = {}
    for label, counts in per_class.items():
        total = sum(counts.values()) or 1
        scored = {t: (c / total) * math.log(1 + avg_words / overall[t]) for t, c in counts.items()}
        # Drop words contained in a higher-ranked keyword (jieba search mode yields 服务贸易 and 贸易).
        chosen: list[str] = []
        for word in sorted(scored, key=lambda t: (-scored[t], t)):
            if any(word in c or c in word for c in chosen):
                continue
            chosen.append(word)
            if len(chosen) == n:
                break
        out[label] = chosen
    return out


def find_themes(
    projects: Sequence[Project], encoder: Encoder, params: ReuseParams
) -> tuple[list[Theme], float | None, list[tuple[int, float]], list[MapPoint]]:
    """Themes of (a sample of) the projects, the chosen silhouette, every k's score, and map points."""
    from sklearn.decomposition import PCA

    from indexer.tokenize import tokenize

    chosen = sample_projects(projects, params.theme_max_projects, params.seed)
    if len(chosen) < 3:
        return [], None, [], []
    vectors = embed_projects(chosen, encoder)
    labels, silhouette, scores = choose_k(vectors, params.theme_k_min, params.theme_k_max, params.seed)
    tokens = [tokenize(project_text(p)) for p in chosen]
    keywords = ctfidf_keywords(tokens, labels)
    themes: list[Theme] = []
    for label in sorted(set(int(x) for x in labels)):
        idx = np.flatnonzero(labels == label)
        members = [chosen[int(i)] for i in idx]
        names = Counter(p.name for p in members)
        words = keywords.get(label, [])
        themes.append(
            Theme(
                id=label,
                label="·".join(words[:3]) or f"theme {label}",
                keywords=tuple(words),
                n_projects=len(members),
                example_projects=tuple(name for name, _ in names.most_common(5)),
                amount_total=sum((p.amounts.total or Decimal(0) for p in members), Decimal(0)),
            )
        )
    themes.sort(key=lambda t: -t.n_projects)

    coords = PCA(n_components=2, random_state=params.seed).fit_transform(vectors)
    shown = sample_projects(list(range(len(chosen))), params.max_map_points, params.seed)
    points = [
        MapPoint(
            project_id=chosen[i].id,
            project_name=chosen[i].name,
            district=chosen[i].district,
            theme=int(labels[i]),
            x=round(float(coords[i, 0]), 5),
            y=round(float(coords[i, 1]), 5),
        )
        for i in shown
    ]
    return themes, silhouette, scores, points
