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
import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from indexer.corpus import Corpus
from indexer.errors import BadFilesError, InvalidInputError, ParseError, StoreBusyError, StoreError
from indexer.ingest import InputFile, read_input, read_source
from indexer.position import Position
from indexer.readers import ReadLimits, ReadWarning
from indexer.records import AMOUNT_FIELDS, SourceTable
from indexer.store_sql import (
    amount_values,
    dec,
    ensure_schema,
    has_schema,
    indicator_row,
    needs_migration,
    project_row,
    read_projects,
    read_sources,
)

BUSY_TIMEOUT_S = 30.0
_SQLITE_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (the primary codes)
_AMOUNT_COLUMNS = ", ".join(f"amount_{f}" for f in AMOUNT_FIELDS)


@dataclass(frozen=True)
class IngestReport:
    """What one :meth:`CorpusStore.ingest` call changed."""

    added: tuple[str, ...] = ()  # file names new to the store
    unchanged: tuple[str, ...] = ()  # same name and sha256 as stored
    replaced: tuple[str, ...] = ()  # same name, new content
    project_ids_added: tuple[str, ...] = ()
    project_ids_removed: tuple[str, ...] = ()
    skipped: tuple[ParseError, ...] = ()  # bad files left out (``skip_bad``), each naming the place
    warnings: tuple[ReadWarning, ...] = ()  # read, but worth telling: a sheet left unread, an empty one …
    duplicates: tuple[str, ...] = ()  # same bytes as another stored or given file: not stored again

    @property
    def changed(self) -> bool:
        """True when the store's content changed."""
        return bool(self.added or self.replaced)

    def __str__(self) -> str:
        skipped = f", {len(self.skipped)} bad skipped" if self.skipped else ""
        warned = f", {len(self.warnings)} warnings" if self.warnings else ""
        twins = f", {len(self.duplicates)} duplicate content" if self.duplicates else ""
        projects = f"projects +{len(self.project_ids_added)} -{len(self.project_ids_removed)}"
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced, {len(self.unchanged)} unchanged"
            f"{twins}{skipped}; {projects}{warned}"
        )


@dataclass(frozen=True)
class _Entry:
    """A file to store: its table, or None when it looked unchanged (not parsed)."""

    name: str
    sha256: str
    data: bytes
    table: SourceTable | None


def _insert_rows(conn: sqlite3.Connection, table: str, rows: Sequence[dict[str, object]]) -> None:
    """Insert rows given as column → value (every row with the columns of the first)."""
    if rows:
        columns = list(rows[0])
        conn.executemany(
            f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})", rows
        )


def _refuse_duplicates(names: Iterable[str]) -> None:
    counts = Counter(names)
    dups = sorted(n for n, c in counts.items() if c > 1)
    if dups:
        raise InvalidInputError(f"the same file name is given more than once: {', '.join(dups)}")


