"""Level columns of an indicator table told by what their cells hold, not by their headings.

Forms head their columns in many ways and sometimes wrongly: the column headed 评价指标 of the old
framework holds level-2 labels (数量目标), 鄂州's 一级指标 column holds level-2 labels and its 二级指标
column the indicators. These checks read the body.
"""

from __future__ import annotations

from indexer.layouts.labels import is_old_level1, is_shifted_level1, level1_label, level2_label
from indexer.layouts.sheet_view import SheetView

__all__ = ["content_column", "is_level1_text", "level_columns_by_content"]


def content_column(view: SheetView, rows: range, cols: list[int], test: object) -> int | None:
    """The first of ``cols`` whose non-empty body cells are mostly labels ``test`` recognises."""
    for col in cols:
        texts = [view.text(r, col) for r in rows if view.text(r, col)]
        hits = sum(test(t) is not None for t in texts)  # type: ignore[operator]
        if hits >= 2 and hits >= 0.6 * len(texts):
            return col
    return None


def is_level1_text(text: str) -> bool | None:
    """True for a level-1 label (产出指标, 实施效果指标, the old 投入/效果); None otherwise."""
    return bool(level1_label(text) or is_shifted_level1(text) or is_old_level1(text)) or None


def level_columns_by_content(
    view: SheetView, body: range, roles: dict[int, str], level1: int | None, level2s: list[int]
) -> tuple[int | None, list[int]]:
    """The level columns checked against the body when the column headed 一级 holds level-2
    labels: with no 二级 column (福建 2017: 绩效目标 | 评价指标 = 投入 | 成本目标) it is the level-2
    column when a column left of it holds the level-1 labels; with a 二级 column holding no labels
    and no indicator column (鄂州: 一级指标 | 二级指标 = 数量指标 | the indicator) the levels
    shift: 一级 is the level-2 column, 二级 the indicator's, and the level-1 is told by content."""
    if level1 is None or content_column(view, body, [level1], level2_label) is None:
        return level1, level2s
    if level2s:
        if len(level2s) > 1 or "name" in roles.values():
            return level1, level2s
        if content_column(view, body, level2s, lambda t: level2_label(t) or is_level1_text(t)):
            return level1, level2s
        roles[level2s[0]] = "name"
    left = [c for c in range(level1) if c not in roles]
    col = content_column(view, body, left, is_level1_text)
    if col is None and not level2s:
        return level1, []
    roles[level1] = "level2"
    return col, [level1]
