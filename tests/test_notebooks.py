"""The notebooks execute top to bottom (nbclient), so they cannot rot.

They run with the repository root as working directory and the real encoder of
the session's temporary store (``JIXIAO_MODELS_DIR`` points the kernel there, so
the repository's ``models/`` is not needed). The kernel is the venv's
interpreter: jupyter_client starts ``python`` kernels with ``sys.executable``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_both_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_corpus_exploration.ipynb", "02_classifier_evaluation.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.timeout(1800)
def test_notebook_executes(path: Path, real_encoder_dir, monkeypatch):
    monkeypatch.setenv("JIXIAO_MODELS_DIR", str(real_encoder_dir.parent))  # inherited by the kernel
    monkeypatch.setenv("JIXIAO_ENCODER", "e5-small")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=1200,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO_ROOT)}},
    )
    client.execute()
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert errors == []
    silent = [
        c.source
        for c in notebook.cells
        if c.cell_type == "code" and "import" not in c.source and not c.outputs
    ]
    assert silent == []
