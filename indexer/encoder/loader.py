"""Pick and load an encoder by name: the real one from its built folder, or the fake one."""

from __future__ import annotations

from pathlib import Path

from indexer.artifacts import read_manifest
from indexer.encoder.base import Encoder
from indexer.encoder.build import DIM, ENCODER_KIND, ENCODER_NAME, FORMAT_VERSION
from indexer.encoder.fake import FakeEncoder
from indexer.encoder.sentence import SentenceTransformerEncoder
from indexer.errors import ArtifactError, ArtifactMismatchError

REAL_ENCODERS = ("e5-small",)
_HINT = "rebuild it with `jixiao build`"


class EncoderMismatchError(ArtifactMismatchError):
    """The encoder folder differs from what its manifest promises (stale or tampered)."""

    def __str__(self) -> str:
        return f"{super().__str__()} ({_HINT})"


def load_encoder(
    name: str, encoder_dir: Path | None = None, *, batch_size: int = 64, num_threads: int | None = None
) -> Encoder:
    """The encoder called ``name``.

    ``"fake"`` gives the hashing ``FakeEncoder``; ``"e5-small"`` loads the
    sentence-transformers folder ``encoder_dir`` after checking its manifest
    (kind, format version, encoder name, dim and every file's sha256). A
    missing or mismatched folder raises ``ArtifactError`` naming the problem.
    ``num_threads`` sets torch's intra-op threads (process-wide) when given.
    """
    if name == "fake":
        return FakeEncoder()
    if name not in REAL_ENCODERS:
        raise ArtifactError(
            f"unknown encoder {name!r} (JIXIAO_ENCODER must be one of {[*REAL_ENCODERS, 'fake']})"
        )
    if encoder_dir is None:
        raise ArtifactError(f"encoder {name!r}: no encoder folder given")
    encoder_dir = Path(encoder_dir)
    try:
        manifest = read_manifest(
            encoder_dir, ENCODER_KIND, FORMAT_VERSION, expected={"encoder": ENCODER_NAME, "dim": DIM}
        )
    except ArtifactMismatchError as exc:
        raise EncoderMismatchError(exc.artifact, exc.field, exc.expected, exc.found) from exc
    except ArtifactError as exc:
        if "jixiao build" in str(exc):
            raise
        raise ArtifactError(f"{exc} ({_HINT})") from exc
    encoder = SentenceTransformerEncoder(
        encoder_dir, batch_size=batch_size, name=manifest["encoder"], num_threads=num_threads
    )
    if encoder.dim != manifest["dim"]:
        raise EncoderMismatchError(str(encoder_dir), "model dimension", manifest["dim"], encoder.dim)
    return encoder
