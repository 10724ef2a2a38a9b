"""Commands that need no encoder import no model library, and commands that read no document
import no document engine (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.store import CorpusStore

REPO_ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "torch", "sentence_transformers", "transformers", "onnxruntime", "optimum", "faiss", "sklearn", "opencc"
)
# The PDF, Excel and Word engines: imported by the readers at the first file read, not by
# opening the stored corpus (they took ~1 s of every command's start before).
ENGINES = ("openpyxl", "pdfplumber", "pdfminer", "docx")

_RUNNER = """
import json, sys
from api.cli import main
sys.argv = ["jixiao", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(OUT, "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


def run_cli(args: list[str], tmp_path: Path, models_dir: Path) -> dict:
    out = tmp_path / "modules.json"
    env = {**os.environ, "JIXIAO_MODELS_DIR": str(models_dir), "JIXIAO_ENCODER": "e5-small"}
    script = _RUNNER.replace("OUT", repr(str(out)))
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(args)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.is_file(), proc.stderr
    result = json.loads(out.read_text())
    result["stdout"], result["stderr"] = proc.stdout, proc.stderr
    return result


@pytest.fixture(scope="module")
def corpus_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    models = tmp_path_factory.mktemp("cli-models")
    CorpusStore(models / "corpus.sqlite").ingest(sorted((REPO_ROOT / "data" / "raw").glob("*.txt")))
    return models


@pytest.mark.parametrize("args", [["--help"], ["stats"], ["search", "--help"], ["ingest", "--help"]])
def test_commands_without_encoder_import_no_model_library(args, tmp_path, corpus_models):
    result = run_cli(args, tmp_path, corpus_models)
    assert result["code"] in (0, None), result["stderr"]
    loaded = [m for m in (*HEAVY, *ENGINES) if m in result["modules"]]
    assert loaded == [], f"`jixiao {' '.join(args)}` imported {loaded}"
    if args == ["stats"]:
        assert "广州市商务局" in result["stdout"] or result["stdout"].strip()


def test_an_encoder_command_without_artifacts_fails_cleanly_and_quietly(tmp_path, corpus_models):
    result = run_cli(["search", "服务外包"], tmp_path, corpus_models)
    assert result["code"] == 2
    assert "jixiao build" in result["stderr"]
    # faiss announces its loader attempts through logging; the CLI keeps them out of stderr.
    assert "Loading faiss" not in result["stderr"]
    assert "Successfully loaded faiss" not in result["stderr"]
