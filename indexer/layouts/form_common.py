"""Pieces the national-form and long-table interpreters share: values, names, places, indicators,
and the document's table of projects.

``place_hint`` is no place table: it picks the most specific administrative-looking name
(…县/区/旗, else …市/州/盟, else …省/自治区) printed in a form's unit, department or title,
for ``Project.district``; resolving it to province/city/county is ``indexer.region``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.errors import ParseError
from indexer.layouts.labels import Level
from indexer.layouts.sheet_view import squeeze
from indexer.position import Position
from indexer.readers.base import Document
from indexer.records import Indicator, Project, SourceTable, Subtotal
from indexer.targets import row_target
from indexer.text import canonical, display

__all__ = [
    "clean_org",
    "document_table",
    "is_comparator",
    "join_value",
    "make_indicator",
    "org_like",
    "place_hint",
]

_CODE_HEAD = re.compile(r"^\s*[\[【(（]?\d{3,}[\]】)）]?\s*[-－—:：]?\s*")
_CODE_TAIL = re.compile(r"\s*[\[【(（]?\d{3,}[\]】)）]?\s*$")
_KIND_TAIL = re.compile(r"\s*[(（](?:部门|单位)[)）]$")  # (433)乌海市供销合作社联合社(部门): the entry's kind
_COMPARATOR = re.compile(
    r"^(?:[≥≤><=═≠≧≦]+|(?:大于|小于|等于|不低于|不高于|不少于|不多于|不超过|不大于|不小于|高于|低于|至少|约)+)$"
)
_PLACE = re.compile(
    r"[\u4e00-\u9fff]{2,10}?(?:自治州|自治县|自治旗|特别行政区|自治区|地区|盟|省|市|州|县|区|旗)(?![域划间别块])"
)
_NOT_PLACE = re.compile(
    r"(?:开发区|小区|社区|园区|景区|城区|市区|辖区|片区|校区|示范区|保护区|功能区|集聚区|试验区|实验区|服务区|街区"
    r"|专区|城市|超市|都市|门市)$"
)
_YEAR = re.compile(r"\d{2,4}\s*年度?|[^\u4e00-\u9fff]")
_NOT_IN_PLACE = re.compile(r"[和的及各与或等级部门相关项目指标]")
_RANK = ((2, ("省", "自治区", "特别行政区")), (1, ("市", "州", "盟", "地区")), (0, ("县", "区", "旗")))
_ORG = re.compile(
    r"(?:局|院|委|委员会|政府|中心|办公室|办|馆|站|所|学校|中学|小学|幼儿园|医院|镇|乡|街道|部|处|队|社|会|公司|机关)$"
)


def clean_org(text: str | None) -> str:
    """An organisation name without the budget-system codes printed around it
    (``[077]淮北市文化旅游体育局`` → ``淮北市文化旅游体育局``, ``…执法局 308001``, ``776001-…``) and the
    entry kind a system export adds (``…联合社(部门)``)."""
    if not text:
        return ""
    name = _KIND_TAIL.sub("", _CODE_TAIL.sub("", _CODE_HEAD.sub("", canonical(text).strip())))
    return name.strip()


def org_like(text: str) -> bool:
    """True for a short text that reads as an organisation name (a line above a form naming it)."""
    name = clean_org(text)
    return 3 <= len(name) <= 40 and "表" not in name and bool(_ORG.search(name))


def place_hint(texts: Iterable[str | None]) -> str:
    """The most specific place name in the texts (a county-level one, else a city, else a province),
    the first such one in the order given; '' when none is printed."""
    best: tuple[int, int, str] | None = None
    for order, text in enumerate(t for t in texts if t):
        for m in _PLACE.finditer(_YEAR.sub(" ", canonical(text))):
            name = m.group().removeprefix("中共")  # 中共宁德市委…: the party committee of 宁德市
            if _NOT_PLACE.search(name) or _NOT_IN_PLACE.search(name):
                continue
            rank = next(k for k, ends in _RANK if name.endswith(ends))
            key = (rank, order, name)
            if best is None or key[:2] < best[:2]:
                best = key
    return best[2] if best else ""


def is_comparator(text: str) -> bool:
    """True for a cell that holds only a comparison (``≥``, ``大于等于``): part of a split value."""
    return bool(_COMPARATOR.match(squeeze(text)))


def join_value(parts: Iterable[str]) -> str | None:
    """A value printed over several columns (``≥`` ``735`` ``人次``) as one text; None when empty."""
    text = "".join(canonical(p).strip() for p in parts if p and p.strip())
    return text or None


def make_indicator(
    project_id: str,
    ordinal: int,
    level: Level,
    name_raw: str,
    cycle: str | None,
    annual: str | None,
    origin: Position,
) -> Indicator:
    """An indicator of a form row. The annual value is the target; a 无 there defers to the cycle value."""
    return Indicator(
        project_id=project_id,
        ordinal=ordinal,
        level1=level.level1,
        level2_code=level.code,
        name=canonical(name_raw).strip(),
        name_raw=display(name_raw),
        cycle_value=canonical(cycle).strip() if cycle else None,
        annual_value=canonical(annual).strip() if annual else None,
        target=row_target(annual, cycle),
        origin=origin,
    )


def document_table(
    document: Document,
    layout: str,
    projects: list[Project],
    missing: str,
    *,
    grand_total: Subtotal | None = None,
    unit_subtotals: tuple[Subtotal, ...] = (),
) -> SourceTable:
    """The document's projects as one table, under its first project's department and district;
    a ParseError saying ``missing`` (what was expected) at the first sheet when there is none."""
    if not projects:
        raise ParseError(
            document.file_name,
            None,
            missing,
            position=document.position(document.sheets[0]) if document.sheets else None,
        )
    first = projects[0]
    return SourceTable(
        file_name=document.file_name,
        sha256=document.sha256,
        layout=layout,
        department=first.department,
        district=first.district,
        projects=tuple(projects),
        grand_total=grand_total,
        unit_subtotals=unit_subtotals,
    )
