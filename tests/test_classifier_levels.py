"""Level-aware prediction, value/unit cues, the training pool and the library loader (no encoder)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifier import taxonomy
from classifier.calibration import TARGET_ACCURACY, tune_threshold
from classifier.cues import CUE_NAMES, cue_matrix, cue_vector
from classifier.dataset import Example
from classifier.levels import normalize_framework, restrict, table_framework
from classifier.library import FIELDS, load_library, read_library, search_library
from classifier.pool import library_examples, resolve_conflicts, training_pool
from indexer.errors import ArtifactError, InvalidInputError

CODES = list(taxonomy.CODES)


def _cues(name: str, value: str | None) -> set[str]:
    vec = cue_vector(name, value)
    return {CUE_NAMES[i] for i in np.flatnonzero(vec)}


@pytest.mark.parametrize(
    ("name", "value", "cue"),
    [
        ("完成人工造林面积", "≥1.2万亩", "value_count_unit"),
        ("新建农村公路里程", "≥50公里", "count_noun_and_count_unit"),
        ("培训人次", "≥300人次", "value_count_unit"),
        ("造林成活率", "≥85%", "rate_and_percent"),
        ("国家助学金资助标准", "2000元/人·年", "value_money_per_unit"),
        ("项目总成本", "≤1125万元", "cost_noun_and_money"),
        ("完工时间", "2025年11月底前", "value_date_or_duration"),
        ("审批时限", "≤5个工作日", "time_noun_and_date"),
        ("工程设计使用年限", "≥50年", "value_years"),
        ("群众满意度", "≥90%", "noun_satisfied"),
        ("施工引发信访事件", "0起", "value_none_happened"),
        ("投稿数(篇)", "=30", "name_unit_count"),
        ("投稿数(篇)", "=30", "noun_count"),
        ("居民收入", "有效提升", "value_improve_word"),
        ("管护机制", "健全", "value_lasting_word"),
    ],
)
def test_value_and_unit_cues(name, value, cue):
    assert cue in _cues(name, value)


def test_cues_tell_units_apart():
    assert "value_money_per_unit" not in _cues("项目总投资", "≤500万元")
    assert "value_money" not in _cues("补助标准", "500元/亩")
    assert "value_percent" not in _cues("培训人数", "≥200人")
    assert _cues("名称", None) == {"value_none"}
    m = cue_matrix(["造林成活率", "名称"], ["≥85%", None])
    assert m.shape == (2, len(CUE_NAMES)) and np.allclose(np.linalg.norm(m, axis=1), 1.0)
    assert cue_matrix([], []).shape == (0, len(CUE_NAMES))


def _row(**probs: float) -> np.ndarray:
    return np.array([[probs.get(c, 0.0) for c in CODES]])


def test_cost_under_output_is_14_and_under_cost_is_41():
    p = _row(**{"11": 0.2, "14": 0.1, "41": 0.5, "22": 0.2})
    under_output = restrict(p, CODES, ["产出"])[0]
    assert under_output[CODES.index("14")] == pytest.approx(0.6 / 0.8)
    assert under_output[CODES.index("41")] == 0.0
    under_cost = restrict(p, CODES, ["成本"])[0]
    assert under_cost[CODES.index("41")] == pytest.approx(1.0)
    assert under_cost.sum() == pytest.approx(1.0)


def test_framework_alone_maps_14_and_41():
    p = _row(**{"11": 0.3, "14": 0.3, "41": 0.2, "42": 0.2})
    old = restrict(p, CODES, [None], ["pre2021"])[0]
    assert old[CODES.index("14")] == pytest.approx(0.5 / 0.8) and old[CODES.index("42")] == 0.0
    new = restrict(p, CODES, [None], ["2021"])[0]
    assert new[CODES.index("41")] == pytest.approx(0.5) and new[CODES.index("14")] == 0.0
    untouched = restrict(p, CODES, [None], [None])[0]
    assert np.allclose(untouched, p[0])


@pytest.mark.parametrize("level1", ["产出", "效益", "满意度", "成本"])
def test_restriction_keeps_only_codes_of_the_level1(level1):
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(len(CODES)), size=20)
    out = restrict(p, CODES, [level1] * 20)
    allowed = set(taxonomy.codes_for_level1(level1))
    assert np.allclose(out.sum(axis=1), 1.0)
    assert all(out[:, i].max() == 0.0 for i, c in enumerate(CODES) if c not in allowed)


def test_restriction_with_missing_classes_and_zero_rows():
    classes = ["11", "22", "31"]
    out = restrict(np.array([[0.0, 1.0, 0.0]]), classes, ["产出"])
    assert out.sum() == 0.0  # nothing allowed has probability: the caller reports it


def test_table_framework_and_normalisation():
    assert table_framework(["产出", "成本"], ["11", None]) == "2021"
    assert table_framework(["产出"], ["11", "14"]) == "pre2021"
    assert table_framework(["产出"], ["42"]) == "2021"
    assert table_framework(["产出", "效益"], ["11", "22"]) is None
    assert normalize_framework(" 2021 ") == "2021" and normalize_framework(None) is None
    assert normalize_framework("2020") == "pre2021"
    with pytest.raises(InvalidInputError, match="framework"):
        normalize_framework("1999")


def _ex(name: str, code: str, group: str = "t1", source: str = "corpus") -> Example:
    return Example(name, None, code, taxonomy.level1_of(code), group, source)


def test_conflicts_majority_drop_keep():
    rows = [
        _ex("培训人数", "11", "t1"),
        _ex("培训人数", "11", "t2"),
        _ex("培训人数", "22", "t3"),
        _ex("知晓率", "22", "t1"),
        _ex("知晓率", "12", "t2"),
        _ex("人均成本", "14", "t1"),
        _ex("人均成本", "41", "t2"),
        _ex("满意度", "31", "t1"),
        _ex("满 意 度", "31", "t2"),
    ]
    majority = resolve_conflicts(rows, "majority")
    assert [(e.name, e.code) for e in majority] == [
        ("培训人数", "11"),
        ("人均成本", "14"),
        ("人均成本", "41"),  # one concept in two frameworks: both kept
        ("满意度", "31"),
    ]
    dropped = {(e.name, e.code) for e in resolve_conflicts(rows, "drop")}
    assert ("培训人数", "11") not in dropped and ("人均成本", "41") in dropped
    kept = resolve_conflicts(rows, "keep")
    assert len(kept) == 7  # only exact (name, code) repeats go
    with pytest.raises(ValueError, match="policy"):
        resolve_conflicts(rows, "vote")


def test_training_pool_holds_corpus_library_and_knowledge():
    corpus_rows = [_ex("自定义独有指标名称甲", "11")]
    pool = training_pool(corpus_rows)
    sources = {e.source for e in pool}
    assert sources == {"corpus", "library", "knowledge"}
    assert sum(e.source == "library" for e in pool) >= 2000
    assert {e.group for e in pool if e.source == "library"} == {
        "library:" + s for s in {e.sector for e in load_library()}
    }
    assert training_pool(corpus_rows, use_library=False, use_knowledge=False) == corpus_rows


def test_library_loader_and_search():
    lib = load_library()
    assert len(lib) >= 2000 and len({e.sector for e in lib}) >= 20
    assert {e.code for e in lib} == set(taxonomy.CODES)
    ex = library_examples(lib[:3])
    assert ex[0].value == lib[0].printed_value and ex[0].group == "library:" + lib[0].sector
    hits = search_library(lib, sector="林草", code="12")
    assert hits and all(e.sector == "林草" and e.code == "12" for e in hits)
    assert all("成活率" in e.name for e in search_library(lib, query="成活率"))
    assert (
        search_library(lib, query="成活率 造林", limit=2)[:2] == search_library(lib, query="成活率 造林")[:2]
    )
    with pytest.raises(InvalidInputError, match="sector"):
        search_library(lib, sector="火星")
    with pytest.raises(InvalidInputError, match="code"):
        search_library(lib, code="99")
    assert lib[0].to_dict()["printed_value"] == lib[0].printed_value


def test_library_reader_names_file_and_line(tmp_path: Path):
    good = {f: None for f in FIELDS} | {
        "id": "x-1", "sector": "教育", "level1": "产出", "code": "11", "level2_label": "数量指标",
        "name": "培训人数", "value": "≥1", "framework": "both", "source": "team", "basis": "b",
    }  # fmt: skip
    (tmp_path / "a.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert read_library(tmp_path)[0].name == "培训人数"
    (tmp_path / "b.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({**good, "code": "77"}) + "\n")
    with pytest.raises(ArtifactError, match=r"b\.jsonl, line 2"):
        read_library(tmp_path)


def test_threshold_reaches_the_target_on_held_out_predictions():
    assert TARGET_ACCURACY == 0.95
    conf = np.linspace(0.0, 1.0, 200)
    correct = conf > 0.4  # right whenever confident
    t = tune_threshold(conf, correct)
    assert correct[conf >= t].mean() >= 0.95 and t <= 0.41


def test_merged_cost_scores_keep_the_cost_probability_and_the_level1_mapping():
    from classifier.calibration import probabilities
    from classifier.core import merge_cost_scores, merged_cost_code

    logits = np.log(_row(**{"11": 0.3, "14": 0.2, "41": 0.4, "42": 0.1}) + 1e-300)
    plain = probabilities(logits)[0]
    merged = probabilities(merge_cost_scores(logits, CODES, "pre2021"))[0]
    assert merged[CODES.index("41")] == 0.0
    assert merged[CODES.index("14")] == pytest.approx(0.6)  # 14 + 41: the argmax is now the cost
    assert CODES[int(merged.argmax())] == "14" and CODES[int(plain.argmax())] == "41"
    assert merged[CODES.index("42")] == pytest.approx(0.1)  # a social cost is another concept
    # a known level-1 or framework still gives the form's code, with the same probability as before
    for level1, framework in (("成本", None), (None, "2021"), ("产出", None)):
        assert np.allclose(
            restrict(merged[None], CODES, [level1], [framework]),
            restrict(plain[None], CODES, [level1], [framework]),
        )
    new = probabilities(merge_cost_scores(logits, CODES, "2021"))[0]
    assert new[CODES.index("14")] == 0.0 and new[CODES.index("41")] == pytest.approx(0.6)
    assert merge_cost_scores(logits, CODES, None) is logits
    assert np.array_equal(merge_cost_scores(logits[:, :3], CODES[:3], "pre2021"), logits[:, :3])
    with pytest.raises(ValueError, match="cost framework"):
        merge_cost_scores(logits, CODES, "1999")
    assert merged_cost_code("41", "pre2021") == "14" and merged_cost_code("14", "2021") == "41"
    assert merged_cost_code("42", "pre2021") == "42" and merged_cost_code("41", None) == "41"
