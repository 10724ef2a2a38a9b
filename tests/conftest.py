"""Shared fixtures. Area-specific fixtures live in their own test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = REPO_ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    """The five bundled seed tables, in a stable order."""
    paths = sorted(SEED_DIR.glob("*.txt"))
    assert len(paths) == 5, f"expected 5 seed tables in {SEED_DIR}, found {len(paths)}"
    return paths


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Settings with an empty temp artifact store and the fake encoder."""
    return Settings(models_dir=tmp_path / "models", data_dir=SEED_DIR, encoder="fake")


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    """Settings pointing at the repo's built artifacts (``make build``)."""
    return Settings(models_dir=REPO_ROOT / "models", data_dir=SEED_DIR, encoder="e5-small")
