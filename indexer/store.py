"""The corpus database: parsed tables in SQLite (``settings.db_path``).

Tables ``sources`` (one row per table file), ``projects``, ``indicators`` and
``subtotals`` (合计 and unit subtotal rows), indexed by district, level-2
code and project. Amounts and target numbers are stored as decimal text, so
nothing is rounded on the way through.

:meth:`CorpusStore.ingest` parses *every* file first and then writes them in
one transaction: a file that fails to parse, or any error while writing,
leaves the database exactly as it was. Re-ingesting an identical file
(same name, same sha256) changes nothing; a file whose content changed
replaces its old rows. The database runs in WAL mode, so :meth:`load` (one
read transaction, a consistent snapshot) is safe while another process
ingests.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from indexer.corpus import Corpus
from indexer.errors import InvalidInputError
from indexer.parse import parse_bytes, read_table_bytes
from indexer.records import Amounts, Indicator, Project, SourceTable, Subtotal, Target

SCHEMA_VERSION = 1
AMOUNT_FIELDS: tuple[str, ...] = ("total", "fiscal", "special_account", "other")
_BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    file_name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    layout TEXT NOT NULL,
    district TEXT NOT NULL,
    department TEXT NOT NULL,
    n_projects INTEGER NOT NULL,
    n_indicators INTEGER NOT NULL
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
    amount_total TEXT,
    amount_fiscal TEXT,
    amount_special_account TEXT,
    amount_other TEXT,
    goal TEXT NOT NULL,
    goal_raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS indicators (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    level1 TEXT NOT NULL,
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
    PRIMARY KEY (project_id, ordinal)
);
CREATE TABLE IF NOT EXISTS subtotals (
    source_file TEXT NOT NULL REFERENCES sources(file_name) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('total', 'unit')),
    seq INTEGER NOT NULL,
    label TEXT NOT NULL,
    line INTEGER NOT NULL,
    amount_total TEXT,
    amount_fiscal TEXT,
    amount_special_account TEXT,
    amount_other TEXT,
    project_ids TEXT NOT NULL,
    PRIMARY KEY (source_file, kind, seq)
);
CREATE INDEX IF NOT EXISTS projects_district ON projects(district);
CREATE INDEX IF NOT EXISTS projects_source ON projects(source_file, seq);
CREATE INDEX IF NOT EXISTS projects_department ON projects(department);
CREATE INDEX IF NOT EXISTS indicators_level2 ON indicators(level2_code);
CREATE INDEX IF NOT EXISTS indicators_project ON indicators(project_id);
"""


@dataclass(frozen=True)
class IngestReport:
    """What one :meth:`CorpusStore.ingest` call changed."""

    added: tuple[str, ...] = ()  # file names new to the store
    unchanged: tuple[str, ...] = ()  # same name and sha256 as stored
    replaced: tuple[str, ...] = ()  # same name, new content
    project_ids_added: tuple[str, ...] = ()
    project_ids_removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the store's content changed."""
        return bool(self.added or self.replaced)

    def __str__(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced, {len(self.unchanged)} unchanged; "
            f"projects +{len(self.project_ids_added)} -{len(self.project_ids_removed)}"
        )


@dataclass(frozen=True)
class _Entry:
    """A file to store: its table, or None when it looked unchanged (not parsed)."""

    name: str
    sha256: str
    data: bytes | None
    table: SourceTable | None


def _refuse_duplicates(names: Iterable[str]) -> None:
    counts = Counter(names)
    dups = sorted(n for n, c in counts.items() if c > 1)
    if dups:
        raise InvalidInputError(f"the same file name is given more than once: {', '.join(dups)}")


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _amount_values(amounts: Amounts) -> list[str | None]:
    return [_dec(getattr(amounts, f)) for f in AMOUNT_FIELDS]


def _amounts_from_row(row: sqlite3.Row) -> Amounts:
    return Amounts(**{f: _undec(row[f"amount_{f}"]) for f in AMOUNT_FIELDS})


