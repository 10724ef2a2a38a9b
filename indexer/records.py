"""Domain records shared by every part of jixiao.

Plain frozen dataclasses: the indexer, classifier, CLI and API all speak in
these. Pydantic models exist only at the HTTP edge (``api/schemas.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from indexer.position import Position

LEVEL1_NAMES: tuple[str, ...] = ("产出", "效益", "满意度", "成本")
"""First-level indicator categories, without the trailing 指标."""

DISTRICTS: tuple[str, ...] = ("广州市", "南沙区", "荔湾区", "花都区", "天河区")
"""Canonical district names of the bundled corpus (city level is 广州市)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed indicator target such as ``≥61个`` or ``比较满意``.

    ``comparator`` is one of ``>=``, ``>``, ``<=``, ``<``, ``=`` (``=`` when a
    bare number is given); ``qualitative`` is True when no number could be read
    (``及时``, ``比较满意``, ``无``), in which case number and unit are None.
    """

    text: str
    comparator: str | None
    number: Decimal | None
    unit: str | None
    qualitative: bool


AMOUNT_FIELDS: tuple[str, ...] = ("total", "fiscal", "special_account", "other", "central", "local", "upper")
"""The fields of :class:`Amounts`, in table column order."""


MAX_AMOUNT = Decimal(10) ** 12
"""The largest amount a table may state, in 万元 (10¹⁶ 元, far above any budget): a larger one is a
misread or hostile cell, refused by the layouts naming it (a float would overflow to infinity)."""


@dataclass(frozen=True, slots=True)
class Amounts:
    """Project amounts in 万元; a field is None when the table has no such column.

    ``printed_unit`` is the unit the form printed the amounts in when it was not
    万元 (``"元"``): the values are converted, the original is that unit times
    the conversion, so nothing is lost.
    """

    total: Decimal | None = None
    fiscal: Decimal | None = None  # 财政拨款
    special_account: Decimal | None = None  # 财政专户拨款
    other: Decimal | None = None  # 其他资金
    central: Decimal | None = None  # 中央补助 (national forms)
    local: Decimal | None = None  # 地方资金 (national forms), else the sum of 省级/市级/县级/本级资金
    upper: Decimal | None = None  # 上级资金 / 上级补助: transfers from a higher government, source unsaid
    printed_unit: str | None = None

    def to_dict(self) -> dict[str, str]:
        """JSON-ready: the amounts the table has, as exact decimal text, and ``printed_unit`` when set."""
        out = {f: str(v) for f in AMOUNT_FIELDS if (v := getattr(self, f)) is not None}
        if self.printed_unit is not None:
            out["printed_unit"] = self.printed_unit
        return out


@dataclass(frozen=True, slots=True)
class Indicator:
    """One numbered performance indicator of a project."""

    project_id: str
    ordinal: int
    level1: str | None  # one of LEVEL1_NAMES; None when the form prints no category (潼南's 指标 | 指标值)
    level2_code: str | None  # "11".."43", None where the table gives only level-1 (or no category)
    name: str  # normalised for search
    name_raw: str  # as written, for display
    cycle_value: str | None  # 实施周期指标值, as written (normalised whitespace)
    annual_value: str | None  # 年度指标值, as written
    target: Target | None  # parsed from the annual value, else the cycle value
    origin: Position | None = None  # where the indicator's row is in its file (sheet/page, row)

    @property
    def id(self) -> str:
        """Stable indicator id: ``<project_id>-<ordinal>``."""
        return f"{self.project_id}-{self.ordinal}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for display: the name as written, the values, where the row is."""
        return {
            "id": self.id,
            "ordinal": self.ordinal,
            "level1": self.level1,
            "level2_code": self.level2_code,
            "name": self.name_raw,
            "cycle_value": self.cycle_value,
            "annual_value": self.annual_value,
            "origin": None if self.origin is None else self.origin.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Project:
    """One project row of a performance-target table."""

    id: str  # stable: derived from source file content hash + position + name
    source_file: str  # file name (not path) of the table
    source_line: int  # 1-based line where the row starts
    district: str  # canonical, one of DISTRICTS for the seed corpus
    department: str  # 部门名称 / 主管部门
    budget_unit: str | None  # 预算单位 / 资金使用单位
    name: str  # normalised
    name_raw: str
    amounts: Amounts
    goal: str  # normalised goal text (绩效目标)
    goal_raw: str
    indicators: tuple[Indicator, ...] = field(default_factory=tuple)
    province: str | None = None  # 省级 division, e.g. 陕西省; None when it cannot be told
    city: str | None = None  # 地级 division, e.g. 安康市
    county: str | None = None  # 县级 division, e.g. 汉阴县
    budget_year: int | None = None  # the budget year the targets are for
    origin: Position | None = None  # where the project starts in its file (sheet/page, row)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for display (the one serialisation of the ingest preview and the API):
        name and goal as written, amounts as exact text, every indicator."""
        return {
            "id": self.id,
            "name": self.name_raw,
            "district": self.district,
            "department": self.department,
            "budget_unit": self.budget_unit,
            "amounts": self.amounts.to_dict(),
            "goal": self.goal_raw,
            "source_file": self.source_file,
            "source_line": self.source_line,
            "origin": None if self.origin is None else self.origin.to_dict(),
            "province": self.province,
            "city": self.city,
            "county": self.county,
            "budget_year": self.budget_year,
            "indicators": [i.to_dict() for i in self.indicators],
        }


@dataclass(frozen=True, slots=True)
class Subtotal:
    """A 合计 or unit subtotal row: the built-in check of a table."""

    label: str  # "合计" or the unit's name
    line: int
    amounts: Amounts
    project_ids: tuple[str, ...]  # projects the row sums over


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A parsed table file: its projects and the totals it declares."""

    file_name: str
    sha256: str
    layout: str  # "tsv", "pdf_text", "five_column", "national_form" or "long_table"
    department: str
    district: str
    projects: tuple[Project, ...]
    grand_total: Subtotal | None
    unit_subtotals: tuple[Subtotal, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    """An ingested table file as the corpus keeps it: where its projects came from and the
    totals it declares (a :class:`SourceTable` without its projects)."""

    file_name: str
    sha256: str
    layout: str
    department: str
    district: str
    grand_total: Subtotal | None = None
    unit_subtotals: tuple[Subtotal, ...] = ()


@dataclass(frozen=True, slots=True)
class Highlight:
    """A highlighted span ``[start, end)`` in an evidence text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a project matched: its best goal sentence, name or indicator."""

    kind: str  # "name", "goal" or "indicator"
    text: str
    highlights: tuple[Highlight, ...] = ()
    indicator_ordinal: int | None = None
    level2_code: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked search result (a project) with both sides' ranks and scores."""

    project_id: str
    project_name: str
    district: str
    department: str
    score: float  # fused score, higher is better
    evidence: Evidence
    amount_total: Decimal | None = None
    bm25_rank: int | None = None  # 1-based; None when the lexical side missed it
    dense_rank: int | None = None
    bm25_score: float | None = None
    dense_score: float | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    budget_year: int | None = None


@dataclass(frozen=True, slots=True)
class SimilarHit:
    """One project like a given one: its combined similarity and the two signals behind it."""

    project_id: str
    project_name: str
    district: str
    department: str
    score: float  # combined similarity, higher is better
    evidence: Evidence  # its document closest to the source project
    cosine: float  # cosine of the two (centred) project vectors
    cosine_rank: int  # 1-based rank by cosine among the eligible projects
    overlap: float  # idf-weighted Jaccard overlap of the indicator vocabularies
    overlap_rank: int  # 1-based rank by overlap
    amount_total: Decimal | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    budget_year: int | None = None
