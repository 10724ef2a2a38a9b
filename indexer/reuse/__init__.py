"""Boilerplate reuse: copy-pasted goals, indicator names and indicator sets.

What is detected
----------------
* **Goal texts** — exact duplicates after normalisation (:func:`~indexer.reuse.neardup.dup_key`:
  whitespace and punctuation dropped) and near-duplicates on character
  3-gram shingles. Goals shorter than 12 characters (``无``) are ignored.
* **Indicator names** — the same on character bigrams (names are short).
* **Whole indicator sets** — a project's set of normalised indicator names,
  compared as a set of names.
* **Amount-only duplicates** — projects whose goal and every indicator (name,
  annual and cycle value) are identical and which differ only in their amounts;
  then those identical once every number is masked (``numbers_only``).
* **Themes** — KMeans on the projects' embeddings (name + goal), k chosen by
  silhouette in 3..12, labelled by class-based TF-IDF on jieba words; a PCA map.

How near-duplicates are found
-----------------------------
MinHash signatures (``datasketch``, 128 permutations) are banded as
``datasketch.MinHashLSH`` would for a *candidate* threshold of 0.2 (28 bands of
2 rows), below the Jaccard of any pair verification can accept (≥ 0.35, see
containment below), so the LSH step rarely misses such a pair: the probability
of becoming a candidate is 97 % at Jaccard 0.35, 99.2 % at 0.4 and 99.97 % at
0.5, and a cluster is usually joined by several pairs. Each candidate pair is
then verified on the exact shingle sets; pairs already joined are skipped; the
verified pairs are grouped by connected components (scipy).
``bench/bench_reuse.py`` compares the result with naive all-pairs verification.

Thresholds (``ReuseParams`` defaults) and why
---------------------------------------------
* goals: Jaccard ≥ **0.6** on 3-gram shingles, **or** containment ≥ **0.9** of the
  shorter goal in the longer one when the shorter has ≥ 20 shingles and ≥ 40 %
  of the longer one's (so containment pairs have Jaccard ≥ 0.35; a single clause
  shared with a much longer goal is not a near-duplicate of it). A goal that
  keeps a shared template and appends a whole clause (the city's 服务贸易专题 rows:
  one adds a cruise-industry clause that doubles its length) has Jaccard ≈ 0.5
  but containment 1.0 — containment is what catches "template + extra clause";
  Jaccard 0.6 catches edits inside the text (3-gram Jaccard 0.6 ≈ four
  characters in five unchanged). Unrelated goals of one department share
  generic phrasing (促进…高质量发展) but stay well below both cut-offs.
* indicator names: Jaccard ≥ **0.75** on bigrams, names shorter than 4
  characters only match exactly: ``商务部业务统一服务平台新增认证个数`` ≈
  ``商务部业务统一平台新增认证个数`` (0.88) but ``扶持资金发放正确率`` ≠
  ``扶持资金发放及时率`` (0.45) — they measure different things.
* indicator sets: Jaccard ≥ **0.8** over normalised names (at most one name
  in five differs); sets of fewer than 2 indicators are ignored.

Public API: :func:`find_reuse`, :func:`report_to_dict`, :func:`write_report`,
:func:`figures`, :func:`tables`, :func:`summary`,
:class:`ReuseParams`, :class:`ReuseReport`.
"""

from indexer.reuse.detect import find_reuse
from indexer.reuse.html import figures, render_html, write_report
from indexer.reuse.records import (
    AmountOnlyGroup,
    Cluster,
    DiffSpan,
    GroupMeasure,
    MapPoint,
    Member,
    ReusedName,
    ReuseParams,
    ReuseReport,
    Theme,
)
from indexer.reuse.serialize import report_to_dict, summary, tables

__all__ = [
    "AmountOnlyGroup",
    "Cluster",
    "DiffSpan",
    "GroupMeasure",
    "MapPoint",
    "Member",
    "ReuseParams",
    "ReuseReport",
    "ReusedName",
    "Theme",
    "figures",
    "find_reuse",
    "render_html",
    "report_to_dict",
    "summary",
    "tables",
    "write_report",
]
