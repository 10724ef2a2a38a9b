"""The shared tokenizer: domain words, normalisation, stop words, highlights."""

from __future__ import annotations

import subprocess
import sys

import pytest

from indexer.records import Highlight
from indexer.text import fold_width_case_mapped
from indexer.tokenize import fingerprint, highlight_spans, stopwords, tokenize, user_words


@pytest.mark.parametrize(
    "word",
    ["纳统", "首店", "单一窗口", "服务外包", "服务贸易", "跨境电商", "综保区", "满意度", "及时率", "老字号"],
)
def test_domain_words_stay_whole(word):
    assert word in tokenize(f"推动{word}发展")


def test_search_mode_adds_the_words_inside_a_long_word():
    tokens = tokenize("新增纳统企业数量")
    assert {"纳统企业", "纳统", "企业", "新增", "数量"} <= set(tokens)


def test_full_width_and_case_are_folded():
    assert tokenize("ＰＯＳ机覆盖率") == tokenize("pos机覆盖率")
    assert "pos" in tokenize("外卡POS机")


def test_stopwords_punctuation_and_numbers_are_dropped():
    tokens = tokenize("通过对服务贸易企业的扶持，完成2025年度≥61个！")
    assert "的" not in tokens and "通过" not in tokens
    assert not any(t in {"，", "！", "≥", "2025", "61"} for t in tokens)
    assert "服务贸易" in tokens
    assert tokenize("") == [] and tokenize("，。、") == []


def test_duplicates_are_kept_for_term_frequency():
    assert tokenize("口岸口岸").count("口岸") == 2


def test_dictionary_files_are_loaded():
    assert "纳统" in user_words() and "夜间经济" in user_words()
    assert "的" in stopwords()
    assert len(fingerprint()) == 16 and fingerprint() == fingerprint()


def test_our_tokenizer_does_not_touch_the_global_jieba():
    import jieba

    tokenize("纳统企业")
    assert "纳统" not in jieba.lcut("纳统企业", HMM=False)


def test_importing_is_cheap():
    code = "import sys, indexer.tokenize; print('jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fold_width_case_mapped_maps_back_to_the_original():
    text, pos = fold_width_case_mapped("ＡＢ服务")
    assert text == "ab服务"
    assert pos == [0, 1, 2, 3]


def test_highlights_point_into_the_original_text():
    text = "推动服务外包企业（ＡＢ）数量增加"
    spans = highlight_spans(text, ["服务外包", "ab"])
    assert [text[h.start : h.end] for h in spans] == ["服务外包", "ＡＢ"]


def test_overlapping_and_adjacent_matches_merge():
    text = "新增纳统企业数量"
    spans = highlight_spans(text, ["纳统", "纳统企业", "企业"])
    assert spans == (Highlight(2, 6),)


def test_every_occurrence_is_highlighted():
    text = "口岸通关，口岸查验"
    assert [text[h.start : h.end] for h in highlight_spans(text, ["口岸"])] == ["口岸", "口岸"]


def test_single_characters_only_when_nothing_longer_matches():
    text = "出口信用保险承保额"
    assert [text[h.start : h.end] for h in highlight_spans(text, ["保险", "额"])] == ["保险"]
    assert [text[h.start : h.end] for h in highlight_spans(text, ["额", "汇率"])] == ["额"]


def test_no_match_no_highlight():
    assert highlight_spans("扶持企业满意度", ["邮轮"]) == ()
    assert highlight_spans("", ["邮轮"]) == ()
    assert highlight_spans("邮轮", []) == ()
