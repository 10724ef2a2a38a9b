"""Search requests, result pages, and the project filters they carry."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from indexer.corpus import Corpus
from indexer.errors import InvalidInputError
from indexer.records import LEVEL1_NAMES, MAX_AMOUNT, Hit
from indexer.text import filter_value, simplified, visible

MODES = ("hybrid", "bm25", "dense")
LEVEL1_BY_DIGIT = {str(i + 1): name for i, name in enumerate(LEVEL1_NAMES)}
YEARS = (1990, 2099)
"""The budget years a year filter accepts."""


def searchable(text: str) -> bool:
    """Whether ``text`` holds a letter or digit (any script). A query of only punctuation,
    symbols, controls or zero-width marks matches no word, and the dense side would rank
    the whole corpus by the vector of a comma."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


@dataclass(frozen=True)
class SearchQuery:
    """One search: text plus optional filters and a page window.

    ``code`` is a level-2 code (``"13"``) or a level-1 digit (``"1"`` = 产出);
    ``level1`` a level-1 name (``产出`` or ``产出指标``). A project passes a
    code/level-1 filter when one of its indicators has it. Amounts are the
    project total in 万元 (projects without a total fail an amount filter).
    ``year`` is the budget year; ``province``, ``city`` and ``county`` match the
    project's region by full name or its start (``陕西`` finds 陕西省, ``安康`` 安康市);
    a project whose year or region is unknown fails such a filter.
    ``mode`` picks one side for evaluation: ``hybrid`` (default), ``bm25``, ``dense``.
    """

    text: str
    district: str | None = None
    department: str | None = None
    code: str | None = None
    level1: str | None = None
    min_amount: float | Decimal | None = None
    max_amount: float | Decimal | None = None
    year: int | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    limit: int = 10
    offset: int = 0
    mode: str = "hybrid"

    def validate(self) -> None:
        """Raise ``InvalidInputError`` naming the bad field."""
        if not self.text or not self.text.strip():
            raise InvalidInputError("text: query is blank")
        if not searchable(self.text):
            raise InvalidInputError(f"text: query has no letters or digits to search for: {self.text!r}")
        if self.limit < 1:
            raise InvalidInputError(f"limit: must be ≥ 1, got {self.limit}")
        if self.offset < 0:
            raise InvalidInputError(f"offset: must be ≥ 0, got {self.offset}")
        if self.mode not in MODES:
            raise InvalidInputError(f"mode: must be one of {MODES}, got {self.mode!r}")
        for name in ("min_amount", "max_amount"):
            amount = getattr(self, name)
            if amount is not None and not math.isfinite(amount):
                raise InvalidInputError(f"{name}: not a number: {amount!r} (an amount in 万元)")
            if amount is not None and not 0 <= amount <= MAX_AMOUNT:
                raise InvalidInputError(f"{name}: expected 0 to {MAX_AMOUNT:,} 万元, got {amount!r}")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise InvalidInputError("min_amount: greater than max_amount")
        if self.year is not None and not YEARS[0] <= self.year <= YEARS[1]:
            raise InvalidInputError(f"year: expected a budget year {YEARS[0]}–{YEARS[1]}, got {self.year}")
        for name in ("district", "department", "province", "city", "county"):
            filter_value(name, getattr(self, name))
        if self.code is not None and not (self.code.isdigit() and 1 <= len(self.code) <= 2):
            raise InvalidInputError(
                f"code: expected a level-2 code such as 13 or a digit 1-4, got {self.code!r}"
            )


    def normalised(self) -> SearchQuery:
        """The query as it is ranked and filtered: the text stripped, every name filter without
        control or zero-width characters (:func:`~indexer.text.visible`), all in simplified script —
        the tables are simplified; a reviewer may type 滿意度 or 南沙區."""
        names = {
            name: simplified(visible(value))
            for name in ("district", "department", "level1", "province", "city", "county")
            if (value := getattr(self, name)) is not None
        }
        return replace(self, text=simplified(self.text.strip()), **names)


@dataclass(frozen=True)
class SearchPage:
    """One page of ranked projects; ``total`` counts every ranked project."""

    hits: tuple[Hit, ...]
    total: int
    offset: int
    limit: int


def _level1(value: str) -> str:
    name = value.strip().removesuffix("指标")
    name = LEVEL1_BY_DIGIT.get(name, name)
    if name not in LEVEL1_NAMES:
        raise InvalidInputError(f"level1: expected one of {LEVEL1_NAMES}, got {value!r}")
    return name


def _district_matches(district: str, wanted: str) -> bool:
    wanted = wanted.strip()
    if district == wanted:
        return True
    # "南沙" finds 南沙区; "广州" finds 广州市 — but "区" alone matches nothing.
    stem = wanted.removesuffix("区").removesuffix("市")
    return bool(stem) and district.removesuffix("区").removesuffix("市") == stem


def region_matches(value: str | None, wanted: str) -> bool:
    """Whether a region name (``陕西省``) is ``wanted`` or starts with it (``陕西``); None never matches."""
    wanted = wanted.strip()
    return value is not None and (value == wanted or (len(wanted) >= 2 and value.startswith(wanted)))


class ProjectFilter:
    """Per-project attributes as arrays, turned into a boolean mask per query."""

    def __init__(self, corpus: Corpus) -> None:
        projects = corpus.projects
        self.n = len(projects)
        self._districts = [p.district for p in projects]
        self._departments = [p.department for p in projects]
        self._amounts = np.array(
            [float(p.amounts.total) if p.amounts.total is not None else np.nan for p in projects],
            dtype=np.float64,
        )
        self._codes = [frozenset(i.level2_code for i in p.indicators if i.level2_code) for p in projects]
        self._level1s = [frozenset(i.level1 for i in p.indicators) for p in projects]
        self._years = np.array([p.budget_year or 0 for p in projects], dtype=np.int32)
        self._regions = {
            level: [getattr(p, level) for p in projects] for level in ("province", "city", "county")
        }

    def mask(self, query: SearchQuery) -> np.ndarray:
        """True for every project passing all of ``query``'s filters."""
        mask = np.ones(self.n, dtype=bool)
        if query.district:
            mask &= np.array([_district_matches(d, query.district) for d in self._districts], dtype=bool)
        if query.department:
            wanted = query.department.strip()
            mask &= np.array([wanted in d for d in self._departments], dtype=bool)
        if query.code:
            if len(query.code) == 1:
                level1 = _level1(query.code)
                mask &= np.array([level1 in s for s in self._level1s], dtype=bool)
            else:
                mask &= np.array([query.code in s for s in self._codes], dtype=bool)
        if query.level1:
            level1 = _level1(query.level1)
            mask &= np.array([level1 in s for s in self._level1s], dtype=bool)
        if query.year is not None:
            mask &= self._years == query.year
        for level, values in self._regions.items():
            wanted = getattr(query, level)
            if wanted:
                mask &= np.array([region_matches(v, wanted) for v in values], dtype=bool)
        with np.errstate(invalid="ignore"):
            if query.min_amount is not None:
                mask &= self._amounts >= float(query.min_amount)
            if query.max_amount is not None:
                mask &= self._amounts <= float(query.max_amount)
        return mask
