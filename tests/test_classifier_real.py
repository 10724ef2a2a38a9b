"""Classifier on the real seed corpus with the real encoder (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier import taxonomy
from classifier.audit import audit
from classifier.dataset import corpus_examples
from classifier.evaluate import evaluate, format_report
from classifier.features import EmbeddingCache
from classifier.model import IndicatorClassifier
from classifier.pool import pool_of
from indexer.corpus import Corpus
from indexer.encoder import Encoder
from indexer.store import CorpusStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(seed_paths: list[Path], tmp_path_factory) -> Corpus:
    store = CorpusStore(tmp_path_factory.mktemp("clf-real") / "corpus.sqlite")
    store.ingest(seed_paths)
    return store.load()


@pytest.fixture(scope="module")
def encoder(real_encoder) -> Encoder:
    return real_encoder


@pytest.fixture(scope="module")
def cache(real_embedding_cache) -> EmbeddingCache:
    return real_embedding_cache


@pytest.fixture(scope="module")
def model(real_models, corpus: Corpus, encoder: Encoder) -> IndicatorClassifier:
    """The session store's classifier, trained on the seed corpus (its hash is checked on load)."""
    return IndicatorClassifier.load(real_models.classifier_dir, encoder, corpus=corpus)


def test_training_data_is_the_deduplicated_coded_indicators(corpus, model):
    coded = [i for i in corpus.indicators() if i.level2_code]
    assert len(coded) >= 590  # the four coded tables
    examples = corpus_examples(corpus)
    assert len(examples) < len(coded)  # copy-pasted indicators count once
    pool = pool_of(examples, model.params)  # names filed under two codes: the majority's examples stay
    assert model.info["n_corpus_examples"] == sum(e.source == "corpus" for e in pool) > 0.9 * len(examples)
    assert model.info["n_library_examples"] == sum(e.source == "library" for e in pool) >= 2000
    assert model.info["n_real_examples"] == sum(e.source == "real" for e in pool) >= 200  # use_real_forms on
    assert all(model.info["class_counts"][c] >= 60 for c in taxonomy.CODES)  # the library covers every code


def test_huadu_level1_only_indicators_all_agree_with_their_level1(corpus, model):
    report = audit(corpus, model)
    huadu = [t for t in report.level1_only if t.district == "花都区"]
    assert len(huadu) == 182
    for tagged in huadu:
        assert tagged.prediction.code in taxonomy.codes_for_level1(tagged.level1), tagged
        assert tagged.prediction.level1 == tagged.level1
    # the audit checked every coded indicator out of fold and reports only confident disagreements
    assert report.n_checked == sum(1 for i in corpus.indicators() if i.level2_code)
    for c in report.contradictions:
        assert not taxonomy.same_concept(c.predicted_code, c.filed_code) and c.probability >= 0.8


def test_obvious_indicators(model):
    assert model.predict("资金拨付及时率", "100%").code == "13"
    assert model.predict("服务对象满意度", "≥90%").code == "31"
    assert model.predict("培训人数", "≥300人次").code == "11"
    assert model.predict("验收合格率", "100%").code == "12"
    assert model.predict("带动企业销售额增长", "≥10%").code == "21"
    # other provinces / sectors, not Guangzhou commerce
    assert model.predict("农村危房改造户数", "≥120户").code == "11"
    assert model.predict("学生营养餐供应及时率", "100%").code == "13"
    # outputs of other sectors are outputs, not outcomes (names not in the library)
    assert model.predict("植树造林面积", "≥3000亩").code == "11"
    assert model.predict("村组道路硬化长度", "≥12公里").code == "11"
    assert model.predict("农民工技能培训人数", "≥500人").code == "11"
    # a subsidy standard is a cost: 14 under 产出 / pre-2021, 41 under 成本 / 2021
    assert model.predict("困难学生生活补助标准", "1000元/人", level1="产出").code == "14"
    assert model.predict("困难学生生活补助标准", "1000元/人", level1="成本").code == "41"
    assert model.predict("困难学生生活补助标准", "1000元/人", framework="2021").code == "41"


def test_round_trip_with_real_encoder(tmp_path, corpus, encoder, model):
    model.save(tmp_path / "clf")
    loaded = IndicatorClassifier.load(tmp_path / "clf", encoder, corpus=corpus)
    names = ["展会筹备工作按时完成率", "新增纳统企业数量", "参展商满意度"]
    for a, b in zip(loaded.predict_many(names), model.predict_many(names), strict=True):
        assert a.code == b.code and a.probability == pytest.approx(b.probability, abs=1e-5)


def test_leave_one_district_out_evaluation_is_sane(corpus, encoder, cache):
    report = evaluate(corpus, encoder, cache=cache)
    print("\n" + format_report(report))
    models = report["models"]
    assert report["summary"]["n_folds"] == 4
    assert models["model"]["accuracy"] > models["majority"]["accuracy"] + 0.2
    assert models["model"]["accuracy"] > models["tfidf_svc"]["accuracy"]
    assert models["model"]["macro_f1"] > models["majority"]["macro_f1"]
    assert models["model_level1_known"]["accuracy"] >= models["model"]["accuracy"]
    assert report["summary"]["ece"] < 0.15
    # abstaining on low-confidence predictions must raise accuracy on what is answered
    curve = report["coverage"]
    assert curve[-1]["accuracy"] > curve[0]["accuracy"]
