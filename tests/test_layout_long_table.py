"""The long-table interpreter (one row per indicator, the project beside it) on every rendering,
and layout detection: the national and long-table scores leave the seed layouts alone.

Oracle as in ``test_layout_national.py``: the eval/external rows of the same source_id.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from readers_support import rendering_cases, renderings
from test_layout_national import ORACLE, ROOT, _key, _read

from indexer.ingest import read_path
from indexer.layouts import INTERPRETERS, MIN_SCORE, detect
from indexer.layouts.long_table import LongTableInterpreter
from indexer.layouts.national_form import NationalFormInterpreter

__all__ = ["renderings"]  # the session fixture, imported for pytest

INTERPRETER = LongTableInterpreter()
# stem → [(project name, department, 预算数 in 万元, printed unit, indicator count)]
EXPECTED = {
    "nm-zhalaite-jcy-2025": [
        ("业务装备经费", "扎赉特旗人民检察院", "103.07", "元", 11),
        ("办案（业务）经费", "扎赉特旗人民检察院", "323.93", "元", 5),
    ],
    "s-sichuan-jingyan-mata-2023": [
        ("村组干部报酬", "井研县马踏镇人民政府", "330.984", "元", 8),
        ("基层组织活动经费", "井研县马踏镇人民政府", "66", "元", 5),
    ],
    "synthetic-long-repeated": [
        ("城乡供水管网改造", "某县水务局", "1000", None, 4),
        ("河道保洁服务", "某县水务局", "250.5", None, 2),
    ],
}
# The oracle leaves out the row the page cuts inside its name (一审案件改…, no value).
EXTRA = {"nm-zhalaite-jcy-2025": {"一审案件改"}}
CASES = [(stem, fmt) for stem, fmt in rendering_cases() if stem in EXPECTED]
SEED_CASES = [(stem, fmt) for stem, fmt in rendering_cases() if stem.startswith("seed-")]


@pytest.mark.parametrize(("stem", "fmt"), CASES)
def test_long_table_reads_every_rendering(renderings, stem, fmt):
    document = _read(renderings, stem, fmt)
    best = detect(document)[0]
    assert best.layout == "long_table" and best.score >= 0.9, best
    assert NationalFormInterpreter().score(document).score < MIN_SCORE
    table = INTERPRETER.interpret(document)
    got = [
        (
            p.name,
            p.department,
            None if p.amounts.total is None else p.amounts.total.normalize(),
            p.amounts.printed_unit,
            len(p.indicators),
        )
        for p in table.projects
    ]
    assert got == [(n, d, Decimal(t).normalize(), u, k) for n, d, t, u, k in EXPECTED[stem]]
    for project in table.projects:
        assert project.origin is not None and project.origin.file == document.file_name
        if stem == "nm-zhalaite-jcy-2025":
            assert (project.province, project.city, project.county) == ("内蒙古自治区", "兴安盟", "扎赉特旗")
        assert all(i.origin is not None and (i.origin.row or i.origin.line) for i in project.indicators)
    if stem.startswith("synthetic-"):
        return
    mine = [
        (_key(i.name), _key(i.annual_value), i.level1, i.level2_code)
        for p in table.projects
        for i in p.indicators
    ]
    oracle = [
        (_key(r["name"]), _key(r["value"]), r["level1"], r["code"] and str(r["code"])) for r in ORACLE[stem]
    ]
    extra = EXTRA.get(stem, set())
    assert [m for m in mine if m[0] not in extra] == oracle
    assert {m[0] for m in mine} - {o[0] for o in oracle} == extra


def test_unit_subtotal_and_grand_total_rows(renderings):
    jingyan = INTERPRETER.interpret(_read(renderings, "s-sichuan-jingyan-mata-2023", "xlsx"))
    (unit,) = jingyan.unit_subtotals
    assert unit.label == "820-马踏镇部门" and unit.amounts.total == Decimal("882.762053")
    assert unit.project_ids == tuple(p.id for p in jingyan.projects)
    repeated = INTERPRETER.interpret(_read(renderings, "synthetic-long-repeated", "csv"))
    assert repeated.grand_total is not None and repeated.grand_total.amounts.total == Decimal("1250.50")
    assert sum(p.amounts.total for p in repeated.projects) == repeated.grand_total.amounts.total
    first = repeated.projects[0]
    assert [(i.level1, i.level2_code) for i in first.indicators][-1] == ("成本", "41")
    assert first.indicators[2].annual_value == "≥12,000人" and first.indicators[2].target.number == 12000


@pytest.mark.parametrize(("stem", "fmt"), SEED_CASES)
def test_seed_renderings_are_not_taken_for_national_or_long_tables(renderings, stem, fmt):
    """The seed layouts (Guangzhou tables, 5-column table) stay their own: neither new interpreter
    reaches the detection threshold on them, and once an interpreter of the seed's own layout is
    registered (the seed parsers being ported), detection names it."""
    document = _read(renderings, stem, fmt)
    for interpreter in (NationalFormInterpreter(), INTERPRETER):
        assert interpreter.score(document).score < MIN_SCORE, interpreter.layout
    (seed,) = (ROOT / "data" / "raw").glob(f"{stem[5:8]}_*.txt")
    own = read_path(seed).table.layout  # "tsv", "pdf_text" or "five_column"
    if own == "pdf_text" and fmt != "text.pdf":
        own = "tsv"  # a PDF-text seed rendered as a grid is the Guangzhou grid
    if own in {i.layout for i in INTERPRETERS}:
        assert detect(document)[0].layout == own
