"""The corpus keeps national-form amounts, region, budget year and provenance, and migrates old databases."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from decimal import Decimal

from indexer.position import Position
from indexer.records import Amounts, Indicator, Project, SourceTable
from indexer.store import CorpusStore, _Entry
from indexer.store_sql import SCHEMA_VERSION


def _table() -> SourceTable:
    origin = Position("form.xlsx", sheet="项目1", row=3)
    indicator = Indicator(
        project_id="p1",
        ordinal=1,
        level1="产出",
        level2_code="11",
        name="培训人数",
        name_raw="培训人数",
        cycle_value=None,
        annual_value="≥100人",
        target=None,
        origin=Position("form.xlsx", sheet="项目1", row=12, col=4),
    )
    project = Project(
        id="p1",
        source_file="form.xlsx",
        source_line=3,
        district="汉阴县",
        department="汉阴县人力资源和社会保障局",
        budget_unit=None,
        name="普惠金融发展专项资金",
        name_raw="普惠金融发展专项资金",
        amounts=Amounts(total=Decimal("112"), central=Decimal("40"), local=Decimal("72"), printed_unit="元"),
        goal="支持农村金融组织体系建设",
        goal_raw="支持农村金融组织体系建设",
        indicators=(indicator,),
        province="陕西省",
        city="安康市",
        county="汉阴县",
        budget_year=2022,
        origin=origin,
    )
    return SourceTable(
        file_name="form.xlsx",
        sha256="0" * 64,
        layout="national_form",
        department=project.department,
        district=project.district,
        projects=(project,),
        grand_total=None,
    )


def _store(store: CorpusStore, table: SourceTable) -> None:
    # The store's one write path, given an already interpreted table.
    store._write([_Entry(table.file_name, table.sha256, b"", table)])


def test_new_fields_round_trip(tmp_path):
    store = CorpusStore(tmp_path / "corpus.sqlite")
    table = _table()
    _store(store, table)
    (project,) = store.load().projects
    assert project == table.projects[0]
    assert project.indicators[0].origin == Position("form.xlsx", sheet="项目1", row=12, col=4)


def test_position_serialisation_leaves_out_unset_parts():
    position = Position("a.pdf", page=3, row=7)
    assert position.to_dict() == {"file": "a.pdf", "page": 3, "row": 7}
    assert Position.from_dict(position.to_dict()) == position


def test_version_2_database_is_brought_up_to_date(tmp_path):
    db = tmp_path / "corpus.sqlite"
    store = CorpusStore(db)
    _store(store, _table())
    conn = sqlite3.connect(db)
    # Rebuild the version-2 shape: drop the columns versions 3 and 4 added.
    for table, column in (
        ("projects", "amount_upper"),
        ("subtotals", "amount_upper"),
        ("projects", "origin"),
        ("projects", "budget_year"),
        ("projects", "county"),
        ("projects", "city"),
        ("projects", "province"),
        ("projects", "amount_printed_unit"),
        ("projects", "amount_local"),
        ("projects", "amount_central"),
        ("indicators", "origin"),
        ("subtotals", "amount_central"),
        ("subtotals", "amount_local"),
    ):
        if column == "budget_year":
            conn.execute("DROP INDEX projects_year")
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    (project,) = CorpusStore(db).load().projects
    assert project.name == "普惠金融发展专项资金"
    assert project.budget_year is None and project.origin is None
    version = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == ("2",)  # loading reads a migrated copy and never writes; the next ingest migrates
    _store(CorpusStore(db), replace(_table(), sha256="1" * 64))
    version = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert int(version[0]) == SCHEMA_VERSION == 4


def test_version_3_database_takes_indicators_without_a_category(tmp_path):
    """Version 4 adds amount_upper and lets level1 be NULL: a version-3 table (level1 NOT NULL)
    is rebuilt with its rows, and then stores an indicator printed without any category."""
    db = tmp_path / "corpus.sqlite"
    store = CorpusStore(db)
    _store(store, _table())
    conn = sqlite3.connect(db)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(indicators)")]
    conn.execute("ALTER TABLE indicators RENAME TO old")
    conn.execute(
        "CREATE TABLE indicators (project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, "
        "ordinal INTEGER NOT NULL, level1 TEXT NOT NULL, level2_code TEXT, name TEXT NOT NULL, "
        "name_raw TEXT NOT NULL, cycle_value TEXT, annual_value TEXT, target_text TEXT, "
        "target_comparator TEXT, target_number TEXT, target_unit TEXT, target_qualitative INTEGER, "
        "origin TEXT, PRIMARY KEY (project_id, ordinal))"
    )
    conn.execute(f"INSERT INTO indicators SELECT {', '.join(columns)} FROM old")
    conn.execute("DROP TABLE old")
    conn.execute("ALTER TABLE projects DROP COLUMN amount_upper")
    conn.execute("ALTER TABLE subtotals DROP COLUMN amount_upper")
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    store = CorpusStore(db)
    (project,) = store.load().projects
    assert [(i.level1, i.level2_code, i.name) for i in project.indicators] == [("产出", "11", "培训人数")]
    table = _table()
    (old,) = table.projects
    uncategorised = replace(old.indicators[0], level1=None, level2_code=None)
    upper = replace(old.amounts, upper=Decimal("16"))
    changed = replace(old, indicators=(uncategorised,), amounts=upper)
    _store(store, replace(table, sha256="1" * 64, projects=(changed,)))
    (project,) = store.load().projects
    assert project.indicators[0].level1 is None and project.amounts.upper == Decimal("16")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("4",)
    assert {r[1] for r in conn.execute("PRAGMA index_list(indicators)")} >= {
        "indicators_level2",
        "indicators_project",
    }
