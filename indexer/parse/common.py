"""Helpers shared by the layout parsers: amounts, ids, the table preamble."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation

from indexer.districts import UnknownDistrictError, district_of
from indexer.errors import ParseError
from indexer.records import Amounts, SourceTable
from indexer.text import canonical

AMOUNT_COLUMNS: dict[str, str] = {
    "总计": "total",
    "财政拨款": "fiscal",
    "财政专户拨款": "special_account",
    "其他资金": "other",
}
"""Header label → :class:`~indexer.records.Amounts` field."""

AMOUNT_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{1,4}")
_DEPARTMENT = re.compile(r"部门(?:名称)?\s*[:：]\s*(\S+?)(?=\s|单位\s*[:：]|$)")
_UNIT = re.compile(r"单位\s*[:：]\s*(\S+)")


def parse_amount(cell: str, *, file: str, line: int) -> Decimal | None:
    """An amount cell in 万元 (``1,338.00``); None when blank."""
    text = canonical(cell).replace(" ", "")
    if not text:
        return None
    if not re.fullmatch(r"-?[\d,]*\.?\d+", text):
        raise ParseError(file, line, f"not an amount: {cell.strip()!r}")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ParseError(file, line, f"not an amount: {cell.strip()!r}") from None


def split_row(line: str, n_cols: int, *, file: str, line_no: int) -> list[str]:
    """The tab-separated cells of a table row, or ``ParseError`` when their count
    differs from the header's (trailing empty cells are ignored)."""
    cells = line.split("\t")
    while len(cells) > n_cols and not cells[-1].strip():
        cells.pop()
    if len(cells) != n_cols:
        found = f"row has {len(cells)} of the header's {n_cols} tab-separated cells (truncated row?)"
        raise ParseError(file, line_no, found)
    return cells


def amounts_from(values: dict[str, Decimal | None]) -> Amounts:
    """Build :class:`Amounts` from ``{field: value}``."""
    return Amounts(**values)


def project_id(file_name: str, sha256: str, seq: int, name: str) -> str:
    """Stable project id: same file content, position and name → same id on
    every run and machine (12 hex digits of a sha1)."""
    key = "\x1f".join((file_name, sha256, str(seq), name))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def find_department(lines: list[str], upto: int, file: str) -> str:
    """The ``部门名称：…`` of the preamble (lines before the header)."""
    for raw in lines[:upto]:
        m = _DEPARTMENT.search(raw.strip())
        if m:
            return canonical(m.group(1))
    raise ParseError(file, None, "no 部门名称 (department) line before the table header")


def check_money_unit(lines: list[str], upto: int, file: str) -> None:
    """Refuse tables whose declared 单位 is not 万元 (amounts would be misread)."""
    for i, raw in enumerate(lines[:upto], start=1):
        for m in _UNIT.finditer(raw):
            unit = canonical(m.group(1))
            # "预算单位：…" names a budget unit, not a currency unit.
            if unit.endswith("元") and unit != "万元":
                raise ParseError(file, i, f"amounts are in {unit!r}; only 万元 is supported")


def district_for(department: str, file: str, line: int | None) -> str:
    """:func:`~indexer.districts.district_of`, failing as a ParseError that names the file."""
    try:
        return district_of(department)
    except UnknownDistrictError as exc:
        raise ParseError(file, line, str(exc)) from None


def check_grand_total(table: SourceTable) -> None:
    """Refuse a table whose projects do not add up to its 合计 (总计 column):
    rows were lost (a file cut between two rows) or misread. Each row is
    rounded to 0.01 万元, so the tolerance grows with the number of rows."""
    total = table.grand_total
    if total is None or total.amounts.total is None:
        return
    got = sum((p.amounts.total or Decimal(0) for p in table.projects), Decimal(0))
    tolerance = max(Decimal("0.01"), Decimal("0.005") * len(table.projects))
    if abs(got - total.amounts.total) > tolerance:
        raise ParseError(
            table.file_name,
            total.line,
            f"the {len(table.projects)} projects add up to {got} 万元 but 合计 says {total.amounts.total} "
            "(rows lost or misread: truncated file?)",
        )
