"""The few-text feature path (``FeatureBuilder.rows``) equals sklearn's transform."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.core import Core
from classifier.features import EmbeddingCache, FeatureBuilder
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
