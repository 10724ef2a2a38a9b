"""``jixiao classify`` through the real CLI, with a classifier trained on the synthetic corpus
(fake encoder, no built artifacts)."""

from __future__ import annotations

import json

import pytest
from classifier_support import synthetic_corpus

from classifier.model import IndicatorClassifier
from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return synthetic_corpus()


@pytest.fixture
def cli_env(cli_settings, corpus):
    settings = cli_settings(encoder="fake")
    # the CLI loads the encoder from settings: the fake one has the default dim
    IndicatorClassifier.train(corpus, FakeEncoder()).save(settings.classifier_dir)
    return settings


def _run(*args: str):
    from typer.testing import CliRunner

    from api.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_classify_single_and_json(cli_env):
    result = _run("classify", "会展资金拨付及时率", "--value", "100%")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("13 时效指标")
    result = _run("classify", "会展服务对象满意度", "--level1", "3-满意度指标", "--json")
    data = json.loads(result.output)
    assert data["code"] == "31" and data["probability"] == 1.0 and not data["needs_review"]
    assert set(data) >= {"code", "label", "probability", "needs_review", "top3"}


def test_cli_classify_file_reports_bad_lines(cli_env, tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text(
        "会展活动次数\n\n带动外贸产值\t≥1亿元\t效益\n坏行\t\t产品\n" + "率" * 600 + "\n", encoding="utf-8"
    )
    result = _run("classify", "--file", str(path), "--json")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["line"] for line in lines] == [1, 3, 4, 5]
    assert lines[0]["code"] == "11" and lines[1]["code"] in {"21", "22", "23", "24"}
    assert "level-1" in lines[2]["error"] and "too long" in lines[3]["error"]
    assert result.exit_code == 1


def test_cli_classify_rejects_bad_use(cli_env):
    from indexer.errors import InvalidInputError

    result = _run("classify")
    assert isinstance(result.exception, InvalidInputError)
    result = _run("classify", "资金\x01拨付")
    assert isinstance(result.exception, InvalidInputError) and "control character" in str(result.exception)
