"""Taxonomy consistency: codes, labels, level-1s, frameworks and level-1 normalisation."""

from __future__ import annotations

import pytest

from classifier import taxonomy
from classifier.dataset import knowledge_examples, load_knowledge
from indexer.errors import InvalidInputError
from indexer.records import LEVEL1_NAMES


def test_every_code_has_label_level1_and_framework():
    assert taxonomy.CODES == ("11", "12", "13", "14", "21", "22", "23", "24", "31", "41", "42", "43")
    for cat in taxonomy.CATEGORIES:
        assert cat.label.endswith("指标")
        assert cat.level1 in LEVEL1_NAMES
        assert cat.frameworks and set(cat.frameworks) <= set(taxonomy.FRAMEWORKS)
        # the first digit of a code is its level-1 code
        assert taxonomy.LEVEL1_CODES[cat.level1] == cat.code[0]


def test_frameworks_differ_only_in_cost():
    pre, post = taxonomy.codes_for_framework("pre2021"), taxonomy.codes_for_framework("2021")
    assert set(pre) - set(post) == {"14"}
    assert set(post) - set(pre) == {"41", "42", "43"}
    assert taxonomy.codes_for_level1("产出", "pre2021") == ("11", "12", "13", "14")
    assert taxonomy.codes_for_level1("产出", "2021") == ("11", "12", "13")
    assert taxonomy.codes_for_level1("成本", "2021") == ("41", "42", "43")
    assert taxonomy.codes_for_level1("成本", "pre2021") == ()


def test_codes_for_level1_union_covers_every_code_once():
    seen = [c for lvl in LEVEL1_NAMES for c in taxonomy.codes_for_level1(lvl)]
    assert sorted(seen) == sorted(taxonomy.CODES)
    assert taxonomy.codes_for_level1("效益") == ("21", "22", "23", "24")
    assert taxonomy.codes_for_level1("满意度") == ("31",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("产出", "产出"),
        ("产出指标", "产出"),
        ("1-产出指标", "产出"),
        (" 2-效益指标 ", "效益"),
        ("3", "满意度"),
        ("4-成本指标", "成本"),
        ("满意度指标", "满意度"),
        ("效益指标(30分)", "效益"),
        ("成本指标（必填）", "成本"),
        ("产出指标（50分）", "产出"),
        ("项目效益指标", "效益"),
        ("服务对象满意度指标", "满意度"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_level1(raw, expected):
    assert taxonomy.normalize_level1(raw) == expected


@pytest.mark.parametrize("raw", ["1-效益指标", "产品", "5", "数量指标", "abc", "效果指标(30分)"])
def test_normalize_level1_rejects_unknown_or_contradictory(raw):
    with pytest.raises(InvalidInputError):
        taxonomy.normalize_level1(raw)


def test_unknown_code_and_framework_are_clear_errors():
    with pytest.raises(InvalidInputError, match="unknown indicator code '15'"):
        taxonomy.label("15")
    with pytest.raises(InvalidInputError, match="framework"):
        taxonomy.codes_for_level1("产出", "2030")


def test_knowledge_file_covers_every_code_consistently():
    data = load_knowledge()
    assert data["_sources"], "knowledge file must cite its sources"
    for code, entry in data["codes"].items():
        cat = taxonomy.category(code)
        assert entry["label"] == cat.label and entry["level1"] == cat.level1
        assert 5 <= len(entry["examples"]) <= 15
        assert entry["definition"] and entry["keywords"]
    examples = knowledge_examples()
    assert {ex.code for ex in examples} == set(taxonomy.CODES)
    assert all(ex.source == "knowledge" for ex in examples)


def test_cost_codes_are_the_same_concept_across_frameworks():
    assert taxonomy.same_concept("14", "41") and taxonomy.same_concept("41", "14")
    assert taxonomy.same_concept("11", "11")
    assert not taxonomy.same_concept("14", "42") and not taxonomy.same_concept("11", "12")
