"""The corpus database's SQLite schema, its migration, and row ↔ record conversion.

:func:`project_row` / :func:`indicator_row` and :func:`project_from_row` /
:func:`indicator_from_row` are the one mapping between the records and their stored
columns, shared by SQLite and the Parquet export (``indexer.parquet``); each store only
converts the decimals its own way.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from indexer.errors import InvalidInputError
from indexer.position import Position
from indexer.records import AMOUNT_FIELDS, Amounts, Indicator, Project, Source, Subtotal, Target

SCHEMA_VERSION = 4
# 2: sources.n_projects / n_indicators dropped (derivable, never read).
# 3: national-form amounts (central, local, printed unit), region, budget year, provenance.
# 4: amount_upper (上级资金); indicators.level1 may be NULL (a form printing no category).

AMOUNT_COLUMNS = "".join(f"    amount_{f} TEXT,\n" for f in AMOUNT_FIELDS)
"""The ``amount_*`` columns of the projects and subtotals tables, one per :data:`AMOUNT_FIELDS`."""

INDICATORS_TABLE = """
CREATE TABLE IF NOT EXISTS indicators (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    level1 TEXT,
    level2_code TEXT,
    name TEXT NOT NULL,
    name_raw TEXT NOT NULL,
    cycle_value TEXT,
    annual_value TEXT,
    target_text TEXT,
    target_comparator TEXT,
    target_number TEXT,
    target_unit TEXT,
    target_qualitative INTEGER,
    origin TEXT,
    PRIMARY KEY (project_id, ordinal)
)
"""

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    file_name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    layout TEXT NOT NULL,
    district TEXT NOT NULL,
    department TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    source_file TEXT NOT NULL REFERENCES sources(file_name) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    source_line INTEGER NOT NULL,
    district TEXT NOT NULL,
    department TEXT NOT NULL,
    budget_unit TEXT,
    name TEXT NOT NULL,
    name_raw TEXT NOT NULL,
"""
    + AMOUNT_COLUMNS
    + """    amount_printed_unit TEXT,
    goal TEXT NOT NULL,
    goal_raw TEXT NOT NULL,
    province TEXT,
    city TEXT,
    county TEXT,
    budget_year INTEGER,
    origin TEXT
);
    """
    + INDICATORS_TABLE
    + """;
CREATE TABLE IF NOT EXISTS subtotals (
    source_file TEXT NOT NULL REFERENCES sources(file_name) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('total', 'unit')),
    seq INTEGER NOT NULL,
    label TEXT NOT NULL,
    line INTEGER NOT NULL,
"""
    + AMOUNT_COLUMNS
    + """    project_ids TEXT NOT NULL,
    PRIMARY KEY (source_file, kind, seq)
);
CREATE INDEX IF NOT EXISTS projects_district ON projects(district);
CREATE INDEX IF NOT EXISTS projects_source ON projects(source_file, seq);
CREATE INDEX IF NOT EXISTS projects_department ON projects(department);
CREATE INDEX IF NOT EXISTS projects_year ON projects(budget_year);
CREATE INDEX IF NOT EXISTS indicators_level2 ON indicators(level2_code);
CREATE INDEX IF NOT EXISTS indicators_project ON indicators(project_id);
"""
)


def dec(value: Decimal | None) -> str | None:
    """A decimal as stored (exact text), None kept."""
    return None if value is None else str(value)


def undec(text: str | None) -> Decimal | None:
    """The decimal a stored text stands for, None kept."""
    return None if text is None else Decimal(text)


def amount_values(amounts: Amounts) -> list[str | None]:
    """The ``amount_*`` column values of ``amounts``, in :data:`AMOUNT_FIELDS` order."""
    return [dec(getattr(amounts, f)) for f in AMOUNT_FIELDS]


