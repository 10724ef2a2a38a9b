"""Classifier on small synthetic corpora with the fake encoder: fast, no built artifacts."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from classifier_support import TOPICS, synthetic_corpus, synthetic_table

from api.settings import Settings
from classifier import taxonomy
from classifier.audit import audit
from classifier.calibration import tune_threshold
from classifier.dataset import corpus_examples, data_hash, knowledge_examples, name_key, training_examples
from classifier.evaluate import evaluate, expected_calibration_error, format_report
from classifier.features import EmbeddingCache
from classifier.model import IndicatorClassifier, ModelParams
from classifier.pool import real_forms_hash
from classifier.records import Prediction
from classifier.training import train_and_save
from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError
from indexer.records import Indicator, Project


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return synthetic_corpus()


@pytest.fixture(scope="module")
def encoder() -> FakeEncoder:
    return FakeEncoder(dim=64)


@pytest.fixture(scope="module")
def model(corpus, encoder) -> IndicatorClassifier:
    return IndicatorClassifier.train(corpus, encoder)


# --------------------------------------------------------------------------- data


def test_dataset_dedupes_same_name_under_same_code(corpus):
    doubled = Corpus((*corpus.projects, *synthetic_table(9, TOPICS[0])))
    examples = corpus_examples(doubled)
    keys = [(name_key(e.name), e.code) for e in examples]
    assert len(keys) == len(set(keys))
    assert len(examples) == len(corpus_examples(corpus))
    # within-table dedupe keeps the copy in table 9 for per-table test sets
    assert len(corpus_examples(doubled, per_table=True)) == len(examples) + 4 * 18
    assert all(e.code for e in examples)  # level-1-only indicators are not training data


def test_knowledge_is_a_separate_flaggable_source(corpus):
    with_k = training_examples(corpus)
    without = training_examples(corpus, use_knowledge=False)
    assert {e.source for e in without} == {"corpus"}
    assert {e.source for e in with_k} == {"corpus", "knowledge"}
    assert data_hash(with_k) != data_hash(without)


def test_knowledge_keywords_are_optional_name_only_examples(corpus):
    plain = knowledge_examples()
    with_keywords = knowledge_examples(keywords=True)
    assert len(with_keywords) > len(plain)
    extra = [e for e in with_keywords if e not in set(plain)]
    assert extra and all(e.value is None and e.source == "knowledge" for e in extra)
    assert any(e.name == "满意度" and e.code == "31" for e in extra)
    assert len(training_examples(corpus, keywords=True)) == len(corpus_examples(corpus)) + len(with_keywords)


# --------------------------------------------------------------------------- predictions


def test_predicts_clear_cases_with_top3(model):
    pred = model.predict("展会资金拨付及时率", "100%")
    assert isinstance(pred, Prediction)
    assert pred.code == "13" and pred.label == "时效指标" and pred.level1 == "产出"
    assert len(pred.top3) == 3
    probs = [p for _, _, p in pred.top3]
    assert probs == sorted(probs, reverse=True) and pred.probability == probs[0]
    assert model.predict("参展企业满意度", "≥90%").code == "31"


def test_probabilities_sum_to_one(model):
    probs = model.predict_proba(["会展企业数量", "外贸交易额"], [None, "≥1亿元"])
    assert probs.shape == (2, len(model.classes))
    assert np.allclose(probs.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "level1",
    ["产出", "效益", "满意度", "成本", "1-产出指标", "效益指标", "效益指标(30分)", "成本指标（必填）"],
)
def test_level1_restriction_is_always_obeyed(model, level1):
    allowed = set(taxonomy.codes_for_level1(level1))
    inside = np.array([c in allowed for c in model.classes])
    assert inside.any()  # the knowledge file teaches every code, 成本 ones included
    for name in ["举办会展活动次数", "会展服务对象满意度", "带动会展产值", "会展资金拨付及时率"]:
        pred = model.predict(name, level1=level1)
        assert pred.code in allowed
        assert all(code in allowed for code, _, _ in pred.top3)
        # The free probabilities renormalised within the level-1 (a cost is 14 under 产出 and 41
        # under 成本: the other's probability joins it first): same order, same ratios.
        free = dict(zip(model.classes, model.predict_proba([name], [None])[0], strict=True))
        cost = free["14"] + free["41"]
        free["14"], free["41"] = (cost, 0.0) if "14" in allowed else (0.0, cost)
        total = sum(free[c] for c in allowed)
        expected = {c: (free[c] / total if c in allowed else 0.0) for c in model.classes}
        ranked = sorted((c for c in model.classes if c in allowed), key=lambda c: -expected[c])
        assert [c for c, _, _ in pred.top3] == ranked[:3]
        assert [p for _, _, p in pred.top3] == pytest.approx([expected[c] for c in ranked[:3]])
        assert math.isclose(sum(expected[c] for c in ranked), 1.0, abs_tol=1e-6)
    assert model.predict("会展服务对象满意度", level1="满意度").probability == pytest.approx(1.0)


def test_level1_restriction_moves_the_answer(model):
    free = model.predict("会展服务对象满意度")
    forced = model.predict("会展服务对象满意度", level1="效益")
    assert free.code == "31"
    assert forced.code in {"21", "22", "23", "24"}


def test_threshold_marks_needs_review(corpus, encoder, model):
    strict = IndicatorClassifier(model._core, model.temperature, 1.01, model.params, model.info)
    lax = IndicatorClassifier(model._core, model.temperature, 0.0, model.params, model.info)
    assert strict.predict("会展按时完成率").needs_review
    assert strict.predict("会展按时完成率").reason.startswith("probability")
    assert not lax.predict("会展按时完成率").needs_review


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("", "name is empty"),
        ("   ", "name is empty"),
        ("率" * 501, "too long: 501"),
        ("资金\x00拨付及时率", "control character U\\+0000"),
        ("资金\n拨付", "control character"),
    ],
)
def test_bad_inputs_raise_clear_errors(model, name, match):
    with pytest.raises(InvalidInputError, match=match):
        model.predict(name)


def test_bad_value_and_level1_raise(model):
    with pytest.raises(InvalidInputError, match="value contains a control character"):
        model.predict("会展活动次数", value="≥3\x07次")
    with pytest.raises(InvalidInputError, match="level-1"):
        model.predict("会展活动次数", level1="产品指标")
    with pytest.raises(InvalidInputError, match="item 2"):
        model.predict_many(["会展活动次数", ""])


@pytest.mark.parametrize("name", ["customer satisfaction rate", "12345", "!!!", "ＡＢＣ"])
def test_non_chinese_input_needs_review_not_crash(model, name):
    pred = model.predict(name)
    assert pred.needs_review
    assert "Chinese" in pred.reason
    assert pred.code in taxonomy.CODES


def test_predict_many_matches_predict(model):
    items = [("会展活动次数", "≥3次", None), ("带动外贸产值", None, "效益"), "电商服务对象满意度"]
    many = model.predict_many(items)
    single = [model.predict(*i) if isinstance(i, tuple) else model.predict(i) for i in items]
    assert [p.code for p in many] == [p.code for p in single]
    assert [round(p.probability, 6) for p in many] == [round(p.probability, 6) for p in single]
    assert model.predict_many([]) == []


def test_value_text_carries_signal(corpus, encoder):
    # the same ambiguous name tips toward 时效 with a deadline and toward 数量 with a count
    model = IndicatorClassifier.train(corpus, encoder)
    by_deadline = model.predict("会展工作", "年底前")
    by_count = model.predict("会展工作", "≥3次")
    assert dict((c, p) for c, _, p in by_deadline.top3).get("13", 0) > dict(
        (c, p) for c, _, p in by_count.top3
    ).get("13", 0)


# --------------------------------------------------------------------------- persistence


def test_save_load_round_trip(tmp_path, corpus, encoder, model):
    manifest = model.save(tmp_path / "clf", evaluation={"summary": {"accuracy": 0.5}})
    assert manifest["kind"] == "classifier"
    assert manifest["encoder"] == encoder.name and manifest["encoder_dim"] == encoder.dim
    assert manifest["training_data_hash"] and manifest["class_counts"]["31"] > 0
    assert "scikit-learn" in manifest["package_versions"]
    assert not list((tmp_path / "clf").glob("*.pkl"))
    loaded = IndicatorClassifier.load(tmp_path / "clf", encoder, corpus=corpus)
    names = ["会展活动次数", "外贸资金拨付及时率", "带动电商产值", "hello"]
    assert np.allclose(
        loaded.predict_proba(names, [None] * 4), model.predict_proba(names, [None] * 4), atol=1e-6
    )
    assert loaded.threshold == model.threshold and loaded.temperature == model.temperature
    assert loaded.info["evaluation"]["summary"]["accuracy"] == 0.5
    assert IndicatorClassifier.load(tmp_path / "clf", encoder, threshold=0.3).threshold == 0.3
    # A loaded model keeps everything training recorded, so it can be saved and loaded again.
    assert {k: loaded.info[k] for k in model.info} == model.info
    loaded.save(tmp_path / "again")
    IndicatorClassifier.load(tmp_path / "again", encoder, corpus=corpus)


def test_knn_vote_is_persisted_and_optional(tmp_path, corpus, encoder):
    model = IndicatorClassifier.train(corpus, encoder, ModelParams(embedding_weight=1.0, knn_weight=0.5))
    core = model._core
    assert core.knn_vectors is not None and core.knn_labels is not None
    assert core.knn_vectors.shape == (model.info["n_examples"], encoder.dim)
    votes = core.knn_votes(["会展活动次数", "hello"])
    assert votes.shape == (2, len(model.classes)) and np.allclose(votes.sum(axis=1), 1.0)
    model.save(tmp_path / "clf")
    with np.load(tmp_path / "clf" / "arrays.npz", allow_pickle=False) as npz:
        assert {"knn_vectors", "knn_labels"} <= set(npz.files)
    plain = IndicatorClassifier.train(corpus, encoder, ModelParams(embedding_weight=1.0, knn_weight=0.0))
    assert plain._core.knn_vectors is None
    plain.save(tmp_path / "plain")
    with np.load(tmp_path / "plain" / "arrays.npz", allow_pickle=False) as npz:
        assert "knn_vectors" not in npz.files
    loaded = IndicatorClassifier.load(tmp_path / "plain", encoder)
    assert loaded._core.knn_vectors is None
    tfidf_only = IndicatorClassifier.train(corpus, encoder, ModelParams(embedding_weight=0.0))
    assert tfidf_only._core.knn_vectors is None  # no encoder call at prediction time
    assert np.allclose(
        loaded.predict_proba(["会展活动次数"], [None]), plain.predict_proba(["会展活动次数"], [None])
    )


def test_tampered_file_is_refused(tmp_path, encoder, model):
    model.save(tmp_path / "clf")
    path = tmp_path / "clf" / "model.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["threshold"] = 0.0
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ArtifactMismatchError, match=r"sha256 of model\.json"):
        IndicatorClassifier.load(tmp_path / "clf", encoder)


def test_tampered_arrays_refused(tmp_path, encoder, model):
    model.save(tmp_path / "clf")
    arrays = tmp_path / "clf" / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[:-10])
    with pytest.raises(ArtifactMismatchError, match=r"arrays\.npz"):
        IndicatorClassifier.load(tmp_path / "clf", encoder)


def test_mismatched_encoder_or_corpus_refused(tmp_path, corpus, model):
    model.save(tmp_path / "clf")
    with pytest.raises(ArtifactMismatchError, match="encoder mismatch"):
        IndicatorClassifier.load(tmp_path / "clf", FakeEncoder(dim=32))
    other = Corpus(corpus.projects[:3])
    with pytest.raises(ArtifactMismatchError, match="corpus_hash"):
        IndicatorClassifier.load(tmp_path / "clf", FakeEncoder(dim=64), corpus=other)


def test_model_of_other_defaults_or_real_forms_is_not_up_to_date(tmp_path, corpus, encoder, model):
    assert model.info["real_forms_hash"] == real_forms_hash()  # the defaults train on the real forms
    params = ModelParams(C=1.0, use_library=False, use_knowledge=False)
    custom = IndicatorClassifier.train(corpus, encoder, params)
    custom.save(tmp_path / "custom")
    IndicatorClassifier.load(tmp_path / "custom", encoder)  # loadable as such ...
    with pytest.raises(ArtifactMismatchError, match="params"):  # ... but `jixiao build` retrains it
        IndicatorClassifier.load(tmp_path / "custom", encoder, corpus=corpus)


def test_a_cost_is_14_from_the_text_and_41_under_the_cost_level1(tmp_path, corpus, encoder):
    params = ModelParams(cost_framework="pre2021")
    merged = IndicatorClassifier.train(corpus, encoder, params)
    items = [("项目总成本", "≤1125万元"), ("设备购置成本", "≤50万元"), ("人均培训成本", "≤800元/人")]
    for name, value in items:
        text = merged.predict(name, value)
        assert text.code == "14" and all(c != "41" for c, _, _ in text.top3)
        assert merged.predict(name, value, level1="成本").code == "41"
        assert merged.predict(name, value, framework="2021").code == "41"
        assert merged.predict(name, value, level1="产出").code == "14"
    merged.save(tmp_path / "clf")
    loaded = IndicatorClassifier.load(tmp_path / "clf", encoder)
    assert [loaded.predict(n, v) for n, v in items] == [merged.predict(n, v) for n, v in items]
    with pytest.raises(ValueError, match="cost framework"):
        ModelParams(cost_framework="1999")


def test_missing_model_is_clear(tmp_path, encoder):
    with pytest.raises(ArtifactError, match="jixiao build"):
        IndicatorClassifier.load(tmp_path / "nothing", encoder)


def test_a_configured_review_threshold_is_used_and_none_keeps_the_tuned_one(
    tmp_path, encoder, model, monkeypatch
):
    from api.loaders import open_classifier

    model.save(tmp_path / "classifier")
    tuned = open_classifier(Settings(models_dir=tmp_path, encoder="fake"), encoder)
    assert Settings(models_dir=tmp_path).review_threshold is None
    assert tuned.threshold == model.threshold
    strict = open_classifier(Settings(models_dir=tmp_path, review_threshold=1.01), encoder)
    assert strict.threshold == 1.01 and strict.predict("举办会展活动次数").needs_review
    monkeypatch.setenv("JIXIAO_REVIEW_THRESHOLD", "0.0")  # as an operator configures it
    lax = open_classifier(Settings(models_dir=tmp_path), encoder)
    assert lax.threshold == 0.0 and not lax.predict("举办会展活动次数").needs_review


# --------------------------------------------------------------------------- evaluation and audit


@pytest.mark.heavy
def test_evaluate_reports_everything(corpus, encoder):
    report = evaluate(corpus, encoder)
    s = report["summary"]
    assert s["n_folds"] == 3 and s["n_test"] == 3 * 4 * 18
    assert set(report["models"]) == {
        "model",
        "model_level1_known",
        "model_no_library",
        "model_tfidf_only",
        "majority",
        "tfidf_svc",
        "embed_lr",
    }
    assert report["models"]["model"]["accuracy"] > report["models"]["majority"]["accuracy"]
    assert 0.0 <= s["ece"] <= 1.0
    assert report["coverage"][0]["coverage"] == 1.0
    assert sum(map(sum, report["confusion"]["matrix"])) == s["n_test"]
    assert "| model |" in format_report(report)
    json.dumps(report)  # JSON-ready


def test_evaluation_never_trains_on_test_names(corpus, encoder, monkeypatch):
    import classifier.core as m

    seen: list[set[str]] = []
    real_fit = m.fit_core

    def spy(examples, embed, params):
        seen.append({name_key(e.name) for e in examples})
        return real_fit(examples, embed, params)

    monkeypatch.setattr(m, "fit_core", spy)
    keys = {name_key(e.name) for e in corpus_examples(corpus) if e.group == "000_synthetic.txt"}
    logits, _ = m.held_out_logits(
        corpus_examples(corpus), [(k, None) for k in keys], "000_synthetic.txt", None, ModelParams()
    )
    assert logits.shape == (len(keys), len(taxonomy.CODES))
    assert seen and not (seen[-1] & keys)


def test_ece_and_threshold_helpers():
    conf = np.array([0.9, 0.9, 0.6, 0.6])
    assert expected_calibration_error(conf, np.array([1, 1, 1, 0], dtype=bool)) == pytest.approx(
        0.5 * 0.1 + 0.5 * 0.1
    )
    assert tune_threshold(np.array([0.95, 0.9, 0.5, 0.4]), np.array([True, True, False, False])) == 0.51


def test_audit_flags_planted_misfiling_and_tags_level1_only(corpus, encoder, model):
    bad = corpus.projects[0]
    wrong = bad.indicators[-1]  # a 满意度 indicator filed as 11
    planted = Indicator(**{**{f: getattr(wrong, f) for f in wrong.__slots__}, "level2_code": "11"})
    projects = (
        Project(
            **{**{f: getattr(bad, f) for f in bad.__slots__}, "indicators": (*bad.indicators[:-1], planted)}
        ),
        *corpus.projects[1:],
    )
    report = audit(Corpus(projects), model, min_probability=0.5)
    flagged = {c.indicator_id: c for c in report.contradictions}
    assert planted.id in flagged
    assert flagged[planted.id].predicted_code == "31" and flagged[planted.id].filed_code == "11"
    assert len(report.level1_only) == 18
    for tagged in report.level1_only:
        assert tagged.prediction.code in taxonomy.codes_for_level1(tagged.level1)
    json.dumps(report.to_dict(), ensure_ascii=False)


def test_audit_tags_indicators_printed_without_any_category(corpus, model):
    """A form printing no category (level-1 None, no code) gets a code from the model, unrestricted."""
    first = corpus.projects[0]
    unknown = tuple(replace(i, level1=None, level2_code=None) for i in first.indicators)
    report = audit(Corpus((replace(first, indicators=unknown), *corpus.projects[1:])), model)
    tagged = {t.indicator_id: t for t in report.level1_only}
    assert {i.id for i in unknown} <= set(tagged)
    for ind in unknown:
        assert tagged[ind.id].level1 is None and tagged[ind.id].prediction.code in taxonomy.CODES
    json.dumps(report.to_dict(), ensure_ascii=False)


@pytest.mark.heavy
def test_train_and_save_writes_evaluation(tmp_path, corpus, encoder):
    settings = Settings(models_dir=tmp_path / "models", encoder="fake")
    manifest = train_and_save(corpus, encoder, settings.classifier_dir)
    assert manifest["evaluation"]["summary"]["n_test"] > 0
    assert Path(settings.classifier_dir, "manifest.json").is_file()
    IndicatorClassifier.load(settings.classifier_dir, encoder, corpus=corpus)


def test_embedding_cache_encodes_each_text_once(encoder):
    calls: list[int] = []

    class Counting(FakeEncoder):
        def encode_queries(self, texts):
            calls.append(len(texts))
            return super().encode_queries(texts)

    cache = EmbeddingCache(Counting(dim=16))
    cache(["a", "b", "a"])
    cache(["b", "c"])
    assert calls == [2, 1] and len(cache) == 3
    small = EmbeddingCache(FakeEncoder(dim=16), max_entries=2)
    vectors = small(["a", "b", "c"])
    assert vectors.shape == (3, 16) and len(small) == 2
