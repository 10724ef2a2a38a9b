"""Artifact directories: ``manifest.json`` + files, written atomically.

Every built artifact (encoder, index, classifier) is a directory holding a
``manifest.json`` with its format version, the package versions that built it,
sha256 of each file, and whatever the artifact adds (encoder name, dim, corpus
hash, counts, evaluation scores). It is written to a temporary sibling and then
renamed into place, so a crash mid-build never leaves a half-written artifact.

An artifact that must change together with something else (the search index with the
corpus store's transaction) is written *staged*: complete, manifest and all, beside the
artifact (:func:`staged_dir`), and swapped in by :func:`promote_staged` only once the other
change is committed. A crash before the commit leaves the previous artifact in place; a
crash after it leaves a staged artifact that a loader recognises by its manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from indexer.errors import ArtifactError, ArtifactMismatchError

MANIFEST = "manifest.json"
TRACKED_PACKAGES: tuple[str, ...] = (
    "jixiao",
    "numpy",
    "faiss-cpu",
    "scikit-learn",
    "sentence-transformers",
    "torch",
    "jieba",
    "bm25s",
)


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (absent packages are skipped)."""
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_stats(root: Path) -> dict[str, list[int]]:
    return {
        str(p.relative_to(root)): [p.stat().st_size, p.stat().st_mtime_ns]
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def write_artifact(
    final_dir: Path,
    kind: str,
    format_version: int,
    build: Callable[[Path], Mapping[str, Any]],
    *,
    staged: bool = False,
) -> dict[str, Any]:
    """Build an artifact into a temp dir, add its manifest, then swap it in.

    ``build(tmp_dir)`` writes the files and returns the artifact's own manifest
    fields. If it raises, the temp dir is removed and ``final_dir`` is untouched.
    ``staged``: the finished artifact is put at :func:`staged_dir` instead (replacing any
    there), ``final_dir`` untouched until :func:`promote_staged`.
    """
    final_dir = Path(final_dir)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.tmp-", dir=final_dir.parent))
    try:
        # mkdtemp creates 0700; an artifact is as readable as any other built file.
        tmp_dir.chmod(0o755)
        fields = dict(build(tmp_dir))
        manifest: dict[str, Any] = {
            "kind": kind,
            "format_version": format_version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "package_versions": package_versions(),
            **fields,
            "files": _file_hashes(tmp_dir),
            # Size and mtime as written (renaming the directory keeps them): what
            # read_manifest(trust_stats=True) compares instead of hashing.
            "file_stats": _file_stats(tmp_dir),
        }
        (tmp_dir / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        if staged:
            target = staged_dir(final_dir)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp_dir, target)
        else:
            _swap_in(tmp_dir, final_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return manifest


def _swap_in(tmp_dir: Path, final_dir: Path) -> None:
    # Two renames: the old dir is moved aside first so that a reader never sees
    # a mix of old and new files; recover_artifact() repairs the tiny window in
    # which neither name exists if the process dies between the renames.
    old_dir = final_dir.with_name(f".{final_dir.name}.old")
    if old_dir.exists():
        shutil.rmtree(old_dir)
    if final_dir.exists():
        os.replace(final_dir, old_dir)
    os.replace(tmp_dir, final_dir)
    shutil.rmtree(old_dir, ignore_errors=True)


def staged_dir(final_dir: Path) -> Path:
    """Where a staged artifact of ``final_dir`` waits for :func:`promote_staged`."""
    final_dir = Path(final_dir)
    return final_dir.with_name(f".{final_dir.name}.staged")


def promote_staged(final_dir: Path) -> None:
    """Swap the staged artifact of ``final_dir`` in (the two renames of any write)."""
    _swap_in(staged_dir(final_dir), Path(final_dir))


def discard_staged(final_dir: Path) -> None:
    """Remove the staged artifact of ``final_dir``, if any (its other half was not committed)."""
    shutil.rmtree(staged_dir(final_dir), ignore_errors=True)


def recover_artifact(final_dir: Path) -> None:
    """Restore ``final_dir`` from its moved-aside copy after a crash mid-swap."""
    old_dir = final_dir.with_name(f".{final_dir.name}.old")
    if not final_dir.exists() and old_dir.exists():
        os.replace(old_dir, final_dir)


def read_manifest(
    artifact_dir: Path,
    kind: str,
    format_version: int,
    expected: Mapping[str, Any] | None = None,
    verify_files: bool = True,
    trust_stats: bool = False,
) -> dict[str, Any]:
    """Read and check an artifact's manifest.

    Raises ``ArtifactError`` when missing or unreadable and
    ``ArtifactMismatchError`` naming the field, the expected and the found value
    when kind, format version, any ``expected`` field or a file hash differs.
    ``trust_stats``: a file whose size and modification time (ns) are still those the
    manifest recorded when the artifact was written is taken as intact without hashing
    it (any other file is hashed) — for one-shot commands, where hashing the encoder's
    135 MB cost a tenth of the start; builds and the server hash every file.
    """
    artifact_dir = Path(artifact_dir)
    recover_artifact(artifact_dir)
    path = artifact_dir / MANIFEST
    if not path.is_file():
        raise ArtifactError(f"{kind}: no {MANIFEST} in {artifact_dir} (build it with `jixiao build`)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{kind}: unreadable manifest {path}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{kind}: manifest {path} is not a JSON object")
    checks: dict[str, Any] = {"kind": kind, "format_version": format_version, **(expected or {})}
    for field, want in checks.items():
        got = manifest.get(field)
        if got != want:
            raise ArtifactMismatchError(str(artifact_dir), field, want, got)
    if verify_files:
        stats = manifest.get("file_stats") if trust_stats else None
        for name, digest in manifest.get("files", {}).items():
            file_path = artifact_dir / name
            if not file_path.is_file():
                raise ArtifactMismatchError(str(artifact_dir), f"file {name}", "present", "missing")
            if isinstance(stats, dict) and _unchanged(file_path, stats.get(name)):
                continue
            found = sha256_file(file_path)
            if found != digest:
                raise ArtifactMismatchError(str(artifact_dir), f"sha256 of {name}", digest, found)
    return manifest


def _unchanged(path: Path, recorded: object) -> bool:
    """Whether ``path`` still has the [size, mtime_ns] recorded for it."""
    if not isinstance(recorded, list) or len(recorded) != 2:
        return False
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns] == recorded
