"""``jixiao ingest`` and ``jixiao stats`` through the real CLI."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.store import CorpusStore

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def models_dir(cli_settings) -> Path:
    return cli_settings(data_dir=str(Path(__file__).resolve().parent.parent / "data" / "raw")).models_dir


def test_ingest_default_folder_then_stats(models_dir: Path) -> None:
    from api.cli import app

    runner = CliRunner()
    first = runner.invoke(app, ["ingest"])
    assert first.exit_code == 0, first.output
    assert first.output.count("added") == 6  # 5 files + summary line "5 added"
    assert (models_dir / "corpus.sqlite").is_file()
    again = runner.invoke(app, ["ingest"])
    assert again.exit_code == 0
    assert "0 added, 0 replaced, 5 unchanged" in again.output

    text = runner.invoke(app, ["stats"])
    assert text.exit_code == 0
    assert "173 projects, 778 indicators (596 coded, 182 uncoded)" in text.output
    assert "合计[total] line 10: declared 101132.26, projects sum 101132.25, difference -0.01" in text.output

    as_json = runner.invoke(app, ["stats", "--json"])
    data = json.loads(as_json.output)
    assert data["projects"] == 173 and data["per_level2_code"]["none"] == 182


def test_ingest_error_names_file_and_line(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli import main

    good = tmp_path / "good.txt"
    bad = tmp_path / "tsv_truncated_row.txt"
    shutil.copy(FIXTURES / "tsv_small.txt", good)
    shutil.copy(FIXTURES / "tsv_truncated_row.txt", bad)
    monkeypatch.setattr(sys, "argv", ["jixiao", "ingest", str(good), str(bad)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "error: tsv_truncated_row.txt, line 13: row has 4 of the header's 7" in err
    assert len(CorpusStore(models_dir / "corpus.sqlite").load()) == 0


def test_ingest_missing_path_is_an_error(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.cli import main

    monkeypatch.setattr(sys, "argv", ["jixiao", "ingest", str(models_dir / "nope.txt")])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
