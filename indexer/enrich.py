"""Give each project of a table its region and budget year.

One core step after a layout interpreter: :func:`enrich_table` reads the region
(:func:`~indexer.region.resolve_region`) from the project's department, budget unit,
its own header lines, the document's header lines (title, 编报单位 …) and its district
(its name only when those tell nothing: a name mentions the places a project serves, which
need not be where it is), and the budget year (:func:`~indexer.budget_year.budget_year`) from its own
header lines, then the document's. Project names are not read for the year: a table's
names mention other years freely (``2024-2025年…运维项目`` in a 2025 table). A value
the interpreter already set is kept.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from indexer.budget_year import budget_year
from indexer.readers.base import Document
from indexer.records import Project, SourceTable
from indexer.region import resolve_region

__all__ = ["enrich_project", "enrich_table", "head_lines"]

# A row holding one of these starts a table or a form's header block: the head ends before it.
_TABLE_START = re.compile(r"项目名称|专项名称|主管部门|一级指标|绩效指标|预算单位")
_HEAD_ROWS = 12


def head_lines(document: Document) -> list[str]:
    """The title and preamble lines of a document: its first sheet's preamble, then the rows above
    the first table header or form header block (one or two cells each: title, ``(2021年度)``,
    ``部门名称：…`` lines), at most a dozen."""
    if not document.sheets:
        return []
    sheet = document.sheets[0]
    lines = [t.strip() for t in sheet.preamble if t.strip()]
    for row in sheet.rows[:_HEAD_ROWS]:
        cells = list(dict.fromkeys(c.strip() for c in row if c.strip()))
        if len(cells) > 2 or any(_TABLE_START.search(re.sub(r"\s+", "", c)) for c in cells):
            break
        lines += cells
    return lines


def enrich_project(
    project: Project, header_lines: Sequence[str] = (), own_lines: Sequence[str] = ()
) -> Project:
    """``project`` with its region and budget year filled in where they are None and can be told."""
    changes: dict[str, object] = {}
    if project.province is None:
        texts = [project.department, project.budget_unit or "", *own_lines, *header_lines, project.district]
        region = resolve_region(texts)
        if region.province is None:  # the name only as a last resort: it names places it serves
            region = resolve_region([*texts, project.name_raw])
        if region.province is not None:
            changes.update(province=region.province, city=region.city, county=region.county)
    if project.budget_year is None:
        year = budget_year([*own_lines, *header_lines])
        if year is not None:
            changes["budget_year"] = year
    return dataclasses.replace(project, **changes) if changes else project


def enrich_table(
    table: SourceTable,
    header_lines: Sequence[str] = (),
    project_lines: Mapping[str, Sequence[str]] | None = None,
) -> SourceTable:
    """``table`` with every project enriched (:func:`enrich_project`).

    ``header_lines`` are the document's title and preamble lines; ``project_lines`` maps a
    project id to the lines of its own form (title, ``(2021年度)``, 项目期 value) when a
    document holds several forms.
    """
    own = project_lines or {}
    projects = tuple(enrich_project(p, header_lines, own.get(p.id, ())) for p in table.projects)
    return dataclasses.replace(table, projects=projects)
