"""The few-text feature path (``FeatureBuilder.rows``) equals sklearn's transform, and needs no sklearn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from classifier.core import Core
from classifier.features import (
    NAME_NGRAMS,
    VALUE_NGRAMS,
    EmbeddingCache,
    FeatureBuilder,
    _vectorizer,
    char_analyzer,
)
from indexer.encoder import FakeEncoder

TRAIN = [
    ("会展活动次数", "≥3次"),
    ("外贸企业支持数量", "≥10家"),
    ("资金拨付及时率", "100%"),
    ("服务对象满意度", "≥90%"),
    ("带动产值", "≥5000万元"),
    ("项目验收合格率", None),
    ("培训人数", "≥200人"),
]
QUERIES = [
    ("会展活动次数", "≥3次"),
    ("资金资金拨付及时率及时率", "≥98%"),
    ("全新的词", None),
    ("ZZZ", "qqq"),  # no gram in either vocabulary
    ("", ""),
    ("２０２５年度培训人数", "年底前"),
]


@pytest.mark.parametrize("embedding_weight,cue_weight", [(0.0, 0.3), (1.0, 0.0), (0.7, 0.5)])
def test_rows_equal_transform(embedding_weight, cue_weight):
    embed = EmbeddingCache(FakeEncoder(dim=16))
    builder = FeatureBuilder(
        embed, value_weight=0.5, embedding_weight=embedding_weight, cue_weight=cue_weight
    )
    builder.fit([n for n, _ in TRAIN], [v for _, v in TRAIN])
    names, values = [n for n, _ in QUERIES], [v for _, v in QUERIES]
    dense = builder.transform(names, values).toarray()
    fast = np.zeros_like(dense)
    for i, (idx, data) in enumerate(builder.rows(names, values)):
        fast[i, idx] = data
    assert dense.shape[1] == builder.n_features
    np.testing.assert_allclose(fast, dense, rtol=1e-5, atol=1e-6)


def test_core_logits_agree_for_few_and_many_texts():
    builder = FeatureBuilder(None, cue_weight=0.3).fit([n for n, _ in TRAIN], [v for _, v in TRAIN])
    rng = np.random.default_rng(0)
    coef = rng.normal(size=(3, builder.n_features))
    core = Core(builder, np.array(["11", "12", "13"]), coef, rng.normal(size=3))
    names, values = [n for n, _ in QUERIES] * 3, [v for _, v in QUERIES] * 3  # 18 > the few-text limit
    many = core.logits(names, values)
    few = np.vstack([core.logits([n], [v]) for n, v in zip(names, values, strict=True)])
    np.testing.assert_allclose(few, many, rtol=1e-5, atol=1e-6)
    assert core.logits([], []).shape == (0, 3)


@pytest.mark.parametrize("ngrams", [NAME_NGRAMS, VALUE_NGRAMS, (2, 4)])
def test_char_analyzer_is_sklearns(ngrams):
    texts = [n for n, _ in TRAIN + QUERIES] + [v or "" for _, v in TRAIN + QUERIES]
    texts += [
        "a",
        "ab",
        "  两个  空格\t\n换行 ",
        "２０２５年 1,234.5万元 ≥95%",
        "Ａｂ 大写 ABC",
        "\u3000全角空格\u3000\u3000",
    ]
    ours = char_analyzer(ngrams)
    theirs = _vectorizer(ngrams).build_analyzer()
    for text in texts:
        assert ours(text) == theirs(text), text


def test_a_restored_builder_featurises_few_texts_without_sklearn_and_many_with_it():
    builder = FeatureBuilder(None, cue_weight=0.3).fit([n for n, _ in TRAIN], [v for _, v in TRAIN])
    params, arrays = builder.state()
    restored = FeatureBuilder.from_state(params, arrays, None)
    names, values = [n for n, _ in QUERIES], [v for _, v in QUERIES]
    assert restored._tfidf is None
    rows = restored.rows(names, values)
    assert restored._tfidf is None and restored.n_features == builder.n_features  # no vectorizer made
    assert restored.state()[0] == params
    for (idx, data), (want_idx, want) in zip(rows, builder.rows(names, values), strict=True):
        assert np.array_equal(idx, want_idx) and np.array_equal(data, want)
    dense = restored.transform(names, values).toarray()
    np.testing.assert_array_equal(dense, builder.transform(names, values).toarray())


def test_loading_a_classifier_imports_neither_sklearn_nor_scipy():
    code = (
        "import sys\n"
        "import classifier.model, classifier.calibration, classifier.core, classifier.features\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