class CorpusStore:
    """SQLite-backed corpus: ingest table files, load the :class:`Corpus`.

    The original bytes of every stored file are kept content-addressed in
    ``originals_dir`` (default: ``originals/`` beside the database) as
    ``<sha256[:2]>/<sha256>``: a file's name is never used as a path.
    """

    def __init__(
        self,
        db_path: str | Path,
        originals_dir: str | Path | None = None,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        self.db_path = Path(db_path)
        self.originals_dir = Path(originals_dir) if originals_dir else self.db_path.parent / "originals"
        self.busy_timeout_s = busy_timeout_s  # how long a write waits for another writer's lock

    # -- connection -----------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_path, timeout=self.busy_timeout_s, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        with self._domain_errors():
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

    @contextmanager
    def _domain_errors(self) -> Iterator[None]:
        """SQLite's failures to open, lock or read the database as the store's domain errors,
        naming it: another writer's lock held past the wait (``StoreBusyError``), a file that
        is not a database, damaged or not permitted (``StoreError``). The SQL's own mistakes
        (an integrity or programming error) stay what they are."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _SQLITE_BUSY_CODES or "locked" in str(exc):
                raise StoreBusyError(str(self.db_path), self.busy_timeout_s) from None
            raise StoreError(f"corpus store {self.db_path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:
                raise
            raise StoreError(f"corpus store {self.db_path} cannot be read: {exc}") from exc

    # -- writing --------------------------------------------------------

    def ingest(
        self,
        files: Iterable[str | Path | InputFile],
        *,
        skip_bad: bool = False,
        limits: ReadLimits | None = None,
        before_commit: Callable[[Corpus], None] | None = None,
    ) -> IngestReport:
        """Read every new or changed file, then store them all in one transaction.

        Every file is read before anything is written; when any cannot be read,
        nothing is written and the error names every bad file and the place in it
        (a :class:`BadFilesError` for several), unless ``skip_bad``: then the good
        ones are stored and the bad ones listed in :attr:`IngestReport.skipped`. A
        file whose name and sha256 are already stored is not even read again.
        ``before_commit(corpus)``, when the content changed, is given the new corpus
        inside the transaction: if it raises (or the process dies in it), nothing is stored.
        """
        inputs: list[InputFile] = []
        failures: list[ParseError] = []
        for item in files:
            if isinstance(item, InputFile):
                inputs.append(item)
                continue
            try:
                inputs.append(read_input(item))
            except ParseError as exc:
                failures.append(exc)
        if not inputs and not failures:
            raise InvalidInputError("no table files to ingest")
        _refuse_duplicates([f.name for f in inputs] + [f.file for f in failures])
        stored = self._stored_hashes()
        # The same bytes under another name (a browser's "表 (1).xlsx", a renamed copy) would
        # store every project twice: such a file is left out and named with its twin.
        holder = {sha: name for name, sha in stored.items()}
        entries: list[_Entry] = []
        warnings: list[ReadWarning] = []
        duplicates: list[str] = []
        for source in inputs:
            sha = hashlib.sha256(source.data).hexdigest()
            twin = holder.setdefault(sha, source.name)
            if twin != source.name and stored.get(source.name) != sha:
                duplicates.append(source.name)
                message = f"the same content as {twin}, already stored or given: not stored again"
                warnings.append(ReadWarning(Position(source.name), message))
                continue
            table = None
            try:
                if stored.get(source.name) != sha:
                    result = read_source(source.data, source.name, limits)
                    table = result.table
                    warnings.extend(result.warnings)
            except ParseError as exc:
                failures.append(exc)
                continue
            entries.append(_Entry(source.name, sha, source.data, table))
        if failures and not skip_bad:
            raise failures[0] if len(failures) == 1 else BadFilesError(failures)
        report = self._write(entries, limits, before_commit) if entries else IngestReport()
        return replace(
            report, skipped=tuple(failures), warnings=tuple(warnings), duplicates=tuple(duplicates)
        )

    def original(self, sha256: str) -> bytes:
        """The bytes of a stored file, by its sha256 (what :meth:`ingest` kept)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise InvalidInputError(f"not a sha256: {sha256!r}")
        try:
            return (self.originals_dir / sha256[:2] / sha256).read_bytes()
        except FileNotFoundError:
            from indexer.errors import NotFoundError

            raise NotFoundError(f"no original file with sha256 {sha256}") from None

    def _keep_original(self, sha256: str, data: bytes) -> None:
        """Write a file's bytes under its hash (temp file, then rename: never half-written)."""
        path = self.originals_dir / sha256[:2] / sha256
        if path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _stored_hashes(self) -> dict[str, str]:
        if not self.exists():
            return {}
        with self._transaction(write=False) as conn:
            if not has_schema(conn):
                return {}
            return {
                r["file_name"]: r["sha256"] for r in conn.execute("SELECT file_name, sha256 FROM sources")
            }

    def _write(
        self,
        entries: Sequence[_Entry],
        limits: ReadLimits | None = None,
        before_commit: Callable[[Corpus], None] | None = None,
    ) -> IngestReport:
        added: list[str] = []
        unchanged: list[str] = []
        replaced: list[str] = []
        ids_added: list[str] = []
        ids_removed: list[str] = []
        with self._transaction(write=True) as conn:
            ensure_schema(conn, self.db_path)
            for entry in entries:
                row = conn.execute("SELECT sha256 FROM sources WHERE file_name = ?", (entry.name,)).fetchone()
                if row is not None and row["sha256"] == entry.sha256:
                    unchanged.append(entry.name)
                    continue
                # Changed by another process since we looked: parse it now.
                table = entry.table or read_source(entry.data, entry.name, limits).table
                # Before the commit: a stored source always has its original.
                self._keep_original(entry.sha256, entry.data)
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
            if before_commit is not None and (added or replaced):
                before_commit(Corpus(projects=read_projects(conn), sources=read_sources(conn)))
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
            "INSERT INTO sources(file_name, sha256, layout, district, department) VALUES (?, ?, ?, ?, ?)",
            (table.file_name, table.sha256, table.layout, table.district, table.department),
        )
        projects = [
            {**project_row(p), "source_file": table.file_name, "seq": seq}
            for seq, p in enumerate(table.projects)
        ]
        for row in projects:
            row.update({f"amount_{f}": dec(row[f"amount_{f}"]) for f in AMOUNT_FIELDS})
        _insert_rows(conn, "projects", projects)
        indicators = [indicator_row(i) for p in table.projects for i in p.indicators]
        for row in indicators:
            row["target_number"] = dec(row["target_number"])
        _insert_rows(conn, "indicators", indicators)
        subtotals = [("total", 0, table.grand_total)] if table.grand_total is not None else []
        subtotals += [("unit", k, s) for k, s in enumerate(table.unit_subtotals)]
        conn.executemany(
            f"INSERT INTO subtotals(source_file, kind, seq, label, line, {_AMOUNT_COLUMNS}, project_ids) "
            f"VALUES ({', '.join('?' * (6 + len(AMOUNT_FIELDS)))})",
            [
                (
                    table.file_name,
                    kind,
                    k,
                    s.label,
                    s.line,
                    *amount_values(s.amounts),
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
        """The stored corpus, in stable order (source file name, then line), with its
        sources and their subtotal rows. An empty corpus when nothing was ingested yet."""
        if not self.exists():
            return Corpus(projects=())
        with self._transaction(write=False) as conn:
            if needs_migration(conn):
                return self._load_migrated(conn)
            if not has_schema(conn):
                return Corpus(projects=())
            projects = read_projects(conn)
            sources = read_sources(conn)
        return Corpus(projects=projects, sources=sources)

    def _load_migrated(self, conn: sqlite3.Connection) -> Corpus:
        # An older schema is read through a migrated copy in memory: loading never writes (the
        # models directory may be read-only or shared with older code); the next ingest migrates
        # the file itself (``_write`` calls ensure_schema).
        memory = sqlite3.connect(":memory:", isolation_level=None)
        try:
            memory.row_factory = sqlite3.Row
            conn.backup(memory)
            memory.execute("BEGIN")
            ensure_schema(memory, self.db_path)
            corpus = Corpus(projects=read_projects(memory), sources=read_sources(memory))
            memory.execute("ROLLBACK")
            return corpus
        finally:
            memory.close()
