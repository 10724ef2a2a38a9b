"""Map a department (部门名称 / 主管部门) to its canonical district.

The district is read from the department's own name, never from the file
name: ``广州市荔湾区商务和投资促进局`` → ``荔湾区``; a city bureau such as
``广州市商务局`` → ``广州市``; ``广州南沙经济技术开发区商务局`` → ``南沙区``
(the development zone is administered by Nansha district).

Rules, in order:

1. a Guangzhou district name (越秀 海珠 荔湾 天河 白云 黄埔 番禺 花都 南沙 从化 增城)
   anywhere in the name → that district;
2. ``…市X区…`` / ``…市X县…`` (any other city) → ``X区`` / ``X县``;
3. ``X市…`` with no district → the city ``X市``;
4. otherwise :class:`UnknownDistrictError`.
"""

from __future__ import annotations

import re

from indexer.errors import InvalidInputError

GUANGZHOU_DISTRICTS: tuple[str, ...] = (
    "越秀",
    "海珠",
    "荔湾",
    "天河",
    "白云",
    "黄埔",
    "番禺",
    "花都",
    "南沙",
    "从化",
    "增城",
)

_COUNTY = re.compile(r"(?:市|州|盟)([\u4e00-\u9fff]{2,8}?自治[县旗]|[\u4e00-\u9fff]{1,4}?[区县旗])")
_CITY = re.compile(r"^([\u4e00-\u9fff]{2,6}?市)")


class UnknownDistrictError(InvalidInputError):
    """No district can be read from a department name."""

    code = "unknown_district"


def district_of(department: str) -> str:
    """The canonical district of ``department`` (see module doc for the rules)."""
    name = department.strip()
    for district in GUANGZHOU_DISTRICTS:
        if district in name:
            return f"{district}区"
    m = _COUNTY.search(name)
    if m:
        return m.group(1)
    m = _CITY.match(name)
    if m:
        return m.group(1)
    raise UnknownDistrictError(
        f"cannot tell the district of department {department!r}: "
        "its name contains neither a district (…区/县) nor a city (…市)"
    )
