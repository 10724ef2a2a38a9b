"""Artifact manifests record each file's size and mtime; ``trust_stats`` skips hashing only those."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer.artifacts import read_manifest, write_artifact
from indexer.errors import ArtifactMismatchError


def make(tmp_path: Path) -> tuple[Path, dict]:
    def build(tmp: Path) -> dict:
        (tmp / "a.bin").write_bytes(b"a" * 1000)
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.txt").write_text("二", encoding="utf-8")
        return {"n": 2}

    out = tmp_path / "art"
    return out, write_artifact(out, "thing", 1, build)


def test_stats_are_recorded_and_trusted_while_unchanged(tmp_path):
    out, manifest = make(tmp_path)
    assert set(manifest["file_stats"]) == set(manifest["files"]) == {"a.bin", "sub/b.txt"}
    assert manifest["file_stats"]["a.bin"][0] == 1000
    assert read_manifest(out, "thing", 1, trust_stats=True)["n"] == 2
    assert read_manifest(out, "thing", 1)["n"] == 2


def test_a_rewritten_file_is_hashed_and_refused(tmp_path):
    out, _ = make(tmp_path)
    path = out / "a.bin"
    before = path.stat()
    path.write_bytes(b"b" * 1000)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    with pytest.raises(ArtifactMismatchError, match=r"sha256 of a\.bin"):
        read_manifest(out, "thing", 1, trust_stats=True)


def test_only_the_full_check_sees_a_change_that_keeps_size_and_mtime(tmp_path):
    # The documented trade: size + mtime is a check against a rebuilt or replaced file,
    # not against deliberate tampering; the server and builds hash every file.
    out, _ = make(tmp_path)
    path = out / "a.bin"
    before = path.stat()
    path.write_bytes(b"c" * 1000)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert read_manifest(out, "thing", 1, trust_stats=True)["n"] == 2
    with pytest.raises(ArtifactMismatchError, match=r"sha256 of a\.bin"):
        read_manifest(out, "thing", 1)


def test_a_manifest_without_stats_is_hashed_in_full(tmp_path):
    out, manifest = make(tmp_path)
    manifest.pop("file_stats")
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / "a.bin").write_bytes(b"d" * 1000)
    with pytest.raises(ArtifactMismatchError):
        read_manifest(out, "thing", 1, trust_stats=True)
