"""``jixiao export --parquet``: the seed corpus as Parquet, read back by pyarrow/pandas as is."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.errors import InvalidInputError
from indexer.parquet import export_parquet, partition_columns, read_projects
from indexer.records import Amounts
from indexer.search import build_index
from indexer.store import CorpusStore

SEED = Path(__file__).resolve().parent.parent / "data" / "raw"


@pytest.fixture(scope="module")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    store = CorpusStore(tmp_path_factory.mktemp("store") / "corpus.sqlite")
    store.ingest(sorted(SEED.glob("*.txt")))
    return store.load()


@pytest.fixture(scope="module")
def exported(seed_corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "parquet"
    export_parquet(seed_corpus, out)
    return out


def test_round_trip_gives_the_same_records(seed_corpus: Corpus, exported: Path):
    back = read_projects(exported)
    assert back == seed_corpus.projects
    assert Corpus(projects=back).content_hash == seed_corpus.content_hash
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["corpus_hash"] == seed_corpus.content_hash
    assert (manifest["n_projects"], manifest["n_indicators"]) == (173, seed_corpus.n_indicators)


def test_partitions_are_raw_district_folders_read_by_pandas(seed_corpus: Corpus, exported: Path):
    # four of the five seed tables do not say their year: not partitioned by year
    assert partition_columns(seed_corpus.projects) == ("district",)
    folders = sorted(p.name for p in (exported / "projects").iterdir())
    assert folders == sorted(f"district={d}" for d in {p.district for p in seed_corpus.projects})
    projects = pd.read_parquet(exported / "projects")
    assert len(projects) == 173
    by_district = projects.groupby("district", observed=True).size().to_dict()
    assert by_district == {d: sum(p.district == d for p in seed_corpus.projects) for d in by_district}
    indicators = pd.read_parquet(exported / "indicators")
    assert len(indicators) == seed_corpus.n_indicators
    first = seed_corpus.projects[0]
    row = projects[projects["id"] == first.id].iloc[0]
    assert row["amount_total"] == first.amounts.total and row["goal"] == first.goal
    assert row["n_indicators"] == len(first.indicators)


def test_schema_file_describes_every_column(exported: Path):
    schema = json.loads((exported / "schema.json").read_text(encoding="utf-8"))
    partitions = schema["partitioning"]
    assert partitions == ["district"]
    for name in ("projects", "indicators"):
        part = next((exported / name).rglob("*.parquet"))
        in_file = pq.read_schema(part)
        documented = {c["name"]: c["type"] for c in schema["datasets"][name]}
        # partition columns are in the folder names, not in the files
        assert set(documented) == {*in_file.names, *partitions}
        assert all(documented[f.name] == str(f.type) for f in in_file)
        assert all(c["description"] for c in schema["datasets"][name] if c["name"].startswith("target_"))


def test_embeddings_are_exported_when_vectors_are_given(seed_corpus: Corpus, tmp_path: Path):
    from indexer.search import stored_vectors

    encoder = FakeEncoder()
    build_index(seed_corpus, encoder, tmp_path / "index")
    vectors = stored_vectors(tmp_path / "index", encoder)
    manifest = export_parquet(seed_corpus, tmp_path / "out", vectors=vectors, encoder_name=encoder.name)
    table = pd.read_parquet(tmp_path / "out" / "embeddings")
    assert manifest["n_embeddings"] == len(table) > 173 and manifest["dim"] == encoder.dim
    assert set(table["kind"]) == {"name", "goal", "indicator"}
    row = table[table["kind"] == "name"].iloc[0]
    expected = encoder.encode_passages([row["text"]])[0]
    assert list(row["vector"]) == pytest.approx(list(expected), abs=1e-6)


def test_bad_values_are_refused_naming_the_project(seed_corpus: Corpus, tmp_path: Path):
    first = seed_corpus.projects[0]
    slashed = replace(first, district="广州/市")
    with pytest.raises(InvalidInputError, match=f"project {first.id}.*line {first.source_line}.*district"):
        export_parquet(Corpus(projects=(slashed,)), tmp_path / "a")
    fine = replace(first, amounts=Amounts(total=Decimal("1.0000001")))
    with pytest.raises(InvalidInputError, match=f"project {first.id}.*amount total.*decimal places"):
        export_parquet(Corpus(projects=(fine,)), tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_budget_year_partitions_when_every_project_has_one(seed_corpus: Corpus, tmp_path: Path):
    years = tuple(replace(p, budget_year=2023 + n % 2) for n, p in enumerate(seed_corpus.projects))
    manifest = export_parquet(Corpus(projects=years), tmp_path / "y")
    assert manifest["partitioning"] == ["district", "budget_year"]
    folders = {p.name for p in (tmp_path / "y" / "projects").glob("*/*")}
    assert folders == {"budget_year=2023", "budget_year=2024"}
    assert read_projects(tmp_path / "y") == years
    frame = pd.read_parquet(tmp_path / "y" / "indicators")
    assert set(frame["budget_year"].astype(int)) == {2023, 2024}
    # one unknown year: the year stays an ordinary column, still read by pandas as is
    mixed = (replace(years[0], budget_year=None), *years[1:])
    assert export_parquet(Corpus(projects=mixed), tmp_path / "m")["partitioning"] == ["district"]
    assert pd.read_parquet(tmp_path / "m" / "projects")["budget_year"].isna().sum() == 1
    assert read_projects(tmp_path / "m") == mixed


def test_an_empty_corpus_exports_empty_datasets(tmp_path: Path):
    export_parquet(Corpus(projects=()), tmp_path / "empty")
    assert read_projects(tmp_path / "empty") == ()
    assert len(pd.read_parquet(tmp_path / "empty" / "indicators")) == 0


def test_export_command_writes_everything_and_refuses_an_existing_folder(
    seed_cli_models: Path, tmp_path: Path
):
    from api.cli import app

    out = tmp_path / "pq"
    result = CliRunner().invoke(app, ["export", "--parquet", str(out)])
    assert result.exit_code == 0, result.output
    assert "173 projects" in result.output and "partitioned by district" in result.output
    assert {p.name for p in out.iterdir()} >= {"projects", "indicators", "embeddings", "schema.json"}
    again = CliRunner().invoke(app, ["export", "--parquet", str(out)])
    assert again.exit_code != 0 and "already exists" in str(again.exception)
