"""The SQLite corpus store: round trip, idempotent all-or-nothing ingest, stats."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from indexer.errors import InvalidInputError, ParseError, StoreError, UnknownLayoutError
from indexer.ingest import read_path
from indexer.records import Source
from indexer.store import CorpusStore, IngestReport
from indexer.store_sql import SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(tmp_path: Path) -> CorpusStore:
    return CorpusStore(tmp_path / "models" / "corpus.sqlite")


@pytest.fixture
def seeded(store: CorpusStore, seed_paths: list[Path]) -> CorpusStore:
    store.ingest(seed_paths)
    return store


def dump(store: CorpusStore) -> list[str]:
    """Every schema statement and row of the database, as SQL text."""
    conn = sqlite3.connect(store.db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_ingest_and_load_round_trip(store: CorpusStore, seed_paths: list[Path]) -> None:
    report = store.ingest(seed_paths)
    assert report.added == tuple(p.name for p in seed_paths)
    assert report.unchanged == report.replaced == report.project_ids_removed == ()
    parsed = [read_path(p).table for p in seed_paths]
    corpus = store.load()
    assert len(corpus) == 173 == len(report.project_ids_added)
    assert corpus.n_indicators == 778
    # exactly what the parser produced, Decimals and all, in file then line order
    assert corpus.projects == tuple(p for t in parsed for p in t.projects)
    # and every table's own facts: layout, department, district, 合计 and unit subtotal rows
    assert corpus.sources == tuple(
        Source(t.file_name, t.sha256, t.layout, t.department, t.district, t.grand_total, t.unit_subtotals)
        for t in parsed
    )
    assert corpus.by_source == {t.file_name: t.projects for t in parsed}


def test_reingest_is_a_no_op(seeded: CorpusStore, seed_paths: list[Path]) -> None:
    before = dump(seeded)
    report = seeded.ingest(seed_paths)
    assert report == IngestReport(unchanged=tuple(p.name for p in seed_paths))
    assert not report.changed
    assert dump(seeded) == before


def test_new_files_are_added(store: CorpusStore, seed_paths: list[Path]) -> None:
    store.ingest(seed_paths[:3])
    report = store.ingest(seed_paths)
    assert report.added == tuple(p.name for p in seed_paths[3:])
    assert report.unchanged == tuple(p.name for p in seed_paths[:3])
    assert len(store.load()) == 173


def test_changed_file_replaces_its_rows(store: CorpusStore, tmp_path: Path) -> None:
    table = tmp_path / "in" / "yuexiu.txt"
    table.parent.mkdir()
    shutil.copy(FIXTURES / "tsv_small.txt", table)
    first = store.ingest([table])
    old_ids = set(first.project_ids_added)
    table.write_text(
        table.read_text(encoding="utf-8").replace("扶持展会数量", "扶持展会场次"), encoding="utf-8"
    )
    report = store.ingest([table])
    assert report.replaced == ("yuexiu.txt",) and report.added == ()
    assert set(report.project_ids_removed) == old_ids
    corpus = store.load()
    assert {p.id for p in corpus.projects} == set(report.project_ids_added)
    assert corpus.projects[0].indicators[0].name == "扶持展会场次"
    conn = sqlite3.connect(store.db_path)
    try:
        orphans = conn.execute(
            "SELECT COUNT(*) FROM indicators WHERE project_id NOT IN (SELECT id FROM projects)"
        ).fetchone()[0]
        n_subtotals = conn.execute("SELECT COUNT(*) FROM subtotals").fetchone()[0]
    finally:
        conn.close()
    assert orphans == 0
    assert n_subtotals == 3  # 合计 + 2 units, not doubled


def _broken(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "broken" / f"{kind}.txt"
    path.parent.mkdir(exist_ok=True)
    good = (FIXTURES / "tsv_small.txt").read_bytes()
    if kind == "binary":
        path.write_bytes(good[:300] + b"\x00\x00\x07")
    elif kind == "encoding":
        path.write_bytes(good.replace("会展".encode(), b"\xff\xfe", 1))
    else:
        shutil.copy(FIXTURES / f"{kind}.txt", path)
    return path


@pytest.mark.parametrize(
    ("kind", "error", "line"),
    [
        ("tsv_truncated_row", ParseError, 13),
        ("tsv_truncated_indicator", ParseError, 13),
        ("pdf_truncated_name", ParseError, 44),
        ("unknown_layout", UnknownLayoutError, None),
        ("binary", ParseError, 10),
        ("encoding", ParseError, 11),
    ],
)
def test_a_bad_file_leaves_the_database_unchanged(
    seeded: CorpusStore, tmp_path: Path, kind: str, error: type[Exception], line: int | None
) -> None:
    before = dump(seeded)
    good_new = tmp_path / "new_good.txt"
    shutil.copy(FIXTURES / "pdf_small.txt", good_new)
    bad = _broken(tmp_path, kind)
    with pytest.raises(error) as info:
        seeded.ingest([good_new, bad])
    assert isinstance(info.value, ParseError)
    assert info.value.file == bad.name and info.value.line == line
    assert dump(seeded) == before


def test_a_write_failure_rolls_everything_back(
    seeded: CorpusStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(seeded)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    shutil.copy(FIXTURES / "pdf_small.txt", a)
    shutil.copy(FIXTURES / "five_column_small.txt", b)
    calls: list[str] = []
    original = CorpusStore._insert_table

    def failing(self: CorpusStore, conn: sqlite3.Connection, table: object) -> None:
        calls.append(getattr(table, "file_name", "?"))
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        original(self, conn, table)  # type: ignore[arg-type]

    monkeypatch.setattr(CorpusStore, "_insert_table", failing)
    with pytest.raises(StoreError, match=r"corpus store .*disk I/O error"):
        seeded.ingest([a, b])
    assert calls == ["a.txt", "b.txt"]
    assert dump(seeded) == before


def test_a_bad_first_ingest_creates_no_rows(store: CorpusStore, tmp_path: Path) -> None:
    with pytest.raises(ParseError):
        store.ingest([_broken(tmp_path, "binary")])
    assert len(store.load()) == 0


def test_duplicate_file_names_are_refused(store: CorpusStore, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    shutil.copy(FIXTURES / "tsv_small.txt", tmp_path / "x" / "t.txt")
    shutil.copy(FIXTURES / "pdf_small.txt", tmp_path / "y" / "t.txt")
    with pytest.raises(InvalidInputError, match="more than once"):
        store.ingest([tmp_path / "x" / "t.txt", tmp_path / "y" / "t.txt"])
    with pytest.raises(InvalidInputError):
        store.ingest([])


def test_load_before_any_ingest_is_empty_and_creates_nothing(store: CorpusStore) -> None:
    corpus = store.load()
    assert len(corpus) == 0 and corpus.sources == () and corpus.by_source == {}
    assert not store.db_path.exists()


def test_load_reads_a_consistent_snapshot_while_another_writer_is_busy(seeded: CorpusStore) -> None:
    writer = sqlite3.connect(seeded.db_path, isolation_level=None, timeout=5)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM indicators")
        writer.execute("DELETE FROM projects")
        result: dict[str, int] = {}

        def read() -> None:
            corpus = seeded.load()
            result["projects"], result["indicators"] = len(corpus), corpus.n_indicators

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=20)
        assert not reader.is_alive(), "load() blocked behind an open write transaction"
        assert result == {"projects": 173, "indicators": 778}
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_schema_has_the_lookup_indexes(seeded: CorpusStore) -> None:
    conn = sqlite3.connect(seeded.db_path)
    try:
        indexes = {
            (r[0], r[1])
            for r in conn.execute(
                "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    sql = " ".join(s for _, s in indexes)
    assert "projects(district)" in sql
    assert "indicators(level2_code)" in sql
    assert "indicators(project_id)" in sql
    assert mode == "wal"


def test_a_version_1_database_is_migrated_on_the_next_ingest(seeded: CorpusStore, tmp_path: Path) -> None:
    # Version 1 also kept per-source project and indicator counts (derivable, never read).
    conn = sqlite3.connect(seeded.db_path)
    try:
        conn.execute("ALTER TABLE sources ADD COLUMN n_projects INTEGER NOT NULL DEFAULT 0")
        conn.execute("ALTER TABLE sources ADD COLUMN n_indicators INTEGER NOT NULL DEFAULT 0")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.commit()
    finally:
        conn.close()
    before = seeded.load()
    table = tmp_path / "t.txt"
    shutil.copy(FIXTURES / "tsv_small.txt", table)
    assert seeded.ingest([table]).added == ("t.txt",)
    conn = sqlite3.connect(seeded.db_path)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(sources)")]
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        conn.close()
    assert "n_projects" not in columns and "n_indicators" not in columns and version == str(SCHEMA_VERSION)
    assert seeded.load().projects[: len(before)] == before.projects


def test_stats(seeded: CorpusStore) -> None:
    from api.cli.corpus_cmd import stats_json
    from indexer.stats import corpus_stats

    s = stats_json(corpus_stats(seeded.load()), seeded.db_path)
    assert (s["sources"], s["projects"], s["indicators"]) == (5, 173, 778)
    assert (s["coded_indicators"], s["uncoded_indicators"]) == (596, 182)
    assert sum(s["per_level2_code"].values()) == 778
    assert s["per_level2_code"]["none"] == 182
    assert sum(v for k, v in s["per_level2_code"].items() if k != "none") == 596
    assert s["per_district"] == {
        "南沙区": {"projects": 28, "indicators": 183},
        "天河区": {"projects": 24, "indicators": 75},
        "广州市": {"projects": 57, "indicators": 294},
        "花都区": {"projects": 53, "indicators": 182},
        "荔湾区": {"projects": 11, "indicators": 44},
    }
    per_source = {x["file_name"][:3]: x for x in s["per_source"]}
    assert per_source["003"]["grand_total"] is None
    city = per_source["000"]["grand_total"]["amounts"]
    assert city["total"] == {"declared": "101132.26", "computed": "101132.25", "difference": "-0.01"}
    assert city["special_account"]["difference"] == "10.00"  # the table's own inconsistency
    for x in s["per_source"]:
        checks = ([x["grand_total"]] if x["grand_total"] else []) + x["unit_subtotals"]
        for check in checks:
            assert abs(Decimal(check["amounts"]["total"]["difference"])) <= Decimal("0.01")


def test_unchanged_files_are_not_parsed_again(
    seeded: CorpusStore, seed_paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.store as store_module

    def boom(data: bytes, name: str, limits: object = None) -> None:
        raise AssertionError(f"{name} parsed again")

    monkeypatch.setattr(store_module, "read_source", boom)
    assert seeded.ingest(seed_paths).unchanged == tuple(p.name for p in seed_paths)


def test_a_file_changed_by_someone_else_meanwhile_is_parsed_in_the_transaction(
    store: CorpusStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    table = tmp_path / "t.txt"
    shutil.copy(FIXTURES / "tsv_small.txt", table)
    store.ingest([table])
    table.write_text(
        table.read_text(encoding="utf-8").replace("举办招商活动。", "举办招商推介活动。"), "utf-8"
    )
    stale = {"t.txt": hashlib.sha256(table.read_bytes()).hexdigest()}  # "already stored", wrongly
    monkeypatch.setattr(CorpusStore, "_stored_hashes", lambda self: stale)
    report = store.ingest([table])
    assert report.replaced == ("t.txt",)
    assert store.load().projects[-1].goal == "举办招商推介活动。"


def test_loads_see_whole_versions_while_another_process_ingests(store: CorpusStore, tmp_path: Path) -> None:
    """A writer process keeps replacing a table with one of two versions; every
    load() in this process sees exactly one version, never a mix or a gap."""
    import subprocess
    import sys
    import textwrap

    base = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    versions = [
        base,
        base.replace("扶持展会数量", "扶持展会场次").replace("举办招商活动。", "举办推介活动。"),
    ]
    dirs = []
    for k, text in enumerate(versions):
        d = tmp_path / f"v{k}"
        d.mkdir()
        (d / "t.txt").write_text(text, encoding="utf-8")
        dirs.append(d / "t.txt")
    expected = {tuple(read_path(p).table.projects) for p in dirs}
    store.ingest([dirs[0]])
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                from indexer.store import CorpusStore
                store = CorpusStore({str(store.db_path)!r})
                for k in range(30):
                    store.ingest([{str(dirs[1])!r} if k % 2 == 0 else {str(dirs[0])!r}])
                """
            ),
        ],
    )
    seen = set()
    try:
        while writer.poll() is None:
            projects = store.load().projects
            assert projects in expected
            seen.add(projects)
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    assert store.load().projects in expected
    assert seen  # at least one load ran concurrently


def test_the_same_bytes_under_another_name_are_not_stored_twice(
    seeded: CorpusStore, seed_paths: list[Path], tmp_path: Path
) -> None:
    # A browser's "表 (1).txt", a renamed copy: every project would be found twice.
    before = dump(seeded)
    copy = tmp_path / f"{seed_paths[0].stem} (1).txt"
    shutil.copy(seed_paths[0], copy)
    report = seeded.ingest([copy])
    assert report.duplicates == (copy.name,) and not report.changed
    assert [str(w) for w in report.warnings] == [
        f"{copy.name}: the same content as {seed_paths[0].name}, already stored or given: not stored again"
    ]
    assert "1 duplicate content" in str(report)
    assert dump(seeded) == before
    # Two copies in one call: the first is stored, the second named with it.
    other = tmp_path / "另一份.txt"
    shutil.copy(FIXTURES / "tsv_small.txt", other)
    twin = tmp_path / "另一份 (2).txt"
    shutil.copy(other, twin)
    report = seeded.ingest([other, twin])
    assert report.added == (other.name,) and report.duplicates == (twin.name,)
    assert len(seeded.load()) == 173 + len(read_path(other).table.projects)