class CorpusStore:
    """SQLite-backed corpus: ingest table files, load the :class:`Corpus`."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)

    # -- connection -----------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row["value"]) != SCHEMA_VERSION:
            raise InvalidInputError(
                f"{self.db_path}: corpus schema version {row['value']}, expected {SCHEMA_VERSION}; "
                "delete the database and ingest again"
            )

    # -- writing --------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path]) -> IngestReport:
        """Parse every new or changed file, then store them all in one
        transaction (all or nothing). A file whose name and sha256 are already
        stored is not even parsed."""
        paths = [Path(p) for p in paths]
        if not paths:
            raise InvalidInputError("no table files to ingest")
        _refuse_duplicates(p.name for p in paths)
        stored = self._stored_hashes()
        entries: list[_Entry] = []
        for path in paths:
            data = read_table_bytes(path)
            sha = hashlib.sha256(data).hexdigest()
            table = None if stored.get(path.name) == sha else parse_bytes(data, path.name)
            entries.append(_Entry(path.name, sha, data, table))
        return self._write(entries)

    def ingest_tables(self, tables: Sequence[SourceTable]) -> IngestReport:
        """Store already-parsed tables in one transaction (all or nothing)."""
        _refuse_duplicates(t.file_name for t in tables)
        return self._write([_Entry(t.file_name, t.sha256, None, t) for t in tables])

    def _stored_hashes(self) -> dict[str, str]:
        if not self.exists():
            return {}
        with self._transaction(write=False) as conn:
            if not self._has_schema(conn):
                return {}
            return {
                r["file_name"]: r["sha256"] for r in conn.execute("SELECT file_name, sha256 FROM sources")
            }

    def _write(self, entries: Sequence[_Entry]) -> IngestReport:
        added: list[str] = []
        unchanged: list[str] = []
        replaced: list[str] = []
        ids_added: list[str] = []
        ids_removed: list[str] = []
        with self._transaction(write=True) as conn:
            self._ensure_schema(conn)
            for entry in entries:
                row = conn.execute("SELECT sha256 FROM sources WHERE file_name = ?", (entry.name,)).fetchone()
                if row is not None and row["sha256"] == entry.sha256:
                    unchanged.append(entry.name)
                    continue
                # Changed by another process since we looked: parse it now.
                table = entry.table or parse_bytes(entry.data or b"", entry.name)
                if row is not None:
                    old = [
                        r["id"]
                        for r in conn.execute(
                            "SELECT id FROM projects WHERE source_file = ? ORDER BY seq", (entry.name,)
                        )
                    ]
                    self._delete_source(conn, entry.name)
                    new, before = {p.id for p in table.projects}, set(old)
                    ids_removed.extend(i for i in old if i not in new)
                    ids_added.extend(p.id for p in table.projects if p.id not in before)
                    replaced.append(entry.name)
                else:
                    ids_added.extend(p.id for p in table.projects)
                    added.append(entry.name)
                self._insert_table(conn, table)
        return IngestReport(
            tuple(added), tuple(unchanged), tuple(replaced), tuple(ids_added), tuple(ids_removed)
        )

    @staticmethod
    def _delete_source(conn: sqlite3.Connection, file_name: str) -> None:
        conn.execute(
            "DELETE FROM indicators WHERE project_id IN (SELECT id FROM projects WHERE source_file = ?)",
            (file_name,),
        )
        conn.execute("DELETE FROM projects WHERE source_file = ?", (file_name,))
        conn.execute("DELETE FROM subtotals WHERE source_file = ?", (file_name,))
        conn.execute("DELETE FROM sources WHERE file_name = ?", (file_name,))

    def _insert_table(self, conn: sqlite3.Connection, table: SourceTable) -> None:
        conn.execute(
            "INSERT INTO sources(file_name, sha256, layout, district, department, n_projects, n_indicators) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                table.file_name,
                table.sha256,
                table.layout,
                table.district,
                table.department,
                len(table.projects),
                sum(len(p.indicators) for p in table.projects),
            ),
        )
        conn.executemany(
            "INSERT INTO projects(id, source_file, seq, source_line, district, department, budget_unit, "
            "name, name_raw, amount_total, amount_fiscal, amount_special_account, amount_other, "
            "goal, goal_raw) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p.id,
                    table.file_name,
                    seq,
                    p.source_line,
                    p.district,
                    p.department,
                    p.budget_unit,
                    p.name,
                    p.name_raw,
                    *_amount_values(p.amounts),
                    p.goal,
                    p.goal_raw,
                )
                for seq, p in enumerate(table.projects)
            ],
        )
        conn.executemany(
            "INSERT INTO indicators(project_id, ordinal, level1, level2_code, name, name_raw, cycle_value, "
            "annual_value, target_text, target_comparator, target_number, target_unit, target_qualitative) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    i.project_id,
                    i.ordinal,
                    i.level1,
                    i.level2_code,
                    i.name,
                    i.name_raw,
                    i.cycle_value,
                    i.annual_value,
                    *(
                        (
                            i.target.text,
                            i.target.comparator,
                            _dec(i.target.number),
                            i.target.unit,
                            int(i.target.qualitative),
                        )
                        if i.target is not None
                        else (None, None, None, None, None)
                    ),
                )
                for p in table.projects
                for i in p.indicators
            ],
        )
        subtotals = [("total", 0, table.grand_total)] if table.grand_total is not None else []
        subtotals += [("unit", k, s) for k, s in enumerate(table.unit_subtotals)]
        conn.executemany(
            "INSERT INTO subtotals(source_file, kind, seq, label, line, amount_total, amount_fiscal, "
            "amount_special_account, amount_other, project_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    table.file_name,
                    kind,
                    k,
                    s.label,
                    s.line,
                    *_amount_values(s.amounts),
                    json.dumps(list(s.project_ids)),
                )
                for kind, k, s in subtotals
            ],
        )

    # -- reading --------------------------------------------------------

    def exists(self) -> bool:
        """True once the database file has been created by an ingest."""
        return self.db_path.is_file()

    def load(self) -> Corpus:
        """The stored corpus, in stable order (source file name, then line).
        An empty corpus when nothing was ingested yet."""
        if not self.exists():
            return Corpus(projects=(), source_hashes=())
        with self._transaction(write=False) as conn:
            if not self._has_schema(conn):
                return Corpus(projects=(), source_hashes=())
            projects, hashes = self._read_projects(conn)
        return Corpus(projects=projects, source_hashes=hashes)

    @staticmethod
    def _has_schema(conn: sqlite3.Connection) -> bool:
        row = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='sources'").fetchone()
        return row is not None

    @staticmethod
    def _read_projects(
        conn: sqlite3.Connection,
    ) -> tuple[tuple[Project, ...], tuple[tuple[str, str], ...]]:
        hashes = tuple(
            (r["file_name"], r["sha256"])
            for r in conn.execute("SELECT file_name, sha256 FROM sources ORDER BY file_name")
        )
        indicators: dict[str, list[Indicator]] = {}
        for r in conn.execute("SELECT * FROM indicators ORDER BY project_id, ordinal"):
            target = None
            if r["target_text"] is not None:
                target = Target(
                    text=r["target_text"],
                    comparator=r["target_comparator"],
                    number=_undec(r["target_number"]),
                    unit=r["target_unit"],
                    qualitative=bool(r["target_qualitative"]),
                )
            indicators.setdefault(r["project_id"], []).append(
                Indicator(
                    project_id=r["project_id"],
                    ordinal=r["ordinal"],
                    level1=r["level1"],
                    level2_code=r["level2_code"],
                    name=r["name"],
                    name_raw=r["name_raw"],
                    cycle_value=r["cycle_value"],
                    annual_value=r["annual_value"],
                    target=target,
                )
            )
        projects = tuple(
            Project(
                id=r["id"],
                source_file=r["source_file"],
                source_line=r["source_line"],
                district=r["district"],
                department=r["department"],
                budget_unit=r["budget_unit"],
                name=r["name"],
                name_raw=r["name_raw"],
                amounts=_amounts_from_row(r),
                goal=r["goal"],
                goal_raw=r["goal_raw"],
                indicators=tuple(indicators.get(r["id"], ())),
            )
            for r in conn.execute("SELECT * FROM projects ORDER BY source_file, source_line, seq")
        )
        return projects, hashes

    def tables(self) -> tuple[SourceTable, ...]:
        """Every stored table with its projects and subtotals, by file name."""
        if not self.exists():
            return ()
        with self._transaction(write=False) as conn:
            if not self._has_schema(conn):
                return ()
            projects, _ = self._read_projects(conn)
            sources = conn.execute("SELECT * FROM sources ORDER BY file_name").fetchall()
            subtotal_rows = conn.execute("SELECT * FROM subtotals ORDER BY source_file, kind, seq").fetchall()
        by_file: dict[str, list[Project]] = {}
        for p in projects:
            by_file.setdefault(p.source_file, []).append(p)
        out = []
        for s in sources:
            rows = [r for r in subtotal_rows if r["source_file"] == s["file_name"]]
            subs = {
                (r["kind"], r["seq"]): Subtotal(
                    r["label"], r["line"], _amounts_from_row(r), tuple(json.loads(r["project_ids"]))
                )
                for r in rows
            }
            out.append(
                SourceTable(
                    file_name=s["file_name"],
                    sha256=s["sha256"],
                    layout=s["layout"],
                    department=s["department"],
                    district=s["district"],
                    projects=tuple(by_file.get(s["file_name"], ())),
                    grand_total=subs.get(("total", 0)),
                    unit_subtotals=tuple(v for (kind, _), v in sorted(subs.items()) if kind == "unit"),
                )
            )
        return tuple(out)

    def stats(self) -> dict[str, Any]:
        """Counts (projects, indicators, coded/uncoded, per file, district and
        level-2 code) and every table's amount totals against its 合计 and
        unit subtotal rows. Decimals are rendered as strings."""
        tables = self.tables()
        projects = [p for t in tables for p in t.projects]
        indicators = [i for p in projects for i in p.indicators]
        coded = sum(1 for i in indicators if i.level2_code)
        per_district: dict[str, dict[str, int]] = {}
        for p in projects:
            d = per_district.setdefault(p.district, {"projects": 0, "indicators": 0})
            d["projects"] += 1
            d["indicators"] += len(p.indicators)
        codes = Counter(i.level2_code or "none" for i in indicators)
        level1 = Counter(i.level1 for i in indicators)
        return {
            "db_path": str(self.db_path),
            "sources": len(tables),
            "projects": len(projects),
            "indicators": len(indicators),
            "coded_indicators": coded,
            "uncoded_indicators": len(indicators) - coded,
            "per_source": [_source_stats(t) for t in tables],
            "per_district": dict(sorted(per_district.items())),
            "per_level1": dict(sorted(level1.items())),
            "per_level2_code": dict(sorted(codes.items())),
        }


def sum_amounts(projects: Iterable[Project]) -> Amounts:
    """Field-wise sum of project amounts (a field is None when no project has it)."""
    sums: dict[str, Decimal | None] = dict.fromkeys(AMOUNT_FIELDS)
    for p in projects:
        for f in AMOUNT_FIELDS:
            v = getattr(p.amounts, f)
            if v is not None:
                sums[f] = (sums[f] or Decimal(0)) + v
    return Amounts(**sums)


def check_subtotal(subtotal: Subtotal, projects: Sequence[Project]) -> dict[str, Any]:
    """A subtotal row against the sum of the projects it covers, per field:
    ``{field: {"declared", "computed", "difference"}}`` (strings)."""
    wanted = set(subtotal.project_ids)
    computed = sum_amounts(p for p in projects if p.id in wanted)
    fields: dict[str, Any] = {}
    for f in AMOUNT_FIELDS:
        declared = getattr(subtotal.amounts, f)
        got = getattr(computed, f)
        if declared is None and got is None:
            continue
        diff = (got or Decimal(0)) - (declared or Decimal(0))
        fields[f] = {"declared": _dec(declared), "computed": _dec(got), "difference": str(diff)}
    return {"label": subtotal.label, "line": subtotal.line, "projects": len(wanted), "amounts": fields}


def _source_stats(table: SourceTable) -> dict[str, Any]:
    inds = [i for p in table.projects for i in p.indicators]
    return {
        "file_name": table.file_name,
        "sha256": table.sha256,
        "layout": table.layout,
        "district": table.district,
        "department": table.department,
        "projects": len(table.projects),
        "indicators": len(inds),
        "coded_indicators": sum(1 for i in inds if i.level2_code),
        "amounts": _dec_dict(sum_amounts(table.projects)),
        "grand_total": check_subtotal(table.grand_total, table.projects) if table.grand_total else None,
        "unit_subtotals": [check_subtotal(s, table.projects) for s in table.unit_subtotals],
    }


def _dec_dict(amounts: Amounts) -> dict[str, str | None]:
    return {f: _dec(getattr(amounts, f)) for f in AMOUNT_FIELDS}