def amounts_from_row(row: sqlite3.Row, printed_unit: str | None = None) -> Amounts:
    """The ``Amounts`` of a row with ``amount_*`` columns."""
    return Amounts(**{f: undec(row[f"amount_{f}"]) for f in AMOUNT_FIELDS}, printed_unit=printed_unit)


def origin_json(origin: Position | None) -> str | None:
    """A record's provenance as stored."""
    return None if origin is None else json.dumps(origin.to_dict(), ensure_ascii=False)


def origin_from_json(text: str | None) -> Position | None:
    """The provenance a stored text stands for."""
    return None if text is None else Position.from_dict(json.loads(text))


PROJECT_SCALARS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Project) if f.name not in ("amounts", "indicators", "origin")
)
"""The fields of :class:`Project` stored as one column each, in dataclass order."""


def project_row(project: Project) -> dict[str, Any]:
    """A project's stored columns: its plain fields, ``amount_*`` (decimals, None kept),
    ``amount_printed_unit`` and ``origin`` (JSON)."""
    return {
        **{name: getattr(project, name) for name in PROJECT_SCALARS},
        **{f"amount_{f}": getattr(project.amounts, f) for f in AMOUNT_FIELDS},
        "amount_printed_unit": project.amounts.printed_unit,
        "origin": origin_json(project.origin),
    }


def project_from_row(
    r: Mapping[str, Any],
    indicators: Iterable[Indicator] = (),
    amount: Callable[[Any], Decimal | None] = undec,
) -> Project:
    """The :class:`Project` of a stored row (``amount`` reads each stored amount)."""
    return Project(
        **{name: r[name] for name in PROJECT_SCALARS},
        amounts=Amounts(
            **{f: amount(r[f"amount_{f}"]) for f in AMOUNT_FIELDS}, printed_unit=r["amount_printed_unit"]
        ),
        indicators=tuple(indicators),
        origin=origin_from_json(r["origin"]),
    )


def indicator_row(indicator: Indicator) -> dict[str, Any]:
    """An indicator's stored columns: its fields, the target spread over ``target_*`` (the
    number a decimal, all None without a target) and ``origin`` (JSON)."""
    t = indicator.target
    return {
        "project_id": indicator.project_id,
        "ordinal": indicator.ordinal,
        "level1": indicator.level1,
        "level2_code": indicator.level2_code,
        "name": indicator.name,
        "name_raw": indicator.name_raw,
        "cycle_value": indicator.cycle_value,
        "annual_value": indicator.annual_value,
        "target_text": t.text if t else None,
        "target_comparator": t.comparator if t else None,
        "target_number": t.number if t else None,
        "target_unit": t.unit if t else None,
        "target_qualitative": t.qualitative if t else None,
        "origin": origin_json(indicator.origin),
    }


def indicator_from_row(r: Mapping[str, Any], number: Callable[[Any], Decimal | None] = undec) -> Indicator:
    """The :class:`Indicator` of a stored row (``number`` reads the stored target number)."""
    target = None
    if r["target_text"] is not None:
        target = Target(
            text=r["target_text"],
            comparator=r["target_comparator"],
            number=number(r["target_number"]),
            unit=r["target_unit"],
            qualitative=bool(r["target_qualitative"]),
        )
    return Indicator(
        project_id=r["project_id"],
        ordinal=r["ordinal"],
        level1=r["level1"],
        level2_code=r["level2_code"],
        name=r["name"],
        name_raw=r["name_raw"],
        cycle_value=r["cycle_value"],
        annual_value=r["annual_value"],
        target=target,
        origin=origin_from_json(r["origin"]),
    )


# Columns versions 3 and 4 added, for bringing an older database up to date.
_ADDED_COLUMNS = (
    ("projects", "amount_central TEXT"),
    ("projects", "amount_local TEXT"),
    ("projects", "amount_printed_unit TEXT"),
    ("projects", "province TEXT"),
    ("projects", "city TEXT"),
    ("projects", "county TEXT"),
    ("projects", "budget_year INTEGER"),
    ("projects", "origin TEXT"),
    ("indicators", "origin TEXT"),
    ("subtotals", "amount_central TEXT"),
    ("subtotals", "amount_local TEXT"),
    ("projects", "amount_upper TEXT"),
    ("subtotals", "amount_upper TEXT"),
)


