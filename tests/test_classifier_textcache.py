"""``classifier.textcache``: the shared analysis gives sklearn's matrices and the same model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from test_classifier_fast import QUERIES
from test_classifier_fast import TRAIN as FAST_TRAIN

from classifier.core import ModelParams, fit_core
from classifier.cues import cue_matrix
from classifier.dataset import Example
from classifier.evaluate import evaluate, manifest_block
from classifier.features import NAME_NGRAMS, VALUE_NGRAMS, FeatureBuilder, _vectorizer
from classifier.model import IndicatorClassifier
from classifier.textcache import TextCache, active_cache, shared_analysis
from indexer.encoder import FakeEncoder
from indexer.store import CorpusStore

# The few-text path's texts, plus a repeated one (it counts twice in the document frequencies)
# and a year that folds to 9.
TRAIN = [*FAST_TRAIN, ("培训人数", "≥200人"), ("2025年度培训人数", "年底前")]
TEST = QUERIES


def _same(a: sp.sparray, b: sp.sparray) -> None:
    a, b = sp.csr_array(a), sp.csr_array(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)  # exactly: the same numbers in the same order


@pytest.mark.parametrize("ngrams", [NAME_NGRAMS, VALUE_NGRAMS])
def test_fit_and_transform_are_sklearns(ngrams):
    def make():
        return _vectorizer(ngrams)

    train, test = [n for n, _ in TRAIN], [n for n, _ in TEST]
    ours, theirs = make(), make()
    cache = TextCache()
    cache.transform("x", make().fit(test), test)  # texts seen before the fit change nothing
    cache.fit("x", ours, train)
    theirs.fit(train)
    assert list(ours.vocabulary_.items()) == list(theirs.vocabulary_.items())  # order too: it is saved
    assert np.array_equal(ours.idf_, theirs.idf_) and ours.idf_.dtype == theirs.idf_.dtype
    for texts in (train, test):
        _same(cache.transform("x", ours, texts), theirs.transform(texts))
    # a vectorizer fitted by sklearn itself (the loaded model's case) is transformed the same too
    _same(cache.transform("x", theirs, test), theirs.transform(test))


def test_feature_matrix_and_cues_unchanged_inside_the_block():
    names, values = [n for n, _ in TRAIN], [v for _, v in TRAIN]
    plain = FeatureBuilder(None, cue_weight=0.3).fit(names, values)
    with shared_analysis():
        shared = FeatureBuilder(None, cue_weight=0.3).fit(names, values)
        inside = shared.transform([n for n, _ in TEST], [v for _, v in TEST])
    _same(inside, plain.transform([n for n, _ in TEST], [v for _, v in TEST]))
    assert plain.state()[0] == shared.state()[0]
    cache = TextCache()
    test_names, test_values = [n for n, _ in TEST], [v for _, v in TEST]
    cache.cues(test_names[:2], test_values[:2])
    assert np.array_equal(cache.cues(test_names, test_values), cue_matrix(test_names, test_values))
    assert cache.cues([], []).shape == cue_matrix([], []).shape


def test_blocks_nest_and_end():
    assert active_cache() is None
    with shared_analysis() as outer:
        with shared_analysis() as inner:
            assert inner is outer is active_cache()
        assert active_cache() is outer
    assert active_cache() is None


def test_same_weights_from_a_fit_inside_the_block():
    codes = ["11", "11", "13", "31", "21", "12", "11", "11", "13"]
    assert len(codes) == len(TRAIN)
    examples = [
        Example(name, value, code, "产出", f"t{i % 3}", "corpus")
        for i, ((name, value), code) in enumerate(zip(TRAIN, codes, strict=True))
    ]
    params = ModelParams()
    plain = fit_core(examples, None, params)
    with shared_analysis():
        fit_core(examples[:4], None, params)  # another fit first: its vocabulary must not leak
        shared = fit_core(examples, None, params)
    assert np.array_equal(plain.coef, shared.coef) and np.array_equal(plain.intercept, shared.intercept)


@pytest.mark.heavy
def test_seed_evaluation_and_model_identical_with_the_shared_analysis(tmp_path, seed_paths):
    """The whole of what `jixiao build` computes for the classifier, with and without the cache."""
    store = CorpusStore(tmp_path / "corpus.sqlite")
    store.ingest(seed_paths)
    corpus, encoder = store.load(), FakeEncoder()
    plain_report = evaluate(corpus, encoder, baselines=False)
    plain = IndicatorClassifier.train(corpus, encoder)
    with shared_analysis():
        report = evaluate(corpus, encoder, baselines=False)
        model = IndicatorClassifier.train(corpus, encoder)
    assert manifest_block(report) == manifest_block(plain_report)
    assert (model.temperature, model.threshold) == (plain.temperature, plain.threshold)
    assert np.array_equal(model._core.coef, plain._core.coef)
    assert json.dumps(model._core.features.state()[0]) == json.dumps(plain._core.features.state()[0])
