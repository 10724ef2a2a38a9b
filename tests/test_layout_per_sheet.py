"""Workbooks (and Word files) whose sheets hold different layouts: each sheet is read with its own
layout; a sheet no layout reads is a warning naming the file and the sheet, never dropped silently."""

from __future__ import annotations

from dataclasses import replace

import pytest
from api_support import run_cli
from readers_support import SOURCES, render

from indexer.ingest import read_path, read_source
from indexer.layouts import interpret
from indexer.readers.base import Document, Sheet
from indexer.store import CorpusStore

GUANGZHOU, FORM = "seed-000", "ah-huaibei-wlt-ncwh-2025"


def _mixed(tmp_path, forms, stem: str = "混合", fmt: str = "xlsx"):
    """A workbook (or .docx) of the given (source stem or rows, sheet name) forms, one per sheet."""
    made = []
    for what, name in forms:
        if isinstance(what, str):
            made.append(replace(SOURCES[what].forms[0], name=name))
        else:
            width = max(len(row) for row in what)
            made.append(render.Form(name, [], [row + [""] * (width - len(row)) for row in what]))
    path = tmp_path / f"{stem}.{fmt}"
    source = replace(SOURCES[GUANGZHOU], stem=stem, forms=made)
    (render.write_xlsx if fmt == "xlsx" else render.write_docx)(source, path)
    return path


def _alone(stem: str, tmp_path):
    """The source read from its own one-sheet workbook."""
    folder = tmp_path / "alone"
    folder.mkdir(exist_ok=True)
    return read_path(render.render(SOURCES[stem], folder)["xlsx"]).table


def _rows(table):
    return [(p.name, p.amounts, [(i.name, i.annual_value, i.level2_code) for i in p.indicators])
            for p in table.projects]  # fmt: skip


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_sheets_of_different_layouts_are_each_read_with_their_own(tmp_path, fmt):
    """A national form before a Guangzhou table: the Guangzhou interpreter (best score) reads its
    sheet, the form's sheet is then read by the national one; projects come in sheet order, and
    the Guangzhou 合计 is kept labelled with its sheet."""
    path = _mixed(tmp_path, [(FORM, "项目表"), (GUANGZHOU, "商务局")], fmt=fmt)
    result = read_path(path)
    table = result.table
    form, city = _alone(FORM, tmp_path), _alone(GUANGZHOU, tmp_path)
    assert _rows(table) == _rows(form) + _rows(city)
    assert result.warnings == ()
    assert result.layout_score.layout == "tsv" and table.layout == "national_form+tsv"
    sheet = "项目表" if fmt == "xlsx" else "表格1"
    assert table.projects[0].origin.sheet == sheet and table.projects[0].province == "安徽省"
    totals = [u for u in table.unit_subtotals if u.label.startswith("合计")]
    city_sheet = "商务局" if fmt == "xlsx" else "表格2"
    assert [(u.label, u.amounts) for u in totals] == [(f"合计（{city_sheet}）", city.grand_total.amounts)]
    assert set(totals[0].project_ids) == {p.id for p in table.projects[1:]}
    assert len({p.id for p in table.projects}) == len(table.projects)
    assert table.department.startswith(form.department + "、")


def test_the_same_workbook_reads_the_same_ids_every_time(tmp_path):
    path = _mixed(tmp_path, [(GUANGZHOU, "商务局"), (FORM, "项目表")])
    first, again = read_path(path).table, read_path(path).table
    assert [p.id for p in first.projects] == [p.id for p in again.projects]
    assert len({p.id for p in first.projects}) == len(first.projects)


def test_a_sheet_no_layout_reads_is_a_warning_naming_file_and_sheet(tmp_path):
    notes = [["填表说明"], ["1. 金额单位为万元。"], ["2. 指标值须可衡量。"]]
    path = _mixed(tmp_path, [(FORM, "项目表"), (notes, "说明"), ([[""]], "Sheet3")])
    result = read_path(path)
    assert _rows(result.table) == _rows(_alone(FORM, tmp_path))
    assert [str(w) for w in result.warnings] == [
        "混合.xlsx, sheet Sheet3: empty worksheet (no cell with text)",  # the reader's note
        "混合.xlsx, sheet 说明: sheet not read: no known table layout in it",
    ]  # the empty Sheet3 holds nothing to lose: no layout warning


def test_a_sheet_whose_layout_fails_is_a_warning_naming_the_place(tmp_path):
    """A second sheet with an indicator table but no project named anywhere: the national
    interpreter recognises it but cannot read it; the warning names the sheet and the row."""
    nameless = [
        ["绩效目标表"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "人数", "5人"],
    ]
    path = _mixed(tmp_path, [(GUANGZHOU, "商务局"), (nameless, "附表")])
    result = read_path(path)
    assert _rows(result.table) == _rows(_alone(GUANGZHOU, tmp_path))
    (warning,) = result.warnings
    assert str(warning).startswith("混合.xlsx, sheet 附表, row 2: sheet not read: expected a 项目名称")


def test_a_file_whose_only_layout_fails_is_still_refused():
    sheet = Sheet(
        "表1",
        "sheet",
        0,
        (("一级指标", "二级指标", "三级指标", "指标值"), ("产出指标", "数量指标", "人数", "5人")),
    )
    with pytest.raises(Exception, match=r"form\.xlsx, sheet 表1, row 1: expected a 项目名称"):
        interpret(Document("form.xlsx", "0" * 64, "xlsx", (sheet,)))


def test_warnings_reach_the_reader_of_the_bytes(tmp_path):
    path = _mixed(tmp_path, [(FORM, "项目表"), ([["备忘"], ["无"]], "备忘")])
    result = read_source(path.read_bytes(), "上传.xlsx")
    assert [str(w) for w in result.warnings] == [
        "上传.xlsx, sheet 备忘: sheet not read: no known table layout in it"
    ]


def test_the_store_reports_the_unread_sheet_and_stores_the_rest(tmp_path):
    path = _mixed(tmp_path, [(FORM, "项目表"), ([["备忘"], ["无"]], "备忘")])
    store = CorpusStore(tmp_path / "corpus.sqlite")
    report = store.ingest([path])
    assert [str(w) for w in report.warnings] == [
        "混合.xlsx, sheet 备忘: sheet not read: no known table layout in it"
    ]
    assert str(report).endswith(", 1 warnings")
    assert [p.name for p in store.load().projects] == [p.name for p in _alone(FORM, tmp_path).projects]
    assert store.ingest([path]).warnings == ()  # unchanged: not read again


def test_jixiao_ingest_prints_the_unread_sheet(tmp_path, cli_settings):
    cli_settings()
    path = _mixed(tmp_path, [(FORM, "项目表"), ([["备忘"], ["无"]], "备忘")])
    result = run_cli("ingest", str(path))
    assert "warning    混合.xlsx, sheet 备忘: sheet not read: no known table layout in it" in result.output
    assert "added      混合.xlsx" in result.output
