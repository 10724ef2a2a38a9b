"""The budget year a project's targets are for, read from the form's title and header lines.

Rules, in order, over all texts (callers list the title and preamble first, then the
project period's value):

1. a ``YYYY年度`` anywhere (``(2021年度)``, ``( 2024 年度)``, ``2022年度项目支出绩效自评表``)
   — the first one wins;
2. otherwise the first year that starts a text's ``YYYY年`` (``2025年项目支出绩效目标表``,
   ``2022年第二批…``) or a period (``2023年—2025年``, ``2023.07-2024.01``, ``202001-202012``):
   a project period gives its **first** year, the earliest budget year its targets can be for
   (a later year's form of the same project prints its own ``YYYY年度`` line, which wins);
3. otherwise unknown (None): years inside goal or indicator texts are not read, since they
   mention past and future years freely.

Only years 1990–2049 count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["budget_year"]

_YEAR = r"(?<!\d)(199\d|20[0-4]\d)"
_FISCAL_YEAR = re.compile(_YEAR + r"\s*年度")
_YEAR_OR_PERIOD = re.compile(
    _YEAR + r"(?:\s*年"  # 2025年…, 2023年—2025年, 2022年3月-2023年11月
    r"|\s*[.．/-]\s*(?:0?[1-9]|1[0-2])(?!\d)"  # 2023.07-2024.01, 2021.1.1-12.31
    r"|(?:0[1-9]|1[0-2])(?=\s*[-—–~～至到]\s*\d))"  # 202001-202012, not a code such as 207101
)


def _first(pattern: re.Pattern[str], texts: Sequence[str | None]) -> int | None:
    for text in texts:
        if text:
            m = pattern.search(text)
            if m:
                return int(m.group(1))
    return None


def budget_year(texts: Sequence[str | None]) -> int | None:
    """The budget year named by ``texts`` (title and header lines first), or None (module doc)."""
    year = _first(_FISCAL_YEAR, texts)
    return year if year is not None else _first(_YEAR_OR_PERIOD, texts)
