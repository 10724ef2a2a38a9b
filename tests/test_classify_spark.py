"""``jixiao classify/audit --engine spark``: batch tagging of a Parquet export in local[2]
gives the local model's predictions row for row (fake encoder, seed corpus)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from api_support import run_cli
from typer.testing import CliRunner

from api.settings import Settings
from classifier.dataset import clean_value
from classifier.model import IndicatorClassifier
from indexer.encoder import FakeEncoder
from indexer.parquet import export_parquet
from indexer.store import CorpusStore

SEED = Path(__file__).resolve().parent.parent / "data" / "raw"
pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    root = tmp_path_factory.mktemp("classify-spark")
    settings = Settings(models_dir=root / "models", encoder="fake")
    store = CorpusStore(settings.db_path)
    store.ingest(sorted(SEED.glob("*.txt")))
    corpus = store.load()
    IndicatorClassifier.train(corpus, FakeEncoder()).save(settings.classifier_dir)
    export_parquet(corpus, root / "pq")
    yield settings, root


@pytest.fixture
def cli(trained, cli_settings) -> tuple[Settings, Path]:
    settings, root = trained
    cli_settings(settings.models_dir, encoder="fake")
    return settings, root


def _run(*args: str) -> str:
    return run_cli(*args).output


def test_spark_tags_every_indicator_as_the_local_model_does(spark, cli, tmp_path: Path):
    settings, root = cli
    output = _run("classify", "--engine", "spark", "--input", str(root / "pq"), "--out", str(tmp_path / "o"))
    tagged = pd.read_parquet(tmp_path / "o").sort_values(["project_id", "ordinal"]).reset_index(drop=True)
    source = pd.read_parquet(root / "pq" / "indicators")
    assert len(tagged) == len(source) and f"{len(source)} indicators tagged" in output
    model = IndicatorClassifier.load(settings.classifier_dir, FakeEncoder())
    items = [
        (n, clean_value(a) or clean_value(c), lvl)
        for n, a, c, lvl in zip(
            tagged["name"], tagged["annual_value"], tagged["cycle_value"], tagged["level1"], strict=True
        )
    ]
    expected = model.predict_many(items)
    assert list(tagged["predicted_code"]) == [p.code for p in expected]
    assert list(tagged["probability"]) == pytest.approx([p.probability for p in expected], abs=1e-9)
    assert list(tagged["needs_review"]) == [p.needs_review for p in expected]
    assert tagged["error"].isna().all()
    assert {p.name for p in (tmp_path / "o").iterdir() if p.is_dir()} == {
        f"district={d}" for d in source["district"].unique()
    }


def test_spark_audit_keeps_the_worklists_and_bad_rows_get_an_error(spark, cli, tmp_path: Path):
    _, root = cli
    _run("audit", "--engine", "spark", "--input", str(root / "pq"), "--out", str(tmp_path / "a"))
    worklist = pd.read_parquet(tmp_path / "a")
    source = pd.read_parquet(root / "pq" / "indicators")
    level1_only = worklist[worklist["worklist"] == "level1_only"]
    assert len(level1_only) == int((source["level2_code"].isna()).sum()) > 0
    contradictions = worklist[worklist["worklist"] == "contradiction"]
    assert (contradictions["probability"] >= 0.8).all()
    assert (contradictions["predicted_code"] != contradictions["level2_code"]).all()
    # an unusable row is kept with its error, the others are tagged
    bad = source.head(3).copy()
    bad.loc[bad.index[0], "name"] = "   "
    bad.drop(columns=["district"]).to_parquet(tmp_path / "bad.parquet")
    _run(
        "classify",
        "--engine",
        "spark",
        "--input",
        str(tmp_path / "bad.parquet"),
        "--out",
        str(tmp_path / "b"),
    )
    rows = pd.read_parquet(tmp_path / "b")
    assert rows["error"].notna().sum() == 1 and rows["predicted_code"].notna().sum() == 2


def test_spark_classify_needs_input_and_out(cli):
    from api.cli import app

    result = CliRunner().invoke(app, ["classify", "--engine", "spark"])
    assert result.exit_code != 0 and "needs --input PARQUET and --out PARQUET" in str(result.exception)
