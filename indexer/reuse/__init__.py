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
Calibrated by hand on the seed corpus: every pair of distinct goals (and of
distinct indicator names) was ranked by similarity and read.

* goals: Jaccard ≥ **0.45** on character 3-gram shingles, **or** containment ≥
  **0.9** of the shorter goal in the longer one when the shorter has ≥ 20
  shingles and ≥ 40 % of the longer one's (so containment pairs have Jaccard ≥
  0.35; one clause shared with a much longer goal is not a near-duplicate of it).
  Containment is what catches "template + extra clause": one of the city's
  服务贸易专题 rows appends a cruise-industry (邮轮) clause that doubles its length —
  Jaccard 0.49, containment 1.0. On the seed, every pair at Jaccard ≥ 0.45 is a
  template copy (援疆 / 援藏 / 贵州 goals with the place swapped at 0.49–0.54,
  the 海关 / 口岸 / 海事 subsidy goals at 0.49–0.54, two 荔湾 goals sharing a
  whole sentence at 0.46); the next pair down is at 0.39 (two clauses shared by
  different programmes), and unrelated goals of one department stay < 0.3.
* indicator names: Jaccard ≥ **0.7** on character bigrams; names shorter than 4
  characters only match exactly. On the seed, pairs at ≥ 0.7 are variants of one
  measure (``批发业商品销售额增速`` / ``批发业商品销售总额增速`` 0.73,
  ``扶持企业满意度`` / ``支持企业满意度`` 0.71) while just below are different
  measures (``完成市贸促委下达的展位数`` / ``…展区面积`` 0.64); ``扶持资金发放正确率``
  vs ``扶持资金发放及时率`` is 0.45.
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