def _allow_null_level1(conn: sqlite3.Connection) -> None:
    """Rebuild the indicators table without version 3's ``level1 NOT NULL`` (SQLite cannot drop
    a constraint in place); its indexes are made again with the schema."""
    columns = [r["name"] for r in conn.execute("PRAGMA table_info(indicators)")]
    if not any(r["name"] == "level1" and r["notnull"] for r in conn.execute("PRAGMA table_info(indicators)")):
        return
    listed = ", ".join(columns)
    conn.execute("ALTER TABLE indicators RENAME TO indicators_v3")
    conn.execute(INDICATORS_TABLE.replace("IF NOT EXISTS ", ""))
    conn.execute(f"INSERT INTO indicators({listed}) SELECT {listed} FROM indicators_v3")
    conn.execute("DROP TABLE indicators_v3")


def ensure_schema(conn: sqlite3.Connection, db_path: Path) -> None:
    """Create the tables if needed and bring a version-1, -2 or -3 database to this version."""
    row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    version = None
    if row is not None:
        found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = None if found is None else int(found["value"])
    if version in (1, 2, 3):
        if version == 1:
            # Version 1 also stored per-source counts, which the projects table determines.
            conn.execute("ALTER TABLE sources DROP COLUMN n_projects")
            conn.execute("ALTER TABLE sources DROP COLUMN n_indicators")
        for table, column in _ADDED_COLUMNS:
            present = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
            if column.split()[0] not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        _allow_null_level1(conn)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        version = SCHEMA_VERSION
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    if version is None:
        conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    elif version != SCHEMA_VERSION:
        raise InvalidInputError(
            f"{db_path}: corpus schema version {version}, expected {SCHEMA_VERSION}; "
            "delete the database and ingest again"
        )


def needs_migration(conn: sqlite3.Connection) -> bool:
    """True when the stored schema is older than this version (load brings it up to date first)."""
    if not has_schema(conn):
        return False
    found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return found is not None and int(found["value"]) < SCHEMA_VERSION


def has_schema(conn: sqlite3.Connection) -> bool:
    """True once the tables exist."""
    row = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='sources'").fetchone()
    return row is not None


def read_sources(conn: sqlite3.Connection) -> tuple[Source, ...]:
    """Every stored source with its subtotal rows, by file name."""
    subtotals: dict[tuple[str, str], list[Subtotal]] = {}
    for r in conn.execute("SELECT * FROM subtotals ORDER BY source_file, kind, seq"):
        subtotals.setdefault((r["source_file"], r["kind"]), []).append(
            Subtotal(r["label"], r["line"], amounts_from_row(r), tuple(json.loads(r["project_ids"])))
        )
    return tuple(
        Source(
            file_name=s["file_name"],
            sha256=s["sha256"],
            layout=s["layout"],
            department=s["department"],
            district=s["district"],
            grand_total=next(iter(subtotals.get((s["file_name"], "total"), ())), None),
            unit_subtotals=tuple(subtotals.get((s["file_name"], "unit"), ())),
        )
        for s in conn.execute("SELECT * FROM sources ORDER BY file_name")
    )


def read_projects(conn: sqlite3.Connection) -> tuple[Project, ...]:
    """Every stored project with its indicators, by source file then line."""
    indicators: dict[str, list[Indicator]] = {}
    for r in conn.execute("SELECT * FROM indicators ORDER BY project_id, ordinal"):
        indicators.setdefault(r["project_id"], []).append(indicator_from_row(r))
    return tuple(
        project_from_row(r, indicators.get(r["id"], ()))
        for r in conn.execute("SELECT * FROM projects ORDER BY source_file, source_line, seq")
    )
