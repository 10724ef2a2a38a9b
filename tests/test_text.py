"""Text normalisation: wraps, HTML, punctuation widths, and the raw-position map."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.text import canonical, canonical_mapped, display, raw_slice, strip_html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("23-生 态效益", "23-生态效益"),
        ("实施周\n\n期指标值:≥\n\n90%", "实施周期指标值：≥90%"),
        ("2-效\n益指标", "2-效益指标"),
        ("<p>1、1-产出指标;11-数量指标</p>", "1、1-产出指标；11-数量指标"),
        ("≧2%；≦0", "≥2%；≤0"),
        (">=90分；<=5个", "≥90分；≤5个"),
        ("＞95%　（宗）", ">95%（宗）"),
        ("(穗财商【2023】64号) 服务贸易专题", "（穗财商[2023]64号）服务贸易专题"),
        ("1,500.00 元，比例 1:1", "1,500.00元，比例1:1"),
        ("a,b：c", "a，b：c"),
        ("设备防水等级不低于IP65", "设备防水等级不低于IP65"),
        ("POS 机 and LNG gas", "POS机and LNG gas"),
        ("IP\n65", "IP65"),
        ("A&amp;B &lt;0.2", "A&B<0.2"),
        ("≥ 95%", "≥95%"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert canonical(raw) == expected


def test_comparison_with_less_than_is_not_a_tag() -> None:
    assert canonical("<0.2；<=5个；< p") == "<0.2；≤5个；<p"
    assert strip_html("x <br/>y <p class='a'>z</p>") == "x y z"


def test_position_map_points_back_to_the_source() -> None:
    raw = "<p>名称：时效指 标</p>"
    norm, pos = canonical_mapped(raw)
    assert norm == "名称：时效指标"
    assert len(pos) == len(norm)
    for ch, i in zip(norm, pos, strict=True):
        assert raw[i] == ch or (ch, raw[i]) in {("：", ":")}
    start = norm.index("时效")
    assert raw_slice(raw, pos, start, len(norm)) == "时效指 标"


def test_display_keeps_spaces_but_joins_lines() -> None:
    assert (
        display("<p>广州商务会展促进服务中心 2025年\n运维项目</p>  ")
        == "广州商务会展促进服务中心 2025年运维项目"
    )


_ALPHABET = st.sampled_from([*"ab12 \n\t,;:()<>=≧≦【】；，：（）％＞&<p></p>效益指标、-。%", "<p>", "</p>"])


@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_normalize_is_idempotent(text: str) -> None:
    once = canonical(text)
    assert canonical(once) == once


@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_map_is_monotonic_and_in_range(text: str) -> None:
    norm, pos = canonical_mapped(text)
    assert len(pos) == len(norm)
    assert pos == sorted(pos)
    assert all(0 <= i < len(text) for i in pos)


@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_fast_and_mapped_normalisation_agree(text: str) -> None:
    assert canonical_mapped(text)[0] == canonical(text)


@given(st.text(max_size=60))
def test_any_unicode_text(text: str) -> None:
    norm, pos = canonical_mapped(text)
    assert norm == canonical(text) == canonical(norm)
    assert len(pos) == len(norm) and pos == sorted(pos)


def test_tag_wrapped_over_a_line_break_is_still_removed() -> None:
    assert canonical("a<\np>b") == "ab"
    assert canonical("> =90") == "≥90"
    assert canonical("1, 000") == "1,000"
